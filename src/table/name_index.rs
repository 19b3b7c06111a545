//! The index of a compiled zone, from lowercase wire names to node numbers:
//! every key in one byte arena and a hash table of `u32` node numbers, so
//! a zone of a million names holds no heap object per name (about 37
//! bytes a name, against 80 for a map of boxed keys). Lookups hash the
//! key slice and compare it with the arena: no allocation. Keys known to
//! be new can be appended first and indexed later, all at once, in the
//! order of their slots in the table: one pass over its memory instead of
//! one cache miss a key.

use std::hash::BuildHasher;

use foldhash::fast::RandomState;

use hashbrown::HashTable;
use hashbrown::hash_table::Entry;

/// Keys hashed and sorted at a time by [`NameIndex::index_appended`]: 2 MB
/// of hashes, a small part of a large zone's table.
const BATCH: usize = 1 << 17;

#[derive(Debug, Default)]
pub struct NameIndex {
    /// The keys of nodes 0, 1, …, one after another.
    keys: Vec<u8>,
    /// Where each node's key starts in `keys`; one more entry at the end.
    starts: Vec<u32>,
    table: HashTable<u32>,
    hasher: RandomState,
}

impl NameIndex {
    /// An empty index with room for `names` names.
    pub fn with_capacity(names: usize) -> Self {
        let mut starts = Vec::with_capacity(names + 1);
        starts.push(0);
        NameIndex {
            keys: Vec::with_capacity(names * 24),
            starts,
            table: HashTable::with_capacity(names),
            hasher: RandomState::default(),
        }
    }

    /// The node number of `key`.
    pub fn get(&self, key: &[u8]) -> Option<usize> {
        self.stored(key).map(|(n, _)| n)
    }

    /// The node number of `key` and the index's own copy of it (which lives
    /// as long as the index).
    pub fn stored(&self, key: &[u8]) -> Option<(usize, &[u8])> {
        let hash = self.hasher.hash_one(key);
        let n = *self
            .table
            .find(hash, |&n| key_at(&self.keys, &self.starts, n) == key)?;
        Some((n as usize, key_at(&self.keys, &self.starts, n)))
    }

    /// The key of node `n`.
    pub fn key(&self, n: usize) -> &[u8] {
        u32::try_from(n).map_or(&[], |n| key_at(&self.keys, &self.starts, n))
    }

    /// How many names.
    pub fn len(&self) -> usize {
        self.table.len()
    }

    pub fn is_empty(&self) -> bool {
        self.table.is_empty()
    }

    /// The node number of `key`, given the next number (then `true`) if it
    /// is new. None when the arena would outgrow `u32` offsets.
    pub fn insert(&mut self, key: &[u8]) -> Option<(usize, bool)> {
        self.index_appended();
        let NameIndex {
            keys,
            starts,
            table,
            hasher,
        } = self;
        let hash = hasher.hash_one(key);
        // One probe: the slot to fill is found with the search.
        let entry = table.entry(
            hash,
            |&n| key_at(keys, starts, n) == key,
            |&m| hasher.hash_one(key_at(keys, starts, m)),
        );
        match entry {
            Entry::Occupied(found) => Some((*found.get() as usize, false)),
            Entry::Vacant(slot) => {
                let n = push_key(keys, starts, key)?;
                slot.insert(n);
                Some((n as usize, true))
            }
        }
    }

    /// Gives `key` the next number without looking it up: the caller knows
    /// it is new. It is found once [`NameIndex::index_appended`] has run
    /// (`insert` runs it first). None when the arena would outgrow `u32`
    /// offsets.
    pub fn append(&mut self, key: &[u8]) -> Option<usize> {
        push_key(&mut self.keys, &mut self.starts, key).map(|n| n as usize)
    }

    /// Indexes the keys appended since the last time. They are hashed a
    /// batch at a time, and each batch is inserted in the order of its
    /// keys' home slots, so the inserts sweep the table's memory instead of
    /// missing the cache once a key.
    pub fn index_appended(&mut self) {
        let NameIndex {
            keys,
            starts,
            table,
            hasher,
        } = self;
        let count = starts.len().saturating_sub(1);
        let Ok(first) = u32::try_from(table.len()) else {
            return;
        };
        if count <= first as usize {
            return;
        }
        let rehash = |&m: &u32| hasher.hash_one(key_at(keys, starts, m));
        table.reserve(count - first as usize, rehash);
        // The table's slot count, as hashbrown sizes it: a power of two
        // with 1/8 left empty. A wrong guess only interleaves the sweep.
        let slots = (table.capacity() * 8 / 7).next_power_of_two().max(1) as u64;
        let mut batch: Vec<(u64, u32)> = Vec::with_capacity(BATCH.min(count));
        let mut pending = (first..).take(count - first as usize).peekable();
        while pending.peek().is_some() {
            batch.clear();
            batch.extend(
                pending
                    .by_ref()
                    .take(BATCH)
                    .map(|n| (hasher.hash_one(key_at(keys, starts, n)), n)),
            );
            batch.sort_unstable_by_key(|&(hash, _)| hash & (slots - 1));
            for &(hash, n) in &batch {
                table.insert_unique(hash, n, rehash);
            }
        }
    }

