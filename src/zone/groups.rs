//! The rules that tie the record sets of a zone together: per name and
//! type one simple set or sets of one policy with unique set ids, no CNAME
//! beside other data or at the apex, aliases whose targets exist and do
//! not loop. What each policy needs of its group (one primary, one `"*"`
//! set, ...) is the policy's own [`policy::validate`]; this module only
//! attaches the positions.
//!
//! Invariant: every problem is reported at the position of the set that
//! causes it; nothing stops at the first. A set that failed conversion
//! (a bad TTL, say) is [`Broken`]: the rules that need the whole group
//! (one primary, an alias target) are not checked for its name and type,
//! so its one error is not followed by false ones.

use std::collections::{BTreeMap, HashSet};
use std::path::Path;

use hickory_proto::rr::{Name, RecordType};

use crate::diag::Diagnostic;
use crate::policy::{self, PolicyKind, SetRule};
use crate::zone::grouping::Grouped;
use crate::zone::model::{Position, RecordSet, SetData};

/// The record sets that failed conversion and so are missing from the groups.
#[derive(Debug, Default)]
pub struct Broken {
    /// Name and type of each failed set whose name and type were valid.
    pub sets: HashSet<(Name, RecordType)>,
    /// A failed set whose name or type itself was invalid: any group may
    /// be missing it.
    pub unknown: bool,
}

impl Broken {
    /// Whether the group of `name` and `rtype` may be missing a set.
    fn affects(&self, name: &Name, rtype: RecordType) -> bool {
        self.unknown || self.sets.contains(&(name.clone(), rtype))
    }
}

/// Checks the rules that span several record sets of a zone.
pub fn check_groups(
    sets: &[RecordSet],
    broken: &Broken,
    origin: &Name,
    files: &[&Path],
    diags: &mut Vec<Diagnostic>,
) {
    let mut report = |pos: Position, message: String| {
        let file = files.get(pos.source()).or(files.first());
        diags.push(Diagnostic {
            file: file.map(|f| f.to_path_buf()).unwrap_or_default(),
            line: pos.line_col().0,
            col: pos.line_col().1,
            message,
        })
    };
    // One pass over the names (the sets of one name are adjacent): each
    // group's rules, the name's, then its aliases' targets. A set belongs
    // to one name, so the problems of one set come in the order of these
    // checks, as `body::sort` keeps them.
    let grouped = Grouped::new(sets);
    let mut aliases = AliasEdges::new();
    for at_name in grouped.names() {
        let Some(first) = at_name.first() else {
            continue;
        };
        for group in at_name.chunk_by(|a, b| a.rtype == b.rtype) {
            check_group(&first.name, group[0].rtype, group, broken, &mut report);
        }
        check_cname(&first.name, origin, at_name, &mut report);
        check_ds(&first.name, origin, at_name, &mut report);
        alias_edges(&grouped, at_name, broken, &mut aliases, &mut report);
    }
    alias_loops(&aliases, &mut report);
}

/// A CNAME stands alone, and never at the apex.
fn check_cname(
    name: &Name,
    origin: &Name,
    at_name: &[RecordSet],
    report: &mut dyn FnMut(Position, String),
) {
    let Some(cname) = at_name.iter().find(|s| s.rtype == RecordType::CNAME) else {
        return;
    };
    if name == origin {
        report(
            cname.position,
            "a CNAME cannot be at the zone apex (it would sit beside the SOA and NS); use an alias"
                .into(),
        );
    } else if let Some(other) = at_name.iter().find(|s| s.rtype != RecordType::CNAME) {
        let (at, other_at) = (cname.position, other.position);
        report(
            other_at,
            format!(
                "{name} has a CNAME (line {}:{}), so it cannot have other data ({} here)",
                at.line, at.col, other.rtype
            ),
        );
        report(
            at,
            format!(
                "this CNAME cannot have other data beside it ({name} {} at line {}:{}); a CNAME stands alone",
                other.rtype, other_at.line, other_at.col
            ),
        );
    }
}

/// DS records sit at a delegation: a name below the apex with NS records
/// (RFC 4035 §2.4; the child zone's own DS lives in its parent).
fn check_ds(
    name: &Name,
    origin: &Name,
    at_name: &[RecordSet],
    report: &mut dyn FnMut(Position, String),
) {
    let Some(ds) = at_name.iter().find(|s| s.rtype == RecordType::DS) else {
        return;
    };
    let delegation = name != origin && at_name.iter().any(|s| s.rtype == RecordType::NS);
    if !delegation {
        report(
            ds.position,
            format!(
                "DS records belong at a delegation (a name below the apex with NS records); {name} is none"
            ),
        );
    }
}

