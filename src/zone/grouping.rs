//! A zone's record sets in canonical name order (RFC 4034 §6.1), grouped
//! by owner name and type, so that what is built from them is the same for
//! the same input (`groups` checks them, `table::compile` compiles them).
//!
//! The sort compares each name as one byte key (labels from the root,
//! lowercase, each followed by a zero byte). Every name of a zone ends
//! with the origin's labels, so those are skipped and the next 16 key
//! bytes are held beside each set's index as a fixed-size prefix: most
//! comparisons are two integer comparisons, and only equal prefixes (the
//! sets of one name, or names longer than the prefix) build whole keys, on
//! the stack. Large zones build their entries and sort them in two halves
//! on two threads, then merge; the sets are then moved into that order in
//! place, a large zone's on two threads too (`permute.rs`). Once sorted,
//! a group is a run of adjacent sets: no second sort, no list of its own.

use std::cmp::Ordering;
use std::collections::HashSet;
use std::ops::Range;

use hickory_proto::rr::{Name, RData, RecordType};

use crate::zone::model::{RecordSet, SetData, Zone};
use crate::zone::values::Values;

mod permute;

/// One group: (owner, type) and its sets, in file order.
pub type Group<'z> = ((&'z Name, RecordType), &'z [RecordSet]);

/// Record sets in canonical order ([`sort_canonically`]) grouped by
/// (owner, type).
pub struct Grouped<'z> {
    sets: &'z [RecordSet],
    /// The end of each group in `sets` (a group starts where the previous
    /// one ends), in order.
    ends: Vec<u32>,
    /// The end of each owner name's sets in `sets`, the same way.
    name_ends: Vec<u32>,
}

/// `n` as a 32-bit offset: past 4 billion sets (a zone that cannot be held
/// in memory anyway) offsets saturate rather than wrap.
fn offset(n: usize) -> u32 {
    u32::try_from(n).unwrap_or(u32::MAX)
}

impl<'z> Grouped<'z> {
    /// Groups `sorted`, which must be in canonical order (the order of
    /// [`Zone::record_sets`]).
    pub fn new(sorted: &'z [RecordSet]) -> Self {
        let mut ends = Vec::new();
        let mut name_ends = Vec::new();
        for (at, pair) in sorted.windows(2).enumerate() {
            if !same_owner(&pair[0].name, &pair[1].name) {
                name_ends.push(offset(at + 1));
                ends.push(offset(at + 1));
            } else if pair[0].rtype != pair[1].rtype {
                ends.push(offset(at + 1));
            }
        }
        if !sorted.is_empty() {
            ends.push(offset(sorted.len()));
            name_ends.push(offset(sorted.len()));
        }
        Self {
            sets: sorted,
            ends,
            name_ends,
        }
    }

    /// Where group `i`'s sets are in `sets`.
    fn sets_of(&self, i: usize) -> Range<usize> {
        let start = i
            .checked_sub(1)
            .and_then(|p| self.ends.get(p))
            .map_or(0, |&e| e as usize);
        start..self.ends.get(i).map_or(start, |&e| e as usize)
    }

    /// Group `i` (canonical order).
    fn group(&self, i: usize) -> Option<Group<'z>> {
        let sets = self.sets.get(self.sets_of(i))?;
        let first = sets.first()?;
        Some(((&first.name, first.rtype), sets))
    }

    /// Every group, in canonical order (the groups of one name adjacent).
    pub fn groups(&self) -> impl Iterator<Item = Group<'z>> + '_ {
        (0..self.ends.len()).filter_map(|i| self.group(i))
    }

    /// The sets of each owner name, in canonical order; within one name by
    /// type, then file order (`chunk_by` on the type gives its groups).
    pub fn names(&self) -> impl Iterator<Item = &'z [RecordSet]> + '_ {
        let sets = self.sets;
        let starts = std::iter::once(0).chain(self.name_ends.iter().map(|&e| e as usize));
        starts
            .zip(self.name_ends.iter().map(|&e| e as usize))
            .filter_map(move |(start, end)| sets.get(start..end))
    }

    /// The group of `name` (lowercase) and `rtype`, if the zone has one.
    pub fn get(&self, name: &Name, rtype: RecordType) -> Option<Group<'z>> {
        let mut wanted = Vec::with_capacity(64);
        push_key(&mut wanted, name);
        let mut probe = Vec::with_capacity(64);
        let mut found = None;
        // Binary search over the groups, by (key, type): the order they
        // were sorted in.
        let (mut low, mut high) = (0, self.ends.len());
        while low < high {
            let mid = low + (high - low) / 2;
            let ((at, at_type), _) = self.group(mid)?;
            probe.clear();
            push_key(&mut probe, at);
            match (probe.as_slice(), u16::from(at_type)).cmp(&(wanted.as_slice(), u16::from(rtype)))
            {
                Ordering::Less => low = mid + 1,
                Ordering::Greater => high = mid,
                Ordering::Equal => {
                    found = Some(mid);
                    break;
                }
            }
        }
        self.group(found?)
    }
}

