//! Criterion micro-benchmarks of the pure query path (no sockets): name
//! conversion, zone lookup and `resolve` over the sample zone
//! (`zones/example.com.toml`) compiled in-process, plus one routed
//! (failover) name, so later changes to the table or resolver can be
//! compared with `cargo bench --bench query_path`.
//!
//! `udp/fast/*` and `udp/hickory/*` time a whole UDP query through
//! `dns::udp::answer` (query bytes in, response bytes in the outbox) with
//! the allocation-free fast path and without it (hickory's parser and
//! encoder), for the same questions.
//!
//! Each case checks its answer once before it is measured, so a bench never
//! times a path other than the one it is named after.

// A benchmark stops loudly when its setup fails.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::hint::black_box;
use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use alwayson::diag::Source;
use alwayson::dns::handler::DnsHandler;
use alwayson::dns::resolve::resolve;
use alwayson::dns::udp::{Outbox, answer};
use alwayson::health::HealthView;
use alwayson::policy::Client;
use alwayson::table::compile::compile;
use alwayson::table::routing;
use alwayson::table::wire_name::WireName;
use alwayson::table::{Snapshot, SnapshotStore, ZoneTable};
use criterion::{Criterion, criterion_group, criterion_main};
use hickory_proto::op::{Edns, Message, Query, ResponseCode};
use hickory_proto::rr::{Name, RData, RecordType};

/// A failover pair without health checks (so the primary answers), to time
/// the routed branch next to the sample's static answers.
const ROUTED_ZONE: &str = r#"
[zone]
origin = "routed.test."
ttl = 60
soa = { mname = "ns1.routed.test.", rname = "hostmaster.routed.test.", refresh = 7200, retry = 900, expire = 1209600, minimum = 60 }

[[record]]
name = "@"
type = "NS"
values = ["ns1.routed.test."]

[[record]]
name = "ns1"
type = "A"
values = ["127.0.0.1"]

[[record]]
name = "www"
type = "A"
set = "primary"
failover = "primary"
values = ["192.0.2.10"]

[[record]]
name = "www"
type = "A"
set = "backup"
failover = "secondary"
values = ["198.51.100.10"]
"#;

fn snapshot() -> Snapshot {
    let sample = Path::new(env!("CARGO_MANIFEST_DIR")).join("zones/example.com.toml");
    let sample = alwayson::zone::load(&sample).unwrap_or_else(|d| panic!("sample zone: {d}"));
    let routed = alwayson::zone::convert::convert(&Source::new("routed.test.toml", ROUTED_ZONE))
        .unwrap_or_else(|d| panic!("routed zone: {d:?}"));
    let zones = Arc::new(ZoneTable::new(
        vec![compile(&sample, 1), compile(&routed, 1)],
        Vec::new(),
    ));
    let health = Arc::new(HealthView::default());
    let routing = Arc::new(routing::compute(&zones, &health));
    Snapshot {
        zones,
        health,
        routing,
        geo: None,
        version: 1,
    }
}

fn name(text: &str) -> Name {
    Name::from_ascii(text).unwrap_or_else(|e| panic!("{text}: {e}"))
}

/// One resolve case: the question and what its answer must be.
struct Case {
    bench: &'static str,
    qname: &'static str,
    qtype: RecordType,
    rcode: ResponseCode,
    /// The last answer record's address (for A), or None for no answer.
    last_a: Option<Ipv4Addr>,
}

const CASES: &[Case] = &[
    Case {
        bench: "resolve/a_hit",
        qname: "www.example.com.",
        qtype: RecordType::A,
        rcode: ResponseCode::NoError,
        last_a: Some(Ipv4Addr::new(192, 0, 2, 10)),
    },
    Case {
        bench: "resolve/nxdomain",
        qname: "nope.example.com.",
        qtype: RecordType::A,
        rcode: ResponseCode::NXDomain,
        last_a: None,
    },
    Case {
        bench: "resolve/cname_chain",
        qname: "web.example.com.",
        qtype: RecordType::A,
        rcode: ResponseCode::NoError,
        last_a: Some(Ipv4Addr::new(192, 0, 2, 10)),
    },
    Case {
        bench: "resolve/wildcard",
        qname: "foo.apps.example.com.",
        qtype: RecordType::A,
        rcode: ResponseCode::NoError,
        last_a: Some(Ipv4Addr::new(192, 0, 2, 80)),
    },
    Case {
        bench: "resolve/failover_routed",
        qname: "www.routed.test.",
        qtype: RecordType::A,
        rcode: ResponseCode::NoError,
        last_a: Some(Ipv4Addr::new(192, 0, 2, 10)),
    },
];

