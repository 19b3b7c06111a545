//! `alwayson_udp_receive_batch_size`: datagrams per batched UDP receive.

use std::fmt::Write;

use super::exposition::family;
use crate::metrics::Metrics;
use crate::metrics::udp_batch::BATCH_BUCKETS;

pub(super) fn udp_batches(w: &mut String, metrics: &Metrics) {
    let name = "alwayson_udp_receive_batch_size";
    family(
        w,
        name,
        "histogram",
        "Datagrams returned by each batched UDP receive (recvmmsg; 1 per receive where batching is unavailable).",
    );
    let (cumulative, datagrams) = metrics.udp_batches.snapshot();
    for (le, n) in BATCH_BUCKETS.iter().zip(&cumulative) {
        let _ = writeln!(w, "{name}_bucket{{le=\"{le}\"}} {n}");
    }
    let count = cumulative[BATCH_BUCKETS.len()];
    let _ = writeln!(w, "{name}_bucket{{le=\"+Inf\"}} {count}");
    let _ = writeln!(w, "{name}_sum {datagrams}");
    let _ = writeln!(w, "{name}_count {count}");
}
