//! DO=1 answers of signed zones on the fast path: the RRSIGs (and a
//! referral's proof) come from the signature slot next to each
//! precomputed RRset (`table::sig_slot`), which holds, in wire form, what
//! the general path's signing step (`dns::sign`) adds for that RRset. An
//! empty or stale slot (refresh time reached, another key set) is filled
//! here from the signer, so from the same signature cache as the general
//! path, and then served without allocating. What depends on the query
//! name (compact denial's NSEC, a wildcard's RRSIGs and covering NSEC, a
//! DNAME's synthesized CNAME, an alias's records) is read from the cache
//! in place by `per_name`.
//!
//! Covered: positive answers (the apex SOA, CNAME chains inside the zone,
//! routed sets answering with one set, aliases, wildcards, DNAME),
//! NXDOMAIN and NODATA at the query name, referrals (the DS and its
//! RRSIG, or the NSEC proving there is none). Left to the general path:
//! several sets of one RRset (multivalue: signed as one RRset), a negative
//! answer after a CNAME or with a policy's shorter SOA TTL, NSEC queries,
//! answers whose additional records come from more than one RRset (the
//! general path merges and deduplicates them), per-name signatures the
//! cache does not hold yet.

use std::sync::Arc;

use hickory_proto::dnssec::rdata::DNSSECRData;
use hickory_proto::op::ResponseCode;
use hickory_proto::rr::{RData, Record, RecordType};
use hickory_proto::serialize::binary::BinEncodable;

use super::per_name::{self, SignCtx};
use super::pieces::{MAX_PIECES, Piece, Plan, Signs};
use crate::dns::sign::below_cut;
use crate::dnssec::denial;
use crate::table::sig_slot::{SigCell, SigSlot};
use crate::table::wire::{STORE_ONLY, WireRrset};
use crate::table::zone_table::{Answer, Node, RrsetContent};

/// The signatures one answer writes, held for the writer: slots of
/// precomputed RRsets, and what `per_name` built in the caller's arena.
pub(super) struct Sigs<'s> {
    /// Per piece of the plan (None: a piece without records).
    pieces: [Option<Arc<SigSlot>>; MAX_PIECES],
    /// Per piece written under the asked name: its RRSIGs from the cache.
    per_name: [Option<&'s [u8]>; MAX_PIECES],
    /// The proof of a referral (DS or NSEC) and its RRSIGs.
    referral: Option<Arc<SigSlot>>,
    /// The negative SOA's RRSIGs.
    soa: Option<Arc<SigSlot>>,
    /// Compact denial: the NSEC at the query name and its RRSIGs.
    denial: Option<(&'s [u8], &'s [u8])>,
    /// A wildcard expansion's covering NSEC: owner, NSEC, RRSIGs.
    wild: Option<(&'s [u8], &'s [u8], &'s [u8])>,
    /// Whether the additional records are signed (not at a referral).
    additionals: bool,
    /// Signatures served from slots that were fresh (cache hits).
    pub hits: u64,
}

impl<'s> Sigs<'s> {
    /// The RRSIGs of piece `i`, written under its owner.
    pub fn own(&self, i: usize) -> Option<WireRrset<'_>> {
        if let Some(blob) = self.per_name.get(i).copied().flatten() {
            return Some(WireRrset::new(blob));
        }
        let slot = self.pieces.get(i)?.as_ref()?;
        Some(WireRrset::new(&slot.own))
    }

    /// The referral's proof and its RRSIGs, under the delegation's owner.
    pub fn referral(&self) -> Option<WireRrset<'_>> {
        Some(WireRrset::new(&self.referral.as_ref()?.own))
    }

    /// The negative SOA's RRSIGs.
    pub fn soa(&self) -> Option<WireRrset<'_>> {
        Some(WireRrset::new(&self.soa.as_ref()?.own))
    }

    /// Compact denial's NSEC and its RRSIGs (under the query name).
    pub fn denial(&self) -> Option<(WireRrset<'s>, WireRrset<'s>)> {
        let (nsec, rrsigs) = self.denial?;
        Some((WireRrset::new(nsec), WireRrset::new(rrsigs)))
    }

    /// A wildcard's covering NSEC: owner, its RRSIGs, the NSEC (the
    /// order `dns::sign` writes them in).
    pub fn wild(&self) -> Option<(&'s [u8], WireRrset<'s>, WireRrset<'s>)> {
        let (owner, nsec, rrsigs) = self.wild?;
        Some((owner, WireRrset::new(rrsigs), WireRrset::new(nsec)))
    }

    /// The RRSIGs of the additional records: (owner, records).
    pub fn additionals(&self) -> impl Iterator<Item = (&[u8], WireRrset<'_>)> {
        let slots = self.pieces.iter().flatten().filter(|_| self.additionals);
        slots
            .flat_map(|s| s.additionals.iter())
            .map(|(owner, wire)| (&**owner, WireRrset::new(wire)))
    }
}

