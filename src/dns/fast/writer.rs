//! Writing a fast answer into a reused buffer, in the order and form the
//! general path's encoder writes it: header, the question as received,
//! the answer RRsets (owners and RDATA names compressed by
//! [`Compressor`]), the negative SOA, and the OPT (NSID, cookie, ECS).

use std::net::IpAddr;

use hickory_proto::op::ResponseCode;
use hickory_proto::rr::rdata::opt::ClientSubnet;

use super::compress::Compressor;
use super::pieces::Plan;
use super::request::FastQuery;
use super::signed::Sigs;
use crate::table::wire::{STORE_ONLY, WireRrset};

/// The DNS header.
const HEADER: usize = 12;

/// The OPT we answer with.
#[derive(Clone, Copy, Debug)]
pub(super) struct ResponseOpt<'a> {
    pub payload: u16,
    pub nsid: Option<&'a [u8]>,
    /// The COOKIE option's data (client cookie and our server cookie).
    pub cookie: Option<[u8; 24]>,
    /// The client subnet (masked) with the scope to echo.
    pub ecs: Option<ClientSubnet>,
    /// The flags (DO, and CO when asked, in a signed zone's DO=1 answer).
    pub flags: u16,
}

/// The header's flags and counts.
#[derive(Clone, Copy, Debug)]
pub(super) struct Header {
    pub rcode: ResponseCode,
    pub authoritative: bool,
    pub truncated: bool,
}

/// Writes the answer of `plan` to `query` into `out` (cleared first);
/// None when a count or an RDATA length overflows.
/// `sigs`: the signatures of a DO=1 answer from a signed zone, written
/// where `dns::sign` adds them (after each section's records).
pub(super) fn answer<'a>(
    out: &mut Vec<u8>,
    query: &FastQuery<'a>,
    key: &'a [u8],
    (plan, sigs): (&Plan<'a>, Option<&'a Sigs<'a>>),
    opt: Option<&ResponseOpt<'_>>,
) -> Option<()> {
    let mut c = Compressor::new();
    out.clear();
    out.extend_from_slice(&[0; HEADER]);
    out.extend_from_slice(query.question);
    // The question's suffixes, lowercase, then the question section as
    // hickory registers it (an entry no name matches).
    c.seed(key, HEADER);
    c.store(HEADER, query.question, HEADER + query.question.len());
    for piece in plan.pieces() {
        rrset(out, &mut c, piece.owner, piece.wire, piece.ttl)?;
    }
    let mut answers = plan.records;
    for (i, piece) in plan.pieces().enumerate() {
        if let Some(rrsigs) = sigs.and_then(|s| s.own(i)) {
            rrset(out, &mut c, piece.owner, rrsigs, None)?;
            answers = answers.checked_add(rrsigs.count())?;
        }
    }
    let mut authority = 0;
    if let Some(ns) = &plan.referral {
        rrset(out, &mut c, ns.owner, ns.wire, None)?;
        authority = ns.wire.count();
        if let Some(proof) = sigs.and_then(Sigs::referral) {
            rrset(out, &mut c, ns.owner, proof, None)?;
            authority += proof.count();
        }
    }
    if let Some(soa) = &plan.soa {
        if let Some((nsec, rrsigs)) = sigs.and_then(Sigs::denial) {
            rrset(out, &mut c, key, nsec, None)?;
            rrset(out, &mut c, key, rrsigs, None)?;
            authority += nsec.count() + rrsigs.count();
        }
        if let Some(rrsigs) = sigs.and_then(Sigs::soa) {
            rrset(out, &mut c, soa.owner, rrsigs, None)?;
            authority += rrsigs.count();
        }
        rrset(out, &mut c, soa.owner, soa.wire, Some(soa.ttl))?;
        authority += 1;
    }
    if let Some((owner, rrsigs, nsec)) = sigs.and_then(Sigs::wild) {
        rrset(out, &mut c, owner, rrsigs, None)?;
        rrset(out, &mut c, owner, nsec, None)?;
        authority += rrsigs.count() + nsec.count();
    }
    let mut additional = 0u16;
    for piece in plan.pieces().chain(&plan.referral) {
        additional = additional.checked_add(additionals(out, &mut c, piece.wire)?)?;
    }
    for (owner, rrsigs) in sigs.iter().flat_map(|s| s.additionals()) {
        rrset(out, &mut c, owner, rrsigs, None)?;
        additional = additional.checked_add(rrsigs.count())?;
    }
    if let Some(opt) = opt {
        write_opt(out, opt)?;
        additional = additional.checked_add(1)?;
    }
    let header = Header {
        rcode: plan.rcode,
        authoritative: plan.authoritative,
        truncated: false,
    };
    let counts = [1, answers, authority, additional];
    write_header(out, query, header, counts);
    Some(())
}

/// An answer without records: header, question and OPT.
pub(super) fn empty(
    out: &mut Vec<u8>,
    query: &FastQuery<'_>,
    header: Header,
    opt: Option<&ResponseOpt<'_>>,
) -> Option<()> {
    out.clear();
    out.extend_from_slice(&[0; HEADER]);
    out.extend_from_slice(query.question);
    if let Some(opt) = opt {
        write_opt(out, opt)?;
    }
    write_header(out, query, header, [1, 0, 0, u16::from(opt.is_some())]);
    Some(())
}

