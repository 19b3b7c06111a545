//! The health book's side of a cluster: the verdicts that stand in for the
//! local probes, and what this node publishes of its own observations.

use std::collections::{HashMap, HashSet};
use std::sync::Arc;
use std::time::SystemTime;

use super::{Flip, HealthBook, ProbeRecord};
use crate::health::CheckId;
use crate::health::spec::HealthCheckSpec;
use crate::health::verdict::Verdict;

impl HealthBook {
    /// Makes the cluster's verdicts stand in for the local status of the
    /// probed checks they name (an empty map: every check follows its own
    /// probes again). Returns the flips this causes.
    pub fn set_verdicts(
        &mut self,
        verdicts: HashMap<CheckId, Arc<Verdict>>,
        now: SystemTime,
    ) -> Vec<Flip> {
        let mut verdicts = verdicts;
        verdicts.retain(|id, _| self.checks.get(id).is_some_and(|e| e.spec.is_probed()));
        let reasons = verdicts
            .iter()
            .map(|(id, v)| (id.clone(), format!("cluster verdict: {}", v.summary())))
            .collect();
        self.verdicts = verdicts;
        self.settle(now, &reasons, &HashSet::new())
    }

    /// This node's own status of a probed check (hysteresis and `invert`
    /// applied) and its last probe; None before the first probe.
    pub fn local_observation(&self, id: &str) -> Option<(bool, &ProbeRecord)> {
        let entry = self.checks.get(id).filter(|e| e.spec.is_probed())?;
        let probe = entry.last_probe.as_ref()?;
        Some((entry.local_healthy(), probe))
    }

    /// The ids of the checks that are probed (not calculated, not disabled).
    pub fn probed(&self) -> Vec<CheckId> {
        self.checks
            .iter()
            .filter(|(_, e)| e.spec.is_probed())
            .map(|(id, _)| id.clone())
            .collect()
    }

    /// The spec of a check.
    pub fn spec(&self, id: &str) -> Option<&HealthCheckSpec> {
        self.checks.get(id).map(|e| &e.spec)
    }
}
