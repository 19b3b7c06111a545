//! The UDP query path allocates nothing once warm: real query bytes go
//! through the real entry point (`dns::udp::answer`, the handler, the
//! outbox) for an A hit, NODATA, NXDOMAIN, a CNAME chain, a wildcard, a
//! failover name, a weighted name and a geolocation name with ECS (and an
//! SOA, an MX with its additional record, a referral, a DNAME, a REFUSED, the other
//! policies, an apex alias and a client cookie, with RRL and cookies on),
//! and a
//! counting global allocator must see zero allocations per query after
//! warm-up. A global allocator is per binary, hence this file of its own;
//! it is the only place here that needs `unsafe` (the `GlobalAlloc` trait).

#![allow(unsafe_code, clippy::unwrap_used, clippy::expect_used)]

use std::alloc::{GlobalAlloc, Layout, System};
use std::cell::Cell;
use std::net::{IpAddr, SocketAddr};
use std::path::Path;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use alwayson::diag::Source;
use alwayson::dns::cookie::{CookieSettings, Cookies};
use alwayson::dns::guard::Guard;
use alwayson::dns::handler::DnsHandler;
use alwayson::dns::rrl::{Rrl, RrlSettings};
use alwayson::dns::udp::{Outbox, answer};
use alwayson::dnssec::{KeyState, Role, SignAlgorithm, ZoneKeys, keys};
use alwayson::geo::GeoDb;
use alwayson::health::HealthView;
use alwayson::table::compile::compile;
use alwayson::table::{Snapshot, SnapshotStore, ZoneTable, routing};
use hickory_proto::op::{Edns, Message, Query};
use hickory_proto::rr::rdata::opt::{ClientSubnet, EdnsCode, EdnsOption};
use hickory_proto::rr::{Name, RecordType};

/// The system allocator, counting the allocations of a thread that asks.
struct Counting;

static ALLOCATIONS: AtomicUsize = AtomicUsize::new(0);

thread_local! {
    static COUNT_HERE: Cell<bool> = const { Cell::new(false) };
}

fn note() {
    if COUNT_HERE.with(Cell::get) {
        ALLOCATIONS.fetch_add(1, Ordering::Relaxed);
    }
}

// SAFETY: every method forwards to `System` with the caller's arguments
// unchanged, so `System` upholds the contract; counting touches only an
// atomic and a const-initialised thread-local `Cell`, neither of which
// allocates.
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        note();
        // SAFETY: forwarded as received (see the impl).
        unsafe { System.alloc(layout) }
    }

    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        note();
        // SAFETY: forwarded as received (see the impl).
        unsafe { System.alloc_zeroed(layout) }
    }

    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        note();
        // SAFETY: forwarded as received (see the impl).
        unsafe { System.realloc(ptr, layout, new_size) }
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        // SAFETY: forwarded as received (see the impl).
        unsafe { System.dealloc(ptr, layout) }
    }
}

#[global_allocator]
static GLOBAL: Counting = Counting;

/// Allocations made by `f` on this thread.
fn allocations(f: impl FnOnce()) -> usize {
    let before = ALLOCATIONS.load(Ordering::Relaxed);
    COUNT_HERE.with(|c| c.set(true));
    f();
    COUNT_HERE.with(|c| c.set(false));
    ALLOCATIONS.load(Ordering::Relaxed) - before
}

const ZONE: &str = include_str!("fixtures/alloc.test.toml");

fn handler() -> DnsHandler {
    handler_for(false)
}

