//! The signed records of a fast DO=1 answer that depend on the query name,
//! built in a stack arena: compact denial's NSEC at the query name
//! (NXDOMAIN, or NODATA with the types that exist there), a wildcard expansion's covering NSEC (an RFC 4470 white lie
//! around the next closer name), and the RRSIGs of RRsets written under
//! the asked name (a wildcard expansion, a DNAME's synthesized CNAME, an
//! alias's target records). Their RRSIGs are read from the signature cache
//! by key parts (`dnssec::cached`); a miss returns None and the general
//! path signs (and caches) them.
//!
//! Each result is in `table::wire`'s layout, owner left out.

use hickory_proto::dnssec::rdata::DNSSECRData;
use hickory_proto::rr::{RData, Record, RecordType};

use crate::dnssec::cached::RrsetParts;
use crate::dnssec::{Signer, ZoneKeys};
use crate::table::wire::{STORE_ONLY, WireRrset};
use crate::table::wire_name::{WireName, wildcard_buffer};
use crate::table::zone_table::{CompiledZone, Node};

/// What signing one answer reads.
pub(super) struct SignCtx<'s> {
    pub zone: &'s CompiledZone,
    pub keys: &'s ZoneKeys,
    pub signer: &'s Signer,
    /// Unix time, as the general path takes it.
    pub now: u32,
    /// The query name (its key: lowercase wire).
    pub qname: &'s WireName,
    pub qtype: RecordType,
    /// The query's EDNS CO flag: compact denial keeps NXDOMAIN.
    pub compact_ok: bool,
}

/// Bitmap of compact denial's NSEC: RRSIG NSEC NXNAME (RFC 9824).
const NXNAME_BITMAP: [u8; 19] = [
    0, 17, 0, 0, 0, 0, 0, 0x03, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x80,
];
/// Bitmap of a white lie: RRSIG NSEC.
const WHITE_LIE_BITMAP: [u8; 8] = [0, 6, 0, 0, 0, 0, 0, 0x03];
/// The most RRSIGs of one RRset (keys signing at once, as in a rollover).
const MAX_SIGNERS: usize = 8;
/// The most records of an RRset signed here.
const MAX_RECORDS: usize = 16;

/// Takes `n` bytes off the front of `arena`.
fn take<'a>(arena: &mut &'a mut [u8], n: usize) -> Option<&'a mut [u8]> {
    if arena.len() < n {
        return None;
    }
    let (head, rest) = std::mem::take(arena).split_at_mut(n);
    *arena = rest;
    Some(head)
}

/// A one-record NSEC in wire form: next name `\000.<name>` (`name`
/// lowercase wire), or `next` as given, then `bitmap`.
fn nsec<'a>(
    ttl: u32,
    (prefix, name): (&[u8], &[u8]),
    bitmap: &[u8],
    arena: &mut &'a mut [u8],
) -> Option<&'a [u8]> {
    let rdlen = prefix.len() + name.len() + bitmap.len();
    // `table::wire`'s layout: one record, one name, no owner, the name
    // at offset 10 (never compressed).
    let blob = take(arena, 5 + 10 + rdlen)?;
    blob[..5].copy_from_slice(&[1, 1, 0, 0x80, 10]);
    blob[5..9].copy_from_slice(&[0, 47, 0, 1]);
    blob[9..13].copy_from_slice(&ttl.to_be_bytes());
    blob[13..15].copy_from_slice(&u16::try_from(rdlen).ok()?.to_be_bytes());
    let rdata = &mut blob[15..];
    rdata[..prefix.len()].copy_from_slice(prefix);
    rdata[prefix.len()..prefix.len() + name.len()].copy_from_slice(name);
    rdata[prefix.len() + name.len()..].copy_from_slice(bitmap);
    Some(blob)
}

/// The records of a one-record wire form: its RDATA.
fn only_rdata(blob: &[u8]) -> Option<&[u8]> {
    let body = WireRrset::new(blob).records();
    let rdlen = usize::from(u16::from_be_bytes([*body.get(8)?, *body.get(9)?]));
    body.get(10..10 + rdlen)
}

