//! Selection: which record sets of a routed group answer this client now.
//! Pure functions over the compiled group, its precomputed [`GroupState`]
//! and the client; Route 53's rules as written in SPEC §3.

mod ip_based;
mod location;

use std::cell::OnceCell;
use std::net::IpAddr;

use rand::Rng;
use rand::seq::SliceRandom;

use crate::geo::{GeoDb, Location};
use crate::table::routing::GroupState;
use crate::table::zone_table::RoutedGroup;
use crate::zone::model::PolicyKind;

/// Multivalue answers carry at most this many sets.
pub const MAX_MULTIVALUE: usize = 8;

/// Who is asking: the ECS address when present (masked to its source
/// prefix), else the source address.
#[derive(Debug)]
pub struct Client<'a> {
    pub addr: IpAddr,
    /// The ECS source prefix, when the address came from ECS.
    pub ecs_source: Option<u8>,
    geo: Option<&'a GeoDb>,
    location: OnceCell<Option<Location>>,
}

impl<'a> Client<'a> {
    pub fn new(addr: IpAddr, ecs_source: Option<u8>, geo: Option<&'a GeoDb>) -> Self {
        Client {
            addr,
            ecs_source,
            geo,
            location: OnceCell::new(),
        }
    }

    /// Where the client is, looked up at most once per query.
    pub fn location(&self) -> Option<Location> {
        *self
            .location
            .get_or_init(|| self.geo.and_then(|db| db.locate(self.addr)))
    }

    /// The ECS scope of an answer chosen by location: the database network's
    /// prefix (or the whole source prefix when the address is not in it).
    fn location_scope(&self) -> u8 {
        if self.geo.is_none() {
            return 0;
        }
        match self.location() {
            Some(loc) => self.scope(loc.prefix_len),
            None => self.scope(128),
        }
    }

    /// The ECS scope for an answer that depends on a network of `prefix` bits.
    fn scope(&self, prefix: u8) -> u8 {
        self.ecs_source.map_or(0, |source| source.min(prefix))
    }
}

/// The chosen sets (indices into the group) and the ECS scope they depend on.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Selection {
    chosen: [usize; MAX_MULTIVALUE],
    len: usize,
    pub scope: u8,
}

impl Selection {
    pub fn none() -> Self {
        Self::default()
    }

    pub fn one(index: usize, scope: u8) -> Self {
        let mut s = Self::default();
        s.chosen[0] = index;
        s.len = 1;
        s.scope = scope;
        s
    }

    /// Nothing answers, but the decision still depended on the client.
    pub fn scoped_none(scope: u8) -> Self {
        Self {
            scope,
            ..Self::default()
        }
    }

    pub fn sets(&self) -> &[usize] {
        &self.chosen[..self.len]
    }
}

/// Picks the answering sets of `group` for `client`.
pub fn select(group: &RoutedGroup, state: &GroupState, client: &Client<'_>) -> Selection {
    match group.policy {
        PolicyKind::Simple | PolicyKind::Failover => state
            .candidates
            .first()
            .map_or(Selection::none(), |&i| Selection::one(i, 0)),
        PolicyKind::Weighted => weighted(state),
        PolicyKind::Multivalue => multivalue(state),
        PolicyKind::IpBased => ip_based::select(group, state, client),
        PolicyKind::Geolocation => location::geolocation(group, state, client),
        PolicyKind::Geoproximity => location::geoproximity(group, state, client),
    }
}

fn weighted(state: &GroupState) -> Selection {
    let mut rng = rand::rng();
    if state.candidates.is_empty() {
        return Selection::none();
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
        .map_or(Selection::none(), |&i| Selection::one(i, 0))
}

fn multivalue(state: &GroupState) -> Selection {
    let mut rng = rand::rng();
    let mut s = Selection::default();
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
mod tests;
