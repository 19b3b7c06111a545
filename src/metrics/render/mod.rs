//! The Prometheus text exposition format (version 0.0.4) of [`Metrics`]
//! and the current snapshot; every name starts with `alwayson_`.
//!
//! Invariant: runs only on scrape, so it may lock and allocate; it reads
//! the counters without resetting them. Series with label sets that grow
//! with traffic (queries by zone × qtype × rcode × transport) are written
//! only once non-zero; fixed series are always written.

use std::fmt::Write;
use std::sync::atomic::Ordering;
use std::time::UNIX_EPOCH;

use crate::metrics::labels::{TRANSPORT_NAMES, labels_of};
use crate::metrics::{Histogram, Metrics, ZoneCounters, lock};
use crate::table::Snapshot;

/// One forwarder backend as `Forwarders::stats()` reports it, for the
/// metrics and the status page. The forwarder fills these in when it is
/// wired up; until then the list is empty.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ForwarderBackendStats {
    pub forwarder: String,
    pub listen: String,
    pub backend: String,
    pub health_check: Option<String>,
    pub healthy: bool,
    pub active_connections: u64,
    pub connections_total: u64,
    pub connect_failures_total: u64,
    /// Bytes from clients to the backend, and back.
    pub bytes_to_backend: u64,
    pub bytes_to_client: u64,
    /// Removed by a reload; finishing its connections.
    pub draining: bool,
}

/// The whole `/metrics` page.
pub fn render(
    metrics: &Metrics,
    snapshot: &Snapshot,
    forwarders: &[ForwarderBackendStats],
) -> String {
    let mut out = String::with_capacity(8192);
    let w = &mut out;

    family(
        w,
        "alwayson_build_info",
        "gauge",
        "Build information; the value is always 1.",
    );
    let _ = writeln!(
        w,
        "alwayson_build_info{{version=\"{}\"}} 1",
        escape(env!("CARGO_PKG_VERSION"))
    );

    family(
        w,
        "alwayson_queries_total",
        "counter",
        "DNS queries answered, by zone (\"none\": outside every zone), query type, response code and transport.",
    );
    {
        let zones = lock(&metrics.zones);
        for (origin, id) in &zones.served {
            if let Some(counters) = metrics.slots.get(*id) {
                query_series(w, origin, counters);
            }
        }
    }
    query_series(w, "none", &metrics.unmatched);

    family(
        w,
        "alwayson_truncated_responses_total",
        "counter",
        "Responses sent with TC=1 because the answer did not fit the UDP payload.",
    );
    for (i, name) in TRANSPORT_NAMES.iter().enumerate() {
        let n = metrics.truncated[i].load(Ordering::Relaxed);
        let _ = writeln!(
            w,
            "alwayson_truncated_responses_total{{transport=\"{name}\"}} {n}"
        );
    }

    family(
        w,
        "alwayson_query_duration_seconds",
        "histogram",
        "Time from a parsed query to its response being handed to the socket.",
    );
    histogram(w, "alwayson_query_duration_seconds", "", &metrics.latency);

    health(w, metrics, snapshot);

    family(
        w,
        "alwayson_reloads_total",
        "counter",
        "Zone and config reloads (file watch, SIGHUP, API, start).",
    );
    let _ = writeln!(w, "alwayson_reloads_total {}", metrics.reloads());
    family(
        w,
        "alwayson_reload_errors_total",
        "counter",
        "Reloads in which at least one file failed; the previous version kept serving.",
    );
    let _ = writeln!(
        w,
        "alwayson_reload_errors_total {}",
        metrics.reload_errors()
    );

    zones(w, snapshot);
    forwarder_series(w, forwarders);

    family(
        w,
        "alwayson_snapshot_version",
        "gauge",
        "Version of the published answer table; grows on every reload and flip.",
    );
    let _ = writeln!(w, "alwayson_snapshot_version {}", snapshot.version);
    out
}

