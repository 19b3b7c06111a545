//! IP-based routing: the set whose networks hold the client's address,
//! longest prefix first, then the `"*"` set; unhealthy sets are passed over
//! while a healthy candidate remains. The ECS scope is the matched prefix.

use std::net::IpAddr;

use crate::policy::group::{GroupRules, GroupState};
use crate::policy::rule::Routing;
use crate::policy::validation::{RuleError, SetRule, Violation};
use crate::policy::{Client, PolicyReason, Selection};

/// At most one `"*"` set.
pub(super) fn validate(group: &str, sets: &[SetRule<'_>]) -> Vec<Violation> {
    sets.iter()
        .enumerate()
        .filter(|(_, s)| *s.routing == Routing::IpBased(None))
        .skip(1)
        .map(|(i, _)| {
            let group = group.to_string();
            Violation::at(i, RuleError::ExtraCidrDefault { group })
        })
        .collect()
}

pub(super) fn select(rules: &GroupRules, state: &GroupState, client: &Client<'_>) -> Selection {
    // Candidates by descending prefix length; the "*" set counts as prefix -1.
    let mut best_healthy: Option<(i16, usize)> = None;
    let mut best_any: Option<(i16, usize)> = None;
    for (i, routing) in rules.routing.iter().enumerate() {
        let Routing::IpBased(nets) = routing else {
            continue;
        };
        let prefix = match nets {
            None => -1,
            Some(nets) => match nets
                .iter()
                .filter(|n| n.contains(&client.addr))
                .map(|n| n.prefix_len())
                .max()
            {
                Some(p) => i16::from(p),
                None => continue,
            },
        };
        if best_any.is_none_or(|(p, _)| prefix > p) {
            best_any = Some((prefix, i));
        }
        if state.is_healthy(i) && best_healthy.is_none_or(|(p, _)| prefix > p) {
            best_healthy = Some((prefix, i));
        }
    }
    let chosen = match (best_healthy, best_any) {
        (Some(h), _) => Some(h),
        (None, _) if rules.fail_closed => None,
        (None, any) => any,
    };
    let full = match client.addr {
        IpAddr::V4(_) => 32,
        IpAddr::V6(_) => 128,
    };
    match chosen {
        Some((prefix, i)) => {
            let matched = u8::try_from(prefix).ok();
            let reason = PolicyReason::IpBased { prefix: matched };
            Selection::one(i, client.scope(matched.unwrap_or(full)), reason)
        }
        None => Selection::none(PolicyReason::IpBased { prefix: None }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::policy::{PolicyKind, prepare};

    fn rules() -> GroupRules {
        let nets = |list: &[&str]| Some(list.iter().map(|n| n.parse().unwrap()).collect());
        GroupRules {
            policy: PolicyKind::IpBased,
            fail_closed: false,
            routing: Box::new([
                Routing::IpBased(nets(&["203.0.113.0/24"])),
                Routing::IpBased(nets(&["203.0.113.128/25"])),
                Routing::IpBased(None),
            ]),
        }
    }

    fn pick(healthy: [bool; 3], addr: &str, ecs: Option<u8>) -> Selection {
        let rules = rules();
        let state = prepare(&rules, Box::new(healthy));
        select(
            &rules,
            &state,
            &Client::new(addr.parse().unwrap(), ecs, None),
        )
    }

    #[test]
    fn longest_healthy_prefix_with_its_scope() {
        let s = pick([true; 3], "203.0.113.200", Some(32));
        assert_eq!((s.sets(), s.scope), (&[1][..], 25));
        assert_eq!(s.reason.policy, PolicyReason::IpBased { prefix: Some(25) });
        let s = pick([true, false, true], "203.0.113.200", Some(32));
        assert_eq!((s.sets(), s.scope), (&[0][..], 24));
        let s = pick([true; 3], "198.51.100.1", Some(24));
        assert_eq!((s.sets(), s.scope), (&[2][..], 24));
        assert_eq!(s.reason.policy, PolicyReason::IpBased { prefix: None });
    }

    #[test]
    fn one_default_set() {
        let star = Routing::IpBased(None);
        let set = SetRule {
            routing: &star,
            alias: false,
        };
        let found = validate("corp.example. A", &[set, set]);
        assert_eq!(found.len(), 1);
        assert_eq!(found[0].set, 1);
        assert_eq!(
            found[0].error.to_string(),
            "corp.example. A has more than one cidr \"*\" set"
        );
    }
}
