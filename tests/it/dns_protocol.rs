//! DNS protocol conformance (SPEC §4) over real UDP and TCP sockets against
//! the in-process server: AA, REFUSED, zone choice and negative answers
//! here; CNAME, wildcard and DNAME in [`synthesis`]; referrals, additional
//! data and ANY in [`referral`]; header rules in [`header`]; NSID and the
//! CH TXT identity names in [`identity`]; EDNS, truncation and TCP in
//! [`transport`].
//!
//! Every test serves [`example_zone`] and [`sub_zone`] (a separate zone
//! below it), so the zone choice is exercised by every query.

use std::net::Ipv4Addr;

use hickory_proto::op::{Message, ResponseCode};
use hickory_proto::rr::{Name, RData, Record, RecordType};

use crate::harness::{TestServer, query, tcp, udp, zone};

mod apex_dname;
mod header;
mod identity;
mod referral;
mod synthesis;
mod tcp_limits;
mod transport;

/// How many A records `big.example.com.` holds: far more than 1232 bytes.
const BIG: usize = 200;

/// The main zone: every case a test needs, commented by purpose.
fn example_zone() -> String {
    let big: Vec<String> = (0..BIG)
        .map(|i| format!("\"10.0.{}.{}\"", i / 250, i % 250 + 1))
        .collect();
    let records = r#"
[[record]]
name = "@"
type = "NS"
values = ["ns1.example.com.", "ns2.example.com."]
[[record]]
name = "ns1"
type = "A"
values = ["192.0.2.53"]
[[record]]
name = "ns1"
type = "AAAA"
values = ["2001:db8::53"]
[[record]]
name = "ns2"
type = "A"
values = ["198.51.100.53"]
[[record]]
name = "@"
type = "MX"
values = ["10 mail.example.com."]
[[record]]
name = "mail"
type = "A"
values = ["192.0.2.25"]
[[record]]
name = "mail"
type = "AAAA"
values = ["2001:db8::25"]
[[record]]
name = "www"
type = "A"
values = ["192.0.2.10"]
[[record]]
name = "_sip._tcp"
type = "SRV"
values = ["10 60 5060 sip.example.com."]
[[record]]
name = "sip"
type = "A"
values = ["192.0.2.60"]

# ent.example.com. is an empty non-terminal
[[record]]
name = "leaf.ent"
type = "A"
values = ["192.0.2.77"]

# CNAME chain c1 -> c2 -> www, and a loop
[[record]]
name = "c1"
type = "CNAME"
values = ["c2.example.com."]
[[record]]
name = "c2"
type = "CNAME"
values = ["www.example.com."]
[[record]]
name = "loop1"
type = "CNAME"
values = ["loop2.example.com."]
[[record]]
name = "loop2"
type = "CNAME"
values = ["loop1.example.com."]

# wildcard with an existing sibling and an empty non-terminal below it
[[record]]
name = "*.wild"
type = "A"
values = ["192.0.2.99"]
[[record]]
name = "host.wild"
type = "TXT"
values = ["exists"]
[[record]]
name = "leaf.ent.wild"
type = "A"
values = ["192.0.2.98"]

# delegation with glue, and data occluded by it
[[record]]
name = "deleg"
type = "NS"
values = ["ns.deleg.example.com.", "ns.other.net."]
[[record]]
name = "ns.deleg"
type = "A"
values = ["192.0.2.200"]
[[record]]
name = "occluded.deleg"
type = "A"
values = ["192.0.2.201"]

# DNAME inside the zone
[[record]]
name = "redir"
type = "DNAME"
values = ["target.example.com."]
[[record]]
name = "x.target"
type = "A"
values = ["192.0.2.150"]

# several types at one name, for ANY
[[record]]
name = "multi"
type = "A"
values = ["192.0.2.40"]
[[record]]
name = "multi"
type = "AAAA"
values = ["2001:db8::40"]
[[record]]
name = "multi"
type = "TXT"
values = ["multi"]
"#;
    let records = format!(
        "{records}\n[[record]]\nname = \"big\"\ntype = \"A\"\nvalues = [{}]\n",
        big.join(", ")
    );
    zone("example.com.", None, &records)
}

/// A zone of its own below example.com., with an SOA TTL (60) below its
/// minimum (300).
fn sub_zone() -> String {
    let records = r#"
[[record]]
name = "@"
type = "NS"
values = ["ns1.sub.example.com."]
[[record]]
name = "ns1"
type = "A"
values = ["192.0.2.129"]
[[record]]
name = "host"
type = "A"
values = ["192.0.2.130"]
"#;
    zone("sub.example.com.", Some(60), records)
}

async fn serve() -> TestServer {
    TestServer::start(&[example_zone(), sub_zone()]).await
}

