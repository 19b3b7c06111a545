//! Zone model → [`CompiledZone`]: nodes for every owner name and empty
//! non-terminal, static answers with their additional records, referrals
//! with glue, and routed groups. Pure and run at reload time only.

use std::collections::{HashMap, HashSet};
use std::sync::Arc;

use hickory_proto::rr::rdata::SOA;
use hickory_proto::rr::{Name, RData, Record, RecordType};
use hickory_proto::serialize::binary::BinEncodable;

use crate::policy::{GroupRules, PolicyKind, Routing};
use crate::table::name_index::NameIndex;
use crate::table::wire;
use crate::table::wire_name::WireName;
use crate::table::wire_name::key_of;
use crate::table::zone_table::{
    Answer, CompiledSet, CompiledZone, Node, RoutedGroup, Rrset, RrsetContent, SetTarget, ZoneId,
};
use crate::zone::grouping::{additional_targets, sorted_names};
use crate::zone::model::{RecordSet, SetData, WhenAllDown, Zone};
use crate::zone::rdata::dname_target;
use crate::zone::values::Values;

/// Compiles a validated zone, with the serial it will serve.
pub fn compile(zone: &Zone, serial: u32) -> CompiledZone {
    let origin = zone.origin.clone();
    let (soa, negative_soa) = soa_records(zone, serial);
    let addresses = address_index(zone);
    let mut tree = NodeTree::rooted_at(&origin, sorted_names(&zone.record_sets).count());
    let mut record_count = 0;
    // The sets of one name are adjacent, by type (the model's order): each
    // node's RRsets are allocated once, at their size.
    for at_name in sorted_names(&zone.record_sets) {
        let Some(first) = at_name.first() else {
            continue;
        };
        let n = tree.node_with_ancestors(&first.name, &origin);
        let rrsets = at_name.chunk_by(|a, b| a.rtype == b.rtype).map(|sets| {
            record_count += records_in(sets);
            Rrset {
                rtype: sets[0].rtype,
                ttl: sets[0].ttl,
                content: content(sets, &addresses, &negative_soa),
            }
        });
        let node = &mut tree.nodes[n];
        node.rrsets = node
            .rrsets
            .iter_mut()
            .map(take_rrset)
            .chain(rrsets)
            .collect();
    }
    let (nodes, index) = tree.finish();
    let apex_dname = nodes
        .first()
        .is_some_and(|apex| apex.rrset(RecordType::DNAME).is_some());
    let mut compiled = CompiledZone {
        origin_labels: usize::from(origin.num_labels()),
        apex_dname,
        origin,
        file: zone.file.clone(),
        serial,
        content_hash: zone.content_hash,
        soa,
        negative_soa_size: negative_soa.to_bytes().map_or(512, |b| b.len()),
        negative_soa_wire: wire::encode(std::slice::from_ref(&negative_soa), &[]),
        soa_sigs: Default::default(),
        negative_soa_sigs: Default::default(),
        negative_soa,
        nodes,
        index,
        record_count,
        groups: Vec::new(),
        id: ZoneId::UNASSIGNED,
        dnssec: zone.keys.clone(),
    };
    compiled.link_groups();
    compiled
}

/// The apex SOA with its own TTL, and the one negative answers carry (TTL
/// capped by the SOA minimum, RFC 2308).
fn soa_records(zone: &Zone, serial: u32) -> (Record, Record) {
    let soa_rdata = RData::SOA(SOA::new(
        zone.soa.mname.clone(),
        zone.soa.rname.clone(),
        serial,
        zone.soa.refresh as i32,
        zone.soa.retry as i32,
        zone.soa.expire as i32,
        zone.soa.minimum,
    ));
    let soa = Record::from_rdata(zone.origin.clone(), zone.soa.ttl, soa_rdata.clone());
    let negative_soa = Record::from_rdata(
        zone.origin.clone(),
        zone.soa.ttl.min(zone.soa.minimum),
        soa_rdata,
    );
    (soa, negative_soa)
}

