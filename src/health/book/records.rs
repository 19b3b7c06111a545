//! The values the health book takes in and hands out: probe observations,
//! flips, overrides and the details the admin API shows.

use std::time::{Duration, SystemTime};

use std::sync::Arc;

use crate::health::CheckId;
use crate::health::spec::HealthCheckSpec;
use crate::health::verdict::{NodeName, Verdict};

/// One probe result, as the prober sends it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Observation {
    pub id: CheckId,
    /// [`HealthCheckSpec::fingerprint`] of the spec that was probed.
    pub generation: u64,
    pub success: bool,
    /// What the probe saw, e.g. "HTTP 503 (expected 200-399)".
    pub detail: String,
    pub duration: Duration,
    pub at: SystemTime,
}

/// A change of one check's effective status.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Flip {
    pub id: CheckId,
    pub healthy: bool,
    /// Why, e.g. "3 consecutive failures: HTTP 503" or "override".
    pub reason: String,
}

/// A status held by an operator (maintenance), optionally until a time.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Override {
    pub healthy: bool,
    pub until: Option<SystemTime>,
    /// When the operator set it (the newest setting wins across a cluster).
    pub set_at: SystemTime,
    /// The node whose API took it (None: this node, without a cluster).
    pub set_by: Option<NodeName>,
}

impl Override {
    /// A hold set now on this node.
    pub fn new(healthy: bool, until: Option<SystemTime>, now: SystemTime) -> Self {
        Self {
            healthy,
            until,
            set_at: now,
            set_by: None,
        }
    }
}

/// The latest operator action on one check: a hold (`hold`, whose
/// `set_at` is `at`) or its release (`None`), when and on which node.
/// Across a cluster the newest event wins (by `at`, then node name), so
/// every node ends with the same one.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct OverrideEvent {
    pub hold: Option<Override>,
    pub at: SystemTime,
    pub by: Option<NodeName>,
}

impl OverrideEvent {
    /// `hold` (or a release) set at `at` by `by`.
    pub fn new(hold: Option<Override>, at: SystemTime, by: Option<NodeName>) -> Self {
        let hold = hold.map(|h| Override {
            set_at: at,
            set_by: by.clone(),
            ..h
        });
        Self { hold, at, by }
    }

    /// Whether this event wins over `other`.
    pub fn is_newer_than(&self, other: &Self) -> bool {
        (self.at, &self.by) > (other.at, &other.by)
    }
}

/// The last probe of a check.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ProbeRecord {
    pub success: bool,
    pub detail: String,
    pub duration: Duration,
    pub at: SystemTime,
}

/// Everything the admin API shows about one check.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CheckDetail {
    pub id: CheckId,
    /// "http", "https", "tcp" or "calculated".
    pub kind: &'static str,
    pub healthy: bool,
    pub since: SystemTime,
    pub last_probe: Option<ProbeRecord>,
    pub overridden: Option<Override>,
    /// This node's own status from its probes (hysteresis and `invert`
    /// applied), before the cluster verdict and overrides.
    pub local_healthy: bool,
    /// The cluster's verdict, when a cluster decides this check.
    pub verdict: Option<Arc<Verdict>>,
    pub consecutive_successes: u32,
    pub consecutive_failures: u32,
    pub invert: bool,
    pub disabled: bool,
    /// The check as configured (type, address, interval, thresholds, ...).
    pub spec: HealthCheckSpec,
}

#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("unknown health check `{0}`")]
pub struct UnknownCheck(pub String);