fn health(w: &mut String, metrics: &Metrics, snapshot: &Snapshot) {
    let mut statuses: Vec<_> = snapshot.health.iter().collect();
    statuses.sort_by(|a, b| a.0.cmp(b.0));
    family(
        w,
        "alwayson_health_check_healthy",
        "gauge",
        "Effective status of each health check: 1 healthy, 0 unhealthy.",
    );
    for (id, status) in &statuses {
        let _ = writeln!(
            w,
            "alwayson_health_check_healthy{{check=\"{}\"}} {}",
            escape(id),
            u8::from(status.healthy)
        );
    }
    family(
        w,
        "alwayson_health_check_status_since_timestamp_seconds",
        "gauge",
        "When each check's effective status last changed (Unix time).",
    );
    for (id, status) in &statuses {
        let since = status
            .since
            .duration_since(UNIX_EPOCH)
            .map_or(0.0, |d| d.as_secs_f64());
        let _ = writeln!(
            w,
            "alwayson_health_check_status_since_timestamp_seconds{{check=\"{}\"}} {since:.3}",
            escape(id)
        );
    }

    let checks = lock(&metrics.checks);
    family(
        w,
        "alwayson_health_probes_total",
        "counter",
        "Probes run, by check.",
    );
    for (id, c) in checks.iter() {
        let _ = writeln!(
            w,
            "alwayson_health_probes_total{{check=\"{}\"}} {}",
            escape(id),
            c.probes
        );
    }
    family(
        w,
        "alwayson_health_probe_failures_total",
        "counter",
        "Probes that failed (before hysteresis and invert), by check.",
    );
    for (id, c) in checks.iter() {
        let _ = writeln!(
            w,
            "alwayson_health_probe_failures_total{{check=\"{}\"}} {}",
            escape(id),
            c.failures
        );
    }
    family(
        w,
        "alwayson_health_probe_duration_seconds",
        "histogram",
        "How long each probe took, by check.",
    );
    for (id, c) in checks.iter() {
        histogram(
            w,
            "alwayson_health_probe_duration_seconds",
            &format!("check=\"{}\"", escape(id)),
            &c.durations,
        );
    }
    family(
        w,
        "alwayson_health_flips_total",
        "counter",
        "Changes of a check's effective status, by check and new status.",
    );
    for (id, c) in checks.iter() {
        let id = escape(id);
        let _ = writeln!(
            w,
            "alwayson_health_flips_total{{check=\"{id}\",to=\"healthy\"}} {}",
            c.to_healthy
        );
        let _ = writeln!(
            w,
            "alwayson_health_flips_total{{check=\"{id}\",to=\"unhealthy\"}} {}",
            c.to_unhealthy
        );
    }
}

fn zones(w: &mut String, snapshot: &Snapshot) {
    let served = snapshot.zones.zones();
    family(
        w,
        "alwayson_zone_serial",
        "gauge",
        "SOA serial being served, by zone.",
    );
    for zone in served {
        let _ = writeln!(
            w,
            "alwayson_zone_serial{{zone=\"{}\"}} {}",
            escape(&zone.origin.to_string()),
            zone.serial
        );
    }
    family(
        w,
        "alwayson_zone_records",
        "gauge",
        "Records (values and aliases) being served, by zone.",
    );
    for zone in served {
        let _ = writeln!(
            w,
            "alwayson_zone_records{{zone=\"{}\"}} {}",
            escape(&zone.origin.to_string()),
            zone.record_count
        );
    }
    family(
        w,
        "alwayson_zone_file_failed",
        "gauge",
        "1 when the last read of a zone file failed (its previous version, if any, keeps serving).",
    );
    for file in &snapshot.zones.files {
        let _ = writeln!(
            w,
            "alwayson_zone_file_failed{{file=\"{}\"}} {}",
            escape(&file.file.display().to_string()),
            u8::from(file.error.is_some())
        );
    }
    family(
        w,
        "alwayson_zone_loaded_timestamp_seconds",
        "gauge",
        "When the version being served of each zone file was loaded (Unix time).",
    );
    for file in &snapshot.zones.files {
        let at = file
            .loaded_at
            .duration_since(UNIX_EPOCH)
            .map_or(0.0, |d| d.as_secs_f64());
        let _ = writeln!(
            w,
            "alwayson_zone_loaded_timestamp_seconds{{file=\"{}\"}} {at:.3}",
            escape(&file.file.display().to_string())
        );
    }
}

