//! A zone's record sets grouped by owner name and type, in canonical name
//! order (RFC 4034 §6.1) so that what is built from them is the same for
//! the same input (`groups` checks them, `table::compile` compiles them).
//! The names are compared as one byte key each (labels from the root, each
//! followed by a zero byte) in one flat buffer: a million names sort in a
//! fraction of a second, where comparing `hickory` names label by label in
//! a `BTreeMap` took most of the load. The sets are sorted as one flat list
//! of references (the sets of a group, and of a name, adjacent), so a
//! group costs no allocation of its own.

use std::collections::HashSet;
use std::ops::Range;

use hickory_proto::rr::{Name, RData, RecordType};

use crate::zone::model::{RecordSet, SetData, Zone};
use crate::zone::values::Values;

/// One group: (owner, type) and its sets, in file order.
pub type Group<'g, 'z> = ((&'z Name, RecordType), &'g [&'z RecordSet]);

/// Record sets grouped by (owner, type), in canonical order.
#[derive(Default)]
pub struct Grouped<'z> {
    keys: Vec<u8>,
    /// Every set, in canonical order of (owner, type), file order within.
    sets: Vec<&'z RecordSet>,
    /// Each group, in that order.
    groups: Vec<Slot>,
}

/// Where a group is: its owner's key in `keys`, its type, and the end of
/// its sets in `sets` (they start where the previous group's end). 16
/// bytes: past 4 GiB of keys or sets (a zone that cannot be held in memory
/// anyway) offsets saturate rather than wrap.
struct Slot {
    key: (u32, u32),
    rtype: u16,
    end: u32,
}

/// `n` as a 32-bit offset (see [`Slot`]).
fn offset(n: usize) -> u32 {
    u32::try_from(n).unwrap_or(u32::MAX)
}

impl Slot {
    fn key(&self) -> Range<usize> {
        self.key.0 as usize..self.key.1 as usize
    }

    /// Its owner's key in `keys` (empty past the saturation above).
    fn key_in<'k>(&self, keys: &'k [u8]) -> &'k [u8] {
        keys.get(self.key()).unwrap_or_default()
    }
}

impl<'z> Grouped<'z> {
    /// Groups `all` (borrowed).
    pub fn new(all: &'z [RecordSet]) -> Self {
        let (keys, starts, order) = canonical_order(all);
        let key = |i: usize| starts[i]..starts[i + 1];
        let mut groups: Vec<Slot> = Vec::new();
        for (at, &i) in order.iter().enumerate() {
            let rtype = u16::from(all[i].rtype);
            match groups.last_mut() {
                Some(last) if last.rtype == rtype && last.key_in(&keys) == &keys[key(i)] => {
                    last.end = offset(at + 1);
                }
                _ => groups.push(Slot {
                    key: (offset(starts[i]), offset(starts[i + 1])),
                    rtype,
                    end: offset(at + 1),
                }),
            }
        }
        drop(starts);
        groups.shrink_to_fit();
        Self {
            keys,
            sets: order.into_iter().map(|i| &all[i]).collect(),
            groups,
        }
    }

    /// Where group `i`'s sets are in `sets`.
    fn sets_of(&self, i: usize) -> Range<usize> {
        let start = i
            .checked_sub(1)
            .and_then(|p| self.groups.get(p))
            .map_or(0, |p| p.end as usize);
        start..self.groups.get(i).map_or(start, |s| s.end as usize)
    }

    /// Group `i` (canonical order).
    fn group(&self, i: usize) -> Option<Group<'_, 'z>> {
        let sets = self.sets.get(self.sets_of(i))?;
        let first = sets.first()?;
        Some(((&first.name, first.rtype), sets))
    }

    /// Every group, in canonical order (the groups of one name adjacent).
    pub fn groups(&self) -> impl Iterator<Item = Group<'_, 'z>> {
        (0..self.groups.len()).filter_map(|i| self.group(i))
    }

    /// The sets of each owner name, in canonical order; within one name by
    /// type, then file order (`chunk_by` on the type gives its groups).
    pub fn names(&self) -> impl Iterator<Item = &[&'z RecordSet]> {
        self.name_runs().filter_map(|run| {
            let end = self.sets_of(run.end.checked_sub(1)?).end;
            self.sets.get(self.sets_of(run.start).start..end)
        })
    }

    /// The runs of groups of one owner name each.
    fn name_runs(&self) -> impl Iterator<Item = Range<usize>> {
        let mut start = 0;
        self.groups
            .chunk_by(|a, b| a.key_in(&self.keys) == b.key_in(&self.keys))
            .map(move |run| {
                start += run.len();
                start - run.len()..start
            })
    }

    /// The group of `name` (lowercase) and `rtype`, if the zone has one.
    pub fn get(&self, name: &Name, rtype: RecordType) -> Option<Group<'_, 'z>> {
        let mut key = Vec::with_capacity(64);
        push_key(&mut key, name);
        let wanted = (key.as_slice(), u16::from(rtype));
        let i = self
            .groups
            .binary_search_by(|s| (s.key_in(&self.keys), s.rtype).cmp(&wanted))
            .ok()?;
        self.group(i)
    }
}

/// Each set's key (in one buffer, set `i`'s from `starts[i]` to
/// `starts[i + 1]`), and the sets' indices in canonical order of (owner,
/// type), file order within.
fn canonical_order(all: &[RecordSet]) -> (Vec<u8>, Vec<usize>, Vec<usize>) {
    let mut keys: Vec<u8> = Vec::with_capacity(all.len() * 24);
    let mut starts: Vec<usize> = Vec::with_capacity(all.len() + 1);
    for set in all {
        starts.push(keys.len());
        push_key(&mut keys, &set.name);
    }
    starts.push(keys.len());
    let key = |i: usize| starts[i]..starts[i + 1];
    let mut order: Vec<usize> = (0..all.len()).collect();
    // On input already in order (the groups checked after the sort) this
    // is one pass.
    order.sort_unstable_by(|&a, &b| {
        keys[key(a)]
            .cmp(&keys[key(b)])
            .then(u16::from(all[a].rtype).cmp(&u16::from(all[b].rtype)))
            .then(a.cmp(&b))
    });
    (keys, starts, order)
}

/// Puts `sets` in canonical order of (owner, type), file order within (the
/// order of [`Zone::record_sets`]), in place: a compile then walks them
/// without grouping them again.
pub fn sort_canonically(sets: &mut [RecordSet]) {
    let (keys, starts, mut order) = canonical_order(sets);
    drop((keys, starts));
    // Follow each cycle of the permutation: position `j` takes the set at
    // `order[j]`; a done position is marked `usize::MAX`.
    for i in 0..order.len() {
        let mut j = i;
        while order[j] != usize::MAX {
            let k = std::mem::replace(&mut order[j], usize::MAX);
            if k == i {
                break;
            }
            sets.swap(j, k);
            j = k;
        }
    }
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
}
