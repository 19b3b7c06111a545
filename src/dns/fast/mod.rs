//! The fast path, for UDP and TCP: the common query answered straight from its bytes
//! into a reused send buffer, with no allocation (`tests/alloc.rs` counts).
//! `request` reads the query (one IN question, at most an OPT with ECS,
//! NSID, cookie, keepalive or padding), `plan` walks the zone with
//! `dns::resolve::lookup` and picks precomputed wire RRsets
//! (`table::wire`), `writer` writes them with pointers (`compress`), and
//! the rate limiter and the metrics see the answer as on the general path.
//!
//! Invariant: a fast answer is byte for byte the answer of the general
//! path (hickory's parser, `resolve`, hickory's encoder seeded by
//! `dns::compress`); whatever this path does not cover returns
//! [`Outcome::Fallback`] before anything is counted or sent: the key sets
//! of signed zones and the DO=1 answers `signed` does not cover (there the
//! signatures are what the signer's cache holds, kept in a slot next to
//! each precomputed RRset), malformed or stale cookies, ANY and the other
//! meta types, a DNAME that makes a name too long, answers that need
//! truncation, and every query this parser does not take.

mod compress;
mod cookie;
mod dname;
mod per_name;
mod pieces;
mod plan;
mod request;
mod signed;
mod writer;

use std::net::{IpAddr, SocketAddr};
use std::time::Instant;

use hickory_proto::op::ResponseCode;
use hickory_proto::rr::RecordType;
use hickory_proto::rr::rdata::opt::ClientSubnet;

use super::edns::masked;
use super::guard::client_of;
use super::handler::DnsHandler;
use super::live::Live;
use super::rrl::{ResponseKind, Verdict};
use crate::dnssec::sign::unix_now;
use crate::metrics::Transport;
use crate::table::wire_name::WireName;
use crate::table::zone_table::{CompiledZone, ZoneId};
use cookie::CookieStep;
use pieces::Plan;
use plan::Ctx;
use request::FastQuery;
use signed::Sigs;
use writer::{Header, ResponseOpt};

/// The smallest UDP payload every resolver accepts (RFC 1035 §2.3.4).
const MIN_UDP_PAYLOAD: u16 = 512;
/// Room for the per-name records of a signed answer (`signed`).
const SIG_ARENA: usize = 2048;

/// What the fast path did with a datagram.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Outcome {
    /// Nothing: the general path must answer it.
    Fallback,
    /// The reply is in the buffer.
    Reply,
    /// Answered by silence (the rate limiter dropped the reply).
    Dropped,
}

/// Answers the datagram `packet` from `src` into `out` if the fast path
/// covers it.
pub(crate) fn answer(
    handler: &DnsHandler,
    packet: &[u8],
    src: SocketAddr,
    out: &mut Vec<u8>,
) -> Outcome {
    answer_over(Transport::Udp, handler, packet, src, out)
}

/// Answers the TCP frame `packet` from `src` into `out` (the message, not
/// its length prefix) if the fast path covers it. Over TCP nothing is
/// truncated or rate limited, and a query that asks for the keepalive
/// option takes the general path, which adds it (RFC 7828).
pub(crate) fn answer_tcp(
    handler: &DnsHandler,
    packet: &[u8],
    src: SocketAddr,
    out: &mut Vec<u8>,
) -> Outcome {
    answer_over(Transport::Tcp, handler, packet, src, out)
}