/// [`handler`], the zone signed with one P-256 key when `signed`.
fn handler_for(signed: bool) -> DnsHandler {
    let zone = alwayson::zone::convert::convert(&Source::new("alloc.test.toml", ZONE)).unwrap();
    let mut compiled = compile(&zone, 1);
    if signed {
        let der = keys::generate(SignAlgorithm::EcdsaP256).unwrap();
        let key = keys::load(&der, Role::Csk, KeyState::Active, "k").unwrap();
        let origin = compiled.origin.clone();
        compiled.dnssec = Some(Arc::new(ZoneKeys::new(origin, vec![key], 3600).unwrap()));
    }
    let zones = Arc::new(ZoneTable::new(vec![compiled], Vec::new()));
    let health = Arc::new(HealthView::default());
    let routing = Arc::new(routing::compute(&zones, &health));
    let mmdb = Path::new(env!("CARGO_MANIFEST_DIR")).join("geoip/sample.mmdb");
    let store = Arc::new(SnapshotStore::new(Snapshot {
        zones,
        health,
        routing,
        geo: Some(Arc::new(GeoDb::open(&mmdb).unwrap())),
        version: 1,
    }));
    // Rate limiting (far above this test's rate) and cookies, as a
    // production server would run them.
    let rrl = Rrl::new(RrlSettings {
        responses_per_second: 100_000,
        slip: 2,
        window: Duration::from_secs(15),
        ipv4_prefix: 24,
        ipv6_prefix: 56,
        whitelist: Vec::new(),
        table_size: 1024,
    });
    let cookies = Cookies::new(&CookieSettings {
        secret: Some([3; 16]),
        previous_secret: None,
    });
    let guard = Guard {
        rrl: Some(Arc::new(rrl)),
        cookies: Some(Arc::new(cookies)),
    };
    DnsHandler::new(store, 1232, true).with_guard(guard)
}

fn query(name: &str, rtype: RecordType, ecs: Option<(&str, u8)>) -> Vec<u8> {
    with_cookie(name, rtype, ecs, None)
}

fn with_cookie(
    name: &str,
    rtype: RecordType,
    ecs: Option<(&str, u8)>,
    cookie: Option<&[u8]>,
) -> Vec<u8> {
    let mut message = Message::query();
    message.metadata.id = 0x4242;
    message.add_query(Query::query(Name::from_ascii(name).unwrap(), rtype));
    let mut edns = Edns::new();
    edns.set_max_payload(1232);
    if let Some((addr, prefix)) = ecs {
        let subnet = ClientSubnet::new(addr.parse::<IpAddr>().unwrap(), prefix, 0);
        edns.options_mut().insert(EdnsOption::Subnet(subnet));
    }
    if let Some(cookie) = cookie {
        let code = u16::from(EdnsCode::Cookie);
        edns.options_mut()
            .insert(EdnsOption::Unknown(code, cookie.to_vec()));
    }
    message.set_edns(edns);
    message.to_vec().unwrap()
}

#[test]
fn a_warm_query_path_allocates_nothing() {
    let handler = handler();
    let outbox = Outbox::default();
    let src: SocketAddr = "127.0.0.3:5353".parse().unwrap();
    let kinds = [
        ("A hit", query("host.alloc.test.", RecordType::A, None), 1),
        (
            "NODATA",
            query("HOST.alloc.test.", RecordType::AAAA, None),
            0,
        ),
        (
            "NXDOMAIN",
            query("none.alloc.test.", RecordType::A, None),
            0,
        ),
        (
            "CNAME chain",
            query("chain.alloc.test.", RecordType::A, None),
            3,
        ),
        (
            "wildcard",
            query("x.wild.alloc.test.", RecordType::A, None),
            1,
        ),
        ("failover", query("fo.alloc.test.", RecordType::A, None), 1),
        ("weighted", query("w.alloc.test.", RecordType::A, None), 1),
        (
            "geo + ECS",
            query("geo.alloc.test.", RecordType::A, Some(("127.0.0.2", 32))),
            1,
        ),
        (
            "multivalue",
            query("pool.alloc.test.", RecordType::A, None),
            2,
        ),
        (
            "ip-based",
            query("corp.alloc.test.", RecordType::A, Some(("127.0.0.0", 24))),
            1,
        ),
        (
            "geoproximity",
            query("cdn.alloc.test.", RecordType::A, Some(("127.0.0.4", 32))),
            1,
        ),
        ("apex alias", query("alloc.test.", RecordType::A, None), 1),
        ("DNAME", query("www.dn.alloc.test.", RecordType::A, None), 3),
        ("SOA", query("alloc.test.", RecordType::SOA, None), 1),
        (
            "MX + additional",
            query("mx.alloc.test.", RecordType::MX, None),
            1,
        ),
        (
            "referral",
            query("www.sub.alloc.test.", RecordType::A, None),
            0,
        ),
        ("REFUSED", query("example.org.", RecordType::A, None), 0),
        (
            "client cookie",
            with_cookie("host.alloc.test.", RecordType::A, None, Some(&[5; 8])),
            1,
        ),
    ];
    let mut sent = 0;
    let mut send = |queued: &[(Vec<u8>, SocketAddr)]| {
        for (bytes, _) in queued {
            sent += 1;
            assert!(bytes.len() > 12);
        }
    };
    // Warm-up: thread-locals, the outbox's buffers, the random generator.
    for _ in 0..3 {
        for (_, packet, _) in &kinds {
            answer(packet, src, &handler, &outbox);
        }
        outbox.drain(&mut send);
    }
    for (kind, packet, answers) in &kinds {
        answer(packet, src, &handler, &outbox);
        let mut reply = Vec::new();
        outbox.drain(|queued| reply = queued[0].0.clone());
        let reply = Message::from_vec(&reply).unwrap();
        assert_eq!(reply.answers.len(), *answers, "{kind}");
        let count = allocations(|| {
            for _ in 0..100 {
                answer(packet, src, &handler, &outbox);
                outbox.drain(&mut send);
            }
        });
        assert_eq!(count, 0, "{kind}: {count} allocations in 100 queries");
    }
    assert_eq!(sent, 3 * kinds.len() + 100 * kinds.len());
}