/// Records (values and aliases) a group serves, for the zone's count.
fn records_in(sets: &[RecordSet]) -> usize {
    sets.iter()
        .map(|s| match &s.data {
            SetData::Values(v) => v.len(),
            SetData::Alias { .. } => 1,
        })
        .sum()
}

/// The zone's nodes and the index from wire key to node, built together so
/// every name has exactly one node.
struct NodeTree {
    nodes: Vec<Node>,
    index: NameIndex,
}

impl NodeTree {
    /// A tree holding only the apex, as node 0, with room for `names`.
    fn rooted_at(origin: &Name, names: usize) -> Self {
        let mut tree = NodeTree {
            nodes: Vec::with_capacity(names + 1),
            index: NameIndex::with_capacity(names + 1),
        };
        tree.node(origin);
        tree
    }

    /// The node of `name`, created with every empty non-terminal between it
    /// and the origin (so those answer NODATA, not NXDOMAIN). Every node's
    /// ancestors exist, so the walk up stops at the first one that does.
    fn node_with_ancestors(&mut self, name: &Name, origin: &Name) -> usize {
        let (n, _) = self.node(name);
        let mut ancestor = name.base_name();
        while ancestor.num_labels() > origin.num_labels() {
            if !self.node(&ancestor).1 {
                break;
            }
            ancestor = ancestor.base_name();
        }
        n
    }

    /// The node of `name`, created empty if it is new (then `true`).
    fn node(&mut self, name: &Name) -> (usize, bool) {
        // Past 4 GiB of names (u32 offsets) every further name would share
        // the apex; a zone file cannot get there in memory anyway.
        let (n, new) = self
            .index
            .insert(WireName::new(name).key())
            .unwrap_or((0, false));
        if new {
            self.nodes.push(Node {
                rrsets: Box::default(),
                referral: None,
                wildcard: name.is_wildcard().then(|| Box::new(name.clone())),
                dname_target: None,
            });
        }
        (n, new)
    }

    /// The nodes, each with its RRsets (node 0 is the apex), and the index.
    fn finish(mut self) -> (Vec<Node>, NameIndex) {
        for (n, node) in self.nodes.iter_mut().enumerate() {
            finish_node(node, n == 0);
        }
        self.index.shrink_to_fit();
        (self.nodes, self.index)
    }
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
    node.dname_target = static_dname_target(node);
    if !apex
        && let Some(Rrset {
            content: RrsetContent::Static(ns),
            ..
        }) = node.rrsets.iter().find(|r| r.rtype == RecordType::NS)
    {
        node.referral = Some(Box::new(ns.clone()));
    }
}

fn content(sets: &[RecordSet], addresses: &Addresses, negative_soa: &Record) -> RrsetContent {
    if let [set] = sets
        && let (Routing::Simple, SetData::Values(values)) = (&set.routing, &set.data)
    {
        return RrsetContent::Static(answer(set, values, addresses));
    }
    let compiled: Vec<CompiledSet> = sets
        .iter()
        .map(|set| CompiledSet {
            id: set.set_id.clone().unwrap_or_else(|| Arc::from("")),
            health_check: set.health_check.clone(),
            target: match &set.data {
                SetData::Values(values) => SetTarget::Values(answer(set, values, addresses)),
                SetData::Alias {
                    target,
                    evaluate_target_health,
                } => SetTarget::Alias {
                    target: Name::clone(target),
                    key: key_of(target),
                    evaluate_target_health: *evaluate_target_health,
                    target_group: None,
                },
            },
        })
        .collect();
    RrsetContent::Routed(RoutedGroup {
        group: 0,
        rules: GroupRules {
            policy: sets
                .first()
                .map_or(PolicyKind::Simple, |s| s.routing.kind()),
            fail_closed: sets.iter().any(|s| s.when_all_down == WhenAllDown::NoData),
            routing: sets.iter().map(|s| s.routing.clone()).collect(),
        },
        sets: compiled.into_boxed_slice(),
        nodata_soa: nodata_soa(negative_soa, sets),
    })
}

