//! The cluster families, written only when `[cluster]` is configured:
//! gossip traffic and rejections, members alive, isolation, the verdict
//! and every observer's observation per check, and zone drift.

use std::fmt::Write;

use super::exposition::{escape, family};
use crate::metrics::Metrics;
use crate::metrics::cluster::GOSSIP_REJECTIONS;

pub(super) fn cluster(w: &mut String, metrics: &Metrics) {
    let Some(gauges) = metrics.cluster.gauges() else {
        return;
    };
    let counters = &metrics.cluster;
    let (din, dout, bin, bout) = counters.traffic();
    family(
        w,
        "alwayson_cluster_gossip_datagrams_total",
        "counter",
        "Gossip datagrams received (authenticated) and sent, by direction.",
    );
    let _ = writeln!(
        w,
        "alwayson_cluster_gossip_datagrams_total{{direction=\"in\"}} {din}"
    );
    let _ = writeln!(
        w,
        "alwayson_cluster_gossip_datagrams_total{{direction=\"out\"}} {dout}"
    );
    family(
        w,
        "alwayson_cluster_gossip_bytes_total",
        "counter",
        "Gossip bytes received (authenticated) and sent, tags included, by direction.",
    );
    let _ = writeln!(
        w,
        "alwayson_cluster_gossip_bytes_total{{direction=\"in\"}} {bin}"
    );
    let _ = writeln!(
        w,
        "alwayson_cluster_gossip_bytes_total{{direction=\"out\"}} {bout}"
    );
    family(
        w,
        "alwayson_cluster_gossip_rejected_total",
        "counter",
        "Gossip datagrams dropped unparsed, by reason (short, bad_mac, stale, undecodable).",
    );
    for (reason, n) in GOSSIP_REJECTIONS.iter().zip(counters.rejected()) {
        let _ = writeln!(
            w,
            "alwayson_cluster_gossip_rejected_total{{reason=\"{reason}\"}} {n}"
        );
    }
    state(w, metrics, &gauges);
}

/// Members, isolation, verdicts, observations and drift.
fn state(w: &mut String, metrics: &Metrics, gauges: &crate::metrics::cluster::ClusterGauges) {
    let counters = &metrics.cluster;
    family(
        w,
        "alwayson_cluster_members_alive",
        "gauge",
        "Live cluster members, this node included.",
    );
    let _ = writeln!(w, "alwayson_cluster_members_alive {}", gauges.members_alive);
    family(
        w,
        "alwayson_cluster_isolated",
        "gauge",
        "1 when this node hears no peer and answers from its own probes.",
    );
    let _ = writeln!(w, "alwayson_cluster_isolated {}", u8::from(gauges.isolated));
    family(
        w,
        "alwayson_cluster_verdict_healthy",
        "gauge",
        "The cluster verdict per check: 1 healthy, 0 unhealthy.",
    );
    for (check, healthy) in &counters.verdicts() {
        let _ = writeln!(
            w,
            "alwayson_cluster_verdict_healthy{{check=\"{}\"}} {}",
            escape(check),
            u8::from(*healthy)
        );
    }
    family(
        w,
        "alwayson_cluster_observation_healthy",
        "gauge",
        "Each live observer's latest observation per check: 1 healthy, 0 unhealthy.",
    );
    for (check, node, healthy) in &gauges.observations {
        let _ = writeln!(
            w,
            "alwayson_cluster_observation_healthy{{check=\"{}\",node=\"{}\"}} {}",
            escape(check),
            escape(node),
            u8::from(*healthy)
        );
    }
    family(
        w,
        "alwayson_cluster_zone_drift",
        "gauge",
        "1 when a live peer serves different content for the zone than this node.",
    );
    for (zone, drift) in &gauges.zone_drift {
        let _ = writeln!(
            w,
            "alwayson_cluster_zone_drift{{zone=\"{}\"}} {}",
            escape(zone),
            u8::from(*drift)
        );
    }
}