/// The signatures of `plan` (whose rcode compact denial may change), built
/// in `arena` where they depend on the name; None when the general path
/// answers.
pub(super) fn attach<'s>(
    plan: &mut Plan<'_>,
    sx: &SignCtx<'_>,
    arena: &mut &'s mut [u8],
) -> Option<Sigs<'s>> {
    let mut sigs = Sigs {
        pieces: Default::default(),
        per_name: [None; MAX_PIECES],
        referral: None,
        soa: None,
        denial: None,
        wild: None,
        additionals: plan.referral.is_none(),
        hits: 0,
    };
    if plan.soa.is_some() {
        negative(plan, sx, &mut sigs, arena)?;
        return Some(sigs);
    }
    if plan.rcode != ResponseCode::NoError {
        return None;
    }
    if let Some(wildcard) = plan.wildcard {
        wild(plan, sx, wildcard.num_labels(), &mut sigs, arena)?;
        return Some(sigs);
    }
    let mut with_additionals = 0;
    for (i, piece) in plan.pieces().enumerate() {
        if piece.wire.count() == 0 {
            continue;
        }
        if plan.pieces().take(i).any(|p| same_rrset(p, piece)) {
            return None;
        }
        let slot = match piece.signs {
            Signs::PerQuery => {
                let rrsigs = per_name::rrset(sx, piece.owner, piece.wire, None, arena)?;
                *sigs.per_name.get_mut(i)? = Some(rrsigs);
                continue;
            }
            Signs::ApexSoa => {
                let soa = &sx.zone.soa;
                slot(sx, &sx.zone.soa_sigs, &mut sigs.hits, || {
                    fill(sx, std::slice::from_ref(soa), &[])
                })?
            }
            Signs::Answer(answer) => {
                with_additionals += usize::from(answer.has_additionals());
                slot(sx, &answer.sigs, &mut sigs.hits, || {
                    fill(sx, &answer.records(), &answer.additionals())
                })?
            }
        };
        *sigs.pieces.get_mut(i)? = Some(slot);
    }
    if let (Some(ns), Some(cut)) = (&plan.referral, plan.cut) {
        let Signs::Answer(answer) = ns.signs else {
            return None;
        };
        with_additionals += usize::from(answer.has_additionals());
        let slot = slot(sx, &answer.sigs, &mut sigs.hits, || {
            fill_referral(sx, cut, answer)
        })?;
        sigs.referral = Some(slot);
    }
    // More than one RRset's additional records: the general path merges
    // and deduplicates them.
    (with_additionals <= 1).then_some(sigs)
}

/// NXDOMAIN or NODATA at the query name (no CNAME before it): compact
/// denial's NSEC with its RRSIGs and the negative SOA's; NXDOMAIN becomes
/// NOERROR unless CO was set.
fn negative<'s>(
    plan: &mut Plan<'_>,
    sx: &SignCtx<'_>,
    sigs: &mut Sigs<'s>,
    arena: &mut &'s mut [u8],
) -> Option<()> {
    let soa = plan.soa.as_ref()?;
    let negative = &sx.zone.negative_soa;
    if plan.records != 0 || plan.referral.is_some() || soa.ttl != negative.ttl {
        return None;
    }
    let nxdomain = match plan.rcode {
        ResponseCode::NXDomain => true,
        ResponseCode::NoError => false,
        _ => return None,
    };
    sigs.denial = Some(per_name::denial(sx, nxdomain, soa.ttl, arena)?);
    let cell = &sx.zone.negative_soa_sigs;
    sigs.soa = Some(slot(sx, cell, &mut sigs.hits, || {
        fill(sx, std::slice::from_ref(negative), &[])
    })?);
    if nxdomain && !sx.compact_ok {
        plan.rcode = ResponseCode::NoError;
    }
    Some(())
}

