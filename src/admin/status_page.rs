//! The status page (`GET /`): zones, health checks, recent flips, the
//! cluster (members, observations, zone drift) and
//! forwarder backends, rendered on the server as plain HTML that reloads
//! itself every few seconds (no scripts, no framework).
//!
//! Invariant: every value that comes from files, probes or the network
//! goes through [`escape`] before it reaches the page.

use std::fmt::Write;

use axum::extract::State;
use axum::response::Html;

use crate::cluster::ClusterStatus;

use crate::admin::AdminState;
use crate::admin::bodies::{status_text, time_text};
use crate::control::HealthReport;
use crate::metrics::render::ForwarderBackendStats;
use crate::table::zone_table::ZoneFileReport;

/// Seconds between the page's own reloads.
const REFRESH_SECONDS: u32 = 5;

/// `GET /`
pub async fn page(State(state): State<AdminState>) -> Html<String> {
    let snapshot = state.store.load_full();
    let health = state.updater.health().await.unwrap_or_default();
    let forwarders = (state.forwarders)();
    let needs_restart = state.needs_restart.borrow().clone();
    let cluster = state.cluster.as_ref().map(|c| c.borrow().clone());
    let mut page = render(
        &snapshot.zones.files,
        &health,
        &forwarders,
        snapshot.version,
        &needs_restart,
    );
    let at = page.rfind("</body>").unwrap_or(page.len());
    let mut section = String::new();
    cluster_section(&mut section, cluster.as_deref());
    section.push_str(&super::dnssec_section::section(&snapshot.zones, escape));
    page.insert_str(at, &section);
    Html(page)
}

