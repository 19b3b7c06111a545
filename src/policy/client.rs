//! The client a policy answers: its address (the ECS address when the
//! query carried one), the ECS source prefix, and its location, looked up
//! in the GeoIP database at most once per query and only when a policy asks.

use std::cell::OnceCell;
use std::net::IpAddr;

use crate::geo::{GeoDb, Location};

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
    pub(super) fn location_scope(&self) -> u8 {
        if self.geo.is_none() {
            return 0;
        }
        match self.location() {
            Some(loc) => self.scope(loc.prefix_len),
            None => self.scope(128),
        }
    }

    /// The ECS scope for an answer that depends on a network of `prefix` bits.
    pub(super) fn scope(&self, prefix: u8) -> u8 {
        self.ecs_source.map_or(0, |source| source.min(prefix))
    }
}