/// The labels field of an RRSIG over `owner` (wire): None for an owner
/// whose first label is `*` (hickory leaves it out of the count).
fn labels(owner: &[u8]) -> Option<u8> {
    if owner.starts_with(b"\x01*") {
        return None;
    }
    label_count(owner)
}

/// How many labels the wire name `name` has (the root not counted).
pub(super) fn label_count(name: &[u8]) -> Option<u8> {
    let (mut at, mut n) = (0, 0u8);
    while *name.get(at)? != 0 {
        at += 1 + usize::from(name[at]);
        n = n.checked_add(1)?;
    }
    Some(n)
}

/// Compact denial at the query name: for NXDOMAIN the NSEC with NXNAME,
/// for NODATA the NSEC listing the types there (of its node, or of the
/// wildcard that matched), as `dns::sign::proof::denial` makes them; and
/// the NSEC's RRSIGs.
pub(super) fn denial<'a>(
    sx: &SignCtx<'_>,
    nxdomain: bool,
    ttl: u32,
    arena: &mut &'a mut [u8],
) -> Option<(&'a [u8], &'a [u8])> {
    let qname = sx.qname.key();
    if qname.len() + 2 > 255 || sx.qtype == RecordType::NSEC {
        return None;
    }
    let mut bitmap = [0u8; 256];
    let bitmap = if nxdomain {
        &NXNAME_BITMAP[..]
    } else {
        let len = types_bitmap(sx, existing(sx.zone, sx.qname)?, &mut bitmap)?;
        &bitmap[..len]
    };
    let nsec = nsec(ttl, (&[1, 0], qname), bitmap, arena)?;
    let parts = RrsetParts {
        owner: qname,
        rtype: RecordType::NSEC,
        ttl,
        labels: labels(qname)?,
        rdatas: &[only_rdata(nsec)?],
    };
    Some((nsec, rrsigs(sx, &parts, arena)?))
}

/// The node that answers for `name`: its own, or the wildcard at its
/// closest encloser.
fn existing<'z>(zone: &'z CompiledZone, name: &WireName) -> Option<&'z Node> {
    if let Some(node) = zone.node(name.key()) {
        return Some(node);
    }
    let below = name.labels().saturating_sub(zone.origin_labels);
    let skip = (1..=below).find(|&s| zone.node(name.suffix(s)).is_some())?;
    let mut buf = wildcard_buffer();
    let len = name.wildcard_key(skip, &mut buf);
    zone.node(&buf[..len])
}

/// The NSEC type bitmap (RFC 4034 §4.1.2) of the types at `node` but the
/// asked one, with RRSIG and NSEC, into `out`; its length.
fn types_bitmap(sx: &SignCtx<'_>, node: &Node, out: &mut [u8; 256]) -> Option<usize> {
    if node.referral().is_some() {
        return None;
    }
    let mut types = [0u16; 64];
    let mut n = 0;
    let apex: &[RecordType] = match (sx.zone.is_apex(node), sx.keys.cds.is_empty()) {
        (false, _) => &[],
        (true, true) => &[RecordType::SOA, RecordType::DNSKEY],
        (true, false) => &[
            RecordType::SOA,
            RecordType::DNSKEY,
            RecordType::CDS,
            RecordType::CDNSKEY,
        ],
    };
    let present = node
        .rrsets
        .iter()
        .map(|r| r.rtype)
        .chain(apex.iter().copied());
    let all = present
        .filter(|t| *t != sx.qtype)
        .chain([RecordType::RRSIG, RecordType::NSEC]);
    for t in all {
        *types.get_mut(n)? = u16::from(t);
        n += 1;
    }
    let types = &mut types[..n];
    types.sort_unstable();
    let (mut len, mut window_at, mut window) = (0, 0, None::<u8>);
    let mut last = None;
    for &t in types.iter() {
        if last == Some(t) {
            continue;
        }
        last = Some(t);
        let (w, low) = ((t >> 8) as u8, (t & 0xFF) as usize);
        if window != Some(w) {
            window = Some(w);
            window_at = len;
            *out.get_mut(len)? = w;
            *out.get_mut(len + 1)? = 0;
            len += 2;
        }
        let byte = window_at + 2 + low / 8;
        while len <= byte {
            *out.get_mut(len)? = 0;
            len += 1;
        }
        out[byte] |= 0x80 >> (low % 8);
        out[window_at + 1] = (byte - window_at - 1) as u8;
    }
    Some(len)
}

