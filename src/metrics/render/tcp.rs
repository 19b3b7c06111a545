//! The families of the DNS TCP loop: open connections, accepted and
//! refused ones, and connections the server closed by reason. Always
//! written, zeros included.

use std::fmt::Write;

use super::exposition::family;
use crate::metrics::Metrics;
use crate::metrics::tcp::TCP_CLOSE_REASONS;

pub(super) fn tcp(w: &mut String, metrics: &Metrics) {
    let f = metrics.tcp.figures();
    family(
        w,
        "alwayson_dns_tcp_connections_open",
        "gauge",
        "DNS TCP connections open now.",
    );
    let _ = writeln!(w, "alwayson_dns_tcp_connections_open {}", f.open);
    for (name, help, n) in [
        (
            "alwayson_dns_tcp_connections_accepted_total",
            "DNS TCP connections accepted and served.",
            f.accepted,
        ),
        (
            "alwayson_dns_tcp_connections_refused_total",
            "DNS TCP connections closed at once, over max_connections or max_connections_per_client.",
            f.refused,
        ),
    ] {
        family(w, name, "counter", help);
        let _ = writeln!(w, "{name} {n}");
    }
    family(
        w,
        "alwayson_dns_tcp_connections_closed_total",
        "counter",
        "DNS TCP connections the server closed, by reason (idle, frame_timeout, write_timeout, not_query).",
    );
    for (reason, n) in TCP_CLOSE_REASONS.iter().zip(f.closed) {
        let _ = writeln!(
            w,
            "alwayson_dns_tcp_connections_closed_total{{reason=\"{reason}\"}} {n}"
        );
    }
}
