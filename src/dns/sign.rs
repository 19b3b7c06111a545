//! Signing an answer of a signed zone, as a step between `resolve` and
//! fitting/encoding: it only adds records to the sections of a
//! [`Resolution`], so the encoder knows nothing of DNSSEC.
//!
//! - the apex key sets (DNSKEY, CDS, CDNSKEY) answer with or without DO;
//! - with DO=1: denial of existence (compact denial) and the DS or the
//!   NSEC proving its absence at a referral (`proof.rs`), and an RRSIG
//!   for every RRset of every section, except what RFC 4035 leaves
//!   unsigned (a delegation's NS, glue). A wildcard expansion is signed
//!   with the wildcard's label count and comes with an NSEC covering the
//!   next closer name (RFC 4035 §3.1.3.3, §5.3.2).

use std::borrow::Cow;

use hickory_proto::dnssec::rdata::DNSSECRData;
use hickory_proto::op::{Edns, ResponseCode};
use hickory_proto::rr::{Name, RData, Record, RecordType};
use hickory_proto::serialize::binary::BinEncodable;

mod proof;

use crate::dns::resolve::Resolution;
use crate::dnssec::denial;
use crate::dnssec::sign::{SignError, unix_now};
use crate::dnssec::{Signer, ZoneKeys};
use crate::table::wire_name::{WireName, wildcard_buffer};
use crate::table::zone_table::CompiledZone;

/// What one signed answer needs besides the zone.
pub struct Signing<'s> {
    pub signer: &'s Signer,
    /// Unix time, for signature validity.
    pub now: u32,
    /// The query's EDNS CO flag (RFC 9824): keep NXDOMAIN as the rcode.
    pub compact_ok: bool,
}

/// EDNS flag CO, "compact answers OK" (RFC 9824), in the flags after DO.
const CO_FLAG: u16 = 0x4000;

/// The signing step of one query to `zone`: the apex key sets, then, for
/// DO=1 to a signed zone, the proofs and signatures, with DO (and CO when
/// asked) set in the response's OPT. An answer that cannot be signed
/// becomes a SERVFAIL without records.
pub fn step<'a>(
    signer: &Signer,
    zone: &'a CompiledZone,
    qname: &Name,
    qtype: RecordType,
    request: Option<&Edns>,
    response: Option<&mut Edns>,
    res: &mut Resolution<'a>,
) {
    let Some(keys) = zone.dnssec.as_deref() else {
        return;
    };
    if qtype == denial::nxname() {
        // RFC 9824 §3.3: NXNAME is a meta-type, never asked for.
        *res = empty(ResponseCode::FormErr);
        return;
    }
    apex_key_sets(zone, qname, qtype, res);
    let (Some(request), Some(response)) = (request, response) else {
        return;
    };
    if !request.flags().dnssec_ok {
        return;
    }
    response.set_dnssec_ok(true);
    let compact_ok = request.flags().z & CO_FLAG != 0;
    if compact_ok {
        response.flags_mut().z |= CO_FLAG;
    }
    let sx = Signing {
        signer,
        now: unix_now(),
        compact_ok,
    };
    if let Err(e) = sign_answer(&sx, zone, keys, qname, qtype, res) {
        tracing::warn!(error = %e, "answering SERVFAIL: the answer could not be signed");
        *res = empty(ResponseCode::ServFail);
    }
}

/// DNSKEY, CDS and CDNSKEY at the apex of a signed zone, DO or not.
pub fn apex_key_sets<'a>(
    zone: &'a CompiledZone,
    qname: &Name,
    qtype: RecordType,
    res: &mut Resolution<'a>,
) {
    let Some(keys) = zone.dnssec.as_deref() else {
        return;
    };
    let set = match qtype {
        RecordType::DNSKEY => &keys.dnskey,
        RecordType::CDS => &keys.cds,
        RecordType::CDNSKEY => &keys.cdnskey,
        _ => return,
    };
    if *qname != zone.origin || set.is_empty() || !res.answers.is_empty() {
        return;
    }
    res.rcode = ResponseCode::NoError;
    res.soa = None;
    for record in set {
        res.size_bound += size(record);
        res.answers.push(Cow::Borrowed(record));
    }
}

/// Adds the proofs and signatures of a DO=1 answer from a signed zone.
pub fn sign_answer<'a>(
    sx: &Signing<'_>,
    zone: &'a CompiledZone,
    keys: &'a ZoneKeys,
    qname: &Name,
    qtype: RecordType,
    res: &mut Resolution<'a>,
) -> Result<(), SignError> {
    if res.referral {
        proof::referral(zone, res);
    } else if res.soa.is_some() {
        proof::denial(sx, zone, keys, qname, qtype, res);
    }
    let mut wild = Vec::new();
    let answers = sign_section(sx, zone, keys, &mut res.answers, &mut |r, section| {
        wildcard_labels(zone, r, section, &mut wild)
    })?;
    let referral = res.referral;
    let mut authority = sign_section(sx, zone, keys, &mut res.authority, &mut |r, _| {
        (referral && r.record_type() == RecordType::NS).then_some(Label::Unsigned)
    })?;
    let additionals = sign_section(sx, zone, keys, &mut res.additionals, &mut |r, _| {
        (referral || below_cut(zone, &r.name)).then_some(Label::Unsigned)
    })?;
    if let Some(soa) = res.soa {
        sx.signer.sign(keys, &[soa], None, sx.now, &mut authority)?;
    }
    for nsec in wild {
        let before = authority.len();
        sx.signer
            .sign(keys, &[&nsec], None, sx.now, &mut authority)?;
        if authority.len() > before {
            authority.push(nsec);
        }
    }
    let added = answers.iter().chain(&authority).chain(&additionals);
    res.size_bound += added.map(size).sum::<usize>();
    res.answers.extend(answers.into_iter().map(Cow::Owned));
    res.authority.extend(authority.into_iter().map(Cow::Owned));
    res.additionals
        .extend(additionals.into_iter().map(Cow::Owned));
    Ok(())
}