/// Sets above this many sort on two threads.
const PARALLEL_SORT_FROM: usize = 50_000;

/// Each set's sort key: its name key's bytes past the labels every name of
/// the zone shares, the first 16 of them big-endian (zero-padded), then its
/// type and index. 24 bytes, so the sort moves little.
#[derive(Clone, Copy, Default)]
struct SortEntry {
    /// The 16 bytes as two words (not a `u128`: its 16-byte alignment
    /// would make the entry 32 bytes).
    prefix: (u64, u64),
    rtype: u16,
    index: u32,
}

/// A name's whole key, on the stack (a name's key is one byte shorter than
/// its wire form, so at most 254 bytes).
struct StackKey {
    bytes: [u8; 256],
    len: usize,
}

impl StackKey {
    fn of(name: &Name) -> Self {
        let mut key = StackKey {
            bytes: [0; 256],
            len: 0,
        };
        for label in name.iter().rev() {
            for &b in label.iter().chain(&[0]) {
                if let Some(slot) = key.bytes.get_mut(key.len) {
                    *slot = b.to_ascii_lowercase();
                    key.len += 1;
                }
            }
        }
        key
    }

    fn as_slice(&self) -> &[u8] {
        self.bytes.get(..self.len).unwrap_or_default()
    }
}

/// How many labels, from the root, every name of `all` shares.
fn shared_labels(all: &[RecordSet]) -> usize {
    let Some(first) = all.first() else {
        return 0;
    };
    let shared_with_first = |sets: &[RecordSet], mut shared: usize| {
        for set in sets {
            shared = first
                .name
                .iter()
                .rev()
                .zip(set.name.iter().rev())
                .take(shared)
                .take_while(|(a, b)| a.eq_ignore_ascii_case(b))
                .count();
        }
        shared
    };
    let all_labels = usize::from(first.name.num_labels());
    if all.len() < PARALLEL_SORT_FROM {
        return shared_with_first(all, all_labels);
    }
    let (left, right) = all.split_at(all.len() / 2);
    std::thread::scope(|s| {
        let left = s.spawn(|| shared_with_first(left, all_labels));
        let right = shared_with_first(right, all_labels);
        left.join().map_or(0, |left| left.min(right))
    })
}

/// Set `index`'s entry: the first 16 key bytes of its name past `skip`
/// labels.
fn entry(set: &RecordSet, index: u32, skip: usize) -> SortEntry {
    let mut prefix = [0u8; 16];
    let mut at = 0;
    'labels: for label in set.name.iter().rev().skip(skip) {
        for &b in label.iter().chain(&[0]) {
            let Some(slot) = prefix.get_mut(at) else {
                break 'labels;
            };
            *slot = b.to_ascii_lowercase();
            at += 1;
        }
    }
    let word = |from: usize| {
        let mut bytes = [0u8; 8];
        bytes.copy_from_slice(prefix.get(from..from + 8).unwrap_or(&[0; 8]));
        u64::from_be_bytes(bytes)
    };
    SortEntry {
        prefix: (word(0), word(8)),
        rtype: u16::from(set.rtype),
        index,
    }
}

/// Canonical order of (owner, type), file order within: the prefixes
/// decide, and only equal prefixes compare whole keys. Every name shares
/// the skipped labels, so this is the order of whole keys.
fn cmp(all: &[RecordSet], a: &SortEntry, b: &SortEntry) -> Ordering {
    a.prefix
        .cmp(&b.prefix)
        .then_with(|| {
            let name = |e: &SortEntry| all.get(e.index as usize).map(|s| StackKey::of(&s.name));
            match (name(a), name(b)) {
                (Some(a), Some(b)) => a.as_slice().cmp(b.as_slice()),
                _ => Ordering::Equal,
            }
        })
        .then(a.rtype.cmp(&b.rtype))
        .then(a.index.cmp(&b.index))
}

