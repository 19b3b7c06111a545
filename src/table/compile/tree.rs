//! The nodes of a compiled zone and the index from wire key to node, built
//! together so every name has exactly one node. Each owner name's key is
//! written once into a reused buffer; its ancestors' keys are suffixes of
//! it, so the walk up to the first existing ancestor allocates nothing.

use hickory_proto::rr::{Name, RecordType};

use crate::table::name_index::NameIndex;
use crate::table::zone_table::{Answer, Node, NodeExtras, Rrset, RrsetContent};
use crate::zone::grouping::sorted_names;
use crate::zone::model::RecordSet;
use crate::zone::rdata::dname_target;

pub(super) struct NodeTree {
    nodes: Vec<Node>,
    index: NameIndex,
    /// The origin's labels, as hickory's `Name::num_labels` counts them.
    origin_labels: usize,
    /// The node of each owner name of the record sets last added.
    of_name: Vec<u32>,
    /// The key being looked up (reused: no allocation per name).
    key: Vec<u8>,
}

impl NodeTree {
    /// A tree holding only `origin`, as node 0, with room for `names`.
    pub(super) fn rooted_at(origin: &Name, names: usize) -> Self {
        let mut tree = NodeTree {
            nodes: Vec::with_capacity(names + 1),
            index: NameIndex::with_capacity(names + 1),
            origin_labels: usize::from(origin.num_labels()),
            of_name: Vec::new(),
            key: Vec::with_capacity(256),
        };
        write_key(origin, &mut tree.key);
        let key = std::mem::take(&mut tree.key);
        tree.node(&key, || None);
        tree.key = key;
        tree
    }

    /// Adds the owner names of `sets` (whole names, canonical order) and
    /// the empty non-terminals between them and the origin.
    pub(super) fn add_names(&mut self, sets: &[RecordSet]) {
        self.of_name.clear();
        for at_name in sorted_names(sets) {
            let n = at_name
                .first()
                .map_or(0, |first| self.node_with_ancestors(&first.name));
            self.of_name.push(u32::try_from(n).unwrap_or(0));
        }
    }

    /// Gives the names last added their RRsets (one entry per name).
    pub(super) fn place(&mut self, rrsets: Vec<Box<[Rrset]>>) {
        for (&n, built) in self.of_name.iter().zip(rrsets) {
            let Some(node) = self.nodes.get_mut(n as usize) else {
                continue;
            };
            node.rrsets = if node.rrsets.is_empty() {
                built
            } else {
                node.rrsets
                    .iter_mut()
                    .map(take_rrset)
                    .chain(built)
                    .collect()
            };
        }
    }

    /// The node of `name`, created with every empty non-terminal between it
    /// and the origin (so those answer NODATA, not NXDOMAIN). Every node's
    /// ancestors exist, so the walk up stops at the first one that does.
    /// An ancestor counts its labels as hickory's `Name::num_labels` does
    /// (a leading `*` not counted), as the walk always has.
    fn node_with_ancestors(&mut self, name: &Name) -> usize {
        write_key(name, &mut self.key);
        let key = std::mem::take(&mut self.key);
        let (n, _) = self.node(&key, || name.is_wildcard().then(|| name.clone()));
        let mut at = 0;
        for labels in (0..name.iter().len()).rev() {
            at += usize::from(key.get(at).copied().unwrap_or(0)) + 1;
            let suffix = key.get(at..).unwrap_or_default();
            let wildcard = suffix.starts_with(b"\x01*");
            if labels.saturating_sub(usize::from(wildcard)) <= self.origin_labels {
                break;
            }
            let ancestor = || wildcard.then(|| name.trim_to(labels));
            if !self.node(suffix, ancestor).1 {
                break;
            }
        }
        self.key = key;
        n
    }

    /// The node of `key`, created empty if it is new (then `true`), with
    /// the name `wildcard` gives if it is a wildcard.
    fn node(&mut self, key: &[u8], wildcard: impl FnOnce() -> Option<Name>) -> (usize, bool) {
        // Past 4 GiB of names (u32 offsets) every further name would share
        // the apex; a zone file cannot get there in memory anyway.
        let (n, new) = self.index.insert(key).unwrap_or((0, false));
        if new {
            self.nodes.push(Node {
                rrsets: Box::default(),
                extras: wildcard().map(|name| {
                    Box::new(NodeExtras {
                        wildcard: Some(name),
                        ..NodeExtras::default()
                    })
                }),
            });
        }
        (n, new)
    }

    /// The nodes, finished (node 0 is the apex), and the index.
    pub(super) fn finish(mut self) -> (Vec<Node>, NameIndex) {
        for (n, node) in self.nodes.iter_mut().enumerate() {
            finish_node(node, n == 0);
        }
        self.index.shrink_to_fit();
        (self.nodes, self.index)
    }
}

/// Writes `name`'s lowercase wire form (the index key) into `key`.
fn write_key(name: &Name, key: &mut Vec<u8>) {
    key.clear();
    for label in name.iter() {
        key.push(label.len() as u8);
        key.extend(label.iter().map(u8::to_ascii_lowercase));
    }
    key.push(0);
}

/// An RRset moved out of a node being built (a name whose groups were not
/// adjacent; grouping sorts them, so never in practice).
fn take_rrset(rrset: &mut Rrset) -> Rrset {
    std::mem::replace(
        rrset,
        Rrset {
            rtype: rrset.rtype,
            ttl: 0,
            content: RrsetContent::Static(Answer::default()),
        },
    )
}

/// Once all its RRsets are in: orders them by type, stores a static
/// DNAME's target, and makes a static NS below the apex a referral.
fn finish_node(node: &mut Node, apex: bool) {
    node.rrsets.sort_by_key(|r| u16::from(r.rtype));
    if let Some(target) = static_dname_target(node) {
        node.extras_mut().dname_target = Some(target);
    }
    if !apex
        && let Some(Rrset {
            content: RrsetContent::Static(ns),
            ..
        }) = node.rrsets.iter().find(|r| r.rtype == RecordType::NS)
    {
        let referral = Some(ns.clone());
        node.extras_mut().referral = referral;
    }
}

/// The target of a node's static DNAME, so a query substitutes without
/// decoding RDATA.
fn static_dname_target(node: &Node) -> Option<Name> {
    let rrset = node.rrset(RecordType::DNAME)?;
    match &rrset.content {
        RrsetContent::Static(answer) => dname_target(&answer.kept_records().first()?.data),
        RrsetContent::Routed(_) => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::table::wire_name::WireName;

    #[test]
    fn keys_are_the_lowercase_wire_names() {
        let mut key = Vec::new();
        for name in ["WwW.Example.com.", "*.a.example.", "."] {
            let name = Name::from_ascii(name).unwrap();
            write_key(&name, &mut key);
            assert_eq!(key, WireName::new(&name).key());
        }
    }
}
