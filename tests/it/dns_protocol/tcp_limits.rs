//! `[dns.tcp]` over real connections: the per-client and total limits
//! (a connection over them is closed at once, UDP keeps answering), the
//! frame timeout against a slowloris client, a garbage frame ending the
//! connection, many pipelined queries answered in order of arrival
//! through a small in-flight bound and when cut anywhere across writes, and the EDNS TCP keepalive option
//! (RFC 7828).

use std::time::{Duration, Instant};

use hickory_proto::op::{Message, ResponseCode};
use hickory_proto::rr::RecordType;
use hickory_proto::rr::rdata::opt::{EdnsCode, EdnsOption};
use tokio::io::AsyncWriteExt;

use super::{example_zone, sub_zone};
use crate::harness::{Received, TcpClient, TestServer, query, udp, udp_raw_within, with_edns};

/// The value of one series of the server's `/metrics` page once it is
/// `want` (a connection is counted just after its FIN), or the last seen.
pub async fn metric(server: &TestServer, series: &str, want: u64) -> u64 {
    let mut seen = None;
    for _ in 0..40 {
        let page = alwayson::metrics::render::render(
            &server.server.metrics,
            &server.server.store.load(),
            &[],
        );
        seen = page
            .lines()
            .find_map(|l| l.strip_prefix(series)?.strip_prefix(' ')?.parse().ok());
        if seen == Some(want) {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    seen.unwrap_or_else(|| panic!("no {series} on /metrics"))
}

async fn serve_with(configure: impl FnOnce(&mut alwayson::config::ServerConfig)) -> TestServer {
    TestServer::start_with(&[example_zone(), sub_zone()], configure).await
}

/// A connection the server kept: it answers a query.
async fn open(server: &TestServer) -> TcpClient {
    let mut conn = TcpClient::connect(server.addr()).await;
    let response = conn
        .exchange(&query("www.example.com.", RecordType::A))
        .await;
    assert!(response.metadata.authoritative);
    conn
}

#[tokio::test]
async fn a_client_over_its_connection_limit_is_closed_and_udp_still_answers() {
    let server = serve_with(|c| c.dns.tcp.max_connections_per_client = 2).await;
    let first = open(&server).await;
    let _second = open(&server).await;
    let mut third = TcpClient::connect(server.addr()).await;
    third
        .send_raw(&query("www.example.com.", RecordType::A).to_vec().unwrap())
        .await;
    assert_eq!(
        third.receive_within(Duration::from_secs(2)).await,
        Received::Closed,
        "the third connection of one client is closed, not answered"
    );
    let response = udp(server.addr(), &query("www.example.com.", RecordType::A)).await;
    assert!(response.metadata.authoritative, "UDP is not held up");
    assert_eq!(
        metric(&server, "alwayson_dns_tcp_connections_refused_total", 1).await,
        1
    );
    assert_eq!(
        metric(&server, "alwayson_dns_tcp_connections_open", 2).await,
        2
    );
    assert_eq!(
        metric(&server, "alwayson_dns_tcp_connections_accepted_total", 2).await,
        2
    );
    // Closing one gives its place back (once the server has seen the FIN).
    drop(first);
    let deadline = Instant::now() + Duration::from_secs(3);
    loop {
        let mut again = TcpClient::connect(server.addr()).await;
        again
            .send_raw(&query("www.example.com.", RecordType::A).to_vec().unwrap())
            .await;
        if matches!(
            again.receive_within(Duration::from_secs(2)).await,
            Received::Message(_)
        ) {
            break;
        }
        assert!(Instant::now() < deadline, "the place was never given back");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    server.stop().await;
}

#[tokio::test]
async fn the_total_connection_limit_closes_connections_beyond_it() {
    let server = serve_with(|c| c.dns.tcp.max_connections = 3).await;
    let _held = [
        open(&server).await,
        open(&server).await,
        open(&server).await,
    ];
    let mut fourth = TcpClient::connect(server.addr()).await;
    assert_eq!(
        fourth.receive_within(Duration::from_secs(2)).await,
        Received::Closed
    );
    server.stop().await;
}

#[tokio::test]
async fn a_frame_that_never_completes_is_closed_within_the_frame_timeout() {
    let frame_timeout = Duration::from_millis(400);
    let server = serve_with(|c| {
        c.dns.tcp.frame_timeout = frame_timeout;
        c.dns.tcp.idle_timeout = Duration::from_secs(30);
    })
    .await;
    let mut conn = open(&server).await;
    // A slowloris client: a length of 40, then 5 bytes, then a trickle.
    let started = Instant::now();
    conn.stream
        .write_all(&[0, 40, 1, 2, 3, 4, 5])
        .await
        .unwrap();
    let mut closed = false;
    for _ in 0..20 {
        tokio::time::sleep(Duration::from_millis(50)).await;
        if conn.stream.write_all(&[0]).await.is_err() {
            closed = true;
            break;
        }
    }
    let received = conn.receive_within(Duration::from_secs(3)).await;
    let elapsed = started.elapsed();
    assert!(closed || received == Received::Closed, "{received:?}");
    assert!(
        elapsed >= frame_timeout,
        "closed after {elapsed:?}, too early"
    );
    assert!(
        elapsed < frame_timeout + Duration::from_secs(1),
        "closed after {elapsed:?}, not within the frame timeout"
    );
    let stalled = r#"alwayson_dns_tcp_connections_closed_total{reason="frame_timeout"}"#;
    assert_eq!(metric(&server, stalled, 1).await, 1);
    let idle = r#"alwayson_dns_tcp_connections_closed_total{reason="idle"}"#;
    assert_eq!(metric(&server, idle, 0).await, 0);
    server.stop().await;
}

#[tokio::test]
async fn a_response_sent_as_a_query_ends_the_connection_and_a_bad_body_gets_formerr() {
    let server = serve().await;
    let mut conn = open(&server).await;
    // Header says one question; the body is cut short.
    conn.send_raw(&[0xAB, 0xCD, 0x01, 0, 0, 1, 0, 0, 0, 0, 0, 0, 7])
        .await;
    let bytes = conn.receive_raw().await.expect("FORMERR, not a close");
    let response = Message::from_vec(&bytes).unwrap();
    assert_eq!(response.metadata.id, 0xABCD);
    assert_eq!(response.metadata.response_code, ResponseCode::FormErr);
    let mut reply = query("www.example.com.", RecordType::A);
    reply.metadata.message_type = hickory_proto::op::MessageType::Response;
    conn.send_raw(&reply.to_vec().unwrap()).await;
    assert_eq!(conn.receive_raw().await, None, "closed, not answered");
    let not_query = r#"alwayson_dns_tcp_connections_closed_total{reason="not_query"}"#;
    assert_eq!(metric(&server, not_query, 1).await, 1);
    server.stop().await;
}

#[tokio::test]
async fn many_pipelined_queries_are_all_answered_through_a_small_in_flight_bound() {
    let server = serve_with(|c| c.dns.tcp.max_in_flight = 2).await;
    let mut conn = TcpClient::connect(server.addr()).await;
    let (framed, ids) = pipelined(&["big.example.com."; 200]);
    let (mut rd, mut wr) = conn.stream.split();
    let write = async { wr.write_all(&framed).await.unwrap() };
    let read = answer_ids(&mut rd, ids.len());
    let ((), got) = tokio::join!(write, read);
    assert_eq!(got, ids, "every query answered, in order");
    server.stop().await;
}

#[tokio::test]
async fn queries_cut_anywhere_across_writes_are_all_answered_in_order() {
    let server = serve_with(|_| {}).await;
    let mut conn = TcpClient::connect(server.addr()).await;
    let names = ["www.example.com.", "nope.example.com.", "big.example.com."].repeat(4);
    let (framed, ids) = pipelined(&names);
    let (mut rd, mut wr) = conn.stream.split();
    // Pieces of 1, 2, 3 ... bytes: length prefixes and messages are cut
    // at every kind of place, and a read can hold parts of two frames.
    let write = async {
        let (mut at, mut size) = (0, 1);
        while at < framed.len() {
            let end = (at + size).min(framed.len());
            wr.write_all(&framed[at..end]).await.unwrap();
            wr.flush().await.unwrap();
            tokio::time::sleep(Duration::from_millis(1)).await;
            (at, size) = (end, size % 61 + 1);
        }
    };
    let read = answer_ids(&mut rd, ids.len());
    let ((), got) = tokio::join!(write, read);
    assert_eq!(got, ids, "every query answered, in order");
    server.stop().await;
}

#[tokio::test]
async fn the_keepalive_option_is_answered_with_the_idle_timeout_over_tcp_only() {
    let server = serve_with(|c| c.dns.tcp.idle_timeout = Duration::from_secs(7)).await;
    let mut q = with_edns(query("www.example.com.", RecordType::A), 1232);
    if let Some(edns) = q.edns.as_mut() {
        edns.options_mut()
            .insert(EdnsOption::Unknown(11, Vec::new()));
    }
    let mut conn = TcpClient::connect(server.addr()).await;
    let response = conn.exchange(&q).await;
    let option = response
        .edns
        .as_ref()
        .and_then(|e| e.option(EdnsCode::Keepalive));
    assert_eq!(
        option,
        Some(&EdnsOption::Unknown(11, vec![0, 70])),
        "7 s in 100 ms units"
    );
    let plain = with_edns(query("www.example.com.", RecordType::A), 1232);
    let response = conn.exchange(&plain).await;
    let option = response
        .edns
        .as_ref()
        .and_then(|e| e.option(EdnsCode::Keepalive));
    assert_eq!(option, None, "not asked, not sent");
    let response = udp(server.addr(), &q).await;
    let option = response
        .edns
        .as_ref()
        .and_then(|e| e.option(EdnsCode::Keepalive));
    assert_eq!(option, None, "ignored over UDP (RFC 7828 §3.2.1)");
    server.stop().await;
}

#[tokio::test]
async fn a_header_claiming_more_questions_than_fit_gets_formerr_over_udp_and_tcp() {
    let server = serve().await;
    // 65535 questions claimed, one root-name question present.
    let packet = [
        0x12, 0x34, 0x01, 0, 0xFF, 0xFF, 0, 0, 0, 0, 0, 0, 0, 0, 1, 0, 1,
    ];
    let reply = udp_raw_within(server.addr(), &packet, Duration::from_secs(2))
        .await
        .expect("a FORMERR over UDP");
    let response = Message::from_vec(&reply).unwrap();
    assert_eq!(response.metadata.id, 0x1234);
    assert_eq!(response.metadata.response_code, ResponseCode::FormErr);
    let mut conn = open(&server).await;
    conn.send_raw(&packet).await;
    let response = Message::from_vec(&conn.receive_raw().await.unwrap()).unwrap();
    assert_eq!(response.metadata.response_code, ResponseCode::FormErr);
    server.stop().await;
}

/// One length-prefixed message from `rd`, within a few seconds.
/// A query of type A for each name, each with its length prefix, one
/// after the other; and their ids in order.
fn pipelined(names: &[&str]) -> (Vec<u8>, Vec<u16>) {
    let mut framed = Vec::new();
    let mut ids = Vec::new();
    for name in names {
        let q = query(name, RecordType::A);
        ids.push(q.metadata.id);
        let bytes = q.to_vec().unwrap();
        framed.extend_from_slice(&u16::try_from(bytes.len()).unwrap().to_be_bytes());
        framed.extend_from_slice(&bytes);
    }
    (framed, ids)
}

/// The ids of the next `count` answers read from `rd`, in order.
async fn answer_ids(rd: &mut (impl tokio::io::AsyncRead + Unpin), count: usize) -> Vec<u16> {
    let mut got = Vec::new();
    for _ in 0..count {
        let bytes = read_frame(rd).await;
        got.push(Message::from_vec(&bytes).unwrap().metadata.id);
    }
    got
}

async fn read_frame(rd: &mut (impl tokio::io::AsyncRead + Unpin)) -> Vec<u8> {
    use tokio::io::AsyncReadExt;
    let read = async {
        let mut len = [0u8; 2];
        rd.read_exact(&mut len).await.unwrap();
        let mut bytes = vec![0u8; usize::from(u16::from_be_bytes(len))];
        rd.read_exact(&mut bytes).await.unwrap();
        bytes
    };
    tokio::time::timeout(Duration::from_secs(5), read)
        .await
        .unwrap()
}

async fn serve() -> TestServer {
    super::serve().await
}
