//! The health view: the effective status of every health check at one moment.
//!
//! It is part of the published [`crate::table::Snapshot`], so DNS answers and the
//! forwarder read the same state. Only the updater builds new views. A check id
//! that no view knows is healthy (a record set with no check is healthy too).

use std::collections::HashMap;
use std::sync::Arc;
use std::time::SystemTime;

use crate::health::verdict::Verdict;

/// A health check id; ids are global across all zones and the server config.
pub type CheckId = Arc<str>;

/// The effective status of one check (after hysteresis, inversion and override).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct CheckStatus {
    pub healthy: bool,
    /// When `healthy` last changed (or the check was created).
    pub since: SystemTime,
}

#[derive(Clone, Debug, Default)]
pub struct HealthView {
    checks: HashMap<CheckId, CheckStatus>,
    /// The cluster verdicts behind some statuses (for explain).
    verdicts: HashMap<CheckId, Arc<Verdict>>,
}

impl HealthView {
    /// Healthy unless a known check says otherwise.
    pub fn is_healthy(&self, id: &str) -> bool {
        self.checks.get(id).is_none_or(|s| s.healthy)
    }

    pub fn get(&self, id: &str) -> Option<&CheckStatus> {
        self.checks.get(id)
    }

    pub fn iter(&self) -> impl Iterator<Item = (&CheckId, &CheckStatus)> {
        self.checks.iter()
    }

    pub fn len(&self) -> usize {
        self.checks.len()
    }

    pub fn is_empty(&self) -> bool {
        self.checks.is_empty()
    }

    /// Sets one check's status (for the updater, which owns the only copy being edited).
    pub fn set(&mut self, id: CheckId, status: CheckStatus) {
        self.checks.insert(id, status);
    }

    pub fn remove(&mut self, id: &str) {
        self.checks.remove(id);
        self.verdicts.remove(id);
    }

    /// The cluster verdict a check's status came from, if any.
    pub fn verdict(&self, id: &str) -> Option<&Arc<Verdict>> {
        self.verdicts.get(id)
    }

    /// How many checks a cluster verdict decides.
    pub fn verdict_count(&self) -> usize {
        self.verdicts.len()
    }

    /// Records the cluster verdict behind a check's status.
    pub fn set_verdict(&mut self, id: CheckId, verdict: Arc<Verdict>) {
        self.verdicts.insert(id, verdict);
    }
}