/// A wildcard expansion answering the query name itself: its RRSIGs with
/// the wildcard's labels field, and the NSEC covering the next closer
/// name.
fn wild<'s>(
    plan: &Plan<'_>,
    sx: &SignCtx<'_>,
    labels: u8,
    sigs: &mut Sigs<'s>,
    arena: &mut &'s mut [u8],
) -> Option<()> {
    let piece = plan.pieces().next().filter(|_| plan.len() == 1)?;
    if piece.owner != sx.qname.key() || plan.referral.is_some() {
        return None;
    }
    sigs.per_name[0] = Some(per_name::rrset(
        sx,
        piece.owner,
        piece.wire,
        Some(labels),
        arena,
    )?);
    // The next closer name: one label more than the closest encloser.
    let total = per_name::label_count(sx.qname.key())?;
    let mut next_closer = sx.qname.key();
    for _ in 0..usize::from(total).checked_sub(usize::from(labels) + 1)? {
        next_closer = next_closer.get(1 + usize::from(*next_closer.first()?)..)?;
    }
    let ttl = sx.zone.negative_soa.ttl;
    sigs.wild = Some(per_name::covering(sx, next_closer, ttl, arena)?);
    Some(())
}

/// Whether two pieces are one RRset (owner and type).
fn same_rrset(a: &Piece<'_>, b: &Piece<'_>) -> bool {
    a.owner.eq_ignore_ascii_case(b.owner) && a.wire.records().get(..2) == b.wire.records().get(..2)
}

/// The slot of `cell` when fresh (its signatures counted in `hits`), else
/// filled by `make` and stored.
fn slot(
    sx: &SignCtx<'_>,
    cell: &SigCell,
    hits: &mut u64,
    make: impl FnOnce() -> Option<SigSlot>,
) -> Option<Arc<SigSlot>> {
    if let Some(slot) = cell.load().filter(|s| s.fresh(sx.keys.generation, sx.now)) {
        *hits += slot.signatures;
        return Some(slot);
    }
    if !cell.store(make()?, sx.signer.slot_budget()) {
        return None;
    }
    cell.load()
}

/// The RRSIGs of `records` (one RRset) and of each RRset of
/// `additionals` that is signed (in the zone, not glue), as `dns::sign`
/// makes them.
fn fill(sx: &SignCtx<'_>, records: &[Record], additionals: &[Record]) -> Option<SigSlot> {
    let mut rrsigs = Vec::new();
    let mut refresh_at = sign(sx, records.iter().collect(), &mut rrsigs)?;
    let mut signatures = rrsigs.len();
    let own = encode(&rrsigs)?;
    let mut extra = Vec::new();
    let mut done = vec![false; additionals.len()];
    for (i, first) in additionals.iter().enumerate() {
        if done[i] {
            continue;
        }
        let mut members: Vec<&Record> = Vec::new();
        for j in i..additionals.len() {
            if !done[j] && same(first, &additionals[j]) {
                done[j] = true;
                members.push(&additionals[j]);
            }
        }
        if !sx.zone.origin.zone_of(&first.name) || below_cut(sx.zone, &first.name) {
            continue;
        }
        let mut rrsigs = Vec::new();
        refresh_at = earliest(refresh_at, sign(sx, members, &mut rrsigs)?);
        signatures += rrsigs.len();
        let owner = first.name.to_bytes().ok()?.into_boxed_slice();
        extra.push((owner, encode(&rrsigs)?));
    }
    Some(SigSlot {
        generation: sx.keys.generation,
        refresh_at,
        signatures: signatures as u64,
        own,
        additionals: extra.into_boxed_slice(),
        charge: None,
    })
}

