//! Multivalue: up to [`MAX_MULTIVALUE`] healthy sets, shuffled per query;
//! none healthy: all of them (fail open) or none (fail closed).

use rand::seq::SliceRandom;

use crate::policy::group::{Candidates, GroupRules, GroupState};
use crate::policy::validation::{RuleError, SetRule, Violation};
use crate::policy::{PolicyReason, Selection};

/// Multivalue answers carry at most this many sets.
pub const MAX_MULTIVALUE: usize = 8;

/// Every set holds values: an answer merges several sets' values.
pub(super) fn validate(sets: &[SetRule<'_>]) -> Vec<Violation> {
    sets.iter()
        .enumerate()
        .filter(|(_, s)| s.alias)
        .map(|(i, _)| Violation::at(i, RuleError::MultivalueAlias))
        .collect()
}

pub(super) fn prepare(rules: &GroupRules, healthy: &[bool]) -> Candidates {
    Candidates::of(rules.answerable(healthy))
}

pub(super) fn select(state: &GroupState) -> Selection {
    let mut rng = rand::rng();
    let mut s = Selection::none(PolicyReason::Multivalue);
    if state.candidates.len() <= MAX_MULTIVALUE {
        s.len = state.candidates.len();
        s.chosen[..s.len].copy_from_slice(&state.candidates);
        s.chosen[..s.len].shuffle(&mut rng);
    } else {
        let picked = rand::seq::index::sample(&mut rng, state.candidates.len(), MAX_MULTIVALUE);
        for (slot, i) in s.chosen.iter_mut().zip(picked.iter()) {
            *slot = state.candidates[i];
        }
        s.len = MAX_MULTIVALUE;
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::policy::{PolicyKind, Routing, prepare};

    fn rules(n: usize, fail_closed: bool) -> GroupRules {
        GroupRules {
            policy: PolicyKind::Multivalue,
            fail_closed,
            routing: vec![Routing::Multivalue; n].into_boxed_slice(),
        }
    }

    #[test]
    fn at_most_eight_healthy_sets() {
        let mut healthy = vec![true; 10];
        healthy[3] = false;
        let state = prepare(&rules(10, false), healthy.into_boxed_slice());
        let s = select(&state);
        assert_eq!(s.sets().len(), MAX_MULTIVALUE);
        assert!(!s.sets().contains(&3));
    }

    #[test]
    fn all_down_fails_open_or_closed() {
        let open = prepare(&rules(3, false), Box::new([false; 3]));
        assert_eq!(select(&open).sets().len(), 3);
        let closed = prepare(&rules(3, true), Box::new([false; 3]));
        assert!(select(&closed).sets().is_empty());
    }

    #[test]
    fn a_set_holds_values_not_an_alias() {
        let routing = Routing::Multivalue;
        let sets = [
            SetRule {
                routing: &routing,
                alias: false,
            },
            SetRule {
                routing: &routing,
                alias: true,
            },
        ];
        assert_eq!(
            validate(&sets),
            [Violation::at(1, RuleError::MultivalueAlias)]
        );
    }
}
