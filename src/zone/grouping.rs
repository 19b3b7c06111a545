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

/// Where a group is: its owner's key in `keys`, its type, and its sets in
/// `sets`.
struct Slot {
    key: Range<usize>,
    rtype: u16,
    sets: Range<usize>,
}

impl<'z> Grouped<'z> {
    /// Groups `all` (borrowed).
    pub fn new(all: &'z [RecordSet]) -> Self {
        let mut keys: Vec<u8> = Vec::with_capacity(all.len() * 24);
        // Where each set's key starts in `keys` (and, last, the end).
        let mut starts: Vec<usize> = Vec::with_capacity(all.len() + 1);
        for set in all {
            starts.push(keys.len());
            push_key(&mut keys, &set.name);
        }
        starts.push(keys.len());
        let key = |i: usize| starts[i]..starts[i + 1];
        let mut order: Vec<usize> = (0..all.len()).collect();
        order.sort_unstable_by(|&a, &b| {
            keys[key(a)]
                .cmp(&keys[key(b)])
                .then(u16::from(all[a].rtype).cmp(&u16::from(all[b].rtype)))
                .then(a.cmp(&b))
        });
        let mut groups: Vec<Slot> = Vec::new();
        for (at, &i) in order.iter().enumerate() {
            let rtype = u16::from(all[i].rtype);
            match groups.last_mut() {
                Some(last) if last.rtype == rtype && keys[last.key.clone()] == keys[key(i)] => {
                    last.sets.end = at + 1;
                }
                _ => groups.push(Slot {
                    key: key(i),
                    rtype,
                    sets: at..at + 1,
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

    /// How many groups.
    pub fn len(&self) -> usize {
        self.groups.len()
    }

    pub fn is_empty(&self) -> bool {
        self.groups.is_empty()
    }

    /// The group a slot holds.
    fn group(&self, slot: &Slot) -> Group<'_, 'z> {
        let sets = &self.sets[slot.sets.clone()];
        let first = sets[0];
        ((&first.name, first.rtype), sets)
    }

    /// Every group, in canonical order (the groups of one name adjacent).
    pub fn groups(&self) -> impl Iterator<Item = Group<'_, 'z>> {
        self.groups.iter().map(|slot| self.group(slot))
    }

    /// The sets of each owner name, in canonical order; within one name by
    /// type, then file order (`chunk_by` on the type gives its groups).
    pub fn names(&self) -> impl Iterator<Item = &[&'z RecordSet]> {
        self.name_slots().map(|slots| {
            let start = slots.first().map_or(0, |s| s.sets.start);
            let end = slots.last().map_or(0, |s| s.sets.end);
            &self.sets[start..end]
        })
    }

    fn name_slots(&self) -> impl Iterator<Item = &[Slot]> {
        self.groups
            .chunk_by(|a, b| self.keys[a.key.clone()] == self.keys[b.key.clone()])
    }

    /// How many owner names.
    pub fn name_count(&self) -> usize {
        self.name_slots().count()
    }

    /// The group of `name` (lowercase) and `rtype`, if the zone has one.
    pub fn get(&self, name: &Name, rtype: RecordType) -> Option<Group<'_, 'z>> {
        let mut key = Vec::with_capacity(64);
        push_key(&mut key, name);
        let wanted = (key.as_slice(), u16::from(rtype));
        let i = self
            .groups
            .binary_search_by(|s| (&self.keys[s.key.clone()], s.rtype).cmp(&wanted))
            .ok()?;
        self.groups.get(i).map(|slot| self.group(slot))
    }
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
