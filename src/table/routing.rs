//! Routing state: for every routed group, which sets are healthy now (own
//! check, and for aliases with `evaluate_target_health` their target's
//! answer) and what its policy prepared from that ([`policy::prepare`]:
//! failover choice, weighted running totals, multivalue candidates).
//! Computed by the updater at every flip or reload, so the query path only
//! reads it.

use crate::health::HealthView;
use crate::policy::{self, GroupState};
use crate::table::zone_table::{CompiledSet, ServedZone, SetTarget, ZoneTable};

#[derive(Debug, Default)]
pub struct RoutingState {
    /// Indexed like [`ZoneTable::groups`].
    pub groups: Vec<GroupState>,
}

/// Computes the state of every routed group under `health`.
pub fn compute(zones: &ZoneTable, health: &HealthView) -> RoutingState {
    let count = zones.groups().len();
    let mut memo: Vec<Option<bool>> = vec![None; count];
    let groups = (0..count)
        .map(|g| {
            let Some((zone, _, _, group)) = zones.group(g) else {
                return GroupState::default();
            };
            let healthy: Box<[bool]> = group
                .sets
                .iter()
                .map(|set| set_healthy(zones, zone, health, set, &mut memo, 0))
                .collect();
            policy::prepare(&group.rules, healthy)
        })
        .collect();
    RoutingState { groups }
}

/// Whether a name/type has a healthy answer: a static RRset always has; a
/// routed one when any of its sets is healthy.
fn group_healthy(
    zones: &ZoneTable,
    health: &HealthView,
    g: usize,
    memo: &mut Vec<Option<bool>>,
    depth: usize,
) -> bool {
    if let Some(known) = memo[g] {
        return known;
    }
    if depth > 8 {
        return true;
    }
    let Some((zone, _, _, group)) = zones.group(g) else {
        return true;
    };
    let healthy = group
        .sets
        .iter()
        .any(|set| set_healthy(zones, zone, health, set, memo, depth + 1));
    memo[g] = Some(healthy);
    healthy
}

/// Whether `set` of a group of `zone` is healthy; an alias's target group
/// is in the same zone.
fn set_healthy(
    zones: &ZoneTable,
    zone: &ServedZone,
    health: &HealthView,
    set: &CompiledSet,
    memo: &mut Vec<Option<bool>>,
    depth: usize,
) -> bool {
    let own = set
        .health_check
        .as_deref()
        .is_none_or(|id| health.is_healthy(id));
    match &set.target {
        SetTarget::Alias {
            evaluate_target_health: true,
            target_group,
            ..
        } if own => target_group
            .is_none_or(|g| group_healthy(zones, health, zone.group_index(g), memo, depth + 1)),
        _ => own,
    }
}