/// A referral's proof, as `dns::sign::proof::referral` adds it: the
/// delegation's DS records, or the NSEC showing it has none; then their
/// RRSIGs.
fn fill_referral(sx: &SignCtx<'_>, cut: &Node, ns: &Answer) -> Option<SigSlot> {
    let ns_records = ns.records();
    let owner = &ns_records.first()?.name;
    let ds = cut.rrset(RecordType::DS).and_then(|r| match &r.content {
        RrsetContent::Static(answer) => Some(answer),
        RrsetContent::Routed(_) => None,
    });
    let mut records: Vec<Record> = match ds {
        Some(answer) => answer.records().to_vec(),
        None => {
            let ttl = sx.zone.negative_soa.ttl;
            vec![denial::at_name(owner, ttl, &[RecordType::NS])?]
        }
    };
    let mut rrsigs = Vec::new();
    let refresh_at = sign(sx, records.iter().collect(), &mut rrsigs)?;
    let signatures = rrsigs.len();
    records.extend(rrsigs);
    Some(SigSlot {
        generation: sx.keys.generation,
        refresh_at,
        signatures: signatures as u64,
        own: encode(&records)?,
        additionals: Box::default(),
        charge: None,
    })
}

/// Appends the RRSIGs of `rrset` (sorted as `dns::sign` sorts it for the
/// cache key) to `out`; their earliest refresh time.
fn sign(sx: &SignCtx<'_>, mut rrset: Vec<&Record>, out: &mut Vec<Record>) -> Option<u32> {
    rrset.sort_by(|a, b| a.data.cmp(&b.data));
    let mut rrsigs = Vec::new();
    let until = sx
        .signer
        .sign_until(sx.keys, &rrset, None, sx.now, &mut rrsigs)
        .ok()?;
    out.extend(rrsigs);
    Some(until)
}

fn same(a: &Record, b: &Record) -> bool {
    a.record_type() == b.record_type() && a.name == b.name
}

/// The earlier of two refresh times (serial arithmetic).
fn earliest(a: u32, b: u32) -> u32 {
    if (a.wrapping_sub(b) as i32) < 0 { a } else { b }
}

/// `records` (RRSIG, NSEC, DS) in `table::wire`'s layout, without owners:
/// the names in their data (an RRSIG's signer, an NSEC's next name) are
/// written in full and registered for later pointers, as hickory's encoder
/// does.
fn encode(records: &[Record]) -> Option<Box<[u8]>> {
    let mut body = Vec::new();
    let mut names: Vec<u16> = Vec::new();
    for record in records {
        let name_at = match &record.data {
            RData::DNSSEC(DNSSECRData::RRSIG(_)) => Some(18),
            RData::DNSSEC(DNSSECRData::NSEC(_)) => Some(0),
            RData::DNSSEC(DNSSECRData::DS(_)) => None,
            _ => return None,
        };
        let data = record.data.to_bytes().ok()?;
        body.extend_from_slice(&u16::from(record.record_type()).to_be_bytes());
        body.extend_from_slice(&u16::from(record.dns_class).to_be_bytes());
        body.extend_from_slice(&record.ttl.to_be_bytes());
        body.extend_from_slice(&u16::try_from(data.len()).ok()?.to_be_bytes());
        if let Some(at) = name_at {
            names.push(
                u16::try_from(body.len() + at)
                    .ok()
                    .filter(|&o| o < STORE_ONLY)?
                    | STORE_ONLY,
            );
        }
        body.extend_from_slice(&data);
    }
    let mut out = Vec::with_capacity(3 + 2 * names.len() + body.len());
    out.push(u8::try_from(records.len()).ok()?);
    out.push(u8::try_from(names.len()).ok()?);
    // No owner: the writer takes it from the RRset these sign, and a
    // slot is never decoded.
    out.push(0);
    for name in &names {
        out.extend_from_slice(&name.to_be_bytes());
    }
    out.extend_from_slice(&body);
    Some(out.into_boxed_slice())
}
