//! A per-thread memo of [`GeoDb::locate`](super::GeoDb::locate): a
//! direct-mapped table of the last addresses each UDP thread looked up.
//! Resolvers and ECS subnets repeat (an ECS address is masked to its
//! source prefix), while a database lookup walks the search tree and
//! decodes the record's maps (most of a geolocation answer's own cost).
//!
//! A slot holds the database's id, so a reloaded database never answers
//! from its predecessor's slots. The table is made on a thread's first
//! lookup; after that, neither a hit nor a miss allocates.

use std::cell::RefCell;
use std::net::IpAddr;

use super::Location;

/// Slots per thread (a power of two): 1024 × 48 bytes.
const SLOTS: usize = 1024;

#[derive(Clone, Copy)]
struct Slot {
    db: u64,
    ip: IpAddr,
    location: Option<Location>,
}

thread_local! {
    static TABLE: RefCell<Vec<Option<Slot>>> = const { RefCell::new(Vec::new()) };
}

/// `look(ip)`'s answer for database `db`, from this thread's table when
/// it holds it; `look` runs outside any borrow of the table.
pub(super) fn memoized(
    db: u64,
    ip: IpAddr,
    look: impl FnOnce() -> Option<Location>,
) -> Option<Location> {
    let at = slot_of(ip);
    let held = TABLE
        .try_with(|table| {
            let table = table.try_borrow().ok()?;
            let slot = (*table.get(at)?)?;
            (slot.db == db && slot.ip == ip).then_some(slot.location)
        })
        .ok()
        .flatten();
    if let Some(location) = held {
        return location;
    }
    let location = look();
    let _ = TABLE.try_with(|table| {
        if let Ok(mut table) = table.try_borrow_mut() {
            if table.is_empty() {
                table.resize(SLOTS, None);
            }
            if let Some(slot) = table.get_mut(at) {
                *slot = Some(Slot { db, ip, location });
            }
        }
    });
    location
}

/// The slot of `ip`: a multiplicative hash of the address's bits.
fn slot_of(ip: IpAddr) -> usize {
    let bits = match ip {
        IpAddr::V4(v4) => u64::from(u32::from(v4)),
        IpAddr::V6(v6) => {
            let all = u128::from(v6);
            (all as u64) ^ ((all >> 64) as u64)
        }
    };
    (bits.wrapping_mul(0x9E37_79B9_7F4A_7C15) >> (64 - SLOTS.trailing_zeros())) as usize
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::cell::Cell;

    #[test]
    fn a_repeat_is_answered_from_the_table_and_a_new_database_looks_again() {
        let calls = Cell::new(0);
        let location = Location {
            prefix_len: 24,
            ..Location::default()
        };
        let look = || {
            calls.set(calls.get() + 1);
            Some(location)
        };
        let ip: IpAddr = "193.0.6.0".parse().unwrap();
        assert_eq!(memoized(1, ip, look), Some(location));
        assert_eq!(memoized(1, ip, look), Some(location));
        assert_eq!(calls.get(), 1, "the repeat came from the table");
        assert_eq!(memoized(2, ip, look), Some(location));
        assert_eq!(calls.get(), 2, "another database looks again");
        let misses = || None;
        let other: IpAddr = "2001:db8::1".parse().unwrap();
        assert_eq!(memoized(2, other, misses), None);
        assert_eq!(
            memoized(2, other, || panic!("held")),
            None,
            "a miss is held too"
        );
    }
}
