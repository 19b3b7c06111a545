//! The signature cache: RRSIGs by every input of their signature except
//! the times (key-set generation, key tag, labels, TTL, type, lowercased
//! owner, RDATA; built by `sign::cache_key`), so every query that serves
//! the same RRset with the same keys reuses one signature. Bounded by entry count, least recently
//! used first out, in shards so that signing threads rarely meet on a
//! lock. Nothing is signed while a lock is held.

use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, Ordering};

use hickory_proto::rr::Record;
use lru::LruCache;

const SHARDS: usize = 16;

/// Counters of the cache and of signing, read by `/metrics`.
#[derive(Debug, Default)]
pub struct SignStats {
    pub signatures: AtomicU64,
    pub sign_nanos: AtomicU64,
    pub hits: AtomicU64,
    pub misses: AtomicU64,
    pub evictions: AtomicU64,
    pub entries: AtomicU64,
    /// Approximate bytes held by the cache's entries.
    pub bytes: AtomicU64,
    /// Signatures held in the UDP fast path's slots (`slot_budget`).
    pub slot_signatures: AtomicU64,
    /// Approximate bytes of those slots.
    pub slot_bytes: AtomicU64,
}

/// One cached signature.
#[derive(Clone, Debug)]
pub struct Cached {
    /// The RRSIG record (owner as first signed; callers set the owner).
    pub rrsig: Record,
    /// Unix time (serial arithmetic) after which it is signed again.
    pub refresh_at: u32,
}

type Shard = Mutex<LruCache<Box<[u8]>, Cached>>;

#[derive(Debug)]
pub struct SignatureCache {
    shards: Box<[Shard]>,
    /// Entries per shard; the maps grow as entries come (nothing is
    /// allocated up front for a server that signs little or nothing).
    per_shard: usize,
}

/// Bytes an entry costs besides its key: the record, the LRU node, the map
/// slot and the allocator's share (`cargo bench --bench dnssec_sign`
/// measured about 500 bytes of RSS per entry for two-record A RRsets).
const ENTRY_OVERHEAD: usize = 460;

impl SignatureCache {
    /// A cache of about `entries` signatures (at least one per shard).
    pub fn new(entries: usize) -> Self {
        let shards = (0..SHARDS)
            .map(|_| Mutex::new(LruCache::unbounded()))
            .collect();
        Self {
            shards,
            per_shard: entries.div_ceil(SHARDS).max(1),
        }
    }

    fn shard(&self, key: &[u8]) -> &Shard {
        // FNV-1a over the key, then the top bits of a Fibonacci multiply:
        // FNV's low bits depend only on the inputs' low bits.
        let mut x: u64 = 0xcbf2_9ce4_8422_2325;
        for b in key {
            x = (x ^ u64::from(*b)).wrapping_mul(0x0100_0000_01b3);
        }
        let top = x.wrapping_mul(0x9e37_79b9_7f4a_7c15) >> 60;
        &self.shards[top as usize % SHARDS]
    }

    /// The cached signature for `key`, if any (counts a hit or a miss when
    /// `now` is before its refresh time).
    pub fn get(&self, key: &[u8], now: u32, stats: &SignStats) -> Option<Cached> {
        let found = self
            .shard(key)
            .lock()
            .ok()
            .and_then(|mut s| s.get(key).cloned());
        match found {
            Some(c) if (c.refresh_at.wrapping_sub(now) as i32) > 0 => {
                stats.hits.fetch_add(1, Ordering::Relaxed);
                Some(c)
            }
            _ => {
                stats.misses.fetch_add(1, Ordering::Relaxed);
                None
            }
        }
    }

    /// Calls `f` with the cached RRSIG for `key` under the shard's lock,
    /// without copying it, when one is there and `now` is before its
    /// refresh time (counted as a hit); None otherwise (not counted: the
    /// caller then takes the path that signs, which counts the miss).
    pub fn peek<R>(
        &self,
        key: &[u8],
        now: u32,
        stats: &SignStats,
        f: impl FnOnce(&Record) -> R,
    ) -> Option<R> {
        let mut shard = self.shard(key).lock().ok()?;
        let c = shard
            .get(key)
            .filter(|c| (c.refresh_at.wrapping_sub(now) as i32) > 0)?;
        stats.hits.fetch_add(1, Ordering::Relaxed);
        Some(f(&c.rrsig))
    }

    pub fn insert(&self, key: Box<[u8]>, value: Cached, stats: &SignStats) {
        let size = (key.len() + ENTRY_OVERHEAD) as u64;
        let Ok(mut shard) = self.shard(&key).lock() else {
            return;
        };
        if !shard.contains(&key)
            && shard.len() >= self.per_shard
            && let Some((old_key, _)) = shard.pop_lru()
        {
            stats.evictions.fetch_add(1, Ordering::Relaxed);
            stats.entries.fetch_sub(1, Ordering::Relaxed);
            let old = (old_key.len() + ENTRY_OVERHEAD) as u64;
            stats.bytes.fetch_sub(old, Ordering::Relaxed);
        }
        if shard.put(key, value).is_none() {
            stats.entries.fetch_add(1, Ordering::Relaxed);
            stats.bytes.fetch_add(size, Ordering::Relaxed);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use hickory_proto::rr::rdata::A;
    use hickory_proto::rr::{Name, RData};

    #[test]
    fn keys_spread_over_the_shards_so_the_bound_is_nearly_reached() {
        let cache = SignatureCache::new(1600);
        let stats = SignStats::default();
        let record = Record::from_rdata(Name::root(), 1, RData::A(A::new(192, 0, 2, 1)));
        for i in 0..1600 {
            // Keys alike but for a few digits, as RRsets of one zone are.
            let key = format!("....example.com.host{i}.example.com.\u{1}\u{0}\u{1}").into_bytes();
            let value = Cached {
                rrsig: record.clone(),
                refresh_at: 100,
            };
            cache.insert(key.into_boxed_slice(), value, &stats);
        }
        let entries = stats.entries.load(Ordering::Relaxed);
        assert!(entries >= 1450, "only {entries} of 1600 kept");
        assert_eq!(entries + stats.evictions.load(Ordering::Relaxed), 1600);
        let key = b"....example.com.host7.example.com.\x01\x00\x01";
        assert!(
            cache.get(key, 50, &stats).is_some(),
            "before its refresh time"
        );
        assert!(cache.get(key, 150, &stats).is_none(), "due for refresh");
    }
}