/// The negative SOA of a routed group's NODATA: its TTL is at most the
/// shortest TTL of the group's sets.
fn nodata_soa(negative_soa: &Record, sets: &[RecordSet]) -> Box<Record> {
    let shortest = sets.iter().map(|s| s.ttl).min().unwrap_or(negative_soa.ttl);
    let mut soa = Box::new(negative_soa.clone());
    soa.ttl = soa.ttl.min(shortest);
    soa
}

/// The target of a node's static DNAME, so a query substitutes without
/// decoding RDATA.
fn static_dname_target(node: &Node) -> Option<Box<Name>> {
    let rrset = node.rrset(RecordType::DNAME)?;
    match &rrset.content {
        RrsetContent::Static(answer) => {
            dname_target(&answer.kept_records().first()?.data).map(Box::new)
        }
        RrsetContent::Routed(_) => None,
    }
}

/// The records of one set of values, with in-zone addresses of MX, SRV and
/// NS targets as additional records.
fn answer(set: &RecordSet, values: &Values, addresses: &Addresses) -> Answer {
    let records: Vec<Record> = values
        .iter()
        .map(|rdata| Record::from_rdata(set.name.clone(), set.ttl, rdata.into_owned()))
        .collect();
    let mut additionals: Vec<Record> = Vec::new();
    let mut routed_targets = false;
    for rdata in values.iter() {
        let target = match &*rdata {
            RData::MX(mx) => Some(&mx.exchange),
            RData::SRV(srv) => Some(&srv.target),
            RData::NS(ns) => Some(&ns.0),
            _ => None,
        };
        let Some(target) = target.map(Name::to_lowercase) else {
            continue;
        };
        routed_targets |= addresses.routed.contains(&target);
        if let Some(found) = addresses.fixed.get(&target) {
            for record in found {
                if !additionals.contains(record) {
                    additionals.push(record.clone());
                }
            }
        }
    }
    let wire_size = records
        .iter()
        .chain(additionals.iter())
        .map(|r| r.to_bytes().map_or(512, |b| b.len()))
        .sum();
    // The routed addresses of a target are chosen per query, by the general
    // path (`dns::resolve`); no wire form sends the answer there.
    let wire = (!routed_targets)
        .then(|| wire::encode(&records, &additionals))
        .flatten();
    Answer::new(records, additionals, wire_size, wire)
}

/// The A and AAAA records of the names that some MX, SRV or NS value
/// targets, for additional-section processing (lowercase names).
#[derive(Default)]
struct Addresses {
    /// Static records by owner name, copied into the answers at compile.
    fixed: HashMap<Name, Vec<Record>>,
    /// Names with a routed A or AAAA: chosen per query.
    routed: HashSet<Name>,
}

fn address_index(zone: &Zone) -> Addresses {
    let targets = additional_targets(zone);
    let mut index = Addresses::default();
    if targets.is_empty() {
        return index;
    }
    let groups =
        sorted_names(&zone.record_sets).flat_map(|at| at.chunk_by(|a, b| a.rtype == b.rtype));
    for sets in groups {
        let Some(first) = sets.first() else {
            continue;
        };
        let (name, rtype) = (&first.name, first.rtype);
        if !matches!(rtype, RecordType::A | RecordType::AAAA) || !targets.contains(name) {
            continue;
        }
        if let [set] = sets
            && let (Routing::Simple, SetData::Values(values)) = (&set.routing, &set.data)
        {
            let entry = index.fixed.entry(name.clone()).or_default();
            entry.extend(
                values
                    .iter()
                    .map(|v| Record::from_rdata(name.clone(), set.ttl, v.into_owned())),
            );
        } else {
            index.routed.insert(name.clone());
        }
    }
    index
}