    /// Gives back the room reserved but not used.
    pub fn shrink_to_fit(&mut self) {
        self.keys.shrink_to_fit();
        self.starts.shrink_to_fit();
    }
}

/// Adds `key` to the arena as the next node's; its number, or None when
/// the arena would outgrow `u32` offsets.
fn push_key(keys: &mut Vec<u8>, starts: &mut Vec<u32>, key: &[u8]) -> Option<u32> {
    if starts.is_empty() {
        // A default index: the first key starts at 0.
        starts.push(0);
    }
    let n = u32::try_from(starts.len() - 1).ok()?;
    let end = u32::try_from(keys.len() + key.len()).ok()?;
    keys.extend_from_slice(key);
    starts.push(end);
    Some(n)
}

/// The key of node `n` in the arena.
fn key_at<'a>(keys: &'a [u8], starts: &[u32], n: u32) -> &'a [u8] {
    let n = n as usize;
    match (starts.get(n), starts.get(n + 1)) {
        (Some(&start), Some(&end)) => keys.get(start as usize..end as usize).unwrap_or_default(),
        _ => &[],
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_get_their_numbers_and_the_index_keeps_its_own_copy() {
        let mut default = NameIndex::default();
        assert_eq!(default.insert(b"\x01a\x00"), Some((0, true)));
        assert_eq!(default.get(b"\x01a\x00"), Some(0));
        let mut index = NameIndex::with_capacity(2);
        assert_eq!(index.insert(b"\x07example\x00"), Some((0, true)));
        assert_eq!(index.insert(b"\x03www\x07example\x00"), Some((1, true)));
        assert_eq!(index.insert(b"\x07example\x00"), Some((0, false)));
        // More names than reserved: the table grows and rehashes.
        for i in 0..100u8 {
            let key = [1, i, 7, b'e', b'x', b'a', b'm', b'p', b'l', b'e', 0];
            assert_eq!(index.insert(&key), Some((2 + usize::from(i), true)));
        }
        assert_eq!(index.len(), 102);
        assert_eq!(index.get(b"\x03www\x07example\x00"), Some(1));
        assert_eq!(index.get(b"\x03WWW\x07example\x00"), None);
        assert_eq!(index.get(b"\x07example"), None);
        let (n, stored) = index
            .stored(&[1, 50, 7, b'e', b'x', b'a', b'm', b'p', b'l', b'e', 0])
            .unwrap();
        assert_eq!(n, 52);
        assert_eq!(stored, index.key(52));
        assert_eq!(index.key(1), b"\x03www\x07example\x00");
        assert_eq!(index.key(500), b"");
    }

    #[test]
    fn appended_keys_are_found_once_indexed() {
        let mut index = NameIndex::with_capacity(4);
        assert_eq!(index.insert(b"\x01a\x00"), Some((0, true)));
        let keys: Vec<Vec<u8>> = (0..5000u32)
            .map(|i| {
                let label = i.to_string();
                let mut key = vec![label.len() as u8];
                key.extend(label.bytes());
                key.extend(b"\x01a\x00");
                key
            })
            .collect();
        for (i, key) in keys.iter().enumerate() {
            assert_eq!(index.append(key), Some(i + 1));
        }
        // Not indexed yet: not found, and no slot taken.
        assert_eq!(index.get(&keys[0]), None);
        assert_eq!(index.len(), 1);
        index.index_appended();
        assert_eq!(index.len(), 5001);
        for (i, key) in keys.iter().enumerate() {
            assert_eq!(index.get(key), Some(i + 1));
        }
        // `insert` indexes what is pending before it looks.
        assert_eq!(index.append(b"\x01b\x00"), Some(5001));
        assert_eq!(index.insert(b"\x01b\x00"), Some((5001, false)));
        assert_eq!(index.insert(b"\x01c\x00"), Some((5002, true)));
        assert_eq!(index.get(b"\x01a\x00"), Some(0));
    }
}