/// The white lie covering `next_closer` (lowercase wire): its owner, the
/// NSEC and the NSEC's RRSIGs, as `dnssec::denial::covering` makes it.
pub(super) fn covering<'a>(
    sx: &SignCtx<'_>,
    next_closer: &[u8],
    ttl: u32,
    arena: &mut &'a mut [u8],
) -> Option<(&'a [u8], &'a [u8], &'a [u8])> {
    let first_len = usize::from(*next_closer.first()?);
    let rest = next_closer.get(1 + first_len..)?;
    let first = next_closer.get(1..1 + first_len)?;
    let (&last, head) = first.split_last()?;
    if first_len >= 63 || last == 0 || next_closer.len() + 1 > 255 {
        return None;
    }
    let down = last - 1;
    let down = if down.is_ascii_uppercase() {
        b'@'
    } else {
        down
    };
    let owner = take(arena, 2 + first_len + rest.len())?;
    owner[0] = u8::try_from(first_len + 1).ok()?;
    owner[1..first_len].copy_from_slice(head);
    owner[first_len..first_len + 2].copy_from_slice(&[down, 0xFF]);
    owner[first_len + 2..].copy_from_slice(rest);
    let owner: &'a [u8] = owner;
    let mut next = [0u8; 256];
    next[0] = u8::try_from(first_len + 1).ok()?;
    next[1..=first_len].copy_from_slice(first);
    next[first_len + 1] = 0;
    next[first_len + 2..first_len + 2 + rest.len()].copy_from_slice(rest);
    let next = &next[..first_len + 2 + rest.len()];
    let nsec = nsec(ttl, (&[], next), &WHITE_LIE_BITMAP, arena)?;
    let parts = RrsetParts {
        owner,
        rtype: RecordType::NSEC,
        ttl,
        labels: labels(owner)?,
        rdatas: &[only_rdata(nsec)?],
    };
    Some((owner, nsec, rrsigs(sx, &parts, arena)?))
}

/// The RRSIGs of `wire`'s records written under `owner` (wire), with the
/// labels field `labels` (None: the owner's): only A and AAAA RRsets
/// (their data sorts as its bytes do) or one record.
pub(super) fn rrset<'a>(
    sx: &SignCtx<'_>,
    owner: &[u8],
    wire: WireRrset<'_>,
    labels_field: Option<u8>,
    arena: &mut &'a mut [u8],
) -> Option<&'a [u8]> {
    let body = wire.records();
    let count = usize::from(wire.count());
    let mut rdatas: [&[u8]; MAX_RECORDS] = [&[]; MAX_RECORDS];
    let (mut at, mut ttl, mut rtype) = (0, 0, 0);
    for slot in rdatas.iter_mut().take(count) {
        let fixed = body.get(at..at + 10)?;
        rtype = u16::from_be_bytes([fixed[0], fixed[1]]);
        ttl = u32::from_be_bytes([fixed[4], fixed[5], fixed[6], fixed[7]]);
        let end = at + 10 + usize::from(u16::from_be_bytes([fixed[8], fixed[9]]));
        *slot = body.get(at + 10..end)?;
        at = end;
    }
    if at != body.len() {
        // Additional records: their RRSIGs are the target's (general path).
        return None;
    }
    let rtype = RecordType::from(rtype);
    let sortable = matches!(rtype, RecordType::A | RecordType::AAAA);
    if count == 0 || count > MAX_RECORDS || (count > 1 && !sortable) {
        return None;
    }
    let rdatas = &mut rdatas[..count];
    rdatas.sort_unstable();
    let parts = RrsetParts {
        owner,
        rtype,
        ttl,
        labels: labels_field.or_else(|| labels(owner))?,
        rdatas,
    };
    rrsigs(sx, &parts, arena)
}