fn query_path(c: &mut Criterion) {
    let snapshot = snapshot();
    let client = Client::new(IpAddr::V4(Ipv4Addr::LOCALHOST), None, None);

    let www = name("WWW.Example.COM.");
    c.bench_function("wire_name/new", |b| {
        b.iter(|| WireName::new(black_box(&www)))
    });

    let wire = WireName::new(&name("host.deep.www.example.com."));
    assert!(snapshot.zones.find(&wire).is_some(), "find: no zone");
    c.bench_function("zone_table/find", |b| {
        b.iter(|| snapshot.zones.find(black_box(&wire)).map(|(_, skip)| skip))
    });

    for case in CASES {
        let qname = name(case.qname);
        let (zone, _) = snapshot
            .zones
            .find(&WireName::new(&qname))
            .unwrap_or_else(|| panic!("{}: no zone for {}", case.bench, case.qname));
        let res = resolve(&snapshot, zone, &qname, case.qtype, &client, false);
        let last_a = res.answers.last().and_then(|r| match &r.data {
            RData::A(a) => Some(a.0),
            _ => None,
        });
        assert_eq!(
            (res.rcode, last_a),
            (case.rcode, case.last_a),
            "{}: unexpected answer {res:?}",
            case.bench
        );
        c.bench_function(case.bench, |b| {
            b.iter(|| {
                let res = resolve(
                    &snapshot,
                    zone,
                    black_box(&qname),
                    case.qtype,
                    &client,
                    false,
                );
                res.answers.len()
            })
        });
    }
}

/// The whole UDP path per query, with and without the fast path.
fn udp_answer(c: &mut Criterion) {
    let store = Arc::new(SnapshotStore::new(snapshot()));
    let fast = DnsHandler::new(store.clone(), 1232, true);
    let hickory = DnsHandler::new(store, 1232, true).with_fast_path(false);
    let src: SocketAddr = "127.0.0.1:5353".parse().unwrap();
    let cases = [
        ("a_hit", "mail.example.com.", RecordType::A),
        ("nodata", "mail.example.com.", RecordType::TXT),
        ("nxdomain", "nope.example.com.", RecordType::A),
        ("cname_chain", "web.example.com.", RecordType::A),
        ("wildcard", "foo.apps.example.com.", RecordType::A),
        ("failover_routed", "www.routed.test.", RecordType::A),
    ];
    for (bench, qname, qtype) in cases {
        let mut message = Message::query();
        message.add_query(Query::query(name(qname), qtype));
        let mut edns = Edns::new();
        edns.set_max_payload(1232);
        message.set_edns(edns);
        let packet = message.to_vec().unwrap();
        let reply = |handler: &DnsHandler| {
            let outbox = Outbox::default();
            answer(&packet, src, handler, &outbox);
            let mut bytes = Vec::new();
            outbox.drain(|queued| bytes = queued[0].0.clone());
            bytes
        };
        assert_eq!(reply(&fast), reply(&hickory), "{bench}: the paths differ");
        for (path, handler) in [("fast", &fast), ("hickory", &hickory)] {
            let outbox = Outbox::default();
            c.bench_function(&format!("udp/{path}/{bench}"), |b| {
                b.iter(|| {
                    answer(black_box(&packet), src, handler, &outbox);
                    outbox.drain(|queued| {
                        black_box(queued.len());
                    });
                })
            });
        }
    }
}

fn short() -> Criterion {
    Criterion::default()
        .sample_size(20)
        .warm_up_time(Duration::from_millis(500))
        .measurement_time(Duration::from_secs(2))
}

criterion_group! {
    name = benches;
    config = short();
    targets = query_path, udp_answer
}
criterion_main!(benches);