/// A query with DO=1 (and CO when `compact`).
fn signed_query(name: &str, rtype: RecordType, compact: bool) -> Vec<u8> {
    let mut message = Message::query();
    message.metadata.id = 0x4343;
    message.add_query(Query::query(Name::from_ascii(name).unwrap(), rtype));
    let mut edns = Edns::new();
    edns.set_max_payload(1232);
    edns.set_dnssec_ok(true);
    if compact {
        edns.flags_mut().z |= 0x4000;
    }
    message.set_edns(edns);
    message.to_vec().unwrap()
}

#[test]
fn a_warm_signed_query_path_allocates_nothing() {
    let handler = handler_for(true);
    let outbox = Outbox::default();
    let src: SocketAddr = "127.0.0.3:5353".parse().unwrap();
    let q = |name: &str, rtype: RecordType| signed_query(name, rtype, false);
    // (kind, query, answer records including RRSIGs, authority records)
    let kinds = [
        ("A hit", q("host.alloc.test.", RecordType::A), 2, 0),
        ("NODATA", q("host.alloc.test.", RecordType::AAAA), 0, 4),
        ("CNAME chain", q("chain.alloc.test.", RecordType::A), 6, 0),
        ("NXDOMAIN", q("none.alloc.test.", RecordType::A), 0, 4),
        (
            "NXDOMAIN, CO",
            signed_query("none.alloc.test.", RecordType::A, true),
            0,
            4,
        ),
        ("wildcard", q("x.wild.alloc.test.", RecordType::A), 2, 2),
        ("failover", q("fo.alloc.test.", RecordType::A), 2, 0),
        ("weighted", q("w.alloc.test.", RecordType::A), 2, 0),
        ("apex alias", q("alloc.test.", RecordType::A), 2, 0),
        ("DNAME", q("www.dn.alloc.test.", RecordType::A), 6, 0),
        ("SOA", q("alloc.test.", RecordType::SOA), 2, 0),
        ("MX + additional", q("mx.alloc.test.", RecordType::MX), 2, 0),
        ("referral", q("www.sub.alloc.test.", RecordType::A), 0, 3),
    ];
    let send = |queued: &[(Vec<u8>, SocketAddr)]| {
        for (bytes, _) in queued {
            assert!(bytes.len() > 12);
        }
    };
    // Warm-up: the general path signs (the cache), the fast path fills
    // its slots, then the thread-locals and buffers. Enough rounds that
    // the weighted name has served both its sets (90/10): each set's
    // first DO=1 answer is signed on the general path.
    for _ in 0..400 {
        for (_, packet, _, _) in &kinds {
            answer(packet, src, &handler, &outbox);
        }
        outbox.drain(send);
    }
    for (kind, packet, answers, authority) in &kinds {
        answer(packet, src, &handler, &outbox);
        let mut reply = Vec::new();
        outbox.drain(|queued| reply = queued[0].0.clone());
        let reply = Message::from_vec(&reply).unwrap();
        assert_eq!(reply.answers.len(), *answers, "{kind}");
        assert_eq!(reply.authorities.len(), *authority, "{kind}");
        assert!(reply.edns.unwrap().flags().dnssec_ok, "{kind}");
        let count = allocations(|| {
            for _ in 0..100 {
                answer(packet, src, &handler, &outbox);
                outbox.drain(send);
            }
        });
        assert_eq!(count, 0, "{kind}: {count} allocations in 100 queries");
    }
}