/// The cached RRSIGs of `parts`, one per signing key, in one wire form.
fn rrsigs<'a>(
    sx: &SignCtx<'_>,
    parts: &RrsetParts<'_>,
    arena: &mut &'a mut [u8],
) -> Option<&'a [u8]> {
    let n = sx.keys.zone_signers.len();
    if n == 0 || n > MAX_SIGNERS {
        return None;
    }
    let space = std::mem::take(arena);
    // `table::wire`'s layout: n records, n names, no owner, n offsets.
    let head = 3 + 2 * n;
    let (mut at, mut i, mut ok) = (head, 0, true);
    let found = sx.signer.cached(sx.keys, parts, sx.now, |record| {
        match rrsig(record, space.get_mut(at..).unwrap_or_default()) {
            Some((len, name_at)) if ok && i < n => {
                let offset = (at - head + name_at) as u16 | STORE_ONLY;
                space[3 + 2 * i..5 + 2 * i].copy_from_slice(&offset.to_be_bytes());
                at += len;
                i += 1;
            }
            _ => ok = false,
        }
    });
    if !found || !ok || i != n || at - head >= usize::from(STORE_ONLY) {
        return None;
    }
    space[0] = n as u8;
    space[1] = n as u8;
    space[2] = 0;
    let (blob, rest) = space.split_at_mut(at);
    *arena = rest;
    Some(blob)
}

/// Writes the RRSIG `record` (TYPE to RDATA) into `out` as hickory's
/// encoder writes it: the length, and where the signer's name starts.
fn rrsig(record: &Record, out: &mut [u8]) -> Option<(usize, usize)> {
    let RData::DNSSEC(DNSSECRData::RRSIG(sig)) = &record.data else {
        return None;
    };
    let input = sig.input();
    let signer_len: usize = input.signer_name.iter().map(|l| 1 + l.len()).sum::<usize>() + 1;
    let rdlen = 18 + signer_len + sig.sig().len();
    let out = out.get_mut(..10 + rdlen)?;
    out[..2].copy_from_slice(&46u16.to_be_bytes());
    out[2..4].copy_from_slice(&u16::from(record.dns_class).to_be_bytes());
    out[4..8].copy_from_slice(&record.ttl.to_be_bytes());
    out[8..10].copy_from_slice(&u16::try_from(rdlen).ok()?.to_be_bytes());
    out[10..12].copy_from_slice(&u16::from(input.type_covered).to_be_bytes());
    out[12] = u8::from(input.algorithm);
    out[13] = input.num_labels;
    out[14..18].copy_from_slice(&input.original_ttl.to_be_bytes());
    out[18..22].copy_from_slice(&input.sig_expiration.get().to_be_bytes());
    out[22..26].copy_from_slice(&input.sig_inception.get().to_be_bytes());
    out[26..28].copy_from_slice(&input.key_tag.to_be_bytes());
    let mut at = 28;
    for label in input.signer_name.iter() {
        out[at] = u8::try_from(label.len()).ok()?;
        out[at + 1..at + 1 + label.len()].copy_from_slice(label);
        at += 1 + label.len();
    }
    out[at] = 0;
    out[at + 1..].copy_from_slice(sig.sig());
    Some((10 + rdlen, 28))
}

#[cfg(test)]
mod tests {
    use hickory_proto::rr::Name;
    use hickory_proto::serialize::binary::BinEncodable;

    use super::*;
    use crate::dnssec::denial;

    #[test]
    fn the_bitmaps_are_the_ones_denial_makes() {
        let name = Name::from_ascii("x.example.").unwrap();
        let nx = denial::nxdomain(&name, 1).unwrap().data.to_bytes().unwrap();
        assert!(nx.ends_with(&NXNAME_BITMAP));
        let lie = denial::covering(&name, 1).unwrap().data.to_bytes().unwrap();
        assert!(lie.ends_with(&WHITE_LIE_BITMAP));
    }
}
