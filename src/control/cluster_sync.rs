//! [`ClusterSync`]: the updater's side of the cluster. It publishes this
//! node's observations, override events and zones to the cluster task, and
//! turns what the live members published into verdicts (with
//! `health::verdict::decide`), the newest override events and serials.
//!
//! Invariants: this node's own observation always comes from its health
//! book (never from its gossip echo), so its latest probe counts at once.
//! A node that hears no peer makes no verdict: its checks follow its own
//! probes until peers return. An observation is republished when its
//! status changes, and otherwise at most once per [`refresh`] period, so
//! gossip traffic grows with flips, not with probes.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::{Duration, SystemTime};

use tokio::sync::watch;

use crate::cluster::keys::{ObservationValue, ZoneValue, unix_ms};
use crate::cluster::{Cluster, ClusterInputs, Publish};
use crate::health::verdict::{decide, fraction_ppm};
use crate::health::{
    CheckId, HealthBook, HealthCheckSpec, NodeName, OverrideEvent, PeerObservation, Verdict,
};

/// The shortest republishing period of an unchanged observation.
const MIN_REFRESH: Duration = Duration::from_secs(10);

/// How often an unchanged observation of `spec` is republished.
pub fn refresh(spec: &HealthCheckSpec) -> Duration {
    spec.interval.max(MIN_REFRESH)
}

/// How old an observation of `spec` may be and still count: three missed
/// refreshes (a live observer that stopped probing the check).
pub fn max_age(spec: &HealthCheckSpec) -> Duration {
    refresh(spec) * 3 + spec.timeout
}

pub struct ClusterSync {
    cluster: Cluster,
    inputs: watch::Receiver<Arc<ClusterInputs>>,
    fraction_ppm: u64,
    /// What was last published per check: (healthy, probe time in ms).
    published: HashMap<CheckId, (bool, u64)>,
}

impl ClusterSync {
    pub fn new(cluster: Cluster) -> Self {
        let inputs = cluster.inputs();
        let fraction_ppm = fraction_ppm(cluster.config.healthy_fraction);
        Self {
            cluster,
            inputs,
            fraction_ppm,
            published: HashMap::new(),
        }
    }

    pub fn node(&self) -> NodeName {
        self.cluster.node.clone()
    }

    pub fn gossip_interval(&self) -> Duration {
        self.cluster.config.gossip_interval
    }

    /// What the live members published, as last read.
    pub fn inputs(&self) -> Arc<ClusterInputs> {
        self.inputs.borrow().clone()
    }

    /// Waits until the members' inputs change.
    pub async fn changed(&mut self) {
        if self.inputs.changed().await.is_err() {
            // The cluster task is gone: never wake again.
            std::future::pending::<()>().await;
        }
    }

    /// Publishes this node's observation of `id` when it changed or is due.
    pub fn observed(&mut self, book: &HealthBook, id: &CheckId) {
        let (Some((healthy, probe)), Some(spec)) = (book.local_observation(id), book.spec(id))
        else {
            return;
        };
        let at_ms = unix_ms(probe.at);
        let due = self.published.get(id).is_none_or(|&(was, last_ms)| {
            was != healthy || at_ms.saturating_sub(last_ms) >= refresh(spec).as_millis() as u64
        });
        if !due {
            return;
        }
        self.published.insert(id.clone(), (healthy, at_ms));
        let value = ObservationValue {
            healthy,
            at_ms,
            reason: probe.detail.clone(),
        };
        self.cluster
            .publish(Publish::Observation(id.clone(), value));
    }

    /// After a reload: the checks this node probes, and each one's
    /// observation once it has one.
    pub fn publish_checks(&mut self, book: &HealthBook, probed: &[CheckId]) {
        self.published.retain(|id, _| probed.contains(id));
        self.cluster.publish(Publish::Checks(probed.to_vec()));
        for id in probed {
            self.observed(book, id);
        }
    }

    pub fn publish_override(&self, id: &CheckId, event: &OverrideEvent) {
        self.cluster
            .publish(Publish::Override(id.clone(), event.clone()));
    }

    pub fn publish_zones(&self, zones: Vec<(String, ZoneValue)>) {
        self.cluster.publish(Publish::Zones(zones));
    }

    /// The verdict of every probed check some live observer has a fresh
    /// observation of; empty when no peer is heard.
    pub fn verdicts(
        &self,
        book: &HealthBook,
        probed: &[CheckId],
        now: SystemTime,
    ) -> HashMap<CheckId, Arc<Verdict>> {
        let inputs = self.inputs.borrow().clone();
        if inputs.isolated() {
            return HashMap::new();
        }
        let me = self.node();
        let now_ms = unix_ms(now);
        let mut verdicts = HashMap::new();
        for id in probed {
            let Some(spec) = book.spec(id) else { continue };
            let mut observations: Vec<PeerObservation> = inputs
                .observations
                .get(&**id)
                .map(|list| list.iter().filter(|o| o.node != me).cloned().collect())
                .unwrap_or_default();
            if let Some((healthy, probe)) = book.local_observation(id) {
                observations.push(PeerObservation {
                    node: me.clone(),
                    healthy,
                    at_ms: unix_ms(probe.at),
                    reason: probe.detail.clone(),
                });
            }
            let max_age = max_age(spec).as_millis() as u64;
            if let Some(v) = decide(&observations, self.fraction_ppm, now_ms, max_age) {
                verdicts.insert(id.clone(), Arc::new(v));
            }
        }
        verdicts
    }
}