/// How an RRset is signed when not the plain way.
enum Label {
    /// Not at all (a delegation's NS, glue).
    Unsigned,
    /// With this labels field (a wildcard expansion).
    Wildcard(u8),
}

/// Says how an RRset (its first record, in its section) is signed.
type Special<'f> = dyn FnMut(&Record, &[Cow<'_, Record>]) -> Option<Label> + 'f;

/// The RRSIGs of every RRset of `section` (duplicates removed, TTLs of
/// one RRset made equal); `special` says how an RRset is signed.
fn sign_section(
    sx: &Signing<'_>,
    zone: &CompiledZone,
    keys: &ZoneKeys,
    section: &mut Vec<Cow<'_, Record>>,
    special: &mut Special<'_>,
) -> Result<Vec<Record>, SignError> {
    dedup(section);
    let mut out = Vec::new();
    let mut done = vec![false; section.len()];
    for i in 0..section.len() {
        if done[i] {
            continue;
        }
        let members: Vec<usize> = (i..section.len())
            .filter(|&j| !done[j] && same_rrset(&section[i], &section[j]))
            .collect();
        for &j in &members {
            done[j] = true;
        }
        let first = &section[i];
        if !zone.origin.zone_of(&first.name) {
            continue;
        }
        let labels = match special(first, section) {
            Some(Label::Unsigned) => continue,
            Some(Label::Wildcard(n)) => Some(n),
            None => None,
        };
        equal_ttls(section, &members);
        let mut rrset: Vec<&Record> = members.iter().map(|&j| section[j].as_ref()).collect();
        // One order for the cache key, whatever order a policy served.
        rrset.sort_by(|a, b| a.data.cmp(&b.data));
        sx.signer.sign(keys, &rrset, labels, sx.now, &mut out)?;
    }
    Ok(out)
}

fn same_rrset(a: &Record, b: &Record) -> bool {
    a.record_type() == b.record_type() && a.name == b.name
}

/// RFC 2181 §5: an RRset has no duplicate records.
fn dedup(section: &mut Vec<Cow<'_, Record>>) {
    let mut i = 0;
    while i < section.len() {
        let dup = section[..i]
            .iter()
            .any(|r| same_rrset(r, &section[i]) && r.data == section[i].data);
        if dup {
            section.remove(i);
        } else {
            i += 1;
        }
    }
}

/// RFC 2181 §5.2: one TTL per RRset (the lowest), as its signature says.
fn equal_ttls(section: &mut [Cow<'_, Record>], members: &[usize]) {
    let Some(min) = members.iter().map(|&j| section[j].ttl).min() else {
        return;
    };
    for &j in members {
        if section[j].ttl != min {
            section[j].to_mut().ttl = min;
        }
    }
}

/// A wildcard expansion in the answer: the labels field of its RRSIG, and
/// the NSEC covering the next closer name (pushed to `wild`). None for
/// names that exist and for CNAMEs a DNAME synthesized.
fn wildcard_labels(
    zone: &CompiledZone,
    record: &Record,
    section: &[Cow<'_, Record>],
    wild: &mut Vec<Record>,
) -> Option<Label> {
    let owner = &record.name;
    let wire = WireName::new(owner);
    if zone.node(wire.key()).is_some() {
        return None;
    }
    let under_dname = section
        .iter()
        .any(|r| r.record_type() == RecordType::DNAME && r.name != *owner && r.name.zone_of(owner));
    if under_dname {
        return None;
    }
    let below = wire.labels().saturating_sub(zone.origin_labels);
    let skip = (1..=below).find(|&s| zone.node(wire.suffix(s)).is_some())?;
    let mut buf = wildcard_buffer();
    let len = wire.wildcard_key(skip, &mut buf);
    zone.node(&buf[..len])?;
    let next_closer = Name::from_labels(owner.iter().skip(skip - 1)).ok()?;
    let ttl = zone.negative_soa.ttl;
    let nsec = denial::covering(&next_closer, ttl)?;
    if !wild.iter().any(|w| w.name == nsec.name) {
        wild.push(nsec);
    }
    let labels = u8::try_from(usize::from(owner.num_labels()) - skip).ok()?;
    Some(Label::Wildcard(labels))
}

/// Whether `name` is at or below a delegation (glue, occluded data).
pub(crate) fn below_cut(zone: &CompiledZone, name: &Name) -> bool {
    let wire = WireName::new(name);
    let below = wire.labels().saturating_sub(zone.origin_labels);
    (0..below).any(|skip| {
        zone.node(wire.suffix(skip))
            .is_some_and(|n| n.referral().is_some())
    })
}

/// An answer with `rcode` and no records.
fn empty<'a>(rcode: ResponseCode) -> Resolution<'a> {
    Resolution {
        rcode,
        authoritative: false,
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

/// An upper bound of the encoded size of `record`; an RRSIG's without
/// encoding it (one per signed RRset: this is on the query path).
pub(crate) fn size(record: &Record) -> usize {
    if let RData::DNSSEC(DNSSECRData::RRSIG(sig)) = &record.data {
        let signer = sig.input().signer_name.len() + 1;
        return record.name.len() + 1 + 10 + 18 + signer + sig.sig().len();
    }
    record.to_bytes().map_or(512, |b| b.len())
}
