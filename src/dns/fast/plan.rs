//! What the fast path writes for one query: the RFC 1034 walk is
//! `dns::resolve::lookup` (the same function the general path uses); this
//! follows its result the way `resolve` does (CNAME chains inside the
//! zone, wildcards, NODATA and NXDOMAIN with their SOA, routed groups
//! through `policy::select`) but collects references to precomputed wire
//! RRsets in a fixed array instead of records. Whatever it does not cover
//! (ANY queries, a
//! type without wire form) is `None`: the general path answers.

use hickory_proto::op::ResponseCode;
use hickory_proto::rr::RecordType;

use super::dname;
use super::pieces::{NegativeSoa, Piece, Plan, Signs};
use crate::dns::resolve::{Lookup, MAX_ALIAS_DEPTH, MAX_CHAIN, lookup, nodata_soa};
use crate::policy::{self, Client};
use crate::table::Snapshot;
use crate::table::wire::WireRrset;
use crate::table::wire_name::WireName;
use crate::table::zone_table::{Answer, Node, Rrset, RrsetContent, ServedZone, SetTarget};

/// What every step reads.
pub(super) struct Ctx<'a, 'c> {
    pub snapshot: &'a Snapshot,
    pub zone: &'a ServedZone,
    /// The question's name, lowercase.
    pub qname: &'a WireName,
    /// How many labels of `qname` are below the zone's origin.
    pub below: usize,
    pub client: &'c Client<'c>,
}

/// The answer to `qtype` at the question's name, or None for the general
/// path.
pub(super) fn plan<'a>(
    cx: &Ctx<'a, '_>,
    qtype: RecordType,
    arena: &mut &'a mut [u8],
    plan: &mut Plan<'a>,
) -> Option<()> {
    if qtype == RecordType::ANY {
        return None;
    }
    let zone = cx.zone;
    // The name a CNAME or DNAME led to (None: the question's own name,
    // not copied: most answers end at it).
    let mut followed: Option<WireName> = None;
    // The name as the chain spelled it (None: the question's own name).
    let mut spelled: Option<&'a [u8]> = None;
    for _ in 0..MAX_CHAIN {
        let name = followed.as_ref().unwrap_or(cx.qname);
        // The lowercase key of the ancestor `skip` labels up, from the
        // snapshot (or the question) so that it outlives this loop.
        let key = |skip: usize| match spelled {
            None => Some(cx.qname.suffix(skip)),
            Some(_) => zone.index.stored(name.suffix(skip)).map(|(_, k)| k),
        };
        let asked = spelled.unwrap_or(cx.qname.key());
        let node = match lookup(zone, name, qtype) {
            Lookup::NxDomain => {
                plan.rcode = ResponseCode::NXDomain;
                plan.soa = Some(negative(cx, zone.negative_soa.ttl)?);
                return Some(());
            }
            Lookup::Referral(node, skip) => return referral(plan, node, key(skip)?),
            Lookup::Dname(node, skip) => Err((node, skip)),
            Lookup::Found(node) => Ok(node),
            Lookup::Wildcard(node) => {
                plan.wildcard = plan.wildcard.or(node.wildcard());
                Ok(node)
            }
        };
        let target = match node {
            Ok(node) => {
                // The owner hickory writes: the asked name for a wildcard
                // (as the chain spelled it), else the record's own
                // (lowercase) owner.
                let owner = match spelled {
                    Some(spelling) if node.is_wildcard() => spelling,
                    _ => key(0)?,
                };
                answer_at(plan, cx, node, qtype, (owner, asked))?
            }
            Err((node, skip)) => {
                let names = (key(skip)?, asked);
                dname::follow(plan, node, names, skip, arena, qtype)?
            }
        };
        let Some(target) = target else {
            return Some(());
        };
        let next = WireName::from_wire(target)?;
        if !in_zone(cx, &next) || already_answered(plan, &next) {
            return Some(());
        }
        followed = Some(next);
        spelled = Some(target);
    }
    Some(())
}

/// A delegation: its NS RRset (owned by `owner`) and glue; authoritative
/// only for the CNAMEs already answered above the cut.
fn referral<'a>(plan: &mut Plan<'a>, node: &'a Node, owner: &'a [u8]) -> Option<()> {
    let Some(ns) = node.referral() else {
        return Some(());
    };
    plan.authoritative = plan.records > 0;
    plan.cut = Some(node);
    plan.referral = Some(Piece {
        owner,
        wire: WireRrset::new(ns.wire.as_deref()?),
        cname: false,
        ttl: None,
        signs: Signs::Answer(ns),
    });
    Some(())
}

