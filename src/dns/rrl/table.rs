//! The RRL bucket table: a fixed number of slots, each one `AtomicU64`
//! holding a whole token bucket, so the query path takes no lock and a
//! flood of spoofed sources cannot grow it (a new key takes over the older
//! of its two candidate slots).
//!
//! A slot packs, from the high bits down: a 20-bit tag of the key's hash
//! (0 marks an empty slot), the 16-bit second it was last touched
//! (wrapping), the balance as a 20-bit signed number, and an 8-bit slip
//! counter. Two keys whose hashes share the slot index and the tag share a
//! bucket; with a random hash key an attacker cannot aim for that.

use std::sync::atomic::{AtomicU64, Ordering};

const TAG_BITS: u32 = 20;
const TIME_BITS: u32 = 16;
const BALANCE_BITS: u32 = 20;
const SLIP_BITS: u32 = 8;
/// The lowest balance a slot can hold (a debt of this many responses).
pub const MIN_BALANCE: i32 = -(1 << (BALANCE_BITS - 1)) + 1;
/// Compare-and-swap attempts before a busy slot lets the response through.
const CAS_ATTEMPTS: usize = 4;

/// What one response costs its bucket.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Outcome {
    /// Within the rate.
    Within,
    /// Over the rate; the number is the bucket's slip counter after this
    /// response (1, 2, ... up to the slip ratio).
    Limited(u8),
}

/// The rate every bucket is filled at, and its bounds.
#[derive(Clone, Copy, Debug)]
pub struct Rate {
    /// Tokens added per second, and the most a bucket holds.
    pub per_second: i32,
    /// The deepest debt (negative balance), `per_second × window`.
    pub floor: i32,
    /// Every `slip`th limited response is slipped (0: none); the slip
    /// counter wraps at this value.
    pub slip: u8,
}

/// The table of buckets.
#[derive(Debug)]
pub struct BucketTable {
    slots: Box<[AtomicU64]>,
    mask: usize,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct Slot {
    tag: u32,
    time: u16,
    balance: i32,
    slip: u8,
}

impl Slot {
    fn unpack(v: u64) -> Self {
        let balance_raw = ((v >> SLIP_BITS) & ((1 << BALANCE_BITS) - 1)) as u32;
        // Sign-extend the 20-bit balance.
        let balance = ((balance_raw << (32 - BALANCE_BITS)) as i32) >> (32 - BALANCE_BITS);
        Self {
            tag: (v >> (TIME_BITS + BALANCE_BITS + SLIP_BITS)) as u32,
            time: (v >> (BALANCE_BITS + SLIP_BITS)) as u16,
            balance,
            slip: v as u8,
        }
    }

    fn pack(self) -> u64 {
        let balance = u64::from(self.balance as u32 & ((1 << BALANCE_BITS) - 1));
        (u64::from(self.tag) << (TIME_BITS + BALANCE_BITS + SLIP_BITS))
            | (u64::from(self.time) << (BALANCE_BITS + SLIP_BITS))
            | (balance << SLIP_BITS)
            | u64::from(self.slip)
    }
}

impl BucketTable {
    /// A table of `size` slots, rounded up to a power of two (at least 2).
    pub fn new(size: usize) -> Self {
        let size = size.max(2).next_power_of_two();
        Self {
            slots: (0..size).map(|_| AtomicU64::new(0)).collect(),
            mask: size - 1,
        }
    }

    /// Charges one response to the bucket of `hash` at second `now`.
    pub fn charge(&self, hash: u64, now: u16, rate: Rate) -> Outcome {
        let tag = ((hash >> (64 - TAG_BITS)) as u32).max(1);
        let first = (hash as usize) & self.mask;
        for _ in 0..CAS_ATTEMPTS {
            let (index, current) = self.pick(first, tag);
            let old = Slot::unpack(current);
            let (new, outcome) = if old.tag == tag {
                step(old, now, rate)
            } else {
                let fresh = Slot {
                    tag,
                    time: now,
                    balance: rate.per_second,
                    slip: 0,
                };
                step(fresh, now, rate)
            };
            if self.slots[index]
                .compare_exchange(current, new.pack(), Ordering::Relaxed, Ordering::Relaxed)
                .is_ok()
            {
                return outcome;
            }
        }
        Outcome::Within
    }