/// The whole page.
pub fn render(
    zones: &[ZoneFileReport],
    health: &HealthReport,
    forwarders: &[ForwarderBackendStats],
    version: u64,
    needs_restart: &[String],
) -> String {
    let mut w = String::with_capacity(8192);
    let _ = write!(
        w,
        r#"<!doctype html>
<html lang="en"><head><meta charset="utf-8">
<meta http-equiv="refresh" content="{REFRESH_SECONDS}">
<title>alwayson status</title>
<style>
body {{ font: 14px/1.4 system-ui, sans-serif; margin: 1.5em; color: #222; }}
table {{ border-collapse: collapse; margin-bottom: 1.5em; }}
th, td {{ border: 1px solid #ccc; padding: .25em .6em; text-align: left; vertical-align: top; }}
th {{ background: #f3f3f3; }}
.healthy {{ color: #176d2c; font-weight: 600; }}
.unhealthy, .error {{ color: #b3261e; font-weight: 600; }}
pre {{ margin: 0; white-space: pre-wrap; }}
</style></head><body>
<h1>alwayson</h1>
<p>version {} · answer table #{version} · refreshes every {REFRESH_SECONDS}s ·
<a href="/metrics">metrics</a> · <a href="/api/v1/zones">zones JSON</a> ·
<a href="/api/v1/health-checks">health JSON</a></p>
"#,
        escape(env!("CARGO_PKG_VERSION"))
    );
    restart_line(&mut w, needs_restart);
    zones_section(&mut w, zones);
    checks_section(&mut w, health);
    flips_section(&mut w, health);
    forwarders_section(&mut w, forwarders);
    w.push_str("</body></html>\n");
    w
}

/// The keys of `alwayson.toml` that changed but wait for a restart.
fn restart_line(w: &mut String, keys: &[String]) {
    if keys.is_empty() {
        return;
    }
    let keys: Vec<String> = keys.iter().map(|k| escape(k)).collect();
    let _ = writeln!(
        w,
        "<p id=\"needs-restart\" class=\"error\">needs restart: {} changed in the config file and take effect at the next restart</p>",
        keys.join(", ")
    );
}

fn zones_section(w: &mut String, zones: &[ZoneFileReport]) {
    w.push_str("<h2>Zones</h2>\n<table id=\"zones\"><tr><th>origin</th><th>file</th><th>serial</th><th>records</th><th>loaded</th><th>last reload</th></tr>\n");
    for z in zones {
        let result = match &z.error {
            None => "<span class=\"healthy\">ok</span>".to_string(),
            Some(e) => format!(
                "<span class=\"error\">failed</span><pre>{}</pre>",
                escape(e)
            ),
        };
        let _ = writeln!(
            w,
            "<tr><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{result}</td></tr>",
            escape(
                &z.origin
                    .as_ref()
                    .map_or("(not served)".to_string(), ToString::to_string)
            ),
            escape(&z.file.display().to_string()),
            z.serial.map_or("-".to_string(), |s| s.to_string()),
            z.records,
            escape(&time_text(z.loaded_at)),
        );
    }
    w.push_str("</table>\n");
}

fn checks_section(w: &mut String, health: &HealthReport) {
    w.push_str("<h2>Health checks</h2>\n<table id=\"checks\"><tr><th>check</th><th>kind</th><th>state</th><th>since</th><th>last probe</th><th>override</th></tr>\n");
    for c in &health.checks {
        let state = status_text(c.healthy);
        let probe = c.last_probe.as_ref().map_or("-".to_string(), |p| {
            format!(
                "{} in {:.1} ms at {}: {}",
                if p.success { "ok" } else { "failed" },
                p.duration.as_secs_f64() * 1000.0,
                time_text(p.at),
                p.detail
            )
        });
        let overridden = c.overridden.as_ref().map_or("-".to_string(), |o| {
            let until = o.until.map_or("until cleared".to_string(), |u| {
                format!("until {}", time_text(u))
            });
            let by = o
                .set_by
                .as_ref()
                .map_or(String::new(), |n| format!(" (set on {n})"));
            format!("held {} {until}{by}", status_text(o.healthy))
        });
        let _ = writeln!(
            w,
            "<tr data-check=\"{id}\"><td>{id}</td><td>{}</td><td class=\"{state}\">{state}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
            escape(c.kind),
            escape(&time_text(c.since)),
            escape(&probe),
            escape(&overridden),
            id = escape(&c.id),
        );
    }
    w.push_str("</table>\n");
}

fn flips_section(w: &mut String, health: &HealthReport) {
    w.push_str("<h2>Recent flips</h2>\n<table id=\"flips\"><tr><th>at</th><th>check</th><th>to</th><th>reason</th></tr>\n");
    for f in health.recent_flips.iter().rev() {
        let to = status_text(f.flip.healthy);
        let _ = writeln!(
            w,
            "<tr><td>{}</td><td>{}</td><td class=\"{to}\">{to}</td><td>{}</td></tr>",
            escape(&time_text(f.at)),
            escape(&f.flip.id),
            escape(&f.flip.reason),
        );
    }
    w.push_str("</table>\n");
}

fn forwarders_section(w: &mut String, rows: &[ForwarderBackendStats]) {
    w.push_str("<h2>Forwarders</h2>\n");
    if rows.is_empty() {
        w.push_str("<p id=\"forwarders\">No forwarders configured.</p>\n");
        return;
    }
    w.push_str("<table id=\"forwarders\"><tr><th>forwarder</th><th>listen</th><th>backend</th><th>check</th><th>state</th><th>open</th><th>total</th><th>failed connects</th><th>bytes in / out</th></tr>\n");
    for r in rows {
        let state = if r.draining {
            "draining"
        } else {
            status_text(r.healthy)
        };
        let _ = writeln!(
            w,
            "<tr><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td class=\"{state}\">{state}</td><td>{}</td><td>{}</td><td>{}</td><td>{} / {}</td></tr>",
            escape(&r.forwarder),
            escape(&r.listen),
            escape(&r.backend),
            escape(r.health_check.as_deref().unwrap_or("-")),
            r.active_connections,
            r.connections_total,
            r.connect_failures_total,
            r.bytes_to_backend,
            r.bytes_to_client,
        );
    }
    w.push_str("</table>\n");
}

/// HTML text and attribute escaping.
pub fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

/// The status page's cluster section (nothing without a cluster).
fn cluster_section(w: &mut String, status: Option<&ClusterStatus>) {
    let Some(status) = status else { return };
    let inputs = &status.inputs;
    let mode = if inputs.isolated() {
        "<span class=\"error\">isolated: no peer is heard, answers follow this node's own probes</span>"
    } else {
        "<span class=\"healthy\">answers follow the cluster's verdicts</span>"
    };
    let _ = writeln!(
        w,
        "<h2>Cluster</h2>\n<p id=\"cluster-mode\">node {} · {mode} · <a href=\"/api/v1/cluster\">cluster JSON</a></p>",
        escape(&status.node)
    );
    w.push_str("<table id=\"members\"><tr><th>node</th><th>gossip address</th><th>state</th><th>last heard</th></tr>\n");
    for m in &status.members {
        let state = if m.alive { "alive" } else { "dead" };
        let class = if m.alive { "healthy" } else { "unhealthy" };
        let me = if m.is_self { " (this node)" } else { "" };
        let heard = m.last_heard.map_or("-".to_string(), time_text);
        let _ = writeln!(
            w,
            "<tr><td>{}{me}</td><td>{}</td><td class=\"{class}\">{state}</td><td>{}</td></tr>",
            escape(&m.node),
            m.gossip_addr,
            escape(&heard)
        );
    }
    w.push_str("</table>\n<table id=\"observations\"><tr><th>check</th><th>observations by node</th></tr>\n");
    for (check, list) in &inputs.observations {
        let cells: Vec<String> = list
            .iter()
            .map(|o| format!("{}: {}", escape(&o.node), status_text(o.healthy)))
            .collect();
        let _ = writeln!(
            w,
            "<tr><td>{}</td><td>{}</td></tr>",
            escape(check),
            cells.join(", ")
        );
    }
    w.push_str("</table>\n<table id=\"zone-drift\"><tr><th>zone</th><th>copies</th></tr>\n");
    for (origin, copies) in &inputs.zones {
        let mine = copies.iter().find(|(n, _)| *n == status.node);
        let drifting = mine.map_or_else(Vec::new, |(_, z)| {
            inputs.drifting_peers(origin, z.content_hash)
        });
        let verdict = if drifting.is_empty() {
            "<span class=\"healthy\">same on every node</span>".to_string()
        } else {
            let names: Vec<String> = drifting.iter().map(|n| escape(n)).collect();
            format!(
                "<span class=\"error\">drift: {} serve(s) other content</span>",
                names.join(", ")
            )
        };
        let _ = writeln!(w, "<tr><td>{}</td><td>{verdict}</td></tr>", escape(origin));
    }
    w.push_str("</table>\n");
}

#[cfg(test)]
mod tests {
    use std::path::PathBuf;
    use std::time::SystemTime;

    use super::*;
    use crate::control::FlipRecord;
    use crate::health::{CheckDetail, Flip};

    #[test]
    fn every_value_is_escaped() {
        let evil = "<script>alert('x')</script>&\"";
        let zones = [ZoneFileReport {
            file: PathBuf::from(evil),
            origin: None,
            serial: None,
            records: 0,
            loaded_at: SystemTime::UNIX_EPOCH,
            error: Some(evil.to_string()),
        }];
        let health = HealthReport {
            checks: vec![CheckDetail {
                id: evil.into(),
                kind: "http",
                healthy: false,
                since: SystemTime::UNIX_EPOCH,
                last_probe: None,
                overridden: None,
                local_healthy: false,
                verdict: None,
                consecutive_successes: 0,
                consecutive_failures: 3,
                invert: false,
                disabled: false,
                spec: crate::health::HealthCheckSpec {
                    id: evil.into(),
                    kind: crate::health::CheckKind::Tcp {
                        address: crate::health::spec::Address {
                            host: "192.0.2.1".into(),
                            port: 80,
                        },
                    },
                    interval: std::time::Duration::from_secs(10),
                    timeout: std::time::Duration::from_secs(2),
                    healthy_threshold: 3,
                    unhealthy_threshold: 3,
                    invert: false,
                    disabled: false,
                },
            }],
            recent_flips: vec![FlipRecord {
                at: SystemTime::UNIX_EPOCH,
                flip: Flip {
                    id: evil.into(),
                    healthy: false,
                    reason: evil.to_string(),
                },
            }],
        };
        let rows = [ForwarderBackendStats {
            forwarder: evil.to_string(),
            backend: evil.to_string(),
            ..Default::default()
        }];
        let page = render(&zones, &health, &rows, 1, &[]);
        assert!(!page.contains("<script>"), "{page}");
        assert!(page.contains("&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt;&amp;&quot;"));
    }

    #[test]
    fn keys_waiting_for_a_restart_are_shown_only_when_there_are_some() {
        let health = HealthReport::default();
        let page = render(
            &[],
            &health,
            &[],
            1,
            &["dns.udp_threads".into(), "admin.token".into()],
        );
        assert!(page.contains("<p id=\"needs-restart\" class=\"error\">needs restart: dns.udp_threads, admin.token changed"), "{page}");
        assert!(!render(&[], &health, &[], 1, &[]).contains("needs restart"));
    }
}
