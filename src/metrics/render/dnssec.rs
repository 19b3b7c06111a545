//! The families of online DNSSEC signing: signatures made and the time
//! spent making them, and the signature cache (hits, misses, evictions,
//! entries and their approximate bytes). Always written, zeros included.

use std::fmt::Write;
use std::sync::atomic::Ordering;

use super::exposition::family;
use crate::metrics::Metrics;

pub(super) fn dnssec(w: &mut String, metrics: &Metrics) {
    let s = &metrics.dnssec;
    let load = |c: &std::sync::atomic::AtomicU64| c.load(Ordering::Relaxed);
    let counters = [
        (
            "alwayson_dnssec_signatures_total",
            "RRSIGs computed (cache misses and refreshes), every zone and key.",
            load(&s.signatures),
        ),
        (
            "alwayson_dnssec_signature_cache_hits_total",
            "Signatures served from the signature cache.",
            load(&s.hits),
        ),
        (
            "alwayson_dnssec_signature_cache_misses_total",
            "Signature cache lookups that had to sign (absent or due for refresh).",
            load(&s.misses),
        ),
        (
            "alwayson_dnssec_signature_cache_evictions_total",
            "Signatures evicted from the full signature cache, least recently used first.",
            load(&s.evictions),
        ),
    ];
    for (name, help, n) in counters {
        family(w, name, "counter", help);
        let _ = writeln!(w, "{name} {n}");
    }
    let name = "alwayson_dnssec_signing_seconds_total";
    family(w, name, "counter", "Time spent computing signatures.");
    let _ = writeln!(w, "{name} {}", load(&s.sign_nanos) as f64 / 1e9);
    for (name, help, n) in [
        (
            "alwayson_dnssec_signature_cache_entries",
            "Signatures in the signature cache.",
            load(&s.entries),
        ),
        (
            "alwayson_dnssec_signature_cache_bytes",
            "Approximate memory held by the signature cache.",
            load(&s.bytes),
        ),
        (
            "alwayson_dnssec_signature_slots",
            "Signatures kept next to their RRsets for the UDP fast path (at most signature_cache_entries).",
            load(&s.slot_signatures),
        ),
        (
            "alwayson_dnssec_signature_slot_bytes",
            "Approximate memory held by those signature slots.",
            load(&s.slot_bytes),
        ),
    ] {
        family(w, name, "gauge", help);
        let _ = writeln!(w, "{name} {n}");
    }
}