/// Writes every record of `wire` under `owner`, with `ttl` if given.
fn rrset<'a>(
    out: &mut Vec<u8>,
    c: &mut Compressor<'a>,
    owner: &'a [u8],
    wire: WireRrset<'a>,
    ttl: Option<u32>,
) -> Option<()> {
    let body = wire.records();
    let mut names = wire.names().peekable();
    let mut at = 0;
    for _ in 0..wire.count() {
        c.write(out, owner, true);
        let fixed = body.get(at..at + 10)?;
        out.extend_from_slice(&fixed[..4]);
        match ttl {
            Some(ttl) => out.extend_from_slice(&ttl.to_be_bytes()),
            None => out.extend_from_slice(&fixed[4..8]),
        }
        let rdata_start = at + 10;
        let rdata_end = rdata_start + usize::from(u16::from_be_bytes([fixed[8], fixed[9]]));
        let length_at = out.len();
        out.extend_from_slice(&[0, 0]);
        let mut copied = rdata_start;
        while let Some(&offset) = names.peek() {
            let name_at = usize::from(offset & !STORE_ONLY);
            if name_at >= rdata_end {
                break;
            }
            names.next();
            out.extend_from_slice(body.get(copied..name_at)?);
            let name = body.get(name_at..name_at + name_length(body.get(name_at..)?)?)?;
            c.write(out, name, offset & STORE_ONLY == 0);
            copied = name_at + name.len();
        }
        out.extend_from_slice(body.get(copied..rdata_end)?);
        let length = u16::try_from(out.len() - length_at - 2).ok()?;
        out[length_at..length_at + 2].copy_from_slice(&length.to_be_bytes());
        at = rdata_end;
    }
    Some(())
}

/// Writes the additional records stored after the records of `wire`
/// (owner, then type to data, which holds no name); how many.
fn additionals<'a>(out: &mut Vec<u8>, c: &mut Compressor<'a>, wire: WireRrset<'a>) -> Option<u16> {
    let body = wire.records();
    let mut at = 0;
    for _ in 0..wire.count() {
        let fixed = body.get(at..at + 10)?;
        at += 10 + usize::from(u16::from_be_bytes([fixed[8], fixed[9]]));
    }
    let mut count = 0u16;
    while at < body.len() {
        let owner = body.get(at..at + name_length(body.get(at..)?)?)?;
        c.write(out, owner, true);
        at += owner.len();
        let fixed = body.get(at..at + 10)?;
        let end = at + 10 + usize::from(u16::from_be_bytes([fixed[8], fixed[9]]));
        out.extend_from_slice(body.get(at..end)?);
        at = end;
        count = count.checked_add(1)?;
    }
    Some(count)
}

/// The length of the uncompressed name at the start of `wire`.
fn name_length(wire: &[u8]) -> Option<usize> {
    let mut at = 0;
    loop {
        match *wire.get(at)? {
            0 => return Some(at + 1),
            len => at += 1 + usize::from(len),
        }
    }
}

/// The OPT record: root owner, our payload, version 0, our flags.
fn write_opt(out: &mut Vec<u8>, opt: &ResponseOpt<'_>) -> Option<()> {
    out.extend_from_slice(&[0, 0, 41]);
    out.extend_from_slice(&opt.payload.to_be_bytes());
    out.extend_from_slice(&[0, 0]);
    out.extend_from_slice(&opt.flags.to_be_bytes());
    let length_at = out.len();
    out.extend_from_slice(&[0, 0]);
    if let Some(nsid) = opt.nsid {
        out.extend_from_slice(&[0, 3]);
        out.extend_from_slice(&u16::try_from(nsid.len()).ok()?.to_be_bytes());
        out.extend_from_slice(nsid);
    }
    if let Some(cookie) = &opt.cookie {
        out.extend_from_slice(&[0, 10, 0, 24]);
        out.extend_from_slice(cookie);
    }
    if let Some(subnet) = opt.ecs {
        let source = subnet.source_prefix();
        let len = usize::from(source).div_ceil(8);
        out.extend_from_slice(&[0, 8, 0, 4 + len as u8]);
        let (family, octets): (u8, [u8; 16]) = match subnet.addr() {
            IpAddr::V4(v4) => {
                let mut all = [0u8; 16];
                all[..4].copy_from_slice(&v4.octets());
                (1, all)
            }
            IpAddr::V6(v6) => (2, v6.octets()),
        };
        out.extend_from_slice(&[0, family, source, subnet.scope_prefix()]);
        out.extend_from_slice(octets.get(..len)?);
    }
    let length = u16::try_from(out.len() - length_at - 2).ok()?;
    out[length_at..length_at + 2].copy_from_slice(&length.to_be_bytes());
    Some(())
}

/// The header: id echoed, QR, opcode QUERY, RD and CD copied, RA and AD
/// clear, and the four counts.
fn write_header(out: &mut [u8], query: &FastQuery<'_>, header: Header, counts: [u16; 4]) {
    let request = query.packet;
    out[..2].copy_from_slice(&request[..2]);
    let mut flags = 0x80 | (request[2] & 0x01);
    if header.authoritative {
        flags |= 0x04;
    }
    if header.truncated {
        flags |= 0x02;
    }
    out[2] = flags;
    out[3] = (request[3] & 0x10) | header.rcode.low();
    for (i, count) in counts.iter().enumerate() {
        out[4 + 2 * i..6 + 2 * i].copy_from_slice(&count.to_be_bytes());
    }
}
