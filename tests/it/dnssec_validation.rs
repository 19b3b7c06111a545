//! Signed answers checked by a real validator: Unbound on loopback with the
//! zone's DS as its only trust anchor and alwayson as the authority. Every
//! kind of answer must come back with AD=1 (validated), an insecure
//! delegation without it, and a wrong trust anchor must give SERVFAIL
//! (so validation is real).

use std::net::SocketAddr;
use std::time::{Duration, Instant};

use alwayson::dnssec::SignAlgorithm;
use alwayson::health::Override;
use hickory_proto::op::{Message, ResponseCode};
use hickory_proto::rr::{RData, RecordType};

use crate::harness::TestServer;
use crate::validator::{Unbound, do_query, ds_anchor, signed_zone};

const CSV: &str = "network,continent,country,subdivision,latitude,longitude
10.1.0.0/16,EU,DE,DE-HE,50.11,8.68
10.3.0.0/16,NA,US,US-CA,37.77,-122.42
";

fn parent_records(up: SocketAddr, child_ds: &str) -> String {
    format!(
        r#"
[[record]]
name = "www"
type = "A"
values = ["192.0.2.1", "192.0.2.2"]

[[record]]
name = "alias"
type = "CNAME"
values = ["alias2"]

[[record]]
name = "alias2"
type = "CNAME"
values = ["www"]

[[record]]
name = "*.wild"
type = "A"
values = ["192.0.2.99"]

[[record]]
name = "a.b.ent"
type = "A"
values = ["192.0.2.7"]

[[record]]
name = "dn"
type = "DNAME"
values = ["target.example.com."]

[[record]]
name = "host.target"
type = "A"
values = ["192.0.2.8"]

[[record]]
name = "secure"
type = "NS"
values = ["ns1.secure.example.com."]

[[record]]
name = "secure"
type = "DS"
values = ["{child_ds}"]

[[record]]
name = "ns1.secure"
type = "A"
values = ["127.0.0.1"]

[[record]]
name = "sub"
type = "NS"
values = ["ns1.sub.example.com."]

[[record]]
name = "ns1.sub"
type = "A"
values = ["127.0.0.1"]

[[record]]
name = "geo"
type = "A"
set = "hesse"
geo = "DE-HE"
values = ["192.0.2.31"]

[[record]]
name = "geo"
type = "A"
set = "default"
geo = "*"
values = ["192.0.2.32"]

[[record]]
name = "weighted"
type = "A"
set = "a"
weight = 1
values = ["192.0.2.41"]

[[record]]
name = "weighted"
type = "A"
set = "b"
weight = 1
values = ["192.0.2.42"]

[[record]]
name = "fo"
type = "A"
ttl = 1
set = "primary"
failover = "primary"
health_check = "web-1"
values = ["192.0.2.51"]

[[record]]
name = "fo"
type = "A"
ttl = 1
set = "backup"
failover = "secondary"
health_check = "web-2"
values = ["192.0.2.52"]

[[record]]
name = "closed"
type = "A"
ttl = 1
set = "a"
failover = "primary"
health_check = "down-1"
when_all_down = "nodata"
values = ["192.0.2.61"]

[[record]]
name = "closed"
type = "A"
ttl = 1
set = "b"
failover = "secondary"
health_check = "down-2"
values = ["192.0.2.62"]

[health_check.web-1]
type = "tcp"
address = "{up}"

[health_check.web-2]
type = "tcp"
address = "{up}"

[health_check.down-1]
type = "tcp"
address = "{up}"

[health_check.down-2]
type = "tcp"
address = "{up}"
"#
    )
}

fn child_records() -> &'static str {
    r#"
[[record]]
name = "www"
type = "A"
values = ["192.0.2.201"]
"#
}

fn unsigned_child() -> String {
    signed_zone("sub.example.com.", child_records()).replace("dnssec = true\n", "")
}

/// The A values of the answer, sorted (resolvers rotate RRsets).
fn a_values(msg: &Message) -> Vec<String> {
    let mut values: Vec<String> = msg
        .answers
        .iter()
        .filter_map(|r| match &r.data {
            RData::A(a) => Some(a.to_string()),
            _ => None,
        })
        .collect();
    values.sort();
    values
}

/// The answer is NOERROR (or `rcode`) and validated (AD=1).
fn assert_secure(case: &str, msg: &Message, rcode: ResponseCode) {
    assert_eq!(msg.metadata.response_code, rcode, "{case}: {msg:?}");
    assert!(
        msg.metadata.authentic_data,
        "{case}: not validated (AD=0): {msg:?}"
    );
}