/// The sets of one name and type: one simple set, or sets of one policy
/// with unique set ids that meet the policy's own rules.
fn check_group(
    name: &Name,
    rtype: RecordType,
    group: &[RecordSet],
    broken: &Broken,
    report: &mut dyn FnMut(Position, String),
) {
    let Some(first) = group.first() else {
        return;
    };
    let kind = first.routing().kind();
    if group.len() == 1 && kind == PolicyKind::Simple {
        if first.set_id().is_some() {
            report(first.position, "set is only used together with a routing policy (failover, geo, geoproximity, weight, multivalue or cidr)".into());
        }
        return;
    }
    if matches!(rtype, RecordType::NS | RecordType::DS) {
        for set in group.iter().skip(usize::from(kind == PolicyKind::Simple)) {
            report(
                set.position,
                format!(
                    "{rtype} record sets cannot use a routing policy or repeat ({name} {rtype})"
                ),
            );
        }
        return;
    }
    check_members(name, rtype, kind, group, report);
    if broken.affects(name, rtype) {
        return;
    }
    let rules: Vec<SetRule<'_>> = group
        .iter()
        .map(|s| SetRule {
            routing: s.routing(),
            alias: matches!(s.data, SetData::Alias { .. }),
        })
        .collect();
    for violation in policy::validate(kind, &format!("{name} {rtype}"), &rules) {
        if let Some(set) = group.get(violation.set) {
            report(set.position, violation.error.to_string());
        }
    }
}

/// Every set of a routed group has the group's policy and a unique set id.
fn check_members(
    name: &Name,
    rtype: RecordType,
    kind: PolicyKind,
    group: &[RecordSet],
    report: &mut dyn FnMut(Position, String),
) {
    let mut ids: HashSet<&str> = HashSet::new();
    let all_simple = group
        .iter()
        .all(|s| s.routing().kind() == PolicyKind::Simple);
    for (i, set) in group.iter().enumerate() {
        let set_kind = set.routing().kind();
        if set_kind == PolicyKind::Simple {
            if !(all_simple && i == 0) {
                report(
                    set.position,
                    format!(
                        "duplicate record set {name} {rtype}: merge the values into one set, or give every set of this name and type a set id and the same routing policy"
                    ),
                );
            }
            continue;
        }
        if set_kind != kind {
            report(
                set.position,
                format!(
                    "the sets of {name} {rtype} mix routing policies ({} and {}); use one policy per name and type (nest with an alias)",
                    kind.key(),
                    set_kind.key()
                ),
            );
        }
        match &set.set_id() {
            None => report(
                set.position,
                format!(
                    "missing set id: a {} record set needs set = \"...\"",
                    set_kind.key()
                ),
            ),
            Some(id) if !ids.insert(id) => report(
                set.position,
                format!("duplicate set id {id:?} for {name} {rtype}"),
            ),
            Some(_) => {}
        }
    }
}

/// Every alias whose target exists, as (owner, type) → (target, position).
type AliasEdges<'z> = BTreeMap<(&'z Name, RecordType), Vec<(&'z Name, Position)>>;

/// Alias targets must exist with the same type: the aliases of one name's
/// sets are checked, and those whose target exists kept as edges.
fn alias_edges<'z>(
    grouped: &Grouped<'z>,
    at_name: &'z [RecordSet],
    broken: &Broken,
    edges: &mut AliasEdges<'z>,
    report: &mut dyn FnMut(Position, String),
) {
    for set in at_name {
        let SetData::Alias { target, .. } = &set.data else {
            continue;
        };
        let (target, rtype): (&Name, _) = (target, set.rtype);
        let exists = grouped.get(target, rtype).is_some();
        if broken.affects(target, rtype) && !exists {
            continue;
        }
        if !exists {
            report(
                set.position,
                format!("alias target {target} has no {rtype} record set in this zone"),
            );
        } else {
            edges
                .entry((&set.name, rtype))
                .or_default()
                .push((target, set.position));
        }
    }
}

/// Aliases must not loop.
fn alias_loops(edges: &AliasEdges<'_>, report: &mut dyn FnMut(Position, String)) {
    // Depth-first search for a cycle from every aliasing name.
    let mut done: HashSet<(&Name, RecordType)> = HashSet::new();
    for start in edges.keys() {
        let mut stack = vec![(*start, 0usize)];
        let mut on_path: HashSet<(&Name, RecordType)> = HashSet::from([*start]);
        while let Some((node, next)) = stack.pop() {
            let targets = edges.get(&node).map_or(&[][..], Vec::as_slice);
            if let Some((target, pos)) = targets.get(next) {
                stack.push((node, next + 1));
                let key = (*target, node.1);
                if on_path.contains(&key) {
                    report(
                        *pos,
                        format!("alias loop: {} {} leads back to itself", key.0, key.1),
                    );
                } else if !done.contains(&key) {
                    on_path.insert(key);
                    stack.push((key, 0));
                }
            } else {
                on_path.remove(&node);
                done.insert(node);
            }
        }
    }
}
