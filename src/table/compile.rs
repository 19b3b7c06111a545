//! Zone model → [`CompiledZone`]: nodes for every owner name and empty
//! non-terminal (`tree.rs`), static answers with their additional records,
//! referrals with glue, and routed groups. A large zone's answers are
//! built on two threads beside the tree (`split.rs`), with the same result.
//! Pure and run at reload time only.

use std::collections::{HashMap, HashSet};
use std::sync::Arc;

use hickory_proto::rr::rdata::SOA;
use hickory_proto::rr::{Name, RData, Record, RecordType};
use hickory_proto::serialize::binary::BinEncodable;

use crate::policy::{GroupRules, PolicyKind, Routing};
use crate::table::wire;
use crate::table::wire_name::key_of;
use crate::table::zone_table::{
    Answer, CompiledSet, CompiledZone, RoutedGroup, Rrset, RrsetContent, SetTarget, ZoneId,
};
use crate::zone::grouping::{additional_targets, sets_of, sorted_names};
use crate::zone::model::{RecordSet, SetData, WhenAllDown, Zone};
use crate::zone::values::Values;

mod split;
mod tree;

use tree::NodeTree;

/// Record sets from which [`compile_beside`] uses its second thread.
pub const TWO_THREADS_FROM: usize = 20_000;

/// Zones of fewer record sets keep their records decoded beside the wire
/// form, so the general path (TCP, ANY, DNSSEC) copies them instead of
/// decoding the wire form per query (`resolve/a_hit` 634 → about 200 ns).
/// At about 300 bytes a record that is at most a few MB; larger zones
/// keep the wire form alone (about 40 bytes a record).
pub const KEEP_DECODED_BELOW: usize = 20_000;

/// Runs its first argument on a second thread while the calling thread
/// runs the second, and returns when both are done (re-raising a panic of
/// either). Given by the caller: the table spawns no thread. Without a
/// thread to spare it runs only the second, which then does all the work.
pub type Beside<'a> = &'a dyn Fn(&(dyn Fn() + Sync), &mut dyn FnMut());

/// Compiles a validated zone, with the serial it will serve.
pub fn compile(zone: &Zone, serial: u32) -> CompiledZone {
    compile_split(zone, serial, None, keeps_decoded(zone))
}

/// Whether `zone` is small enough to keep its records decoded.
fn keeps_decoded(zone: &Zone) -> bool {
    zone.record_sets.len() < KEEP_DECODED_BELOW
}

/// [`compile`], building the answers of a zone of [`TWO_THREADS_FROM`]
/// record sets or more on the second thread `beside` gives as well; the
/// result is the same.
pub fn compile_beside(zone: &Zone, serial: u32, beside: Beside<'_>) -> CompiledZone {
    let large = zone.record_sets.len() >= TWO_THREADS_FROM;
    compile_split(zone, serial, large.then_some(beside), keeps_decoded(zone))
}