/// The sets' indices in canonical order of (owner, type), file order
/// within. A large zone builds its entries and sorts them in two halves,
/// on two threads, then merges the halves.
fn canonical_order(all: &[RecordSet]) -> Vec<u32> {
    let skip = shared_labels(all);
    let mut entries = vec![SortEntry::default(); all.len()];
    let fill = |entries: &mut [SortEntry], from: usize| {
        for (i, (slot, set)) in entries.iter_mut().zip(&all[from..]).enumerate() {
            *slot = entry(set, offset(from + i), skip);
        }
    };
    let by = |a: &SortEntry, b: &SortEntry| cmp(all, a, b);
    // On input already in order this is one pass.
    if entries.len() < PARALLEL_SORT_FROM {
        fill(&mut entries, 0);
        entries.sort_unstable_by(by);
        return entries.iter().map(|e| e.index).collect();
    }
    let mid = entries.len() / 2;
    let (left, right) = entries.split_at_mut(mid);
    std::thread::scope(|s| {
        s.spawn(|| {
            fill(left, 0);
            left.sort_unstable_by(by);
        });
        fill(right, mid);
        right.sort_unstable_by(by);
    });
    merge(&entries, mid, by)
}

/// The indices of the two sorted runs `all[..mid]` and `all[mid..]` as one
/// sorted list (4 bytes an entry, not 24: this is the sort's peak).
fn merge(
    all: &[SortEntry],
    mid: usize,
    cmp: impl Fn(&SortEntry, &SortEntry) -> Ordering,
) -> Vec<u32> {
    let (mut left, mut right) = all.split_at(mid);
    let mut merged = Vec::with_capacity(all.len());
    while let (Some(a), Some(b)) = (left.first(), right.first()) {
        if cmp(b, a) == Ordering::Less {
            merged.push(b.index);
            right = &right[1..];
        } else {
            merged.push(a.index);
            left = &left[1..];
        }
    }
    merged.extend(left.iter().chain(right).map(|e| e.index));
    merged
}

/// Puts `sets` in canonical order of (owner, type), file order within (the
/// order of [`Zone::record_sets`]), in place: a compile then walks them
/// without grouping them again.
pub fn sort_canonically(sets: &mut [RecordSet]) {
    // Indices are 32-bit: 4 billion sets cannot be held in memory.
    if u32::try_from(sets.len()).is_err() {
        return;
    }
    let order = canonical_order(sets);
    permute::permute(sets, &order, sets.len() >= PARALLEL_SORT_FROM);
}

/// The sets of `name` (lowercase) and `rtype` in `sorted` (canonical
/// order, [`sort_canonically`]), found by binary search: for a few names
/// of a large zone, where a pass over every set would cost more.
pub fn sets_of<'z>(sorted: &'z [RecordSet], name: &Name, rtype: RecordType) -> &'z [RecordSet] {
    let wanted = StackKey::of(name);
    let wanted = (wanted.as_slice(), u16::from(rtype));
    let order = |set: &RecordSet| {
        let key = StackKey::of(&set.name);
        (key.as_slice(), u16::from(set.rtype)).cmp(&wanted)
    };
    let start = sorted.partition_point(|set| order(set) == Ordering::Less);
    let end = start
        + sorted
            .get(start..)
            .unwrap_or_default()
            .partition_point(|set| order(set) == Ordering::Equal);
    sorted.get(start..end).unwrap_or_default()
}

/// The groups of sets in canonical order ([`sort_canonically`]): each
/// owner's sets, then (`chunk_by` on the type) each group.
pub fn sorted_names(sets: &[RecordSet]) -> impl Iterator<Item = &[RecordSet]> {
    sets.chunk_by(|a, b| same_owner(&a.name, &b.name))
}

/// Whether two owner names of a model (lowercase) are the same, label by
/// label from the first: neighbours differ in their first label most of
/// the time, where `Name`'s own equality compares from the root, ignoring
/// case.
fn same_owner(a: &Name, b: &Name) -> bool {
    a.num_labels() == b.num_labels() && a.iter().eq(b.iter())
}

/// Appends `name`'s key: its labels from the root, lowercase, each
/// followed by a zero byte.
fn push_key(keys: &mut Vec<u8>, name: &Name) {
    for label in name.iter().rev() {
        keys.extend(label.iter().map(u8::to_ascii_lowercase));
        keys.push(0);
    }
}