fn answer_over(
    transport: Transport,
    handler: &DnsHandler,
    packet: &[u8],
    src: SocketAddr,
    out: &mut Vec<u8>,
) -> Outcome {
    if !handler.fast {
        return Outcome::Fallback;
    }
    let keepalive = |q: &FastQuery<'_>| q.edns.is_some_and(|e| e.keepalive);
    let covered =
        |q: &FastQuery<'_>| answerable(q.qtype) && !(transport == Transport::Tcp && keepalive(q));
    let Some(query) = request::parse(packet).filter(covered) else {
        return Outcome::Fallback;
    };
    // Rate limiting, cookies and identity as they are now (one load).
    let live = handler.live.load();
    let Some(cookie) = cookie::step(&live, &query, src.ip()) else {
        return Outcome::Fallback;
    };
    let started = Instant::now();
    // Synthesized CNAMEs (DNAME) live here, as long as the plan.
    let mut storage = [0u8; dname::ARENA];
    let mut arena: &mut [u8] = &mut storage;
    let snapshot = handler.store.load();
    let Some(qname) = WireName::from_wire(query.name) else {
        return Outcome::Fallback;
    };
    let Some((zone, below)) = snapshot.zones.find(&qname) else {
        let client = (src.ip(), cookie);
        return refuse((handler, &live), (&query, transport), client, out, started);
    };
    if zone.dnssec.is_some() && is_key_set(query.qtype) {
        return Outcome::Fallback;
    }
    let use_ecs = handler.edns.use_ecs;
    let ecs = query.edns.and_then(|e| e.ecs).filter(|_| use_ecs);
    let ecs = ecs.map(masked);
    let client = client_of(src.ip(), ecs.as_ref(), snapshot.geo.as_deref());
    let cx = Ctx {
        snapshot: &snapshot,
        zone,
        qname: &qname,
        below,
        client: &client,
    };
    let qtype = RecordType::from(query.qtype);
    let mut plan = Plan::new();
    if plan::plan(&cx, qtype, &mut arena, &mut plan).is_none() {
        return Outcome::Fallback;
    }
    // Signatures that depend on the name (compact denial, wildcards), in
    // an arena made (and zeroed) only for DO=1 to a signed zone.
    let mut sig_storage;
    let mut sig_arena: &mut [u8] =
        if zone.dnssec.is_some() && query.edns.is_some_and(|e| e.dnssec_ok) {
            sig_storage = [0u8; SIG_ARENA];
            &mut sig_storage
        } else {
            &mut []
        };
    let at = (&**zone, &qname);
    let Some(sigs) = signatures(handler, at, &query, &mut plan, &mut sig_arena) else {
        return Outcome::Fallback;
    };
    let flags = sigs.as_ref().map_or(0, |_| dnssec_flags(&query));
    let ecs = (ecs, plan.ecs_scope);
    let opt = response_opt((handler, &live), &query, cookie.data, ecs, flags);
    let answer = (&plan, sigs.as_ref());
    let written = writer::answer(out, &query, qname.key(), answer, opt.as_ref());
    if written.is_none() || out.len() >= limit(transport, opt.as_ref()) {
        out.clear();
        return Outcome::Fallback;
    }
    if let Some(sigs) = &sigs {
        handler.signer.count_hits(sigs.hits);
    }
    let kind = kind_of(&plan, qname.key(), query.qtype, zone.id.0);
    let header = Header {
        rcode: plan.rcode,
        authoritative: plan.authoritative,
        truncated: false,
    };
    cookie.count(&handler.metrics);
    let client = (src.ip(), cookie.exempt);
    let at = (handler, &**live);
    let asked = (&query, transport);
    let (outcome, header) = send(at, asked, header, kind, client, opt.as_ref(), out);
    count(handler, (Some(zone.id), transport), qtype, header, started);
    outcome
}

/// The size an answer must stay under: the payload both sides agreed on
/// over UDP (512 without EDNS), a frame's 64 KiB over TCP.
fn limit(transport: Transport, opt: Option<&ResponseOpt<'_>>) -> usize {
    match transport {
        Transport::Udp => usize::from(opt.map_or(MIN_UDP_PAYLOAD, |o| o.payload)),
        Transport::Tcp => usize::from(u16::MAX),
    }
}

/// The signatures of `plan` when it answers DO=1 in a signed zone
/// (Some(None): an unsigned answer; None: the general path answers).
fn signatures<'s>(
    handler: &DnsHandler,
    (zone, qname): (&CompiledZone, &WireName),
    query: &FastQuery<'_>,
    plan: &mut Plan<'_>,
    arena: &mut &'s mut [u8],
) -> Option<Option<Sigs<'s>>> {
    let edns = query.edns.filter(|e| e.dnssec_ok);
    let (Some(keys), Some(edns)) = (zone.dnssec.as_deref(), edns) else {
        return Some(None);
    };
    let sx = per_name::SignCtx {
        zone,
        keys,
        signer: &handler.signer,
        now: unix_now(),
        qname,
        qtype: RecordType::from(query.qtype),
        compact_ok: edns.compact_ok,
    };
    signed::attach(plan, &sx, arena).map(Some)
}

