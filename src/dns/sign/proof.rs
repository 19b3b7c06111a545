//! The proofs a signed answer carries besides its RRSIGs: at a referral
//! the DS of the delegation or an NSEC showing it has none; for NXDOMAIN
//! and NODATA the NSEC at the name the answer ends at (compact denial,
//! `dnssec::denial`), which is also the answer to an NSEC query.

use std::borrow::Cow;

use hickory_proto::op::ResponseCode;
use hickory_proto::rr::{Name, RData, RecordType};

use super::{Signing, size};
use crate::dns::resolve::Resolution;
use crate::dnssec::ZoneKeys;
use crate::dnssec::denial;
use crate::table::wire_name::{WireName, wildcard_buffer};
use crate::table::zone_table::{CompiledZone, Node, RrsetContent, extend_section};

/// A referral: the delegation's DS, or the NSEC proving it has none.
pub(super) fn referral<'a>(zone: &'a CompiledZone, res: &mut Resolution<'a>) {
    let Some(owner) = res
        .authority
        .iter()
        .find(|r| r.record_type() == RecordType::NS)
        .map(|r| r.name.clone())
    else {
        return;
    };
    let ds = zone
        .node(WireName::new(&owner).key())
        .and_then(|n| n.rrset(RecordType::DS))
        .and_then(|r| match &r.content {
            RrsetContent::Static(answer) => Some(answer),
            RrsetContent::Routed(_) => None,
        });
    match ds {
        Some(answer) => {
            res.size_bound += answer.wire_size;
            extend_section(&mut res.authority, answer.records());
        }
        None => {
            let ttl = zone.negative_soa.ttl;
            if let Some(nsec) = denial::at_name(&owner, ttl, &[RecordType::NS]) {
                res.size_bound += size(&nsec);
                res.authority.push(Cow::Owned(nsec));
            }
        }
    }
}

/// What is at a name, as an NSEC there says it.
enum Existence {
    /// These types (a name, an empty non-terminal, or a wildcard match).
    Types(Vec<RecordType>),
    Missing,
}

fn existence(zone: &CompiledZone, keys: &ZoneKeys, name: &Name) -> Existence {
    let wire = WireName::new(name);
    if let Some(node) = zone.node(wire.key()) {
        return Existence::Types(types_at(zone, keys, node));
    }
    let below = wire.labels().saturating_sub(zone.origin_labels);
    let Some(skip) = (1..=below).find(|&s| zone.node(wire.suffix(s)).is_some()) else {
        return Existence::Missing;
    };
    let mut buf = wildcard_buffer();
    let len = wire.wildcard_key(skip, &mut buf);
    match zone.node(&buf[..len]) {
        Some(star) => Existence::Types(types_at(zone, keys, star)),
        None => Existence::Missing,
    }
}

/// The types an NSEC at `node` lists (RRSIG and NSEC are added later).
fn types_at(zone: &CompiledZone, keys: &ZoneKeys, node: &Node) -> Vec<RecordType> {
    let mut types: Vec<RecordType> = node.rrsets.iter().map(|r| r.rtype).collect();
    if node.referral().is_some() {
        types.retain(|t| matches!(t, RecordType::NS | RecordType::DS));
    }
    if zone.is_apex(node) {
        types.extend([RecordType::SOA, RecordType::DNSKEY]);
        if !keys.cds.is_empty() {
            types.extend([RecordType::CDS, RecordType::CDNSKEY]);
        }
    }
    types
}

/// NXDOMAIN and NODATA: the NSEC at the name the answer ends at. An NSEC
/// query gets that NSEC as its answer.
pub(super) fn denial<'a>(
    sx: &Signing<'_>,
    zone: &'a CompiledZone,
    keys: &ZoneKeys,
    qname: &Name,
    qtype: RecordType,
    res: &mut Resolution<'a>,
) {
    let name = match res.answers.last().map(|r| &r.data) {
        Some(RData::CNAME(target)) => target.0.clone(),
        _ => qname.clone(),
    };
    if !zone.origin.zone_of(&name) {
        return;
    }
    let ttl = res.soa.map_or(zone.negative_soa.ttl, |s| s.ttl);
    let (nsec, missing) = match existence(zone, keys, &name) {
        Existence::Types(mut types) => {
            if qtype != RecordType::NSEC {
                types.retain(|t| *t != qtype);
            }
            (denial::at_name(&name, ttl, &types), false)
        }
        Existence::Missing => (denial::nxdomain(&name, ttl), true),
    };
    let Some(nsec) = nsec else {
        return;
    };
    if missing && !sx.compact_ok {
        res.rcode = ResponseCode::NoError;
    }
    res.size_bound += size(&nsec);
    if qtype == RecordType::NSEC && res.answers.is_empty() {
        res.soa = None;
        res.rcode = ResponseCode::NoError;
        res.answers.push(Cow::Owned(nsec));
    } else {
        res.authority.push(Cow::Owned(nsec));
    }
}
