//! The signatures of one precomputed RRset in wire form, kept next to it
//! (`Answer::sigs`, `CompiledZone::soa_sigs`) for the UDP fast path's
//! DO=1 answers: an atomically swapped slot, empty until the first signed
//! answer that serves the RRset fills it from the signature cache, stale
//! once its refresh time has come or when the zone's key set changed
//! (another generation). One pointer per RRset while empty.
//!
//! The records are in `table::wire`'s layout (TYPE CLASS TTL RDLENGTH
//! RDATA without the owner, with the offsets of the names hickory's
//! encoder registers): first the records written under the RRset's own
//! owner (its RRSIGs, or a referral's proof and the proof's RRSIGs), then
//! the RRSIGs of the additional-section RRsets, each with its owner.
//!
//! Bounded: all slots together hold at most as many signatures as the
//! signature cache ([`SlotBudget`], `dnssec.signature_cache_entries`). A
//! slot that would pass the bound is not stored, and the answers that
//! needed it take the general path, which serves from the cache.

use std::sync::Arc;

use arc_swap::ArcSwapOption;

use crate::dnssec::slot_budget::{Charge, SlotBudget};

/// What one slot holds.
#[derive(Debug)]
pub struct SigSlot {
    /// The key set's generation the signatures were made with.
    pub generation: u64,
    /// Unix time (serial arithmetic) from which the slot is stale.
    pub refresh_at: u32,
    /// Signatures in it (counted as signature-cache hits when served).
    pub signatures: u64,
    /// The records under the RRset's owner (`table::wire` layout).
    pub own: Box<[u8]>,
    /// The RRSIGs of each additional RRset.
    pub additionals: Box<[OwnedRrsigs]>,
    /// What the slot holds of the budget, given back when it is dropped
    /// (None until stored).
    pub charge: Option<Charge>,
}

/// Bytes a slot costs besides its wire data: the struct, its `Arc` and the
/// allocator's share of three allocations.
const SLOT_OVERHEAD: usize = 160;

/// RRSIGs with their owner: (owner in wire form, uncompressed; records in
/// `table::wire` layout).
pub type OwnedRrsigs = (Box<[u8]>, Box<[u8]>);

impl SigSlot {
    /// Whether the slot serves a key set of `generation` at unix time `now`.
    pub fn fresh(&self, generation: u64, now: u32) -> bool {
        self.generation == generation && (self.refresh_at.wrapping_sub(now) as i32) > 0
    }
}

/// An atomically swapped, initially empty [`SigSlot`]. A clone starts
/// empty: the slot is a cache of what the signer made.
#[derive(Debug, Default)]
pub struct SigCell(ArcSwapOption<SigSlot>);

impl Clone for SigCell {
    fn clone(&self) -> Self {
        Self::default()
    }
}

impl SigCell {
    /// What the slot holds now (an atomic load, no allocation).
    pub fn load(&self) -> Option<Arc<SigSlot>> {
        self.0.load_full()
    }

    /// Replaces what the slot holds, when `budget` has room for it (the
    /// slot it replaces is given back first); false when it has not.
    pub fn store(&self, mut slot: SigSlot, budget: &Arc<SlotBudget>) -> bool {
        let extra: usize = slot
            .additionals
            .iter()
            .map(|(o, r)| o.len() + r.len())
            .sum();
        let bytes = SLOT_OVERHEAD + slot.own.len() + extra;
        self.0.store(None);
        match budget.reserve(slot.signatures, bytes as u64) {
            Some(charge) => {
                slot.charge = Some(charge);
                self.0.store(Some(Arc::new(slot)));
                true
            }
            None => false,
        }
    }
}
