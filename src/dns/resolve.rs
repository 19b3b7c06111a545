//! The RFC 1034 §4.3.2 lookup over one compiled zone: delegations (with
//! occluded data never served), DNAME substitution, CNAME chains followed
//! inside the zone, wildcards per RFC 4592, NXDOMAIN vs NODATA, and ANY per
//! RFC 8482. Routed groups ask [`crate::policy::select`] which sets answer.
//!
//! Pure: no I/O; records are borrowed from the snapshot unless a name must
//! be rewritten (wildcard, alias, DNAME).

use std::borrow::Cow;

use hickory_proto::op::ResponseCode;
use hickory_proto::rr::rdata::CNAME;
use hickory_proto::rr::{Name, RData, Record, RecordType};
use hickory_proto::serialize::binary::BinEncodable;

use crate::policy::{self, Client};
use crate::table::Snapshot;
use crate::table::wire_name::{WireName, wildcard_buffer};
use crate::table::zone_table::{
    Answer, CompiledZone, Node, Rrset, RrsetContent, ServedZone, SetTarget, extend_section,
};

/// How many CNAME/DNAME hops one query follows (loops end here too).
pub(crate) const MAX_CHAIN: usize = 12;
/// How deep aliases may nest (validated acyclic; this bounds the work).
pub(crate) const MAX_ALIAS_DEPTH: usize = 8;

/// What the response carries, before EDNS and size handling.
#[derive(Debug)]
pub struct Resolution<'a> {
    pub rcode: ResponseCode,
    pub authoritative: bool,
    pub answers: Vec<Cow<'a, Record>>,
    /// NS records of a referral.
    pub authority: Vec<Cow<'a, Record>>,
    /// The SOA of a negative answer.
    pub soa: Option<&'a Record>,
    pub additionals: Vec<Cow<'a, Record>>,
    /// Upper bound of the encoded size of all records above.
    pub size_bound: usize,
    /// The ECS scope prefix the answer depends on (0: not on location).
    pub ecs_scope: u8,
    pub referral: bool,
    /// The wildcard (`*.…`) that answered, if one did: rate limiting keys
    /// such answers by it, so random names under it share one bucket.
    pub wildcard: Option<&'a Name>,
}

impl Resolution<'_> {
    fn new() -> Self {
        Resolution {
            rcode: ResponseCode::NoError,
            authoritative: true,
            answers: Vec::new(),
            authority: Vec::new(),
            soa: None,
            additionals: Vec::new(),
            size_bound: 0,
            ecs_scope: 0,
            referral: false,
            wildcard: None,
        }
    }
}

/// What every step of one query reads: one snapshot, one zone, one client.
struct Query<'a, 'c> {
    snapshot: &'a Snapshot,
    zone: &'a ServedZone,
    client: &'c Client<'c>,
}

/// The outcome of walking one name down a zone.
pub(crate) enum Lookup<'z> {
    Found(&'z Node),
    Wildcard(&'z Node),
    /// A delegation at the ancestor `skip` labels above the name.
    Referral(&'z Node, usize),
    /// A DNAME at an ancestor with `skip` labels of the name below it.
    Dname(&'z Node, usize),
    NxDomain,
}

/// Answers `qname`/`qtype` from `zone`, which holds `qname`.
pub fn resolve<'a>(
    snapshot: &'a Snapshot,
    zone: &'a ServedZone,
    qname: &Name,
    qtype: RecordType,
    client: &Client<'_>,
    all_any: bool,
) -> Resolution<'a> {
    let q = Query {
        snapshot,
        zone,
        client,
    };
    let mut res = Resolution::new();
    let mut name = Cow::Borrowed(qname);
    let mut wire = WireName::new(qname);
    for _ in 0..MAX_CHAIN {
        let next = match lookup(zone, &wire, qtype) {
            Lookup::NxDomain => {
                res.rcode = ResponseCode::NXDomain;
                res.soa = Some(&zone.negative_soa);
                return res;
            }
            Lookup::Referral(node, _) => {
                add_referral(&mut res, node);
                return res;
            }
            Lookup::Dname(node, skip) => follow_dname(&mut res, node, &name, skip, qtype),
            Lookup::Found(node) => answer_at(&mut res, &q, node, &name, qtype, all_any),
            Lookup::Wildcard(node) => {
                res.wildcard = res.wildcard.or(node.wildcard());
                answer_at(&mut res, &q, node, &name, qtype, all_any)
            }
        };
        let Some(next) = next else {
            return res;
        };
        // Follow the chain only inside this zone, and stop at a loop: a
        // name that already owns a CNAME of this answer would repeat it.
        if !zone.origin.zone_of(&next) || already_answered(&res, &next) {
            return res;
        }
        wire = WireName::new(&next);
        name = Cow::Owned(next);
    }
    res
}

/// A delegation: its NS records and glue; authoritative only for the
/// CNAMEs already answered above the cut.
fn add_referral<'a>(res: &mut Resolution<'a>, node: &'a Node) {
    if let Some(ns) = node.referral() {
        res.authoritative = !res.answers.is_empty();
        res.referral = true;
        extend_section(&mut res.authority, ns.records());
        extend_section(&mut res.additionals, ns.additionals());
        res.size_bound += ns.wire_size;
    }
}

