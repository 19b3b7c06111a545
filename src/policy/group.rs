//! What a policy works on: the rules of one routed name/type as compiled
//! from its zone file ([`GroupRules`]), and the state prepared from health
//! at every flip ([`GroupState`]).
//!
//! Invariant: both are indexed like the group's record sets, in zone file
//! order; a query only reads them.

use crate::policy::rule::{PolicyKind, Routing};

/// The policy-owned part of a compiled routed group.
#[derive(Clone, Debug, PartialEq)]
pub struct GroupRules {
    pub policy: PolicyKind,
    /// `when_all_down = "nodata"` on any set of the name.
    pub fail_closed: bool,
    /// Per set, its routing rule.
    pub routing: Box<[Routing]>,
}

/// A routed group's state under the current health view.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct GroupState {
    /// Per set: its own check is healthy and, for an alias with
    /// `evaluate_target_health`, its target has a healthy answer.
    pub healthy: Box<[bool]>,
    /// Every set is unhealthy.
    pub all_down: bool,
    /// The sets a query may choose from (failover: the one chosen; empty:
    /// NODATA). Unused by location-based policies, which decide per client.
    pub candidates: Box<[usize]>,
    /// Weighted: running totals of the candidates' weights (empty: equal chances).
    pub cumulative_weights: Box<[u32]>,
}

/// What a policy prepares at a flip for its queries to draw from.
#[derive(Debug, Default)]
pub(super) struct Candidates {
    pub sets: Vec<usize>,
    pub cumulative_weights: Vec<u32>,
}

impl Candidates {
    pub(super) fn of(sets: Vec<usize>) -> Self {
        Candidates {
            sets,
            cumulative_weights: Vec::new(),
        }
    }
}

impl GroupState {
    /// Whether set `i` is healthy (a set the state does not know counts as
    /// healthy).
    pub fn is_healthy(&self, i: usize) -> bool {
        self.healthy.get(i).copied().unwrap_or(true)
    }
}

impl GroupRules {
    /// The sets a random policy draws from: the healthy ones; when none is
    /// healthy, none (fail closed) or all of them (fail open).
    pub(super) fn answerable(&self, healthy: &[bool]) -> Vec<usize> {
        let up: Vec<usize> = (0..self.routing.len()).filter(|&i| healthy[i]).collect();
        if !up.is_empty() {
            up
        } else if self.fail_closed {
            Vec::new()
        } else {
            (0..self.routing.len()).collect()
        }
    }
}
