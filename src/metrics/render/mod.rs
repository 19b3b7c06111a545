//! The Prometheus text exposition format (version 0.0.4) of [`Metrics`]
//! and the current snapshot; every name starts with `alwayson_`. One file
//! per concern: the query path (`queries`), health checks (`health`),
//! zones (`zones`), forwarders (`forwarder`), and the format's shared
//! pieces (`exposition`).
//!
//! Invariant: runs only on scrape, so it may lock and allocate; it reads
//! the counters without resetting them. Series with label sets that grow
//! with traffic (queries by zone × qtype × rcode × transport) are written
//! only once non-zero; fixed series are always written.

mod abuse;
mod cluster;
mod dnssec;
mod exposition;
mod forwarder;
mod health;
mod queries;
mod tcp;
mod udp;
mod zones;

use std::fmt::Write;

use crate::metrics::Metrics;
use crate::table::Snapshot;
use exposition::{escape, family};

pub use forwarder::ForwarderBackendStats;

/// The whole `/metrics` page.
pub fn render(
    metrics: &Metrics,
    snapshot: &Snapshot,
    forwarders: &[ForwarderBackendStats],
) -> String {
    let mut out = String::with_capacity(8192);
    let w = &mut out;
    build_info(w);
    queries::queries(w, metrics);
    queries::truncated(w, metrics);
    queries::latency(w, metrics);
    abuse::abuse(w, metrics);
    tcp::tcp(w, metrics);
    udp::udp_batches(w, metrics);
    dnssec::dnssec(w, metrics);
    health::health(w, metrics, snapshot);
    reloads(w, metrics);
    zones::zones(w, snapshot);
    forwarder::forwarders(w, forwarders);
    cluster::cluster(w, metrics);
    snapshot_version(w, snapshot);
    out
}

/// `alwayson_build_info`, labelled with the crate version.
fn build_info(w: &mut String) {
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
}

/// `alwayson_reloads_total` and `alwayson_reload_errors_total`.
fn reloads(w: &mut String, metrics: &Metrics) {
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
}

/// `alwayson_snapshot_version`.
fn snapshot_version(w: &mut String, snapshot: &Snapshot) {
    family(
        w,
        "alwayson_snapshot_version",
        "gauge",
        "Version of the published answer table; grows on every reload and flip.",
    );
    let _ = writeln!(w, "alwayson_snapshot_version {}", snapshot.version);
}

#[cfg(test)]
mod tests {
    use super::*;

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
