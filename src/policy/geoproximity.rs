//! Geoproximity: the healthy set with the least biased great-circle
//! distance to the client; unknown location: the `"*"` set, else the first
//! set. All down: the nearest (fail open) or none (fail closed).

use crate::geo::{biased_distance, great_circle_km};
use crate::policy::group::{GroupRules, GroupState};
use crate::policy::rule::Routing;
use crate::policy::validation::{RuleError, SetRule, Violation};
use crate::policy::{Client, PolicyReason, Selection};

/// At most one `"*"` set.
pub(super) fn validate(group: &str, sets: &[SetRule<'_>]) -> Vec<Violation> {
    sets.iter()
        .enumerate()
        .filter(|(_, s)| *s.routing == Routing::Geoproximity(None))
        .skip(1)
        .map(|(i, _)| {
            let group = group.to_string();
            Violation::at(i, RuleError::ExtraGeoproximityDefault { group })
        })
        .collect()
}

pub(super) fn select(rules: &GroupRules, state: &GroupState, client: &Client<'_>) -> Selection {
    let scope = client.location_scope();
    let star = rules
        .routing
        .iter()
        .position(|r| *r == Routing::Geoproximity(None));
    let has_default = star.is_some();
    let Some(here) = client.location().and_then(|l| l.coordinates) else {
        let reason = PolicyReason::Geoproximity {
            located: false,
            has_default,
        };
        return Selection::one(star.unwrap_or(0), scope, reason);
    };
    let reason = PolicyReason::Geoproximity {
        located: true,
        has_default,
    };
    let nearest = |only_healthy: bool| {
        rules
            .routing
            .iter()
            .enumerate()
            .filter(|(i, _)| !only_healthy || state.is_healthy(*i))
            .filter_map(|(i, r)| match r {
                Routing::Geoproximity(Some(p)) => Some((
                    biased_distance(great_circle_km(here, (p.lat, p.lon)), p.bias),
                    i,
                )),
                _ => None,
            })
            .min_by(|a, b| a.0.total_cmp(&b.0))
            .map(|(_, i)| i)
    };
    let chosen = match nearest(true) {
        Some(i) => Some(i),
        None if rules.fail_closed => None,
        None => nearest(false),
    };
    match chosen {
        Some(i) => Selection::one(i, scope, reason),
        None => Selection::scoped_none(scope, reason),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::policy::{PolicyKind, prepare};

    #[test]
    fn unknown_location_takes_the_default_set() {
        let rules = GroupRules {
            policy: PolicyKind::Geoproximity,
            fail_closed: false,
            routing: Box::new([
                Routing::Geoproximity(Some(crate::policy::GeoPoint {
                    lat: 50.0,
                    lon: 8.0,
                    bias: 0,
                })),
                Routing::Geoproximity(None),
            ]),
        };
        let state = prepare(&rules, Box::new([true, true]));
        let client = Client::new("10.0.0.1".parse().unwrap(), None, None);
        let s = select(&rules, &state, &client);
        assert_eq!(s.sets(), [1]);
        assert_eq!(
            s.reason.policy,
            PolicyReason::Geoproximity {
                located: false,
                has_default: true
            }
        );
        let set = |routing| SetRule {
            routing,
            alias: false,
        };
        let star = &rules.routing[1];
        assert_eq!(validate("cdn.example. A", &[set(star), set(star)]).len(), 1);
    }
}
