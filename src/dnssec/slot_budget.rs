//! The bound of the UDP fast path's signature slots (`table::sig_slot`):
//! together they hold at most as many signatures as the signature cache
//! (`dnssec.signature_cache_entries`), so signed answers cost at most
//! about twice the cache's memory. A stored slot holds a [`Charge`] that
//! gives its share back when the slot is dropped (replaced, or its zone
//! recompiled).

use std::sync::Arc;
use std::sync::atomic::Ordering;

use super::SignStats;

/// How many signatures the slots may hold; what they hold now is counted
/// in the signer's [`SignStats`] (`slot_signatures`, `slot_bytes`).
#[derive(Debug, Default)]
pub struct SlotBudget {
    limit: u64,
    stats: Arc<SignStats>,
}

impl SlotBudget {
    /// A budget of `limit` signatures, counted in `stats`.
    pub fn new(limit: u64, stats: Arc<SignStats>) -> Self {
        Self { limit, stats }
    }

    /// Takes `signatures` and `bytes` from the budget, unless that would
    /// pass the limit.
    pub fn reserve(self: &Arc<Self>, signatures: u64, bytes: u64) -> Option<Charge> {
        let held = &self.stats.slot_signatures;
        let taken = held.fetch_add(signatures, Ordering::Relaxed);
        if taken + signatures > self.limit {
            held.fetch_sub(signatures, Ordering::Relaxed);
            return None;
        }
        self.stats.slot_bytes.fetch_add(bytes, Ordering::Relaxed);
        Some(Charge {
            budget: self.clone(),
            signatures,
            bytes,
        })
    }
}

/// A slot's share of the [`SlotBudget`], returned on drop.
#[derive(Debug)]
pub struct Charge {
    budget: Arc<SlotBudget>,
    signatures: u64,
    bytes: u64,
}

impl Drop for Charge {
    fn drop(&mut self) {
        let stats = &self.budget.stats;
        stats
            .slot_signatures
            .fetch_sub(self.signatures, Ordering::Relaxed);
        stats.slot_bytes.fetch_sub(self.bytes, Ordering::Relaxed);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reservations_stop_at_the_limit_and_come_back_when_dropped() {
        let stats = Arc::new(SignStats::default());
        let budget = Arc::new(SlotBudget::new(3, stats.clone()));
        let two = budget.reserve(2, 200).unwrap();
        assert!(budget.reserve(2, 200).is_none(), "2 + 2 > 3");
        let one = budget.reserve(1, 100).unwrap();
        assert_eq!(stats.slot_signatures.load(Ordering::Relaxed), 3);
        assert_eq!(stats.slot_bytes.load(Ordering::Relaxed), 300);
        drop(two);
        assert_eq!(stats.slot_signatures.load(Ordering::Relaxed), 1);
        assert_eq!(stats.slot_bytes.load(Ordering::Relaxed), 100);
        assert!(budget.reserve(2, 200).is_some());
        drop(one);
        assert_eq!(stats.slot_signatures.load(Ordering::Relaxed), 0);
    }
}
