//! Answers built from other records: CNAME chains followed inside the zone
//! (loops end without repeating), wildcards per RFC 4592 (the asked name as
//! owner, NODATA for other types, never for names that exist), and DNAME
//! substitution with its synthesized CNAME (at the apex: [`apex_dname`]).

use std::collections::BTreeSet;
use std::time::Duration;

use hickory_proto::op::ResponseCode;
use hickory_proto::rr::RecordType;

use super::{assert_negative, section, serve, text};
use crate::harness::{query, udp};

#[tokio::test]
async fn cname_chains_are_followed_inside_the_zone() {
    let server = serve().await;
    let response = udp(server.addr(), &query("c1.example.com.", RecordType::A)).await;
    assert!(response.metadata.authoritative);
    assert_eq!(response.metadata.response_code, ResponseCode::NoError);
    assert_eq!(
        section(&response.answers),
        [
            (
                text("c1.example.com."),
                RecordType::CNAME,
                text("c2.example.com.")
            ),
            (
                text("c2.example.com."),
                RecordType::CNAME,
                text("www.example.com.")
            ),
            (text("www.example.com."), RecordType::A, text("192.0.2.10")),
        ]
    );
    // Asking for the CNAME itself stops at the first one.
    let response = udp(server.addr(), &query("c1.example.com.", RecordType::CNAME)).await;
    assert_eq!(response.answers.len(), 1);
    server.stop().await;
}

#[tokio::test]
async fn a_cname_loop_answers_without_hanging_or_repeating() {
    let server = serve().await;
    let q = query("loop1.example.com.", RecordType::A);
    let response = tokio::time::timeout(Duration::from_secs(5), udp(server.addr(), &q))
        .await
        .expect("a CNAME loop is answered at once");
    assert!(response.metadata.authoritative);
    let answers = section(&response.answers);
    let distinct: BTreeSet<_> = answers.iter().collect();
    assert_eq!(
        distinct.len(),
        answers.len(),
        "repeated records: {answers:?}"
    );
    assert_eq!(
        distinct.into_iter().cloned().collect::<Vec<_>>(),
        [
            (
                text("loop1.example.com."),
                RecordType::CNAME,
                text("loop2.example.com.")
            ),
            (
                text("loop2.example.com."),
                RecordType::CNAME,
                text("loop1.example.com.")
            ),
        ]
    );
    server.stop().await;
}

#[tokio::test]
async fn a_wildcard_answers_for_the_name_asked() {
    let server = serve().await;
    for name in ["other.wild.example.com.", "two.labels.wild.example.com."] {
        let response = udp(server.addr(), &query(name, RecordType::A)).await;
        assert!(response.metadata.authoritative, "{name}");
        assert_eq!(
            section(&response.answers),
            [(text(name), RecordType::A, text("192.0.2.99"))]
        );
    }
    // At a wildcard without the type: NODATA.
    let response = udp(
        server.addr(),
        &query("other.wild.example.com.", RecordType::MX),
    )
    .await;
    assert_negative(&response, ResponseCode::NoError, "example.com.", 300);
    server.stop().await;
}

#[tokio::test]
async fn names_that_exist_never_match_the_wildcard() {
    let server = serve().await;
    let addr = server.addr();
    // host.wild exists (TXT only), ent.wild is an empty non-terminal.
    for name in ["host.wild.example.com.", "ent.wild.example.com."] {
        let response = udp(addr, &query(name, RecordType::A)).await;
        assert_negative(&response, ResponseCode::NoError, "example.com.", 300);
    }
    // Below an existing name the wildcard one level up does not apply
    // (RFC 4592 §2.2.1: the closest encloser is host.wild).
    let response = udp(addr, &query("x.host.wild.example.com.", RecordType::A)).await;
    assert_negative(&response, ResponseCode::NXDomain, "example.com.", 300);
    let response = udp(addr, &query("host.wild.example.com.", RecordType::TXT)).await;
    assert_eq!(response.answers.len(), 1);
    server.stop().await;
}

#[tokio::test]
async fn dname_synthesizes_a_cname_and_follows_it() {
    let server = serve().await;
    let response = udp(server.addr(), &query("x.redir.example.com.", RecordType::A)).await;
    assert!(response.metadata.authoritative);
    assert_eq!(response.metadata.response_code, ResponseCode::NoError);
    let answers = section(&response.answers);
    assert_eq!(answers.len(), 3, "{answers:?}");
    assert_eq!(
        (&answers[0].0, answers[0].1),
        (&text("redir.example.com."), RecordType::DNAME)
    );
    assert_eq!(
        answers[1],
        (
            text("x.redir.example.com."),
            RecordType::CNAME,
            text("x.target.example.com.")
        )
    );
    assert_eq!(
        answers[2],
        (
            text("x.target.example.com."),
            RecordType::A,
            text("192.0.2.150")
        )
    );
    // The synthesized CNAME carries the DNAME's TTL (RFC 6672 §3.3).
    assert_eq!(response.answers[1].ttl, response.answers[0].ttl);
    server.stop().await;
}
