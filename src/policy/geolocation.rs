//! Geolocation: the most specific healthy set matching where the client
//! is, walking up subdivision → country → continent → `*`; all matches
//! down: the most specific (fail open) or none (fail closed); no match:
//! none (NODATA). The location is looked up once per query, lazily.

use std::collections::HashSet;

use crate::geo::{GeoKey, keys_for};
use crate::policy::group::{GroupRules, GroupState};
use crate::policy::rule::Routing;
use crate::policy::validation::{RuleError, SetRule, Violation};
use crate::policy::{Client, PolicyReason, Selection};

/// Every location key at most once.
pub(super) fn validate(group: &str, sets: &[SetRule<'_>]) -> Vec<Violation> {
    let mut seen = HashSet::new();
    let mut out = Vec::new();
    for (i, set) in sets.iter().enumerate() {
        if let Routing::Geolocation(key) = set.routing
            && !seen.insert(*key)
        {
            let group = group.to_string();
            out.push(Violation::at(i, RuleError::DuplicateLocation { group }));
        }
    }
    out
}

pub(super) fn select(rules: &GroupRules, state: &GroupState, client: &Client<'_>) -> Selection {
    let location = client.location();
    let scope = client.location_scope();
    let find = |key: GeoKey| {
        rules
            .routing
            .iter()
            .position(|r| matches!(r, Routing::Geolocation(k) if *k == key))
    };
    let mut first_match = None;
    let mut visit = |key: GeoKey| -> Option<usize> {
        let i = find(key)?;
        first_match.get_or_insert(i);
        state.is_healthy(i).then_some(i)
    };
    let healthy = match location {
        Some(loc) => keys_for(&loc).find_map(&mut visit),
        None => visit(GeoKey::Default),
    };
    let chosen = match (healthy, first_match) {
        (Some(i), _) => Some(i),
        (None, Some(_)) if rules.fail_closed => None,
        (None, first) => first,
    };
    let reason = PolicyReason::Geolocation {
        located: location.is_some(),
        matched: chosen.and_then(|i| match rules.routing.get(i) {
            Some(Routing::Geolocation(key)) => Some(*key),
            _ => None,
        }),
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
            policy: PolicyKind::Geolocation,
            fail_closed: false,
            routing: Box::new([
                Routing::Geolocation(GeoKey::parse("EU").unwrap()),
                Routing::Geolocation(GeoKey::Default),
            ]),
        };
        let state = prepare(&rules, Box::new([true, true]));
        let client = Client::new("10.0.0.1".parse().unwrap(), None, None);
        let s = select(&rules, &state, &client);
        assert_eq!(s.sets(), [1]);
        assert_eq!(
            s.reason.policy,
            PolicyReason::Geolocation {
                located: false,
                matched: Some(GeoKey::Default)
            }
        );
        let set = |routing| SetRule {
            routing,
            alias: false,
        };
        let found = validate(
            "api.example. A",
            &[set(&rules.routing[0]), set(&rules.routing[0])],
        );
        assert_eq!(found.len(), 1);
        assert_eq!(
            found[0].error.to_string(),
            "two sets of api.example. A have the same geo location"
        );
    }
}
