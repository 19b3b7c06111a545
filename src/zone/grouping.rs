//! A zone's record sets grouped by owner name and type, in canonical name
//! order (RFC 4034 §6.1) so that what is built from them is the same for
//! the same input (`groups` checks them, `table::compile` compiles them).
//! The names are compared as one byte key each (labels from the root, each
//! followed by a zero byte) in one flat buffer: a million names sort in a
//! fraction of a second, where comparing `hickory` names label by label in
//! a `BTreeMap` took most of the load.

use std::collections::HashSet;
use std::ops::Range;

use hickory_proto::rr::{Name, RData, RecordType};

use crate::zone::model::{RecordSet, SetData, Zone};

/// One group: (owner, type) and its sets, in file order.
pub type Group<'z> = ((&'z Name, RecordType), Vec<&'z RecordSet>);

/// Record sets grouped by (owner, type), in canonical order.
#[derive(Default)]
pub struct Grouped<'z> {
    keys: Vec<u8>,
    /// Each group's key in `keys`, and its type.
    ranges: Vec<(Range<usize>, u16)>,
    groups: Vec<Group<'z>>,
}

impl<'z> Grouped<'z> {
    /// Groups `sets` (borrowed).
    pub fn new(sets: &'z [RecordSet]) -> Self {
        let mut keys: Vec<u8> = Vec::with_capacity(sets.len() * 24);
        // Each set's key in `keys`, its type and its index.
        let mut order: Vec<(Range<usize>, u16, usize)> = Vec::with_capacity(sets.len());
        for (i, set) in sets.iter().enumerate() {
            let start = keys.len();
            push_key(&mut keys, &set.name);
            order.push((start..keys.len(), u16::from(set.rtype), i));
        }
        order.sort_unstable_by(|a, b| {
            keys[a.0.clone()]
                .cmp(&keys[b.0.clone()])
                .then(a.1.cmp(&b.1))
                .then(a.2.cmp(&b.2))
        });
        let mut ranges: Vec<(Range<usize>, u16)> = Vec::new();
        let mut groups: Vec<Group<'z>> = Vec::new();
        let mut previous: Option<(Range<usize>, u16)> = None;
        for (range, rtype, i) in order {
            let set = &sets[i];
            match (&previous, groups.last_mut()) {
                (Some((p, t)), Some((_, members)))
                    if *t == rtype && keys[p.clone()] == keys[range.clone()] =>
                {
                    members.push(set);
                }
                _ => {
                    ranges.push((range.clone(), rtype));
                    groups.push(((&set.name, set.rtype), vec![set]));
                }
            }
            previous = Some((range, rtype));
        }
        Self {
            keys,
            ranges,
            groups,
        }
    }

    /// Every group, in canonical order (the groups of one name adjacent).
    pub fn groups(&self) -> &[Group<'z>] {
        &self.groups
    }

    /// The group of `name` (lowercase) and `rtype`, if the zone has one.
    pub fn get(&self, name: &Name, rtype: RecordType) -> Option<&Group<'z>> {
        let mut key = Vec::with_capacity(64);
        push_key(&mut key, name);
        let wanted = (key.as_slice(), u16::from(rtype));
        let i = self
            .ranges
            .binary_search_by(|(r, t)| (&self.keys[r.clone()], *t).cmp(&wanted))
            .ok()?;
        self.groups.get(i)
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
