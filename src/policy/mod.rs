//! Routing policies, one file each (Route 53's rules as written in SPEC §3):
//! what a group of record sets needs ([`validate`]), the state a flip
//! prepares from health ([`prepare`]), and which sets answer a client
//! ([`select`], with the ECS scope and the [`Reason`]).
//!
//! Invariant: pure functions over plain data ([`GroupRules`],
//! [`GroupState`], [`Client`]); this module sits below `zone`, `table` and
//! `dns` and imports none of them, only `geo` for locations.

mod client;
pub mod failover;
pub mod geolocation;
pub mod geoproximity;
mod group;
pub mod ip_based;
pub mod multivalue;
mod reason;
pub mod rule;
pub mod simple;
mod validation;
pub mod weighted;

pub use client::Client;
pub use group::{GroupRules, GroupState};
pub use multivalue::MAX_MULTIVALUE;
pub use reason::{AllDown, PolicyReason, Reason};
pub use rule::{FailoverRole, GeoPoint, PolicyKind, Routing};
pub use validation::{RuleError, SetRule, Violation};

use group::Candidates;

/// The chosen sets (indices into the group), the ECS scope they depend on,
/// and why they were chosen.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Selection {
    chosen: [usize; MAX_MULTIVALUE],
    len: usize,
    pub scope: u8,
    pub reason: Reason,
}

impl Selection {
    pub fn none(policy: PolicyReason) -> Self {
        Self::scoped_none(0, policy)
    }

    pub fn one(index: usize, scope: u8, policy: PolicyReason) -> Self {
        let mut s = Self::scoped_none(scope, policy);
        s.chosen[0] = index;
        s.len = 1;
        s
    }

    /// Nothing answers, but the decision still depended on the client.
    pub fn scoped_none(scope: u8, policy: PolicyReason) -> Self {
        Self {
            scope,
            reason: Reason {
                policy,
                all_down: None,
            },
            ..Self::default()
        }
    }

    pub fn sets(&self) -> &[usize] {
        &self.chosen[..self.len]
    }
}

/// Picks the answering sets of a group for `client`.
pub fn select(rules: &GroupRules, state: &GroupState, client: &Client<'_>) -> Selection {
    let mut selection = match rules.policy {
        PolicyKind::Simple => simple::select(state),
        PolicyKind::Failover => failover::select(rules, state),
        PolicyKind::Weighted => weighted::select(state),
        PolicyKind::Multivalue => multivalue::select(state),
        PolicyKind::IpBased => ip_based::select(rules, state, client),
        PolicyKind::Geolocation => geolocation::select(rules, state, client),
        PolicyKind::Geoproximity => geoproximity::select(rules, state, client),
    };
    if state.all_down {
        selection.reason.all_down = Some(if rules.fail_closed {
            AllDown::FailClosed
        } else {
            AllDown::FailOpen
        });
    }
    selection
}

/// Prepares a group's state from the health of each of its sets.
pub fn prepare(rules: &GroupRules, healthy: Box<[bool]>) -> GroupState {
    let all_down = !healthy.iter().any(|&h| h);
    let candidates = match rules.policy {
        PolicyKind::Simple => simple::prepare(),
        PolicyKind::Failover => failover::prepare(rules, &healthy),
        PolicyKind::Weighted => weighted::prepare(rules, &healthy),
        PolicyKind::Multivalue => multivalue::prepare(rules, &healthy),
        // These decide per client, at query time.
        PolicyKind::Geolocation | PolicyKind::Geoproximity | PolicyKind::IpBased => {
            Candidates::default()
        }
    };
    GroupState {
        healthy,
        all_down,
        candidates: candidates.sets.into_boxed_slice(),
        cumulative_weights: candidates.cumulative_weights.into_boxed_slice(),
    }
}

/// The chance (0..=1) that a query picks set `i` when the policy draws at
/// random by weight (None: the set is not drawn, or the policy does not
/// draw by weight).
pub fn chance(rules: &GroupRules, state: &GroupState, i: usize) -> Option<f64> {
    match rules.policy {
        PolicyKind::Weighted => {
            let at = state.candidates.iter().position(|&c| c == i)?;
            weighted::chance(state, at)
        }
        _ => None,
    }
}

/// The rules a group of sets of policy `kind` breaks; `group` names it
/// (`name type`) in the errors.
pub fn validate(kind: PolicyKind, group: &str, sets: &[SetRule<'_>]) -> Vec<Violation> {
    match kind {
        PolicyKind::Failover => failover::validate(group, sets),
        PolicyKind::Geolocation => geolocation::validate(group, sets),
        PolicyKind::Geoproximity => geoproximity::validate(group, sets),
        PolicyKind::IpBased => ip_based::validate(group, sets),
        PolicyKind::Multivalue => multivalue::validate(sets),
        PolicyKind::Simple | PolicyKind::Weighted => Vec::new(),
    }
}
