//! The forwarder families: per backend, whether it takes connections, how
//! many are open, how many were forwarded or failed to connect, and the
//! bytes relayed each way.
//!
//! Invariant: written only when forwarders exist, so a DNS-only server's
//! page has no empty forwarder families.

use std::fmt::Write;

use super::exposition::{escape, family};

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

/// A family with one series per backend: name, type, help and the value.
type BackendFamily = (
    &'static str,
    &'static str,
    &'static str,
    fn(&ForwarderBackendStats) -> u64,
);

/// The families with one plain series per backend, in page order.
const BACKEND_FAMILIES: [BackendFamily; 4] = [
    (
        "alwayson_forwarder_backend_healthy",
        "gauge",
        "1 when the backend takes new connections.",
        |r| u64::from(r.healthy),
    ),
    (
        "alwayson_forwarder_active_connections",
        "gauge",
        "Connections open to the backend now.",
        |r| r.active_connections,
    ),
    (
        "alwayson_forwarder_connections_total",
        "counter",
        "Connections forwarded to the backend.",
        |r| r.connections_total,
    ),
    (
        "alwayson_forwarder_connect_failures_total",
        "counter",
        "Failed connects to the backend (retried on the next).",
        |r| r.connect_failures_total,
    ),
];

/// Every forwarder family; nothing when there are no backends.
pub(super) fn forwarders(w: &mut String, rows: &[ForwarderBackendStats]) {
    if rows.is_empty() {
        return;
    }
    let labels: Vec<String> = rows.iter().map(backend_labels).collect();
    for (name, kind, help, value) in BACKEND_FAMILIES {
        family(w, name, kind, help);
        for (r, labels) in rows.iter().zip(&labels) {
            let _ = writeln!(w, "{name}{{{labels}}} {}", value(r));
        }
    }
    family(
        w,
        "alwayson_forwarder_bytes_total",
        "counter",
        "Bytes relayed, by direction (to_backend: from clients; to_client: from the backend).",
    );
    for (r, labels) in rows.iter().zip(&labels) {
        for (direction, value) in [
            ("to_backend", r.bytes_to_backend),
            ("to_client", r.bytes_to_client),
        ] {
            let _ = writeln!(
                w,
                "alwayson_forwarder_bytes_total{{{labels},direction=\"{direction}\"}} {value}"
            );
        }
    }
}

/// `forwarder="…",backend="…"`, without braces.
fn backend_labels(r: &ForwarderBackendStats) -> String {
    format!(
        "forwarder=\"{}\",backend=\"{}\"",
        escape(&r.forwarder),
        escape(&r.backend)
    )
}
