//! EDNS(0) (OPT echoed with our payload, BADVERS, unknown options dropped,
//! no OPT without one asked), truncation over UDP (TC=1 with an empty
//! answer, OPT and ECS kept) against the whole answer over TCP, several
//! queries on one TCP connection, and the TCP idle timeout.

use std::time::{Duration, Instant};

use hickory_proto::op::{Edns, Message, ResponseCode};
use hickory_proto::rr::RecordType;
use hickory_proto::rr::rdata::opt::{ClientSubnet, EdnsCode, EdnsOption};

use super::{BIG, a_values, example_zone, serve, sub_zone};
use crate::harness::{TcpClient, TestServer, query, tcp, udp, with_edns};

fn options(response: &Message) -> Vec<EdnsCode> {
    response
        .edns
        .as_ref()
        .map(|e| e.options().options.iter().map(|(code, _)| *code).collect())
        .unwrap_or_default()
}

#[tokio::test]
async fn the_opt_record_is_echoed_with_our_payload_size() {
    let server = serve().await;
    let q = with_edns(query("www.example.com.", RecordType::A), 4096);
    for response in [udp(server.addr(), &q).await, tcp(server.addr(), &q).await] {
        let edns = response.edns.as_ref().expect("OPT in the response");
        assert_eq!(edns.max_payload(), 1232, "clamped to max_udp_payload");
        assert_eq!(edns.version(), 0);
        assert_eq!(response.metadata.response_code, ResponseCode::NoError);
        assert_eq!(response.answers.len(), 1);
    }
    server.stop().await;
}

#[tokio::test]
async fn no_opt_in_the_query_means_no_opt_in_the_response() {
    let server = serve().await;
    for name in ["www.example.com.", "nope.example.com.", "example.org."] {
        let q = query(name, RecordType::A);
        assert!(udp(server.addr(), &q).await.edns.is_none(), "{name} UDP");
        assert!(tcp(server.addr(), &q).await.edns.is_none(), "{name} TCP");
    }
    server.stop().await;
}

#[tokio::test]
async fn edns_version_1_gets_badvers() {
    let server = serve().await;
    let mut q = query("www.example.com.", RecordType::A);
    let mut edns = Edns::new();
    edns.set_max_payload(1232);
    edns.set_version(1);
    q.set_edns(edns);
    for response in [udp(server.addr(), &q).await, tcp(server.addr(), &q).await] {
        // BADVERS is 16: 0 in the header, 1 in the OPT's extended rcode.
        // hickory decodes 16 as BADSIG (the TSIG meaning of the same value).
        assert_eq!(u16::from(response.metadata.response_code), 16);
        let edns = response.edns.as_ref().expect("OPT with BADVERS");
        assert_eq!(edns.rcode_high(), 1, "extended rcode");
        assert_eq!(edns.version(), 0, "the version we speak");
        assert!(response.answers.is_empty());
    }
    server.stop().await;
}

#[tokio::test]
async fn unknown_edns_options_are_ignored_and_not_echoed() {
    let server = serve().await;
    let mut q = with_edns(query("www.example.com.", RecordType::A), 1232);
    if let Some(edns) = q.edns.as_mut() {
        edns.options_mut()
            .insert(EdnsOption::Unknown(65001, vec![1, 2, 3]));
    }
    let response = udp(server.addr(), &q).await;
    assert_eq!(response.metadata.response_code, ResponseCode::NoError);
    assert_eq!(response.answers.len(), 1);
    assert!(response.edns.is_some(), "OPT still echoed");
    assert_eq!(options(&response), []);
    server.stop().await;
}

#[tokio::test]
async fn an_answer_too_big_for_udp_is_truncated_and_whole_over_tcp() {
    let server = serve().await;
    let plain = query("big.example.com.", RecordType::A);
    let response = udp(server.addr(), &plain).await;
    assert!(response.metadata.truncation, "TC without EDNS");
    assert!(response.answers.is_empty(), "empty answer with TC");
    assert!(response.edns.is_none());

    let mut with_ecs = with_edns(plain.clone(), 4096);
    let subnet = ClientSubnet::new("198.51.100.0".parse().expect("ip"), 24, 0);
    if let Some(edns) = with_ecs.edns.as_mut() {
        edns.options_mut().insert(EdnsOption::Subnet(subnet));
    }
    let response = udp(server.addr(), &with_ecs).await;
    assert!(
        response.metadata.truncation,
        "TC with EDNS (clamped to 1232)"
    );
    assert!(response.answers.is_empty(), "empty answer with TC");
    let edns = response.edns.as_ref().expect("the OPT survives TC");
    assert_eq!(edns.max_payload(), 1232);
    let Some(EdnsOption::Subnet(echoed)) = edns.option(EdnsCode::Subnet) else {
        panic!("the ECS option survives TC: {edns:?}");
    };
    assert_eq!(echoed.source_prefix(), 24);

    for q in [plain, with_ecs] {
        let response = tcp(server.addr(), &q).await;
        assert!(!response.metadata.truncation);
        assert!(response.metadata.authoritative);
        assert_eq!(a_values(&response.answers).len(), BIG, "the whole RRset");
    }
    server.stop().await;
}

#[tokio::test]
async fn several_queries_share_one_tcp_connection() {
    let server = serve().await;
    let mut conn = TcpClient::connect(server.addr()).await;
    let names = ["www.example.com.", "mail.example.com.", "nope.example.com."];
    for name in names {
        let response = conn.exchange(&query(name, RecordType::A)).await;
        assert!(response.metadata.authoritative, "{name}");
    }
    // Pipelined: both questions before either answer.
    let first = query("www.example.com.", RecordType::A);
    let second = query("big.example.com.", RecordType::A);
    conn.send_raw(&first.to_vec().expect("encode")).await;
    conn.send_raw(&second.to_vec().expect("encode")).await;
    let mut ids = Vec::new();
    for _ in 0..2 {
        let bytes = conn.receive_raw().await.expect("a pipelined answer");
        let response = Message::from_vec(&bytes).expect("parse");
        assert!(!response.answers.is_empty());
        ids.push(response.metadata.id);
    }
    ids.sort_unstable();
    let mut want = vec![first.metadata.id, second.metadata.id];
    want.sort_unstable();
    assert_eq!(ids, want);
    server.stop().await;
}

#[tokio::test]
async fn an_idle_tcp_connection_is_closed_after_the_idle_timeout() {
    let idle = Duration::from_millis(300);
    let server = TestServer::start_with(&[example_zone(), sub_zone()], |config| {
        config.dns.tcp.idle_timeout = idle;
    })
    .await;
    let mut conn = TcpClient::connect(server.addr()).await;
    let response = conn
        .exchange(&query("www.example.com.", RecordType::A))
        .await;
    assert!(response.metadata.authoritative, "the connection works");
    let quiet_since = Instant::now();
    // receive_raw fails the test when the connection stays open for 5 s.
    assert!(conn.receive_raw().await.is_none(), "closed, not answered");
    assert!(
        quiet_since.elapsed() >= idle / 2,
        "closed after {:?}, before the idle timeout",
        quiet_since.elapsed()
    );
    let series = r#"alwayson_dns_tcp_connections_closed_total{reason="idle"}"#;
    assert_eq!(super::tcp_limits::metric(&server, series, 1).await, 1);
    assert_eq!(
        super::tcp_limits::metric(&server, "alwayson_dns_tcp_connections_open", 0).await,
        0
    );
    server.stop().await;
}
