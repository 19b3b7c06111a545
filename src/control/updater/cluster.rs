//! The updater's side of `[cluster]`: joining it, the verdicts it decides
//! from the members' observations, and what it takes from the members
//! (override events, the highest serial for the same content).

use std::sync::Arc;
use std::time::SystemTime;

use super::Updater;
use super::overrides::log_override;
use crate::cluster::Cluster;
use crate::control::cluster_sync::ClusterSync;
use crate::health::{CheckId, Flip};

impl Updater {
    /// Joins `cluster`: from now on verdicts, overrides and serials are
    /// shared with its members, and this node's are published to them.
    pub fn set_cluster(&mut self, cluster: Cluster) {
        let mut sync = ClusterSync::new(cluster);
        // Restart the probe loops on the instants every node shares.
        self.prober.align(&self.specs());
        for (id, event) in self.overrides.events() {
            sync.publish_override(id, event);
        }
        sync.publish_checks(&self.book, &self.book.probed());
        sync.publish_zones(self.zones.published());
        self.cluster = Some(sync);
    }

    /// The cluster's verdicts into the book; the flips they cause.
    pub(super) fn decide_verdicts(&mut self) -> Vec<Flip> {
        let Some(sync) = &self.cluster else {
            return Vec::new();
        };
        let now = SystemTime::now();
        let verdicts = sync.verdicts(&self.book, &self.book.probed(), now);
        let rows = verdicts
            .iter()
            .map(|(id, v)| (id.to_string(), v.healthy))
            .collect();
        self.metrics.cluster.set_verdicts(rows);
        let observers_changed = verdicts.len() != self.health.verdict_count()
            || verdicts
                .iter()
                .any(|(id, v)| self.health.verdict(id) != Some(v));
        let flips = self.book.set_verdicts(verdicts, now);
        if flips.is_empty() && observers_changed {
            // Same answers, other observers: explain shows them.
            self.health = Arc::new(self.book.view());
            let zones = self.store.load().zones.clone();
            self.publish(zones);
        }
        flips
    }

    /// What the members published changed: verdicts, the newest override
    /// events (copied into this node's state, so they outlive the node
    /// that took them) and the highest serial of each zone's content.
    pub(super) fn follow_cluster(&mut self) {
        let Some(sync) = &self.cluster else { return };
        let inputs = sync.inputs();
        let now = SystemTime::now();
        let mut flips = self.decide_verdicts();
        let mut overrides_changed = false;
        for (check, event) in &inputs.overrides {
            let id = CheckId::from(check.as_str());
            match self
                .overrides
                .apply(&mut self.book, &id, event.clone(), now)
            {
                Ok(Some(more)) => {
                    log_override(&id, event, "override from the cluster");
                    flips.extend(more);
                    overrides_changed = true;
                    if let Some(sync) = &self.cluster {
                        sync.publish_override(&id, event);
                    }
                }
                Ok(None) => {}
                // A check this node does not have: its config differs.
                Err(_) => {}
            }
        }
        if overrides_changed {
            self.save_overrides();
        }
        self.apply_flips(flips);
        let mut adopted = false;
        for (origin, hash, serial) in self.zones.derived() {
            if let Some(highest) = inputs.highest_serial(&origin, hash)
                && highest > serial
                && self.zones.adopt_serial(&origin, hash, highest)
            {
                tracing::info!(target: "alwayson::cluster", zone = %origin, from = serial, to = highest, "serial adopted from the cluster");
                adopted = true;
            }
        }
        if adopted {
            self.state.save_serials(self.zones.serials());
            self.republish_zones();
        }
    }
}
