//! A DNAME at the zone apex (RFC 6672 §2.3): the apex keeps its own data
//! (SOA, NS, A), every name below it is redirected with the DNAME and a
//! synthesized CNAME, whatever the type asked; a target back inside the
//! zone is followed as far as the zone answers, without repeating records.

use std::collections::BTreeSet;

use hickory_proto::op::{Message, ResponseCode};
use hickory_proto::rr::{RData, RecordType};

use super::{section, text};
use crate::harness::{TestServer, query, udp, zone};

/// `mybankcard.example.` redirected to `example.`; `loop.example.`
/// redirected below itself; `self.example.` redirected to itself.
async fn serve() -> TestServer {
    let apex = |target: &str| {
        format!(
            r#"
[[record]]
name = "@"
type = "NS"
values = ["ns1.example.net."]
[[record]]
name = "@"
type = "A"
values = ["192.0.2.1"]
[[record]]
name = "@"
type = "DNAME"
values = ["{target}"]
"#
        )
    };
    TestServer::start(&[
        zone("mybankcard.example.", None, &apex("example.")),
        zone("loop.example.", None, &apex("back.loop.example.")),
        zone("self.example.", None, &apex("self.example.")),
    ])
    .await
}

/// NOERROR, AA, and the answer section as text.
fn answered(response: &Message) -> Vec<(String, RecordType, String)> {
    let what = format!("{:?}", response.queries);
    assert_eq!(
        response.metadata.response_code,
        ResponseCode::NoError,
        "{what}"
    );
    assert!(response.metadata.authoritative, "AA on {what}");
    section(&response.answers)
}

fn dname_owner(records: &[(String, RecordType, String)]) -> Vec<&str> {
    records
        .iter()
        .filter(|r| r.1 == RecordType::DNAME)
        .map(|r| r.0.as_str())
        .collect()
}

#[tokio::test]
async fn names_below_an_apex_dname_are_redirected_for_every_type() {
    let server = serve().await;
    let cases = [
        ("foo.mybankcard.example.", "foo.example."),
        ("a.b.mybankcard.example.", "a.b.example."),
    ];
    for (name, target) in cases {
        for qtype in [
            RecordType::A,
            RecordType::NS,
            RecordType::SOA,
            RecordType::CNAME,
            RecordType::DNAME,
            RecordType::TXT,
        ] {
            let response = udp(server.addr(), &query(name, qtype)).await;
            let answers = answered(&response);
            assert_eq!(answers.len(), 2, "{name} {qtype}: {answers:?}");
            assert_eq!(dname_owner(&answers), ["mybankcard.example."], "{qtype}");
            assert_eq!(
                answers[1],
                (text(name), RecordType::CNAME, text(target)),
                "{name} {qtype}"
            );
            assert!(response.authorities.is_empty(), "no SOA: {name} {qtype}");
            // The synthesized CNAME carries the DNAME's TTL (RFC 6672 §3.3).
            assert_eq!(response.answers[1].ttl, response.answers[0].ttl);
        }
    }
    server.stop().await;
}

#[tokio::test]
async fn the_apex_of_a_dname_zone_keeps_its_own_data() {
    let server = serve().await;
    let apex = "mybankcard.example.";
    for (qtype, want) in [
        (RecordType::SOA, RecordType::SOA),
        (RecordType::NS, RecordType::NS),
        (RecordType::A, RecordType::A),
        (RecordType::DNAME, RecordType::DNAME),
    ] {
        let response = udp(server.addr(), &query(apex, qtype)).await;
        let answers = answered(&response);
        assert_eq!(answers.len(), 1, "{qtype}: {answers:?}");
        assert_eq!((answers[0].0.as_str(), answers[0].1), (apex, want));
    }
    let response = udp(server.addr(), &query(apex, RecordType::MX)).await;
    assert!(answered(&response).is_empty(), "NODATA at the apex");
    assert_eq!(response.authorities.len(), 1);
    assert_eq!(response.authorities[0].record_type(), RecordType::SOA);
    server.stop().await;
}

#[tokio::test]
async fn an_apex_dname_back_into_its_zone_is_followed_without_repeats() {
    let server = serve().await;
    let response = udp(server.addr(), &query("foo.loop.example.", RecordType::A)).await;
    let answers = answered(&response);
    // The DNAME once, then a chain of synthesized CNAMEs, each starting
    // where the one before ended, cut at the chain bound.
    assert_eq!(dname_owner(&answers), ["loop.example."], "{answers:?}");
    assert_eq!(answers[0].1, RecordType::DNAME);
    let cnames = &answers[1..];
    assert!(cnames.len() >= 2, "the chain continues: {answers:?}");
    assert!(cnames.len() <= 16, "the chain is bounded: {answers:?}");
    let mut owner = text("foo.loop.example.");
    for (name, rtype, target) in cnames {
        assert_eq!((name, *rtype), (&owner, RecordType::CNAME), "{answers:?}");
        owner.clone_from(target);
        assert!(owner.ends_with(".back.loop.example."), "{answers:?}");
    }
    let distinct: BTreeSet<_> = answers.iter().collect();
    assert_eq!(distinct.len(), answers.len(), "repeats: {answers:?}");

    // A DNAME to its own owner: one CNAME to the same name, then stop.
    let response = udp(server.addr(), &query("foo.self.example.", RecordType::A)).await;
    let answers = answered(&response);
    assert_eq!(dname_owner(&answers), ["self.example."], "{answers:?}");
    assert_eq!(
        answers[1..],
        [(
            text("foo.self.example."),
            RecordType::CNAME,
            text("foo.self.example.")
        )]
    );
    assert!(
        response
            .answers
            .iter()
            .all(|r| !matches!(r.data, RData::A(_))),
        "{answers:?}"
    );
    server.stop().await;
}