/// Answers from `node` (the name's own or a wildcard) under `owner` (alias
/// targets under `asked`, the name as the query or the chain spelled it): the
/// CNAME target to follow (Some(None): the answer is complete; None: the
/// general path answers).
fn answer_at<'a>(
    plan: &mut Plan<'a>,
    cx: &Ctx<'a, '_>,
    node: &'a Node,
    qtype: RecordType,
    (owner, asked): (&'a [u8], &'a [u8]),
) -> Option<Option<&'a [u8]>> {
    let zone = cx.zone;
    if qtype == RecordType::SOA && zone.is_apex(node) {
        let soa = negative(cx, zone.soa.ttl)?;
        let (owner, wire, ttl) = (soa.owner, soa.wire, Some(soa.ttl));
        plan.push(Piece {
            owner,
            wire,
            cname: false,
            ttl,
            signs: Signs::ApexSoa,
        })?;
        return Some(None);
    }
    if let Some(rrset) = node.rrset(qtype) {
        if !add_rrset(plan, cx, rrset, (owner, asked), 0)? {
            plan.soa = Some(negative(cx, nodata_soa(zone, rrset).ttl)?);
        }
        return Some(None);
    }
    let cname = (qtype != RecordType::CNAME)
        .then(|| node.rrset(RecordType::CNAME))
        .flatten();
    let Some(cname) = cname else {
        plan.soa = Some(negative(cx, zone.negative_soa.ttl)?);
        return Some(None);
    };
    let before = plan.len();
    if !add_rrset(plan, cx, cname, (owner, asked), 0)? {
        plan.soa = Some(negative(cx, nodata_soa(zone, cname).ttl)?);
        return Some(None);
    }
    let target = plan
        .pieces()
        .skip(before)
        .find(|p| p.wire.count() > 0)
        .and_then(|p| first_name(p.wire));
    Some(target)
}

/// The zone's negative SOA with `ttl`, owned by the origin.
fn negative<'a>(cx: &Ctx<'a, '_>, ttl: u32) -> Option<NegativeSoa<'a>> {
    let wire = WireRrset::new(cx.zone.negative_soa_wire.as_deref()?);
    Some(NegativeSoa {
        owner: cx.qname.suffix(cx.below),
        wire,
        ttl,
    })
}

/// The first name inside the first record's data (a CNAME's target).
fn first_name(wire: WireRrset<'_>) -> Option<&[u8]> {
    let at = usize::from(wire.names().next()?);
    wire.records().get(at..)
}

/// Whether `name` is at or below the zone's origin.
fn in_zone(cx: &Ctx<'_, '_>, name: &WireName) -> bool {
    let origin = cx.qname.suffix(cx.below);
    let labels = cx.qname.labels() - cx.below;
    name.labels() >= labels && name.suffix(name.labels() - labels) == origin
}

/// Whether `name` already owns a CNAME of the answer.
fn already_answered(plan: &Plan<'_>, name: &WireName) -> bool {
    plan.pieces()
        .any(|p| p.cname && p.wire.count() > 0 && p.owner.eq_ignore_ascii_case(name.key()))
}

/// Adds one RRset's current answer; Some(false) when it answers nothing
/// (NODATA), None when the general path must answer.
fn add_rrset<'a>(
    plan: &mut Plan<'a>,
    cx: &Ctx<'a, '_>,
    rrset: &'a Rrset,
    (owner, asked): (&'a [u8], &'a [u8]),
    depth: usize,
) -> Option<bool> {
    let cname = rrset.rtype == RecordType::CNAME;
    match &rrset.content {
        RrsetContent::Static(answer) => {
            let signs = own(answer, depth);
            add_answer(plan, answer, owner, (cname, signs))?;
            Some(!answer.is_empty())
        }
        RrsetContent::Routed(group) => {
            let index = cx.zone.group_index(group.group);
            let Some(state) = cx.snapshot.routing.groups.get(index) else {
                return Some(false);
            };
            let selection = policy::select(&group.rules, state, cx.client);
            plan.ecs_scope = plan.ecs_scope.max(selection.scope);
            let mut any = false;
            for &i in selection.sets() {
                let Some(set) = group.sets.get(i) else {
                    continue;
                };
                match &set.target {
                    SetTarget::Values(answer) => {
                        let signs = own(answer, depth);
                        add_answer(plan, answer, owner, (cname, signs))?;
                        any = true;
                    }
                    // The target's records under the asked name.
                    SetTarget::Alias { key, .. } => {
                        let target = cx.zone.node(key).and_then(|n| n.rrset(rrset.rtype));
                        let Some(target) = target.filter(|_| depth < MAX_ALIAS_DEPTH) else {
                            continue;
                        };
                        any |= add_rrset(plan, cx, target, (asked, asked), depth + 1)?;
                    }
                }
            }
            Some(any)
        }
    }
}

/// Where the signatures of `answer` are kept: in its slot when written
/// under its own owner (an alias, `depth` > 0, writes the target's records
/// under the asked name).
fn own(answer: &Answer, depth: usize) -> Signs<'_> {
    if depth == 0 {
        Signs::Answer(answer)
    } else {
        Signs::PerQuery
    }
}

fn add_answer<'a>(
    plan: &mut Plan<'a>,
    answer: &'a Answer,
    owner: &'a [u8],
    (cname, signs): (bool, Signs<'a>),
) -> Option<()> {
    let wire = WireRrset::new(answer.wire.as_deref()?);
    plan.push(Piece {
        owner,
        wire,
        cname,
        ttl: None,
        signs,
    })
}