/// A DNAME at an ancestor `skip` labels above `name`: the DNAME and the
/// CNAME it synthesizes join the answer; returns the name to continue
/// with (None: the answer is complete).
fn follow_dname<'a>(
    res: &mut Resolution<'a>,
    node: &'a Node,
    name: &Name,
    skip: usize,
    qtype: RecordType,
) -> Option<Name> {
    let dname = node
        .rrset(RecordType::DNAME)
        .and_then(|r| static_answer(r))?;
    let record = dname.kept_records().first()?;
    // A target below the same DNAME meets it again: the DNAME is answered
    // once, the CNAMEs it synthesizes chain on.
    if !res.answers.iter().any(|r| std::ptr::eq(r.as_ref(), record)) {
        push(res, Cow::Borrowed(record));
    }
    let target = node.dname_target()?;
    let Ok(new_name) =
        Name::from_labels(name.iter().take(skip)).and_then(|prefix| prefix.append_domain(target))
    else {
        res.rcode = ResponseCode::YXDomain;
        return None;
    };
    let cname = Record::from_rdata(
        name.clone(),
        record.ttl,
        RData::CNAME(CNAME(new_name.clone())),
    );
    push(res, Cow::Owned(cname));
    // The synthesized CNAME is itself the answer to a CNAME query
    // (RFC 6672 §3.2 with RFC 1034 §4.3.2 step 3a).
    (qtype != RecordType::CNAME).then_some(new_name)
}

/// Answers from the node that holds `name` (itself or a wildcard);
/// returns the CNAME target to follow (None: the answer is complete).
fn answer_at<'a>(
    res: &mut Resolution<'a>,
    q: &Query<'a, '_>,
    node: &'a Node,
    name: &Name,
    qtype: RecordType,
    all_any: bool,
) -> Option<Name> {
    let zone = q.zone;
    // The node holds `name` (found by its lowercase key, and names compare
    // without case) unless it is a wildcard.
    let rename = node.is_wildcard();
    if qtype == RecordType::ANY {
        any(res, q, node, name, rename, all_any);
        return None;
    }
    if qtype == RecordType::SOA && zone.is_apex(node) {
        push(res, Cow::Borrowed(&zone.soa));
        return None;
    }
    if let Some(rrset) = node.rrset(qtype) {
        if !add_rrset(res, q, rrset, name, rename, 0) {
            res.soa = Some(nodata_soa(zone, rrset));
        }
        return None;
    }
    let cname = (qtype != RecordType::CNAME)
        .then(|| node.rrset(RecordType::CNAME))
        .flatten();
    let Some(cname) = cname else {
        res.soa = Some(&zone.negative_soa);
        return None;
    };
    let before = res.answers.len();
    if !add_rrset(res, q, cname, name, rename, 0) {
        res.soa = Some(nodata_soa(zone, cname));
        return None;
    }
    res.answers[before..].iter().find_map(|r| match &r.data {
        RData::CNAME(c) => Some(c.0.clone()),
        _ => None,
    })
}

/// The SOA of a NODATA from `rrset`: a routed group's own (its TTL capped
/// at the group's TTL), else the zone's.
pub(crate) fn nodata_soa<'a>(zone: &'a CompiledZone, rrset: &'a Rrset) -> &'a Record {
    match &rrset.content {
        RrsetContent::Routed(group) => &group.nodata_soa,
        RrsetContent::Static(_) => &zone.negative_soa,
    }
}

/// Whether `name` already owns a CNAME in the answer (names compare
/// without case).
fn already_answered(res: &Resolution<'_>, name: &Name) -> bool {
    res.answers
        .iter()
        .any(|r| r.record_type() == RecordType::CNAME && r.name == *name)
}

