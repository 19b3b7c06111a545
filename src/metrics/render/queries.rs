//! The query path's families: queries by zone × qtype × rcode × transport,
//! truncated responses by transport, and the query latency histogram.
//!
//! Invariant: reads the query path's atomics with relaxed loads and never
//! resets them; a per-zone series is written only once non-zero, because
//! that label set grows with traffic.

use std::fmt::Write;
use std::sync::atomic::Ordering;

use super::exposition::{escape, family, histogram};
use crate::metrics::labels::{TRANSPORT_NAMES, labels_of};
use crate::metrics::{Metrics, ZoneCounters, lock};

/// `alwayson_queries_total`, served zones first, then "none".
pub(super) fn queries(w: &mut String, metrics: &Metrics) {
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
}

/// `alwayson_truncated_responses_total`, one series per transport.
pub(super) fn truncated(w: &mut String, metrics: &Metrics) {
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
}

/// `alwayson_query_duration_seconds`.
pub(super) fn latency(w: &mut String, metrics: &Metrics) {
    family(
        w,
        "alwayson_query_duration_seconds",
        "histogram",
        "Time from a parsed query to its response being handed to the socket.",
    );
    histogram(w, "alwayson_query_duration_seconds", "", &metrics.latency);
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
