//! Delegations and extra data: referrals without AA, with glue, never
//! serving data occluded below the cut; additional addresses for MX, SRV and
//! NS targets; ANY per RFC 8482 over UDP and TCP.

use std::collections::BTreeSet;
use std::net::Ipv4Addr;

use hickory_proto::op::ResponseCode;
use hickory_proto::rr::{Record, RecordType};

use super::{a_values, section, serve, text};
use crate::harness::{query, tcp, udp, with_edns};

#[tokio::test]
async fn a_delegation_answers_with_a_referral_and_glue() {
    let server = serve().await;
    let names = [
        "deleg.example.com.",
        "www.deleg.example.com.",
        "ns.deleg.example.com.",
        "occluded.deleg.example.com.",
    ];
    for name in names {
        for qtype in [RecordType::A, RecordType::NS, RecordType::TXT] {
            let response = udp(server.addr(), &query(name, qtype)).await;
            let what = format!("{name} {qtype}");
            assert_eq!(
                response.metadata.response_code,
                ResponseCode::NoError,
                "{what}"
            );
            assert!(!response.metadata.authoritative, "no AA on {what}");
            assert!(response.answers.is_empty(), "no answer to {what}");
            let ns: BTreeSet<_> = section(&response.authorities).into_iter().collect();
            let want: BTreeSet<_> = [
                (
                    text("deleg.example.com."),
                    RecordType::NS,
                    text("ns.deleg.example.com."),
                ),
                (
                    text("deleg.example.com."),
                    RecordType::NS,
                    text("ns.other.net."),
                ),
            ]
            .into_iter()
            .collect();
            assert_eq!(ns, want, "{what}");
            let glue = a_values(&response.additionals);
            assert_eq!(glue, [Ipv4Addr::new(192, 0, 2, 200)], "glue for {what}");
        }
    }
    server.stop().await;
}

#[tokio::test]
async fn mx_srv_and_ns_targets_in_the_zone_come_with_their_addresses() {
    let server = serve().await;
    let cases = [
        ("example.com.", RecordType::MX, vec!["mail.example.com."]),
        (
            "_sip._tcp.example.com.",
            RecordType::SRV,
            vec!["sip.example.com."],
        ),
        (
            "example.com.",
            RecordType::NS,
            vec!["ns1.example.com.", "ns2.example.com."],
        ),
    ];
    for (name, qtype, targets) in cases {
        let response = udp(server.addr(), &query(name, qtype)).await;
        assert!(response.metadata.authoritative, "{name} {qtype}");
        assert!(!response.answers.is_empty(), "{name} {qtype}");
        let extra: BTreeSet<String> = response
            .additionals
            .iter()
            .filter(|r| matches!(r.record_type(), RecordType::A | RecordType::AAAA))
            .map(|r| r.name.to_ascii().to_ascii_lowercase())
            .collect();
        let want: BTreeSet<String> = targets.iter().map(|t| t.to_string()).collect();
        assert_eq!(extra, want, "additional owners for {name} {qtype}");
    }
    // Both address types of the MX target.
    let response = udp(server.addr(), &query("example.com.", RecordType::MX)).await;
    let types: BTreeSet<RecordType> = response
        .additionals
        .iter()
        .map(Record::record_type)
        .filter(|t| *t != RecordType::OPT)
        .collect();
    assert_eq!(
        types,
        [RecordType::A, RecordType::AAAA].into_iter().collect()
    );
    server.stop().await;
}

#[tokio::test]
async fn any_over_udp_is_one_rrset_and_over_tcp_all_of_them() {
    let server = serve().await;
    let q = with_edns(query("multi.example.com.", RecordType::ANY), 1232);
    let response = udp(server.addr(), &q).await;
    assert_eq!(response.metadata.response_code, ResponseCode::NoError);
    assert!(response.metadata.authoritative);
    let types: BTreeSet<RecordType> = response.answers.iter().map(Record::record_type).collect();
    assert_eq!(types.len(), 1, "one RRset over UDP (RFC 8482): {types:?}");
    let response = tcp(server.addr(), &q).await;
    let types: BTreeSet<RecordType> = response.answers.iter().map(Record::record_type).collect();
    let all = [RecordType::A, RecordType::AAAA, RecordType::TXT];
    assert_eq!(types, all.into_iter().collect());
    server.stop().await;
}
