//! Routing state: for every routed group, which sets are healthy now and the
//! tables a query draws from (failover choice, weighted cumulative weights,
//! multivalue candidates). Computed by the updater at every flip or reload,
//! so the query path only reads it.

use crate::health::HealthView;
use crate::table::zone_table::{CompiledSet, RoutedGroup, SetTarget, ZoneTable};
use crate::zone::model::{FailoverRole, PolicyKind, Routing};

#[derive(Debug, Default)]
pub struct RoutingState {
    /// Indexed like [`ZoneTable::groups`].
    pub groups: Vec<GroupState>,
}

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

/// Computes the state of every routed group under `health`.
pub fn compute(zones: &ZoneTable, health: &HealthView) -> RoutingState {
    let count = zones.groups().len();
    let mut memo: Vec<Option<bool>> = vec![None; count];
    let groups = (0..count)
        .map(|g| {
            let Some((_, _, _, group)) = zones.group(g) else {
                return GroupState::default();
            };
            let healthy: Box<[bool]> = group
                .sets
                .iter()
                .map(|set| set_healthy(zones, health, set, &mut memo, 0))
                .collect();
            state_for(group, healthy)
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
    let Some((_, _, _, group)) = zones.group(g) else {
        return true;
    };
    let healthy = group
        .sets
        .iter()
        .any(|set| set_healthy(zones, health, set, memo, depth + 1));
    memo[g] = Some(healthy);
    healthy
}

fn set_healthy(
    zones: &ZoneTable,
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
        } if own => target_group.is_none_or(|g| group_healthy(zones, health, g, memo, depth + 1)),
        _ => own,
    }
}

fn state_for(group: &RoutedGroup, healthy: Box<[bool]>) -> GroupState {
    let all_down = !healthy.iter().any(|&h| h);
    let all: Vec<usize> = (0..group.sets.len()).collect();
    let up: Vec<usize> = all.iter().copied().filter(|&i| healthy[i]).collect();
    let (candidates, cumulative_weights) = match group.policy {
        PolicyKind::Simple => (vec![0], Vec::new()),
        PolicyKind::Failover => {
            let role = |r: FailoverRole| {
                group
                    .sets
                    .iter()
                    .position(|s| s.routing == Routing::Failover(r))
            };
            let primary = role(FailoverRole::Primary);
            let secondary = role(FailoverRole::Secondary);
            let chosen = match (primary, secondary) {
                (Some(p), _) if healthy[p] => Some(p),
                (_, Some(s)) if healthy[s] => Some(s),
                _ if group.fail_closed => None,
                (p, s) => p.or(s),
            };
            (chosen.into_iter().collect(), Vec::new())
        }
        PolicyKind::Weighted => {
            let weight = |i: usize| match group.sets[i].routing {
                Routing::Weighted(w) => u32::from(w),
                _ => 0,
            };
            let pool = if !up.is_empty() {
                up.clone()
            } else if group.fail_closed {
                Vec::new()
            } else {
                all.clone()
            };
            let weighted: Vec<usize> = pool.iter().copied().filter(|&i| weight(i) > 0).collect();
            if weighted.is_empty() {
                // Only standby (weight 0) sets are left, or all weights are 0: equal chances.
                (pool, Vec::new())
            } else {
                let mut total = 0;
                let cumulative = weighted
                    .iter()
                    .map(|&i| {
                        total += weight(i);
                        total
                    })
                    .collect();
                (weighted, cumulative)
            }
        }
        PolicyKind::Multivalue => {
            if !up.is_empty() {
                (up, Vec::new())
            } else if group.fail_closed {
                (Vec::new(), Vec::new())
            } else {
                (all, Vec::new())
            }
        }
        PolicyKind::Geolocation | PolicyKind::Geoproximity | PolicyKind::IpBased => {
            (Vec::new(), Vec::new())
        }
    };
    GroupState {
        healthy,
        all_down,
        candidates: candidates.into_boxed_slice(),
        cumulative_weights: cumulative_weights.into_boxed_slice(),
    }
}