    /// The slot holding `tag` among the two candidates, else the one to
    /// evict: empty, else the one touched longest ago, else the one least
    /// in debt.
    fn pick(&self, first: usize, tag: u32) -> (usize, u64) {
        let second = first ^ 1;
        let a = self.slots[first].load(Ordering::Relaxed);
        let b = self.slots[second].load(Ordering::Relaxed);
        let (sa, sb) = (Slot::unpack(a), Slot::unpack(b));
        if sa.tag == tag || sa.tag == 0 {
            return (first, a);
        }
        if sb.tag == tag || sb.tag == 0 {
            return (second, b);
        }
        // Older in wrapping seconds: the one whose time lies further back
        // from the other's.
        let a_older = sb.time.wrapping_sub(sa.time) as i16 > 0;
        let b_older = sa.time.wrapping_sub(sb.time) as i16 > 0;
        if a_older || (!b_older && sa.balance >= sb.balance) {
            (first, a)
        } else {
            (second, b)
        }
    }
}

/// One response against a bucket: refill for the seconds gone by, take a
/// token, and count the slip when over.
fn step(mut slot: Slot, now: u16, rate: Rate) -> (Slot, Outcome) {
    let elapsed = i32::from(now.wrapping_sub(slot.time));
    if elapsed > 0 {
        let refill = elapsed.saturating_mul(rate.per_second);
        slot.balance = slot.balance.saturating_add(refill).min(rate.per_second);
        slot.time = now;
    }
    slot.balance = (slot.balance - 1).max(rate.floor.max(MIN_BALANCE));
    if slot.balance >= 0 {
        return (slot, Outcome::Within);
    }
    slot.slip = if rate.slip == 0 {
        0
    } else {
        slot.slip % rate.slip + 1
    };
    (slot, Outcome::Limited(slot.slip))
}

#[cfg(test)]
mod tests {
    use super::*;

    const RATE: Rate = Rate {
        per_second: 5,
        floor: -10,
        slip: 2,
    };

    #[test]
    fn slots_pack_and_unpack() {
        for balance in [MIN_BALANCE, -1, 0, 1, 500_000] {
            let slot = Slot {
                tag: 0xF_FFFF,
                time: 0xFFFF,
                balance,
                slip: 7,
            };
            assert_eq!(Slot::unpack(slot.pack()), slot);
        }
    }

    #[test]
    fn a_bucket_allows_the_rate_then_limits_and_counts_slips() {
        let table = BucketTable::new(16);
        let outcomes: Vec<_> = (0..9).map(|_| table.charge(42, 100, RATE)).collect();
        assert!(outcomes[..5].iter().all(|o| *o == Outcome::Within));
        assert_eq!(
            outcomes[5..],
            [
                Outcome::Limited(1),
                Outcome::Limited(2),
                Outcome::Limited(1),
                Outcome::Limited(2)
            ]
        );
        // The debt stops at the floor (-10): two seconds of refill (10
        // tokens) bring it back to 0, not yet enough; later seconds are.
        for _ in 0..100 {
            table.charge(42, 100, RATE);
        }
        assert!(matches!(table.charge(42, 102, RATE), Outcome::Limited(_)));
        assert_eq!(table.charge(42, 104, RATE), Outcome::Within);
        // Another key has its own bucket.
        assert_eq!(table.charge(7 << 40 | 3, 100, RATE), Outcome::Within);
    }

    #[test]
    fn a_flood_of_keys_stays_within_the_table() {
        let table = BucketTable::new(1000);
        assert_eq!(table.slots.len(), 1024);
        for key in 0..200_000u64 {
            let hash = key.wrapping_mul(0x9E37_79B9_7F4A_7C15);
            assert_eq!(table.charge(hash, 1, RATE), Outcome::Within);
        }
        assert_eq!(table.slots.len(), 1024);
    }
}
