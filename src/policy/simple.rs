//! Simple routing: one set (values or an alias) that always answers; a
//! routed group is simple when it is a lone alias.

use crate::policy::group::{Candidates, GroupState};
use crate::policy::{PolicyReason, Selection};

/// The one set is always the candidate.
pub(super) fn prepare() -> Candidates {
    Candidates::of(vec![0])
}

pub(super) fn select(state: &GroupState) -> Selection {
    let reason = PolicyReason::Simple;
    state
        .candidates
        .first()
        .map_or(Selection::none(reason), |&i| Selection::one(i, 0, reason))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_one_set_answers() {
        let state = crate::policy::GroupState {
            healthy: Box::new([false]),
            all_down: true,
            candidates: prepare().sets.into_boxed_slice(),
            cumulative_weights: Box::new([]),
        };
        assert_eq!(select(&state).sets(), [0]);
    }
}
