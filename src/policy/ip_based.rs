//! IP-based routing: the set whose networks hold the client's address,
//! longest prefix first, then the `"*"` set; unhealthy sets are passed over
//! while a healthy candidate remains.

use crate::policy::{Client, Selection};
use crate::table::routing::GroupState;
use crate::table::zone_table::RoutedGroup;
use crate::zone::model::Routing;

pub fn select(group: &RoutedGroup, state: &GroupState, client: &Client<'_>) -> Selection {
    // Candidates by descending prefix length; the "*" set counts as prefix -1.
    let mut best_healthy: Option<(i16, usize)> = None;
    let mut best_any: Option<(i16, usize)> = None;
    for (i, set) in group.sets.iter().enumerate() {
        let Routing::IpBased(nets) = &set.routing else {
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
        if state.healthy.get(i).copied().unwrap_or(true)
            && best_healthy.is_none_or(|(p, _)| prefix > p)
        {
            best_healthy = Some((prefix, i));
        }
    }
    let chosen = match (best_healthy, best_any) {
        (Some(h), _) => Some(h),
        (None, _) if group.fail_closed => None,
        (None, any) => any,
    };
    let full = match client.addr {
        std::net::IpAddr::V4(_) => 32,
        std::net::IpAddr::V6(_) => 128,
    };
    match chosen {
        Some((prefix, i)) => {
            let scope_bits = u8::try_from(prefix).unwrap_or(full);
            Selection::one(i, client.scope(scope_bits))
        }
        None => Selection::none(),
    }
}
