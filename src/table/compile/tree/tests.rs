//! Tests of the node tree: keys, and the tree built without lookups.

use super::*;
use crate::table::wire_name::WireName;
use crate::zone::grouping::sort_canonically;
use crate::zone::model::{Position, SetData};

fn sets(names: &[Name]) -> Vec<RecordSet> {
    names
        .iter()
        .map(|name| RecordSet {
            name: name.clone(),
            rtype: RecordType::A,
            ttl: 300,
            data: SetData::Values(Default::default()),
            position: Position::new(1, 1, 0),
            policy: None,
        })
        .collect()
}

/// Every node's key and wildcard name, by node number, and whether
/// the index finds each node under its key.
fn built(sets: &[RecordSet], origin: &Name, in_order: bool) -> Vec<(Vec<u8>, Option<Name>)> {
    let mut tree = NodeTree::rooted_at(origin, sets.len());
    tree.in_order = in_order;
    for part in sets.chunks(7) {
        tree.add_names(part);
    }
    let (nodes, index) = tree.finish();
    assert_eq!(index.len(), nodes.len(), "one node per key");
    nodes
        .iter()
        .enumerate()
        .map(|(n, node)| {
            let key = index.key(n).to_vec();
            assert_eq!(index.get(&key), Some(n));
            (key, node.wildcard().cloned())
        })
        .collect()
}

/// Names in canonical order build the tree the lookups build, without
/// looking up; names out of order, or with a zero byte in a label, fall
/// back to the lookups and still give one node per name.
#[test]
fn names_in_order_build_the_tree_lookups_build() {
    let origin = Name::from_ascii("ex.").unwrap();
    let mut names: Vec<Name> = [
        "ex.",
        "x.*.ex.",
        "a.b.c.ex.",
        "b.c.ex.",
        "z.c.ex.",
        "*.d.c.ex.",
        "y.*.d.c.ex.",
        "c-.ex.",
        "c.ex.",
        "q.r.s.t.ex.",
        "t.ex.",
        "host1.ex.",
        "host10.ex.",
    ]
    .iter()
    .map(|n| Name::from_ascii(n).unwrap())
    .collect();
    for i in 0..200 {
        names.push(Name::from_ascii(format!("h{i}.g{}.ex.", i % 13)).unwrap());
    }
    let mut sorted = sets(&names);
    sort_canonically(&mut sorted);
    let fast = built(&sorted, &origin, true);
    assert_eq!(fast, built(&sorted, &origin, false));
    let ent = WireName::new(&Name::from_ascii("r.s.t.ex.").unwrap());
    assert!(fast.iter().any(|(key, _)| *key == ent.key()));
    // The walk up has never made a node of a wildcard right below the
    // origin that owns nothing.
    let no_node = WireName::new(&Name::from_ascii("*.ex.").unwrap());
    assert!(!fast.iter().any(|(key, _)| *key == no_node.key()));

    // Out of order, and a zero byte whose sort key collides with
    // `b.a.ex.` (`a\0b`): the same names, once each.
    let key_set = |built: Vec<(Vec<u8>, Option<Name>)>| {
        let mut keys: Vec<_> = built.into_iter().collect();
        keys.sort();
        keys
    };
    let mut reversed = sorted.clone();
    reversed.reverse();
    assert_eq!(
        key_set(built(&reversed, &origin, true)),
        key_set(fast.clone())
    );
    let zero = Name::from_labels([&b"a\0c"[..], b"ex"]).unwrap();
    let mut with_zero: Vec<Name> = ["b.a.ex.", "d.a.ex."]
        .iter()
        .map(|n| Name::from_ascii(n).unwrap())
        .collect();
    with_zero.push(zero);
    let mut with_zero = sets(&with_zero);
    sort_canonically(&mut with_zero);
    let keys = key_set(built(&with_zero, &origin, true));
    assert_eq!(keys, key_set(built(&with_zero, &origin, false)));
    assert_eq!(keys.len(), 5, "apex, a, b.a, d.a and a\\0c: {keys:?}");
}

#[test]
fn keys_are_the_lowercase_wire_names() {
    let mut key = Vec::new();
    for name in ["WwW.Example.com.", "*.a.example.", "."] {
        let name = Name::from_ascii(name).unwrap();
        write_key(&name, &mut key);
        assert_eq!(key, WireName::new(&name).key());
    }
}