/// The names (lowercase) that MX, SRV and NS values of the zone point at:
/// the only names whose addresses go in an additional section.
pub fn additional_targets(zone: &Zone) -> HashSet<Name> {
    let mut targets = HashSet::new();
    for set in &zone.record_sets {
        let SetData::Values(values) = &set.data else {
            continue;
        };
        // Addresses (most values of a large zone) point at no name.
        let Values::Other(values) = values else {
            continue;
        };
        for rdata in values {
            let target = match rdata {
                RData::MX(mx) => &mx.exchange,
                RData::SRV(srv) => &srv.target,
                RData::NS(ns) => &ns.0,
                _ => continue,
            };
            targets.insert(target.to_lowercase());
        }
    }
    targets
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::diag::Source;

    #[test]
    fn a_model_is_kept_in_canonical_order_with_file_order_within_a_group() {
        let mut text = String::from(
            "[zone]\norigin = \"order.test.\"\nsoa = { mname = \"ns1\", rname = \"hostmaster\" }\n",
        );
        let sets = [
            ("b", "TXT", "", "\"1\""),
            ("a", "A", "set = \"x\"\nweight = 1\n", "\"192.0.2.1\""),
            ("*.b", "A", "", "\"192.0.2.9\""),
            ("b", "A", "", "\"192.0.2.2\""),
            ("a", "A", "set = \"y\"\nweight = 2\n", "\"192.0.2.3\""),
            ("A", "TXT", "", "\"2\""),
            ("@", "TXT", "", "\"3\""),
        ];
        for (name, rtype, extra, value) in sets {
            text += &format!(
                "\n[[record]]\nname = \"{name}\"\ntype = \"{rtype}\"\n{extra}values = [{value}]\n"
            );
        }
        let zone = crate::zone::convert::convert(&Source::new("order.toml", text)).unwrap();
        let order: Vec<String> = zone
            .record_sets
            .iter()
            .map(|s| format!("{} {} {}", s.name, s.rtype, s.position.line))
            .collect();
        // Apex first; `a` before `b` before `*.b`; within a name by type
        // number (A before TXT); the two weighted sets of `a` in file order.
        assert_eq!(
            order,
            [
                "order.test. TXT 39",
                "a.order.test. A 10",
                "a.order.test. A 27",
                "a.order.test. TXT 34",
                "b.order.test. A 22",
                "b.order.test. TXT 5",
                "*.b.order.test. A 17",
            ]
        );
        let names: Vec<usize> = sorted_names(&zone.record_sets).map(<[_]>::len).collect();
        assert_eq!(names, [1, 3, 2, 1]);
    }

    fn set(name: &str, rtype: RecordType, line: u32) -> RecordSet {
        RecordSet {
            name: Name::from_ascii(name).unwrap(),
            rtype,
            ttl: 300,
            data: SetData::Values(Values::default()),
            position: crate::zone::model::Position::new(line as usize, 1, 0),
            policy: None,
        }
    }

    /// The order the two-thread sort gives (above `PARALLEL_SORT_FROM`)
    /// is the order of whole keys, types and file order, including names
    /// that share their first 16 bytes past the origin and names of the
    /// same owner with several types.
    #[test]
    fn a_sort_entry_is_24_bytes() {
        assert_eq!(std::mem::size_of::<SortEntry>(), 24);
    }

    #[test]
    fn the_parallel_sort_gives_the_order_of_whole_keys() {
        let mut sets = Vec::new();
        let mut seed = 7u64;
        let mut next = || {
            seed = seed
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            (seed >> 33) as usize
        };
        for line in 0..(PARALLEL_SORT_FROM as u32 + 5_000) {
            let r = next();
            let name = match r % 4 {
                0 => format!("host{}.big.test.", r % 9_000),
                1 => format!("a-very-long-shared-label-{}.x.big.test.", r % 500),
                2 => format!("*.w{}.big.test.", r % 50),
                _ => "big.test.".to_string(),
            };
            let rtype = [RecordType::A, RecordType::AAAA, RecordType::TXT][next() % 3];
            sets.push(set(&name, rtype, line));
        }
        let keyed = |sets: &[RecordSet]| -> Vec<(Vec<u8>, u16, u32)> {
            sets.iter()
                .map(|s| {
                    let mut key = Vec::new();
                    push_key(&mut key, &s.name);
                    (key, u16::from(s.rtype), s.position.line)
                })
                .collect()
        };
        let mut expected = keyed(&sets);
        expected.sort();
        sort_canonically(&mut sets);
        assert!(
            keyed(&sets) == expected,
            "the sort differs from whole-key order"
        );
        let grouped = Grouped::new(&sets);
        let groups: Vec<_> = grouped.groups().collect();
        for ((name, rtype), group) in &groups {
            assert!(group.iter().all(|s| &s.name == *name && s.rtype == *rtype));
            let found = grouped.get(name, *rtype).unwrap();
            assert_eq!(found.1.as_ptr(), group.as_ptr());
        }
        for pair in groups.windows(2) {
            assert!(pair[0].0 != pair[1].0, "a group is split");
        }
        let missing = Name::from_ascii("host9001.big.test.").unwrap();
        assert!(grouped.get(&missing, RecordType::A).is_none());
        assert!(sets_of(&sets, &missing, RecordType::A).is_empty());
        for ((name, rtype), group) in groups.iter().step_by(97) {
            let found = sets_of(&sets, name, *rtype);
            assert_eq!((found.as_ptr(), found.len()), (group.as_ptr(), group.len()));
        }
    }
}