/// Walks `wire` down from the apex: a DNAME at the apex or at any ancestor
/// of the name redirects it (RFC 6672 §2.3: only the owner keeps its data).
pub(crate) fn lookup<'z>(zone: &'z CompiledZone, wire: &WireName, qtype: RecordType) -> Lookup<'z> {
    let below = wire.labels().saturating_sub(zone.origin_labels);
    if below > 0
        && zone.apex_dname
        && let Some(apex) = zone.node(wire.suffix(below))
    {
        return Lookup::Dname(apex, below);
    }
    for depth in 1..=below {
        let skip = below - depth;
        let Some(node) = zone.node(wire.suffix(skip)) else {
            // Empty non-terminals have nodes, so nothing exists below here.
            let mut buf = wildcard_buffer();
            let len = wire.wildcard_key(skip + 1, &mut buf);
            return match zone.node(&buf[..len]) {
                Some(star) => Lookup::Wildcard(star),
                None => Lookup::NxDomain,
            };
        };
        let at_qname = skip == 0;
        if node.referral().is_some() && !(at_qname && qtype == RecordType::DS) {
            return Lookup::Referral(node, skip);
        }
        if !at_qname && node.rrset(RecordType::DNAME).is_some() {
            return Lookup::Dname(node, skip);
        }
        if at_qname {
            return Lookup::Found(node);
        }
    }
    match zone.node(wire.suffix(below)) {
        Some(apex) => Lookup::Found(apex),
        None => Lookup::NxDomain,
    }
}

fn static_answer(rrset: &Rrset) -> Option<&Answer> {
    match &rrset.content {
        RrsetContent::Static(a) => Some(a),
        RrsetContent::Routed(_) => None,
    }
}

fn push<'a>(res: &mut Resolution<'a>, record: Cow<'a, Record>) {
    res.size_bound += record.to_bytes().map_or(512, |b| b.len());
    res.answers.push(record);
}

/// Adds one RRset's current answer; false when it answers nothing (NODATA).
fn add_rrset<'a>(
    res: &mut Resolution<'a>,
    q: &Query<'a, '_>,
    rrset: &'a Rrset,
    asked: &Name,
    rename: bool,
    depth: usize,
) -> bool {
    let (snapshot, zone, client) = (q.snapshot, q.zone, q.client);
    let owner = rename.then_some(asked);
    match &rrset.content {
        RrsetContent::Static(answer) => {
            add_answer(res, answer, owner);
            additional::routed(res, q, answer, depth);
            !answer.is_empty()
        }
        RrsetContent::Routed(group) => {
            let Some(state) = snapshot.routing.groups.get(zone.group_index(group.group)) else {
                return false;
            };
            let selection = policy::select(&group.rules, state, client);
            res.ecs_scope = res.ecs_scope.max(selection.scope);
            let mut any = false;
            for &i in selection.sets() {
                let Some(set) = group.sets.get(i) else {
                    continue;
                };
                match &set.target {
                    SetTarget::Values(answer) => {
                        add_answer(res, answer, owner);
                        additional::routed(res, q, answer, depth);
                        any = true;
                    }
                    SetTarget::Alias { key, .. } => {
                        if depth >= MAX_ALIAS_DEPTH {
                            continue;
                        }
                        let Some(target) = zone.node(key).and_then(|n| n.rrset(rrset.rtype)) else {
                            continue;
                        };
                        let mut inner = Resolution::new();
                        any |= add_rrset(&mut inner, q, target, asked, false, depth + 1);
                        res.ecs_scope = res.ecs_scope.max(inner.ecs_scope);
                        for record in inner.answers {
                            let mut record = record.into_owned();
                            record.name = asked.clone();
                            push(res, Cow::Owned(record));
                        }
                        for record in inner.additionals {
                            res.size_bound += 64;
                            res.additionals.push(record);
                        }
                    }
                }
            }
            any
        }
    }
}

fn add_answer<'a>(res: &mut Resolution<'a>, answer: &'a Answer, owner: Option<&Name>) {
    match owner {
        None => {
            extend_section(&mut res.answers, answer.records());
            res.size_bound += answer.wire_size;
        }
        Some(owner) => {
            for record in answer.records().iter() {
                let mut record = record.clone();
                record.name = owner.clone();
                push(res, Cow::Owned(record));
            }
        }
    }
    extend_section(&mut res.additionals, answer.additionals());
}

/// RFC 8482: over UDP one RRset (the first by type); over TCP all of them.
fn any<'a>(
    res: &mut Resolution<'a>,
    q: &Query<'a, '_>,
    node: &'a Node,
    asked: &Name,
    rename: bool,
    all: bool,
) {
    let zone = q.zone;
    let mut answered = false;
    for rrset in &node.rrsets {
        answered |= add_rrset(res, q, rrset, asked, rename, 0);
        if answered && !all {
            break;
        }
    }
    if zone.is_apex(node) && (all || !answered) {
        res.answers.push(Cow::Borrowed(&zone.soa));
        answered = true;
    }
    if !answered {
        res.soa = Some(&zone.negative_soa);
    }
}

mod additional;
#[cfg(test)]
mod tests;
