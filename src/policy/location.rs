//! Geolocation and geoproximity: choices that depend on where the client
//! is, looked up once per query (lazily) in the GeoIP database.

use crate::geo::{GeoKey, biased_distance, great_circle_km, keys_for};
use crate::policy::{Client, Selection};
use crate::table::routing::GroupState;
use crate::table::zone_table::RoutedGroup;
use crate::zone::model::Routing;

/// Geolocation: the most specific matching set that is healthy, walking up
/// subdivision → country → continent → `*`; all matches down: the most
/// specific (fail open) or none (fail closed); no match: none (NODATA).
pub fn geolocation(group: &RoutedGroup, state: &GroupState, client: &Client<'_>) -> Selection {
    let location = client.location();
    let scope = client.location_scope();
    let find = |key: GeoKey| {
        group
            .sets
            .iter()
            .position(|s| matches!(&s.routing, Routing::Geolocation(k) if *k == key))
    };
    let mut first_match = None;
    let mut visit = |key: GeoKey| -> Option<usize> {
        let i = find(key)?;
        first_match.get_or_insert(i);
        state.healthy.get(i).copied().unwrap_or(true).then_some(i)
    };
    let healthy = match location {
        Some(loc) => keys_for(&loc).find_map(&mut visit),
        None => visit(GeoKey::Default),
    };
    match (healthy, first_match) {
        (Some(i), _) => Selection::one(i, scope),
        (None, Some(_)) if group.fail_closed => Selection::scoped_none(scope),
        (None, Some(i)) => Selection::one(i, scope),
        (None, None) => Selection::scoped_none(scope),
    }
}

/// Geoproximity: the healthy set with the least biased great-circle
/// distance; unknown location: the `*` set, else the first set.
pub fn geoproximity(group: &RoutedGroup, state: &GroupState, client: &Client<'_>) -> Selection {
    let scope = client.location_scope();
    let Some(here) = client.location().and_then(|l| l.coordinates) else {
        let default = group
            .sets
            .iter()
            .position(|s| s.routing == Routing::Geoproximity(None))
            .unwrap_or(0);
        return Selection::one(default, scope);
    };
    let nearest = |only_healthy: bool| {
        group
            .sets
            .iter()
            .enumerate()
            .filter(|(i, _)| !only_healthy || state.healthy.get(*i).copied().unwrap_or(true))
            .filter_map(|(i, s)| match &s.routing {
                Routing::Geoproximity(Some(p)) => Some((
                    biased_distance(great_circle_km(here, (p.lat, p.lon)), p.bias),
                    i,
                )),
                _ => None,
            })
            .min_by(|a, b| a.0.total_cmp(&b.0))
            .map(|(_, i)| i)
    };
    match nearest(true) {
        Some(i) => Selection::one(i, scope),
        None if group.fail_closed => Selection::scoped_none(scope),
        None => nearest(false).map_or(Selection::scoped_none(scope), |i| Selection::one(i, scope)),
    }
}