/// The answer section as `(owner, type, rdata)` text, lowercased owners.
fn section(records: &[Record]) -> Vec<(String, RecordType, String)> {
    records
        .iter()
        .map(|r| {
            (
                r.name.to_ascii().to_ascii_lowercase(),
                r.record_type(),
                r.data.to_string(),
            )
        })
        .collect()
}

fn a_values(records: &[Record]) -> Vec<Ipv4Addr> {
    records
        .iter()
        .filter_map(|r| match &r.data {
            RData::A(a) => Some(a.0),
            _ => None,
        })
        .collect()
}

fn text(text: &str) -> String {
    text.to_string()
}

/// A negative answer: `rcode`, AA, nothing answered, exactly the SOA of
/// `origin` with TTL `ttl` in the authority section.
fn assert_negative(response: &Message, rcode: ResponseCode, origin: &str, ttl: u32) {
    let what = format!("{:?}", response.queries);
    assert_eq!(response.metadata.response_code, rcode, "{what}");
    assert!(response.metadata.authoritative, "AA on {what}");
    assert!(response.answers.is_empty(), "no answer to {what}");
    assert_eq!(response.authorities.len(), 1, "only the SOA for {what}");
    let soa = &response.authorities[0];
    assert_eq!(soa.record_type(), RecordType::SOA, "{what}");
    assert_eq!(
        soa.name,
        Name::from_ascii(origin).expect("origin"),
        "{what}"
    );
    assert_eq!(soa.ttl, ttl, "negative TTL for {what}");
    let RData::SOA(rdata) = &soa.data else {
        panic!("SOA rdata for {what}");
    };
    assert_eq!(rdata.minimum, 300);
}

#[tokio::test]
async fn authoritative_answers_set_aa_over_udp_and_tcp() {
    let server = serve().await;
    let q = query("www.example.com.", RecordType::A);
    for response in [udp(server.addr(), &q).await, tcp(server.addr(), &q).await] {
        assert_eq!(response.metadata.response_code, ResponseCode::NoError);
        assert!(response.metadata.authoritative);
        assert_eq!(a_values(&response.answers), [Ipv4Addr::new(192, 0, 2, 10)]);
        assert_eq!(response.answers[0].ttl, 3600);
    }
    server.stop().await;
}

#[tokio::test]
async fn names_outside_the_zones_are_refused_without_aa() {
    let server = serve().await;
    for name in ["example.org.", "com.", "notexample.com.", "."] {
        let response = udp(server.addr(), &query(name, RecordType::A)).await;
        assert_eq!(
            response.metadata.response_code,
            ResponseCode::Refused,
            "{name}"
        );
        assert!(!response.metadata.authoritative, "no AA for {name}");
        assert!(response.answers.is_empty() && response.authorities.is_empty());
    }
    server.stop().await;
}

#[tokio::test]
async fn the_zone_with_the_longest_matching_origin_answers() {
    let server = serve().await;
    let response = udp(
        server.addr(),
        &query("host.sub.example.com.", RecordType::A),
    )
    .await;
    assert!(response.metadata.authoritative);
    assert_eq!(a_values(&response.answers), [Ipv4Addr::new(192, 0, 2, 130)]);
    // The parent has no such names: only the child zone can say NXDOMAIN
    // with its own SOA, and SOA with its own origin.
    let response = udp(
        server.addr(),
        &query("nope.sub.example.com.", RecordType::A),
    )
    .await;
    assert_negative(&response, ResponseCode::NXDomain, "sub.example.com.", 60);
    let response = udp(server.addr(), &query("sub.example.com.", RecordType::SOA)).await;
    assert_eq!(response.answers.len(), 1);
    assert_eq!(response.answers[0].name.to_ascii(), "sub.example.com.");
    assert_eq!(response.answers[0].ttl, 60);
    server.stop().await;
}

#[tokio::test]
async fn negative_answers_carry_the_soa_with_the_negative_ttl() {
    let server = serve().await;
    let addr = server.addr();
    // example.com.: SOA TTL 3600, minimum 300 → 300.
    let nx = udp(addr, &query("nope.example.com.", RecordType::A)).await;
    assert_negative(&nx, ResponseCode::NXDomain, "example.com.", 300);
    let nodata = udp(addr, &query("www.example.com.", RecordType::MX)).await;
    assert_negative(&nodata, ResponseCode::NoError, "example.com.", 300);
    // sub.example.com.: SOA TTL 60, minimum 300 → 60.
    let nodata = udp(addr, &query("host.sub.example.com.", RecordType::TXT)).await;
    assert_negative(&nodata, ResponseCode::NoError, "sub.example.com.", 60);
    server.stop().await;
}

#[tokio::test]
async fn an_empty_non_terminal_is_nodata() {
    let server = serve().await;
    for qtype in [RecordType::A, RecordType::TXT] {
        let response = udp(server.addr(), &query("ent.example.com.", qtype)).await;
        assert_negative(&response, ResponseCode::NoError, "example.com.", 300);
    }
    server.stop().await;
}