/// Per forwarder backend: health, connections now, connections and failed
/// connects so far. Written only when forwarders exist.
fn forwarder_series(w: &mut String, rows: &[ForwarderBackendStats]) {
    if rows.is_empty() {
        return;
    }
    let labels = |r: &ForwarderBackendStats| {
        format!(
            "forwarder=\"{}\",backend=\"{}\"",
            escape(&r.forwarder),
            escape(&r.backend)
        )
    };
    family(
        w,
        "alwayson_forwarder_backend_healthy",
        "gauge",
        "1 when the backend takes new connections.",
    );
    for r in rows {
        let _ = writeln!(
            w,
            "alwayson_forwarder_backend_healthy{{{}}} {}",
            labels(r),
            u8::from(r.healthy)
        );
    }
    family(
        w,
        "alwayson_forwarder_active_connections",
        "gauge",
        "Connections open to the backend now.",
    );
    for r in rows {
        let _ = writeln!(
            w,
            "alwayson_forwarder_active_connections{{{}}} {}",
            labels(r),
            r.active_connections
        );
    }
    family(
        w,
        "alwayson_forwarder_connections_total",
        "counter",
        "Connections forwarded to the backend.",
    );
    for r in rows {
        let _ = writeln!(
            w,
            "alwayson_forwarder_connections_total{{{}}} {}",
            labels(r),
            r.connections_total
        );
    }
    family(
        w,
        "alwayson_forwarder_connect_failures_total",
        "counter",
        "Failed connects to the backend (retried on the next).",
    );
    for r in rows {
        let _ = writeln!(
            w,
            "alwayson_forwarder_connect_failures_total{{{}}} {}",
            labels(r),
            r.connect_failures_total
        );
    }
    family(
        w,
        "alwayson_forwarder_bytes_total",
        "counter",
        "Bytes relayed, by direction (to_backend: from clients; to_client: from the backend).",
    );
    for r in rows {
        for (direction, value) in [
            ("to_backend", r.bytes_to_backend),
            ("to_client", r.bytes_to_client),
        ] {
            let _ = writeln!(
                w,
                "alwayson_forwarder_bytes_total{{{},direction=\"{direction}\"}} {value}",
                labels(r)
            );
        }
    }
}

fn query_series(w: &mut String, zone: &str, counters: &ZoneCounters) {
    let zone = escape(zone);
    for (i, counter) in counters.queries.iter().enumerate() {
        let n = counter.load(Ordering::Relaxed);
        if n == 0 {
            continue;
        }
        let (transport, rcode, qtype) = labels_of(i);
        let _ = writeln!(
            w,
            "alwayson_queries_total{{zone=\"{zone}\",qtype=\"{qtype}\",rcode=\"{rcode}\",transport=\"{transport}\"}} {n}"
        );
    }
}

fn family(w: &mut String, name: &str, kind: &str, help: &str) {
    let _ = writeln!(w, "# HELP {name} {help}");
    let _ = writeln!(w, "# TYPE {name} {kind}");
}

/// `labels` is empty or `key="value"` pairs without braces.
fn histogram(w: &mut String, name: &str, labels: &str, h: &Histogram) {
    let (buckets, total, sum) = h.cumulative();
    let sep = if labels.is_empty() { "" } else { "," };
    for (bound, count) in buckets {
        let _ = writeln!(w, "{name}_bucket{{{labels}{sep}le=\"{bound}\"}} {count}");
    }
    let _ = writeln!(w, "{name}_bucket{{{labels}{sep}le=\"+Inf\"}} {total}");
    let braces = if labels.is_empty() {
        String::new()
    } else {
        format!("{{{labels}}}")
    };
    let _ = writeln!(w, "{name}_sum{braces} {sum}");
    let _ = writeln!(w, "{name}_count{braces} {total}");
}

/// A label value per the exposition format: backslash, quote and newline escaped.
fn escape(value: &str) -> String {
    let mut out = String::with_capacity(value.len());
    for c in value.chars() {
        match c {
            '\\' => out.push_str("\\\\"),
            '"' => out.push_str("\\\""),
            '\n' => out.push_str("\\n"),
            c => out.push(c),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn label_values_are_escaped() {
        assert_eq!(escape("a\"b\\c\nd"), "a\\\"b\\\\c\\nd");
    }

    #[test]
    fn an_empty_server_renders_every_fixed_family() {
        let text = render(&Metrics::new(), &Snapshot::default(), &[]);
        for name in [
            "alwayson_build_info{version=",
            "alwayson_query_duration_seconds_bucket{le=\"+Inf\"} 0",
            "alwayson_reloads_total 0",
            "alwayson_truncated_responses_total{transport=\"udp\"} 0",
        ] {
            assert!(text.contains(name), "{name} missing from:\n{text}");
        }
        assert!(
            !text.contains("alwayson_forwarder_"),
            "no forwarder series without forwarders"
        );
    }
}