struct Setup {
    parent: TestServer,
    child: TestServer,
    anchor: String,
    _geo: tempfile::TempDir,
    _up: tokio::net::TcpListener,
}

async fn setup() -> Setup {
    let mut child_ds = String::new();
    let child_zones = [
        signed_zone("secure.example.com.", child_records()),
        unsigned_child(),
    ];
    let child = TestServer::start_with(&child_zones, |c| {
        let anchor = ds_anchor(
            &c.dnssec.keys_dir,
            "secure.example.com.",
            SignAlgorithm::Ed25519,
        );
        child_ds = anchor
            .trim_start_matches("secure.example.com. DS ")
            .to_string();
    })
    .await;
    let up = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let geo = tempfile::tempdir().unwrap();
    let csv = geo.path().join("geo.csv");
    let mmdb = geo.path().join("geo.mmdb");
    std::fs::write(&csv, CSV).unwrap();
    alwayson::geo::build::build_file(&csv, &mmdb).unwrap();
    let parent_zone = signed_zone(
        "example.com.",
        &parent_records(up.local_addr().unwrap(), &child_ds),
    );
    let mut anchor = String::new();
    let parent = TestServer::start_with(&[parent_zone], |c| {
        anchor = ds_anchor(&c.dnssec.keys_dir, "example.com.", SignAlgorithm::EcdsaP256);
        c.geoip.database = Some(mmdb);
    })
    .await;
    Setup {
        parent,
        child,
        anchor,
        _geo: geo,
        _up: up,
    }
}