/// REFUSED for a name in no served zone: the OPT (without ECS, as the
/// general path answers before it resolves), AA clear.
fn refuse(
    (handler, live): (&DnsHandler, &Live),
    (query, transport): (&FastQuery<'_>, Transport),
    (src, cookie): (IpAddr, CookieStep),
    out: &mut Vec<u8>,
    started: Instant,
) -> Outcome {
    let opt = response_opt((handler, live), query, cookie.data, (None, 0), 0);
    let header = Header {
        rcode: ResponseCode::Refused,
        authoritative: false,
        truncated: false,
    };
    let written = writer::empty(out, query, header, opt.as_ref());
    if written.is_none() || out.len() >= limit(transport, opt.as_ref()) {
        out.clear();
        return Outcome::Fallback;
    }
    let kind = ResponseKind::Error;
    cookie.count(&handler.metrics);
    let client = (src, cookie.exempt);
    let at = (handler, live);
    let asked = (query, transport);
    let (outcome, header) = send(at, asked, header, kind, client, opt.as_ref(), out);
    let qtype = RecordType::from(query.qtype);
    count(handler, (None, transport), qtype, header, started);
    outcome
}

/// Counts the query as the general path does.
fn count(
    handler: &DnsHandler,
    (zone, transport): (Option<ZoneId>, Transport),
    qtype: RecordType,
    header: Header,
    started: Instant,
) {
    let (rcode, truncated) = (header.rcode, header.truncated);
    let elapsed = started.elapsed();
    let metrics = &handler.metrics;
    metrics.record_query(zone, transport, qtype, rcode, truncated, elapsed);
}

/// Whether the fast path answers `qtype`: data types, not OPT, the zone
/// transfers, ANY or the other meta types (RFC 6895 §3.1), which the
/// general path refuses or answers its own way.
fn answerable(qtype: u16) -> bool {
    qtype != 0 && qtype != 41 && !(128..=255).contains(&qtype)
}

/// Whether `qtype` is one of the apex key sets `dns::sign` adds in a
/// signed zone, DO or not (the general path answers them).
fn is_key_set(qtype: u16) -> bool {
    let key_sets = [RecordType::DNSKEY, RecordType::CDS, RecordType::CDNSKEY];
    key_sets.contains(&RecordType::from(qtype))
}

/// The OPT flags of a signed answer, as `dns::sign::step` sets them: DO,
/// and CO when the query set it (RFC 9824).
fn dnssec_flags(query: &FastQuery<'_>) -> u16 {
    let co = query.edns.is_some_and(|e| e.compact_ok);
    0x8000 | if co { 0x4000 } else { 0 }
}

/// Our OPT for a request that had one: the payload we agree to, NSID when
/// asked and configured, the cookie, ECS with `scope` (0 for a source
/// prefix of 0), and `flags`.
fn response_opt<'h>(
    (handler, live): (&DnsHandler, &'h Live),
    query: &FastQuery<'_>,
    cookie: Option<[u8; 24]>,
    (ecs, scope): (Option<ClientSubnet>, u8),
    flags: u16,
) -> Option<ResponseOpt<'h>> {
    let max = handler.edns.max_udp_payload;
    query.edns.map(|e| ResponseOpt {
        flags,
        payload: e.payload.clamp(MIN_UDP_PAYLOAD, max),
        nsid: live.identity.nsid().filter(|_| e.nsid).map(|n| n.as_ref()),
        cookie,
        ecs: ecs.map(|mut subnet| {
            let source = subnet.source_prefix();
            subnet.set_scope_prefix(if source == 0 { 0 } else { scope });
            subnet
        }),
    })
}

/// The rate limiter's verdict on the written answer: sent as written,
/// slipped (TC=1, no records) or dropped; and the header that went out.
/// It sees UDP alone: a TCP answer is always sent.
fn send(
    (handler, live): (&DnsHandler, &Live),
    (query, transport): (&FastQuery<'_>, Transport),
    mut header: Header,
    kind: ResponseKind<'_>,
    (src, exempt): (IpAddr, bool),
    opt: Option<&ResponseOpt<'_>>,
    out: &mut Vec<u8>,
) -> (Outcome, Header) {
    if transport == Transport::Tcp {
        return (Outcome::Reply, header);
    }
    let metrics = &handler.metrics;
    let verdict = live.guard.verdict_udp(src, kind, exempt, metrics);
    let outcome = match verdict {
        Verdict::Send => Outcome::Reply,
        Verdict::Slip => {
            header.truncated = true;
            slip(out, query, header, opt)
        }
        Verdict::Drop => {
            out.clear();
            Outcome::Dropped
        }
    };
    (outcome, header)
}

/// The slipped reply: TC=1, no records, the OPT kept.
fn slip(
    out: &mut Vec<u8>,
    query: &FastQuery<'_>,
    header: Header,
    opt: Option<&ResponseOpt<'_>>,
) -> Outcome {
    match writer::empty(out, query, header, opt) {
        Some(()) => Outcome::Reply,
        None => {
            out.clear();
            Outcome::Dropped
        }
    }
}

/// The rate limiter's kind of the answer, as `guard::kind_of` gives it.
fn kind_of<'a>(plan: &Plan<'a>, qname: &'a [u8], qtype: u16, zone: u32) -> ResponseKind<'a> {
    match plan.rcode {
        ResponseCode::NXDomain => ResponseKind::NxDomain(zone),
        _ if plan.referral.is_some() => ResponseKind::Referral(zone),
        _ if plan.records == 0 => ResponseKind::NoData(zone),
        _ => match plan.wildcard {
            Some(wildcard) => ResponseKind::Wildcard(wildcard, qtype),
            None => ResponseKind::Answer(qname, qtype),
        },
    }
}

#[cfg(test)]
mod guard_tests;
#[cfg(test)]
mod signed_tests;
#[cfg(test)]
mod tcp_tests;
#[cfg(test)]
mod tests;
