//! Weighted: a random draw among the candidates in proportion to their
//! weights. Weight 0 is standby: drawn only when no set with a weight is
//! left (then all left have equal chances). The running totals are built
//! at every flip, so a draw is one random number and a binary search,
//! without locks or allocation.

use rand::Rng;

use crate::policy::group::{Candidates, GroupRules, GroupState};
use crate::policy::rule::Routing;
use crate::policy::{PolicyReason, Selection};

/// The candidates (healthy sets, else all or none per `when_all_down`)
/// that carry a weight, with their running totals.
pub(super) fn prepare(rules: &GroupRules, healthy: &[bool]) -> Candidates {
    let weight = |i: usize| match rules.routing[i] {
        Routing::Weighted(w) => u32::from(w),
        _ => 0,
    };
    let pool = rules.answerable(healthy);
    let weighted: Vec<usize> = pool.iter().copied().filter(|&i| weight(i) > 0).collect();
    if weighted.is_empty() {
        // Only standby (weight 0) sets are left, or all weights are 0: equal chances.
        return Candidates::of(pool);
    }
    let mut total = 0;
    let cumulative_weights = weighted
        .iter()
        .map(|&i| {
            total += weight(i);
            total
        })
        .collect();
    Candidates {
        sets: weighted,
        cumulative_weights,
    }
}

pub(super) fn select(state: &GroupState) -> Selection {
    let reason = PolicyReason::Weighted;
    let mut rng = rand::rng();
    if state.candidates.is_empty() {
        return Selection::none(reason);
    }
    let pick = match state.cumulative_weights.last() {
        Some(&total) if total > 0 => {
            let r = rng.random_range(0..total);
            state.cumulative_weights.partition_point(|&c| c <= r)
        }
        _ => rng.random_range(0..state.candidates.len()),
    };
    state
        .candidates
        .get(pick)
        .map_or(Selection::none(reason), |&i| Selection::one(i, 0, reason))
}

/// The chance (0..=1) that a draw picks the candidate at position `at` of
/// `state.candidates`.
pub(super) fn chance(state: &GroupState, at: usize) -> Option<f64> {
    let total = state.cumulative_weights.last().copied().unwrap_or(0);
    if total == 0 {
        return (at < state.candidates.len()).then(|| 1.0 / state.candidates.len() as f64);
    }
    let upto = *state.cumulative_weights.get(at)?;
    let before = match at {
        0 => 0,
        _ => state.cumulative_weights[at - 1],
    };
    Some(f64::from(upto - before) / f64::from(total))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::policy::{PolicyKind, prepare};

    fn rules(weights: &[u8]) -> GroupRules {
        GroupRules {
            policy: PolicyKind::Weighted,
            fail_closed: false,
            routing: weights.iter().map(|&w| Routing::Weighted(w)).collect(),
        }
    }

    #[test]
    fn standby_sets_are_left_out_while_a_weighted_one_is_up() {
        let state = prepare(&rules(&[90, 0, 10]), Box::new([true, true, true]));
        assert_eq!(*state.candidates, [0, 2]);
        assert_eq!(chance(&state, 0), Some(0.9));
        assert_eq!(chance(&state, 1), Some(0.1));
        assert_eq!(chance(&state, 2), None);
    }

    #[test]
    fn only_standby_left_means_equal_chances() {
        let state = prepare(&rules(&[90, 0, 0]), Box::new([false, true, true]));
        assert_eq!(*state.candidates, [1, 2]);
        assert_eq!(chance(&state, 1), Some(0.5));
        assert!([1, 2].contains(&select(&state).sets()[0]));
    }
}
