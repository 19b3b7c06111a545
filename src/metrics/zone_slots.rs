//! Per-zone query counters, found by [`ZoneId`] in an append-only table.
//!
//! Invariant: a slot is created (zeroed) before the id that names it is
//! handed out, and is never freed or handed to another origin while the
//! server runs, so a query that still holds the id of a zone that a reload
//! removed counts into that zone's retired slot, never into another
//! zone's. Finding a slot is one atomic load (the `OnceLock` of its bucket)
//! and two array indexings: no lock, no hashing, no allocation.
//!
//! Buckets double in size (16, 32, 64, … slots), so a table of `n` slots
//! allocated `O(log n)` times and wastes at most half its capacity; a
//! retired slot costs its counters (about 2 KiB) for the process lifetime,
//! which only matters when origins are added and removed by the thousand.

use std::sync::OnceLock;

use crate::metrics::ZoneCounters;
use crate::table::zone_table::ZoneId;

/// Slots in the first bucket; bucket `b` holds `FIRST << b` slots.
const FIRST: u64 = 16;
const FIRST_BITS: u32 = FIRST.trailing_zeros();
/// Enough buckets for every `u32` id.
const BUCKETS: usize = 33 - FIRST_BITS as usize;

/// Every zone's counters, by id.
#[derive(Debug)]
pub struct ZoneSlots {
    buckets: [OnceLock<Box<[ZoneCounters]>>; BUCKETS],
}

impl Default for ZoneSlots {
    fn default() -> Self {
        Self {
            buckets: std::array::from_fn(|_| OnceLock::new()),
        }
    }
}

impl ZoneSlots {
    /// The counters of `id`, when its slot was created.
    pub fn get(&self, id: ZoneId) -> Option<&ZoneCounters> {
        let (bucket, offset) = position(id);
        self.buckets[bucket].get()?.get(offset)
    }

    /// Creates the slot of `id` (zeroed) if it does not exist yet and
    /// returns its counters. Call before the id is published.
    pub fn create(&self, id: ZoneId) -> &ZoneCounters {
        let (bucket, offset) = position(id);
        let size = (FIRST << bucket) as usize;
        let slots = self.buckets[bucket]
            .get_or_init(|| (0..size).map(|_| ZoneCounters::default()).collect());
        &slots[offset]
    }
}

/// The bucket and offset of an id: ids `0..16` sit in bucket 0, `16..48`
/// in bucket 1, `48..112` in bucket 2, and so on.
fn position(id: ZoneId) -> (usize, usize) {
    let n = u64::from(id.0) + FIRST;
    let bucket = (63 - n.leading_zeros() - FIRST_BITS) as usize;
    let offset = (n - (FIRST << bucket)) as usize;
    (bucket, offset)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_id_has_its_own_place() {
        assert_eq!(position(ZoneId(0)), (0, 0));
        assert_eq!(position(ZoneId(15)), (0, 15));
        assert_eq!(position(ZoneId(16)), (1, 0));
        assert_eq!(position(ZoneId(47)), (1, 31));
        assert_eq!(position(ZoneId(48)), (2, 0));
        let (last, offset) = position(ZoneId(u32::MAX));
        assert!(last < BUCKETS);
        assert!(offset < (FIRST << last) as usize);
    }

    #[test]
    fn a_slot_exists_once_created_and_keeps_its_counts() {
        let slots = ZoneSlots::default();
        assert!(slots.get(ZoneId(20)).is_none());
        let created: *const ZoneCounters = slots.create(ZoneId(20));
        let found: *const ZoneCounters = slots.get(ZoneId(20)).unwrap();
        assert_eq!(created, found);
        assert!(slots.get(ZoneId(21)).is_some(), "same bucket");
        assert!(slots.get(ZoneId(5)).is_none(), "another bucket");
    }
}
