//! What the cluster task reads out of the gossip state: the members, and
//! from every live member its observations, override events and zones.
//! Pure data, rebuilt by the cluster task and read by the updater (which
//! turns it into verdicts, overrides and serials), the admin API and the
//! cluster gauges of `/metrics`.
//!
//! Invariant: one entry per node name (the newest generation among the
//! live ones), so a restarted node never counts twice.

use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::time::SystemTime;

use crate::cluster::keys::ZoneValue;
use crate::health::{NodeName, OverrideEvent, PeerObservation};
use crate::metrics::cluster::ClusterGauges;

/// One node the gossip knows.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Member {
    pub node: NodeName,
    pub gossip_addr: SocketAddr,
    pub alive: bool,
    pub is_self: bool,
    /// Its start time (Unix ms): a restarted node has a new generation.
    pub generation: u64,
    /// When its heartbeat last moved, as seen here.
    pub last_heard: Option<SystemTime>,
}

/// The inputs of this node's decisions: what every live member published.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ClusterInputs {
    /// Live members other than this node, by name.
    pub peers: Vec<NodeName>,
    /// Observations by check, one per live member (this node included).
    pub observations: BTreeMap<String, Vec<PeerObservation>>,
    /// The newest override event per check among the live members.
    pub overrides: BTreeMap<String, OverrideEvent>,
    /// Each live member's copy of each zone, by origin.
    pub zones: BTreeMap<String, Vec<(NodeName, ZoneValue)>>,
}

impl ClusterInputs {
    /// No peer is heard: answers follow this node's own probes.
    pub fn isolated(&self) -> bool {
        self.peers.is_empty()
    }

    /// Adds what `node` published under `key` = `value` (unknown keys and
    /// values that do not parse are skipped).
    pub fn add(&mut self, node: &NodeName, key: &str, value: &str) {
        use crate::cluster::keys::*;
        if let Some(check) = key.strip_prefix(OBSERVATION) {
            if let Some(ObservationValue {
                healthy,
                at_ms,
                reason,
            }) = decode_observation(value)
            {
                let list = self.observations.entry(check.to_string()).or_default();
                list.push(PeerObservation {
                    node: node.clone(),
                    healthy,
                    at_ms,
                    reason,
                });
            }
        } else if let Some(check) = key.strip_prefix(OVERRIDE) {
            if let Some(event) = decode_override(value) {
                let slot = self.overrides.entry(check.to_string());
                let slot = slot.or_insert_with(|| event.clone());
                if event.is_newer_than(slot) {
                    *slot = event;
                }
            }
        } else if let Some(origin) = key.strip_prefix(ZONE)
            && let Some(zone) = decode_zone(value)
        {
            let list = self.zones.entry(origin.to_string()).or_default();
            list.push((node.clone(), zone));
        }
    }

    /// The highest derived serial a live member serves `origin` with for
    /// the same content.
    pub fn highest_serial(&self, origin: &str, content_hash: u64) -> Option<u32> {
        self.zones
            .get(origin)?
            .iter()
            .filter(|(_, z)| z.content_hash == content_hash && !z.explicit)
            .map(|(_, z)| z.serial)
            .max()
    }

    /// The live peers that serve `origin` with other content than
    /// `content_hash`, or do not serve it at all.
    pub fn drifting_peers(&self, origin: &str, content_hash: u64) -> Vec<NodeName> {
        let copies = self.zones.get(origin);
        self.peers
            .iter()
            .filter(|peer| {
                !copies.is_some_and(|list| {
                    list.iter()
                        .any(|(n, z)| n == *peer && z.content_hash == content_hash)
                })
            })
            .cloned()
            .collect()
    }
}

/// Everything the admin API shows about the cluster.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ClusterStatus {
    pub node: NodeName,
    pub members: Vec<Member>,
    pub inputs: ClusterInputs,
}

/// The gauges `/metrics` shows (the verdicts are the updater's).
pub fn gauges(me: &NodeName, members: &[Member], inputs: &ClusterInputs) -> ClusterGauges {
    let observations = inputs
        .observations
        .iter()
        .flat_map(|(check, list)| {
            list.iter()
                .map(move |o| (check.clone(), o.node.to_string(), o.healthy))
        })
        .collect();
    let zone_drift = inputs
        .zones
        .iter()
        .filter_map(|(origin, copies)| {
            let mine = copies.iter().find(|(n, _)| n == me)?;
            let drift = !inputs
                .drifting_peers(origin, mine.1.content_hash)
                .is_empty();
            Some((origin.clone(), drift))
        })
        .collect();
    ClusterGauges {
        members_alive: members.iter().filter(|m| m.alive).count(),
        isolated: inputs.isolated(),
        observations,
        zone_drift,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn drift_and_serials_follow_the_peers_copies() {
        let mut inputs = ClusterInputs {
            peers: vec!["b".into(), "c".into()],
            ..ClusterInputs::default()
        };
        let me: NodeName = "a".into();
        inputs.add(&me, "zone:example.", "00000000000000aa|100|d");
        inputs.add(&"b".into(), "zone:example.", "00000000000000aa|105|d");
        inputs.add(&"c".into(), "zone:example.", "00000000000000bb|110|d");
        inputs.add(&"c".into(), "zone:other.", "00000000000000aa|999|e");
        assert_eq!(inputs.highest_serial("example.", 0xaa), Some(105));
        assert_eq!(
            inputs.highest_serial("other.", 0xaa),
            None,
            "explicit serials are not adopted"
        );
        assert_eq!(
            inputs.drifting_peers("example.", 0xaa),
            vec![NodeName::from("c")]
        );
        assert_eq!(inputs.drifting_peers("gone.", 0xaa).len(), 2);
        inputs.add(&"b".into(), "zone:bad.", "garbage");
        assert!(!inputs.zones.contains_key("bad."));
    }

    #[test]
    fn the_newest_override_event_wins() {
        let mut inputs = ClusterInputs::default();
        inputs.add(&"a".into(), "ovr:web", "u|-|1000|a");
        inputs.add(&"b".into(), "ovr:web", "c|-|2000|b");
        inputs.add(&"c".into(), "ovr:web", "h|-|1500|c");
        let event = &inputs.overrides["web"];
        assert!(event.hold.is_none());
        assert_eq!(event.by.as_deref(), Some("b"));
    }
}
