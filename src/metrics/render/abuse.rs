//! The families of the UDP defences: rate-limited responses (limited =
//! slipped + dropped) and DNS cookies by result. Always written, zeros
//! included, so a dashboard sees them before the first flood.

use std::fmt::Write;
use std::sync::atomic::Ordering;

use super::exposition::family;
use crate::metrics::Metrics;
use crate::metrics::abuse::COOKIE_RESULTS;

pub(super) fn abuse(w: &mut String, metrics: &Metrics) {
    let (slipped, dropped) = metrics.abuse.rrl();
    for (name, help, n) in [
        (
            "alwayson_rrl_limited_responses_total",
            "UDP responses over the rate limit (slipped plus dropped).",
            slipped + dropped,
        ),
        (
            "alwayson_rrl_slipped_responses_total",
            "Rate-limited UDP responses sent truncated (TC=1, no records).",
            slipped,
        ),
        (
            "alwayson_rrl_dropped_responses_total",
            "Rate-limited UDP responses not sent.",
            dropped,
        ),
    ] {
        family(w, name, "counter", help);
        let _ = writeln!(w, "{name} {n}");
    }
    family(
        w,
        "alwayson_dns_cookies_total",
        "counter",
        "Requests with a DNS COOKIE option, by result (client_only, valid, invalid, malformed).",
    );
    for (i, result) in COOKIE_RESULTS.iter().enumerate() {
        let n = metrics.abuse.cookies[i].load(Ordering::Relaxed);
        let _ = writeln!(w, "alwayson_dns_cookies_total{{result=\"{result}\"}} {n}");
    }
}