fn compile_split(
    zone: &Zone,
    serial: u32,
    beside: Option<Beside<'_>>,
    keep_decoded: bool,
) -> CompiledZone {
    let origin = zone.origin.clone();
    let (soa, negative_soa) = soa_records(zone, serial);
    let addresses = address_index(zone, keep_decoded);
    let names = sorted_names(&zone.record_sets).count();
    let mut assembly = Assembly {
        tree: NodeTree::rooted_at(&origin, names),
        records: 0,
    };
    split::run(&zone.record_sets, beside, &mut assembly, |sets| {
        Part::build(sets, &addresses, &negative_soa)
    });
    let record_count = assembly.records;
    let (nodes, index) = assembly.tree.finish();
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

/// The RRsets of each owner name of a run of record sets (whole names),
/// in order, and how many records they hold.
struct Part {
    rrsets: Vec<Box<[Rrset]>>,
    records: usize,
}

/// The node tree and the records counted, taking in the parts in order.
struct Assembly {
    tree: NodeTree,
    records: usize,
}

impl split::Assemble<Part> for Assembly {
    fn names(&mut self, sets: &[RecordSet]) {
        self.tree.add_names(sets);
    }

    fn answers(&mut self, part: Part) {
        self.records += part.records;
        self.tree.place(part.rrsets);
    }
}

impl Part {
    fn build(sets: &[RecordSet], addresses: &Addresses, negative_soa: &Record) -> Self {
        let mut records = 0;
        // The sets of one name are adjacent, by type (the model's order):
        // each node's RRsets are allocated once, at their size.
        let rrsets = sorted_names(sets)
            .map(|at_name| {
                at_name
                    .chunk_by(|a, b| a.rtype == b.rtype)
                    .map(|sets| {
                        records += records_in(sets);
                        Rrset {
                            rtype: sets[0].rtype,
                            ttl: sets[0].ttl,
                            content: content(sets, addresses, negative_soa),
                        }
                    })
                    .collect()
            })
            .collect();
        Part { rrsets, records }
    }
}

fn content(sets: &[RecordSet], addresses: &Addresses, negative_soa: &Record) -> RrsetContent {
    if let [set] = sets
        && let (Routing::Simple, SetData::Values(values)) = (set.routing(), &set.data)
    {
        return RrsetContent::Static(answer(set, values, addresses));
    }
    let compiled: Vec<CompiledSet> = sets
        .iter()
        .map(|set| CompiledSet {
            id: set.set_id().cloned().unwrap_or_else(|| Arc::from("")),
            health_check: set.health_check().cloned(),
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
                .map_or(PolicyKind::Simple, |s| s.routing().kind()),
            fail_closed: sets
                .iter()
                .any(|s| s.when_all_down() == WhenAllDown::NoData),
            routing: sets.iter().map(|s| s.routing().clone()).collect(),
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

/// The records of one set of values, with in-zone addresses of MX, SRV and
/// NS targets as additional records.
fn answer(set: &RecordSet, values: &Values, addresses: &Addresses) -> Answer {
    if !addresses.keep_decoded
        && let Some(answer) = address_answer(set, values)
    {
        return answer;
    }
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
    let encoded = wire::encode(&records, &additionals);
    let wire_size = match &encoded {
        Some(wire) => wire::encoded_size(wire),
        None => records
            .iter()
            .chain(additionals.iter())
            .map(|r| r.to_bytes().map_or(512, |b| b.len()))
            .sum(),
    };
    // The routed addresses of a target are chosen per query, by the general
    // path (`dns::resolve`); no wire form sends the answer there.
    let wire = encoded.filter(|_| !routed_targets);
    Answer::new(
        records,
        additionals,
        wire_size,
        wire,
        addresses.keep_decoded,
    )
}

/// A set of addresses (most of a large zone) written straight into its
/// wire form, with no record built: the same answer [`answer`] builds
/// from records (no additional records; the wire form is the only copy).
/// None where that wire form cannot be written.
fn address_answer(set: &RecordSet, values: &Values) -> Option<Answer> {
    let (name, ttl) = (&set.name, set.ttl);
    let wire = match values {
        Values::A(a) => wire::encode_addresses(name, ttl, std::iter::once(a.octets())),
        Values::ManyA(a) => wire::encode_addresses(name, ttl, a.iter().map(|a| a.octets())),
        Values::Aaaa(a) => wire::encode_addresses(name, ttl, a.iter().map(|a| a.octets())),
        Values::Other(_) => None,
    }?;
    let size = wire::encoded_size(&wire);
    Some(Answer::new(Vec::new(), Vec::new(), size, Some(wire), false))
}

/// The A and AAAA records of the names that some MX, SRV or NS value
/// targets, for additional-section processing (lowercase names).
#[derive(Default)]
struct Addresses {
    /// Static records by owner name, copied into the answers at compile.
    fixed: HashMap<Name, Vec<Record>>,
    /// Names with a routed A or AAAA: chosen per query.
    routed: HashSet<Name>,
    /// The zone is small: every answer keeps its records decoded
    /// ([`KEEP_DECODED_BELOW`]). Carried here because every answer reads
    /// this index.
    keep_decoded: bool,
}

fn address_index(zone: &Zone, keep_decoded: bool) -> Addresses {
    let targets = additional_targets(zone);
    let mut index = Addresses {
        keep_decoded,
        ..Addresses::default()
    };
    if targets.is_empty() {
        return index;
    }
    let all = &zone.record_sets;
    // A few targets in a large zone (its NS, a few MX): found by binary
    // search, not by hashing every name of the zone.
    let groups: Box<dyn Iterator<Item = &[RecordSet]>> = if targets.len() < all.len() / 64 {
        Box::new(targets.iter().flat_map(|target| {
            [RecordType::A, RecordType::AAAA].map(|rtype| sets_of(all, target, rtype))
        }))
    } else {
        Box::new(
            sorted_names(all)
                .flat_map(|at| at.chunk_by(|a, b| a.rtype == b.rtype))
                .filter(|sets| sets.first().is_some_and(|s| targets.contains(&s.name))),
        )
    };
    for sets in groups {
        let Some(first) = sets.first() else {
            continue;
        };
        let (name, rtype) = (&first.name, first.rtype);
        if !matches!(rtype, RecordType::A | RecordType::AAAA) {
            continue;
        }
        if let [set] = sets
            && let (Routing::Simple, SetData::Values(values)) = (set.routing(), &set.data)
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

#[cfg(test)]
mod tests;
