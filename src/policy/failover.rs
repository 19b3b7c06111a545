//! Failover: one primary and at most one secondary. The primary answers
//! while it is healthy, else the secondary; both down: the primary (fail
//! open) or nothing (fail closed). The choice is made at every flip, so a
//! query only reads it.

use crate::policy::group::{Candidates, GroupRules, GroupState};
use crate::policy::rule::{FailoverRole, Routing};
use crate::policy::validation::{RuleError, SetRule, Violation};
use crate::policy::{PolicyReason, Selection};

/// Exactly one primary, at most one secondary.
pub(super) fn validate(group: &str, sets: &[SetRule<'_>]) -> Vec<Violation> {
    let role = |r: FailoverRole| {
        sets.iter()
            .enumerate()
            .filter(move |(_, s)| *s.routing == Routing::Failover(r))
            .map(|(i, _)| i)
    };
    let primaries: Vec<usize> = role(FailoverRole::Primary).collect();
    let secondaries: Vec<usize> = role(FailoverRole::Secondary).collect();
    let mut out = Vec::new();
    let group = || group.to_string();
    if primaries.is_empty() {
        out.push(Violation::at(0, RuleError::NoPrimary { group: group() }));
    }
    for &extra in primaries.iter().skip(1) {
        let found = primaries.len();
        out.push(Violation::at(
            extra,
            RuleError::ExtraPrimary {
                group: group(),
                found,
            },
        ));
    }
    for &extra in secondaries.iter().skip(1) {
        let found = secondaries.len();
        out.push(Violation::at(
            extra,
            RuleError::ExtraSecondary {
                group: group(),
                found,
            },
        ));
    }
    out
}

/// The one candidate: the healthy primary, else the healthy secondary,
/// else the primary (fail open) or none (fail closed).
pub(super) fn prepare(rules: &GroupRules, healthy: &[bool]) -> Candidates {
    let primary = position(rules, FailoverRole::Primary);
    let secondary = position(rules, FailoverRole::Secondary);
    let chosen = match (primary, secondary) {
        (Some(p), _) if healthy[p] => Some(p),
        (_, Some(s)) if healthy[s] => Some(s),
        _ if rules.fail_closed => None,
        (p, s) => p.or(s),
    };
    Candidates::of(chosen.into_iter().collect())
}

pub(super) fn select(rules: &GroupRules, state: &GroupState) -> Selection {
    // A failover group has at most two sets: this scan costs nothing.
    let primary_healthy = rules
        .routing
        .iter()
        .zip(state.healthy.iter())
        .any(|(r, &h)| h && *r == Routing::Failover(FailoverRole::Primary));
    let reason = PolicyReason::Failover { primary_healthy };
    state
        .candidates
        .first()
        .map_or(Selection::none(reason), |&i| Selection::one(i, 0, reason))
}

fn position(rules: &GroupRules, role: FailoverRole) -> Option<usize> {
    rules
        .routing
        .iter()
        .position(|r| *r == Routing::Failover(role))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::policy::{PolicyKind, prepare};

    fn rules(fail_closed: bool) -> GroupRules {
        GroupRules {
            policy: PolicyKind::Failover,
            fail_closed,
            routing: Box::new([
                Routing::Failover(FailoverRole::Secondary),
                Routing::Failover(FailoverRole::Primary),
            ]),
        }
    }

    fn chosen(fail_closed: bool, healthy: [bool; 2]) -> (Vec<usize>, PolicyReason) {
        let rules = rules(fail_closed);
        let state = prepare(&rules, Box::new(healthy));
        let s = select(&rules, &state);
        (s.sets().to_vec(), s.reason.policy)
    }

    #[test]
    fn primary_then_secondary_then_fail_open_or_closed() {
        let up = |primary_healthy| PolicyReason::Failover { primary_healthy };
        assert_eq!(chosen(false, [true, true]), (vec![1], up(true)));
        assert_eq!(chosen(false, [true, false]), (vec![0], up(false)));
        assert_eq!(chosen(false, [false, false]), (vec![1], up(false)));
        assert_eq!(chosen(true, [false, false]), (vec![], up(false)));
    }

    #[test]
    fn needs_one_primary_and_at_most_one_secondary() {
        let secondary = Routing::Failover(FailoverRole::Secondary);
        let set = |routing| SetRule {
            routing,
            alias: false,
        };
        let sets = [set(&secondary), set(&secondary)];
        let found = validate("www.example. A", &sets);
        assert_eq!(
            found.iter().map(|v| v.set).collect::<Vec<_>>(),
            [0, 1],
            "{found:?}"
        );
        assert_eq!(
            found[0].error.to_string(),
            "failover for www.example. A needs exactly one primary set, found none"
        );
        assert_eq!(
            found[1].error.to_string(),
            "failover for www.example. A allows at most one secondary set, found 2"
        );
    }
}
