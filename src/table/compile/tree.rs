//! The nodes of a compiled zone and the index from wire key to node, built
//! together so every name has exactly one node. Each owner name's key is
//! written once into a reused buffer; its ancestors' keys are suffixes of
//! it, so the walk up to the first existing ancestor allocates nothing.
//!
//! Names come in canonical order, where every name's subtree is one run:
//! the ancestors a name shares with the name before it are the ones that
//! exist, and the rest are new. So the tree needs no lookup while it is
//! built, and the index is built at the end, at once. Each name is checked
//! against the one before it, label by label from the root; one out of
//! order (the sort's keys can collide for a label holding a zero byte)
//! turns the tree to looking up every ancestor from there on.

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
    /// Whether every name so far came in canonical order (then nothing is
    /// looked up: see the module's text).
    in_order: bool,
    /// The key of the last name added, where its labels start, and the
    /// node at each of its depths (`NOT_A_NODE` where the walk up stops).
    last: Vec<u8>,
    last_labels: Vec<usize>,
    last_path: Vec<u32>,
    /// Where the labels of `key` start (reused).
    labels: Vec<usize>,
}

/// A depth of the last name with no node (above the origin, or a wildcard
/// label right below it, which the walk up has never created).
const NOT_A_NODE: u32 = u32::MAX;

impl NodeTree {
    /// A tree holding only `origin`, as node 0, with room for `names`.
    pub(super) fn rooted_at(origin: &Name, names: usize) -> Self {
        let mut tree = NodeTree {
            nodes: Vec::with_capacity(names + 1),
            index: NameIndex::with_capacity(names + 1),
            origin_labels: usize::from(origin.num_labels()),
            of_name: Vec::new(),
            key: Vec::with_capacity(256),
            in_order: true,
            last: Vec::with_capacity(256),
            last_labels: Vec::new(),
            last_path: Vec::new(),
            labels: Vec::new(),
        };
        write_key(origin, &mut tree.key);
        let key = std::mem::take(&mut tree.key);
        tree.node(&key, || None);
        label_starts(&key, &mut tree.last_labels);
        tree.last_path = vec![NOT_A_NODE; tree.last_labels.len() + 1];
        if let Some(apex) = tree.last_path.get_mut(tree.last_labels.len()) {
            *apex = 0;
        }
        tree.last.clone_from(&key);
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
        if self.in_order {
            if let Some(n) = self.node_in_order(name, &key) {
                self.key = key;
                return n;
            }
            self.in_order = false;
        }
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

    /// [`NodeTree::node_with_ancestors`] for a name in canonical order after
    /// the last one, with no lookup: the ancestors it shares with the last
    /// name exist, the others are new. None (nothing changed) for a name
    /// out of that order.
    fn node_in_order(&mut self, name: &Name, key: &[u8]) -> Option<usize> {
        label_starts(key, &mut self.labels);
        let labels = &self.labels;
        let depth = labels.len();
        let last_depth = self.last_labels.len();
        let shared = (1..=depth.min(last_depth))
            .take_while(|&d| label_at(key, labels, d) == label_at(&self.last, &self.last_labels, d))
            .count();
        // In order: the same name, a name below the last one, or a name
        // whose first different label sorts after the last name's.
        let in_order = match (shared == depth, shared == last_depth) {
            (true, same) => same,
            (false, true) => true,
            (false, false) => {
                label_at(key, labels, shared + 1)
                    > label_at(&self.last, &self.last_labels, shared + 1)
            }
        };
        if !in_order {
            return None;
        }
        let mut path = std::mem::take(&mut self.last_path);
        path.resize(depth + 1, NOT_A_NODE);
        for at in path.iter_mut().skip(shared + 1) {
            *at = NOT_A_NODE;
        }
        let n = if shared == depth {
            *path.get(depth)?
        } else {
            let n = self.append(key, || name.is_wildcard().then(|| name.clone()));
            if let Some(at) = path.get_mut(depth) {
                *at = n;
            }
            for d in (shared + 1..depth).rev() {
                let start = *self.labels.get(depth - d)?;
                let suffix = key.get(start..)?;
                let wildcard = suffix.starts_with(b"\x01*");
                if d.saturating_sub(usize::from(wildcard)) <= self.origin_labels {
                    break;
                }
                let ancestor = || wildcard.then(|| name.trim_to(d));
                let m = self.append(suffix, ancestor);
                if let Some(at) = path.get_mut(d) {
                    *at = m;
                }
            }
            n
        };
        self.last_path = path;
        if n == NOT_A_NODE {
            // The same name as the last has that name's node: never here.
            return None;
        }
        self.last.clear();
        self.last.extend_from_slice(key);
        std::mem::swap(&mut self.last_labels, &mut self.labels);
        Some(n as usize)
    }

    /// A new node for `key`, known to be new (see [`NodeTree::node`]).
    fn append(&mut self, key: &[u8], wildcard: impl FnOnce() -> Option<Name>) -> u32 {
        let Some(n) = self.index.append(key) else {
            return 0;
        };
        self.nodes.push(new_node(wildcard));
        u32::try_from(n).unwrap_or(0)
    }

    /// The node of `key`, created empty if it is new (then `true`), with
    /// the name `wildcard` gives if it is a wildcard.
    fn node(&mut self, key: &[u8], wildcard: impl FnOnce() -> Option<Name>) -> (usize, bool) {
        // Past 4 GiB of names (u32 offsets) every further name would share
        // the apex; a zone file cannot get there in memory anyway.
        let (n, new) = self.index.insert(key).unwrap_or((0, false));
        if new {
            self.nodes.push(new_node(wildcard));
        }
        (n, new)
    }

    /// The nodes, finished (node 0 is the apex), and the index.
    pub(super) fn finish(mut self) -> (Vec<Node>, NameIndex) {
        for (n, node) in self.nodes.iter_mut().enumerate() {
            finish_node(node, n == 0);
        }
        self.index.index_appended();
        self.index.shrink_to_fit();
        (self.nodes, self.index)
    }
}

/// An empty node, with the name `wildcard` gives if it is a wildcard.
fn new_node(wildcard: impl FnOnce() -> Option<Name>) -> Node {
    Node {
        rrsets: Box::default(),
        extras: wildcard().map(|name| {
            Box::new(NodeExtras {
                wildcard: Some(name),
                ..NodeExtras::default()
            })
        }),
    }
}

/// The label of `key` at depth `d` (1: the one below the root), given
/// where its labels start.
fn label_at<'k>(key: &'k [u8], starts: &[usize], d: usize) -> Option<&'k [u8]> {
    let start = *starts.get(starts.len().checked_sub(d)?)?;
    let len = usize::from(*key.get(start)?);
    key.get(start + 1..start + 1 + len)
}

/// Where each label of a wire key starts, from the first label (the root's
/// empty label not counted).
fn label_starts(key: &[u8], starts: &mut Vec<usize>) {
    starts.clear();
    let mut at = 0;
    while let Some(&len) = key.get(at)
        && len > 0
    {
        starts.push(at);
        at += usize::from(len) + 1;
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
mod tests;
