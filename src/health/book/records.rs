//! The values the health book takes in and hands out: probe observations,
//! flips, overrides and the details the admin API shows.

use std::time::{Duration, SystemTime};

use crate::health::CheckId;
use crate::health::spec::HealthCheckSpec;

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
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Override {
    pub healthy: bool,
    pub until: Option<SystemTime>,
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