fn stubs(s: &Setup) -> Vec<(&'static str, SocketAddr)> {
    vec![
        ("example.com.", s.parent.addr()),
        ("secure.example.com.", s.child.addr()),
        ("sub.example.com.", s.child.addr()),
    ]
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn unbound_validates_every_kind_of_signed_answer() {
    let s = setup().await;
    let unbound = Unbound::start(&stubs(&s), std::slice::from_ref(&s.anchor)).await;
    let ok = ResponseCode::NoError;

    let www = unbound.ask("www.example.com.", RecordType::A).await;
    assert_secure("plain A", &www, ok);
    assert_eq!(a_values(&www), ["192.0.2.1", "192.0.2.2"]);
    let chain = unbound.ask("alias.example.com.", RecordType::A).await;
    assert_secure("CNAME chain", &chain, ok);
    assert_eq!(a_values(&chain), ["192.0.2.1", "192.0.2.2"]);
    let wild = unbound.ask("a.b.wild.example.com.", RecordType::A).await;
    assert_secure("wildcard", &wild, ok);
    assert_eq!(a_values(&wild), ["192.0.2.99"]);
    let dname = unbound.ask("host.dn.example.com.", RecordType::A).await;
    assert_secure("DNAME", &dname, ok);
    assert_eq!(a_values(&dname), ["192.0.2.8"]);
    for (case, name, qtype) in [
        ("NXDOMAIN", "nope.example.com.", RecordType::A),
        ("NODATA", "www.example.com.", RecordType::AAAA),
        ("empty non-terminal", "b.ent.example.com.", RecordType::A),
        ("wildcard NODATA", "x.wild.example.com.", RecordType::TXT),
        ("DNAME to nothing", "nope.dn.example.com.", RecordType::A),
    ] {
        let msg = unbound.ask(name, qtype).await;
        assert_secure(case, &msg, ok);
        assert!(a_values(&msg).is_empty(), "{case}: {msg:?}");
    }
    let dnskey = unbound.ask("example.com.", RecordType::DNSKEY).await;
    assert_secure("DNSKEY", &dnskey, ok);

    // Delegations: a child with DS in the parent validates (Ed25519 child
    // key); one without DS is provably insecure: answered, AD=0.
    let secure = unbound.ask("www.secure.example.com.", RecordType::A).await;
    assert_secure("referral with DS", &secure, ok);
    assert_eq!(a_values(&secure), ["192.0.2.201"]);
    let insecure = unbound.ask("www.sub.example.com.", RecordType::A).await;
    assert_eq!(insecure.metadata.response_code, ok, "{insecure:?}");
    assert_eq!(a_values(&insecure), ["192.0.2.201"]);
    assert!(
        !insecure.metadata.authentic_data,
        "no DS: insecure, not secure"
    );

    // Policy answers.
    let hesse = unbound
        .ask_ecs("geo.example.com.", RecordType::A, "10.1.2.0/24")
        .await;
    assert_secure("geo with ECS", &hesse, ok);
    assert_eq!(a_values(&hesse), ["192.0.2.31"]);
    let other = unbound
        .ask_ecs("geo.example.com.", RecordType::A, "10.3.2.0/24")
        .await;
    assert_secure("geo default with ECS", &other, ok);
    assert_eq!(a_values(&other), ["192.0.2.32"]);
    let weighted = unbound.ask("weighted.example.com.", RecordType::A).await;
    assert_secure("weighted", &weighted, ok);
    assert_eq!(a_values(&weighted).len(), 1);

    let before = unbound.ask("fo.example.com.", RecordType::A).await;
    assert_secure("failover before the flip", &before, ok);
    assert_eq!(a_values(&before), ["192.0.2.51"]);
    let updater = s.parent.server.updater.clone();
    let down = Override::new(false, None, std::time::SystemTime::now());
    let flipped_at = Instant::now();
    updater
        .set_override("web-1", Some(down.clone()))
        .await
        .unwrap()
        .unwrap();
    // alwayson itself: the new RRset, signed, at the first query.
    let direct =
        crate::harness::udp(s.parent.addr(), &do_query("fo.example.com.", RecordType::A)).await;
    assert_eq!(a_values(&direct), ["192.0.2.52"]);
    assert!(
        direct
            .answers
            .iter()
            .any(|r| r.record_type() == RecordType::RRSIG)
    );
    eprintln!(
        "flip → first signed answer of the new value from alwayson: {:?}",
        flipped_at.elapsed()
    );
    let after = loop {
        let msg = unbound.ask("fo.example.com.", RecordType::A).await;
        if a_values(&msg) == ["192.0.2.52"] {
            break msg;
        }
        assert!(
            flipped_at.elapsed() < Duration::from_secs(10),
            "never flipped: {msg:?}"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    };
    eprintln!(
        "flip → first validated answer of the new value through unbound: {:?}",
        flipped_at.elapsed()
    );
    assert_secure("failover after the flip", &after, ok);

    for id in ["down-1", "down-2"] {
        updater
            .set_override(id, Some(down.clone()))
            .await
            .unwrap()
            .unwrap();
    }
    let closed = unbound.ask("closed.example.com.", RecordType::A).await;
    assert_secure("fail-closed NODATA", &closed, ok);
    assert!(a_values(&closed).is_empty(), "{closed:?}");

    drop(unbound);
    s.parent.stop().await;
    s.child.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_wrong_trust_anchor_gives_servfail() {
    let s = setup().await;
    // A DS of another key of the same algorithm: the served DNSKEY set does
    // not match it, so nothing below it may validate.
    let other = tempfile::tempdir().unwrap();
    let wrong = ds_anchor(
        &other.path().join("keys"),
        "example.com.",
        SignAlgorithm::EcdsaP256,
    );
    assert_ne!(wrong, s.anchor);
    let unbound = Unbound::start(&stubs(&s), &[wrong]).await;
    for (name, qtype) in [
        ("www.example.com.", RecordType::A),
        ("nope.example.com.", RecordType::A),
        ("example.com.", RecordType::DNSKEY),
    ] {
        let msg = unbound.ask(name, qtype).await;
        assert_eq!(
            msg.metadata.response_code,
            ResponseCode::ServFail,
            "{name}: {msg:?}"
        );
        assert!(msg.answers.is_empty());
    }
    drop(unbound);
    s.parent.stop().await;
    s.child.stop().await;
}

/// Instances sharing one keys folder publish the same DNSKEY set, and a
/// validator accepts the signatures of either (ECDSA signatures differ).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn instances_sharing_the_keys_folder_both_validate() {
    let records = "[[record]]\nname = \"www\"\ntype = \"A\"\nvalues = [\"192.0.2.1\"]\n";
    let zone = signed_zone("example.com.", records);
    let (mut anchor, mut keys) = (String::new(), std::path::PathBuf::new());
    let first = TestServer::start_with(std::slice::from_ref(&zone), |c| {
        anchor = ds_anchor(&c.dnssec.keys_dir, "example.com.", SignAlgorithm::EcdsaP256);
        keys = c.dnssec.keys_dir.clone();
    })
    .await;
    let second = TestServer::start_with(&[zone], |c| c.dnssec.keys_dir = keys.clone()).await;
    for server in [&first, &second] {
        let unbound = Unbound::start(
            &[("example.com.", server.addr())],
            std::slice::from_ref(&anchor),
        )
        .await;
        let msg = unbound.ask("www.example.com.", RecordType::A).await;
        assert_secure("shared keys", &msg, ResponseCode::NoError);
    }
    first.stop().await;
    second.stop().await;
}
