//! Malformed input over UDP and TCP (SPEC §4, §7: never a crash): truncated
//! headers, seeded random garbage, impossible counts, compression loops,
//! labels past the end, responses sent as queries, and a TCP frame cut short.
//! Each gets FORMERR or no answer, and afterwards the server still answers
//! every socket correctly.

use std::collections::HashMap;
use std::net::{Ipv4Addr, SocketAddr};
use std::time::Duration;

use hickory_proto::op::ResponseCode;
use hickory_proto::rr::{RData, RecordType};
use tokio::io::AsyncWriteExt;
use tokio::net::UdpSocket;

use crate::harness::{
    Received, TcpClient, TestServer, header, query, question, tcp, udp, udp_raw_within, zone,
};

/// How long to wait for an answer that should not come.
const SILENCE: Duration = Duration::from_millis(300);
/// The FORMERR rcode in the low four bits of the header's fourth byte.
const FORMERR: u8 = 1;
/// The QR bit in the header's third byte.
const QR: u8 = 0x80;

async fn serve() -> TestServer {
    let records = r#"
[[record]]
name = "www"
type = "A"
values = ["192.0.2.10"]
"#;
    TestServer::start(&[zone("example.com.", None, records)]).await
}

/// The server answers correctly from many source ports (so every UDP
/// socket's thread is reached) and over TCP.
async fn assert_alive(addr: SocketAddr) {
    let q = query("www.example.com.", RecordType::A);
    for _ in 0..16 {
        let response = udp(addr, &q).await;
        assert_eq!(response.metadata.response_code, ResponseCode::NoError);
        assert!(matches!(response.answers.first().map(|r| &r.data),
            Some(RData::A(a)) if a.0 == Ipv4Addr::new(192, 0, 2, 10)));
    }
    let response = tcp(addr, &q).await;
    assert!(response.metadata.authoritative);
    assert_eq!(response.answers.len(), 1);
}

/// A reply to a malformed packet with id `id`, if any, must be a FORMERR
/// response to that id.
fn assert_formerr(reply: &[u8], id: u16, what: &str) {
    assert!(reply.len() >= 12, "{what}: a reply shorter than a header");
    assert_eq!(u16::from_be_bytes([reply[0], reply[1]]), id, "{what}: id");
    assert_eq!(reply[2] & QR, QR, "{what}: QR");
    assert_eq!(reply[3] & 0x0f, FORMERR, "{what}: rcode");
}

/// Sends `packet` over UDP and over TCP: FORMERR or no answer on both.
async fn assert_formerr_or_silent(addr: SocketAddr, packet: &[u8], what: &str) {
    let id = u16::from_be_bytes([packet[0], packet[1]]);
    if let Some(reply) = udp_raw_within(addr, packet, SILENCE).await {
        assert_formerr(&reply, id, &format!("{what} (UDP)"));
    }
    let mut conn = TcpClient::connect(addr).await;
    conn.send_raw(packet).await;
    if let Received::Message(reply) = conn.receive_within(SILENCE).await {
        assert_formerr(&reply, id, &format!("{what} (TCP)"));
    }
}

/// A valid query for www.example.com. A with id `id`.
fn valid_query(id: u16) -> Vec<u8> {
    let mut bytes = header(id, [0x01, 0x00], [1, 0, 0, 0]);
    bytes.extend(question("www.example.com.", RecordType::A));
    bytes
}

/// xorshift64: deterministic, so a failure replays.
struct XorShift(u64);

impl XorShift {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }

    fn below(&mut self, n: u64) -> usize {
        usize::try_from(self.next() % n).unwrap_or(0)
    }
}

/// Random bytes; every other packet gets a plausible query header (QR=0,
/// QUERY, one question) so parsing goes past the header. The id is the
/// packet's index; QR is always clear (responses are tested apart).
fn garbage(rng: &mut XorShift, index: u16) -> Vec<u8> {
    let len = rng.below(600);
    let mut bytes: Vec<u8> = (0..len).map(|_| rng.next() as u8).collect();
    if bytes.len() >= 12 && index.is_multiple_of(2) {
        bytes[2] &= 0x01;
        bytes[3] = 0;
        bytes[4..6].copy_from_slice(&1u16.to_be_bytes());
        bytes[6..12].fill(0);
        bytes[11] = rng.below(2) as u8;
    }
    if let Some(flags) = bytes.get_mut(2) {
        *flags &= !QR;
    }
    if bytes.len() >= 2 {
        bytes[..2].copy_from_slice(&index.to_be_bytes());
    }
    bytes
}

#[tokio::test]
async fn truncated_headers_get_no_answer() {
    let server = serve().await;
    let full = valid_query(0x4242);
    for len in 0..12 {
        let cut = &full[..len];
        assert_eq!(
            udp_raw_within(server.addr(), cut, SILENCE).await,
            None,
            "{len}-byte UDP packet"
        );
        let mut conn = TcpClient::connect(server.addr()).await;
        conn.send_raw(cut).await;
        let got = conn.receive_within(SILENCE).await;
        assert!(
            matches!(got, Received::Silent | Received::Closed),
            "{len}-byte TCP message: {got:?}"
        );
    }
    assert_alive(server.addr()).await;
    server.stop().await;
}

#[tokio::test]
async fn random_garbage_never_crashes_the_server() {
    let server = serve().await;
    let addr = server.addr();
    let mut rng = XorShift(0x9e37_79b9_7f4a_7c15);
    let socket = UdpSocket::bind("127.0.0.1:0").await.expect("bind UDP");
    let mut sent: HashMap<u16, usize> = HashMap::new();
    let mut buf = vec![0u8; 65535];
    let mut replies = 0;
    for batch in 0..12u16 {
        for i in 0..250 {
            let index = batch * 250 + i;
            let packet = garbage(&mut rng, index);
            sent.insert(index, packet.len());
            socket.send_to(&packet, addr).await.expect("send");
        }
        // Every reply answers a packet we sent, as a response, never SERVFAIL.
        while let Ok(Ok((len, _))) = tokio::time::timeout(SILENCE, socket.recv_from(&mut buf)).await
        {
            let reply = &buf[..len];
            replies += 1;
            assert!(len >= 12, "a reply shorter than a header");
            let id = u16::from_be_bytes([reply[0], reply[1]]);
            assert!(
                sent.get(&id).is_some_and(|&n| n >= 12),
                "a reply to id {id}, which was no packet with a header"
            );
            assert_eq!(reply[2] & QR, QR, "reply {id} is a response");
            assert_ne!(reply[3] & 0x0f, 2, "SERVFAIL for packet {id}");
        }
    }
    // Packets with a query header and a broken body get FORMERR, so a
    // silent run means the garbage never reached the parser.
    assert!(replies > 0, "no reply to any of 3000 packets");
    // TCP: 20 connections of 10 garbage messages each; the server may close
    // a connection, but must not stop.
    for c in 0..20u16 {
        let mut conn = TcpClient::connect(addr).await;
        for i in 0..10u16 {
            let message = garbage(&mut rng, c * 10 + i);
            let mut framed = u16::try_from(message.len()).unwrap().to_be_bytes().to_vec();
            framed.extend_from_slice(&message);
            // A frame that is not a query closes the connection: stop writing.
            if conn.stream.write_all(&framed).await.is_err() {
                break;
            }
        }
        while let Received::Message(reply) = conn.receive_within(SILENCE).await {
            assert_eq!(reply.get(2).map(|f| f & QR), Some(QR), "TCP reply");
        }
    }
    assert_alive(addr).await;
    server.stop().await;
}

#[tokio::test]
async fn qdcount_65535_with_one_question_gets_formerr_or_nothing() {
    let server = serve().await;
    let mut packet = header(0x5151, [0, 0], [65535, 0, 0, 0]);
    packet.extend(question("www.example.com.", RecordType::A));
    assert_formerr_or_silent(server.addr(), &packet, "qdcount 65535").await;
    let mut packet = header(0x5152, [0, 0], [1, 65535, 65535, 65535]);
    packet.extend(question("www.example.com.", RecordType::A));
    assert_formerr_or_silent(server.addr(), &packet, "record counts 65535").await;
    assert_alive(server.addr()).await;
    server.stop().await;
}

#[tokio::test]
async fn compression_pointer_loops_get_formerr_or_nothing() {
    let server = serve().await;
    let cases: [(&str, &[u8]); 4] = [
        // The qname at offset 12 points at itself.
        ("self loop", &[0xc0, 0x0c, 0x00, 0x01, 0x00, 0x01]),
        // 12 → 14 → 12.
        ("two-step loop", &[0xc0, 0x0e, 0xc0, 0x0c, 0x00, 0x01]),
        // A label, then back to the start.
        (
            "label then loop",
            &[0x03, b'w', b'w', b'w', 0xc0, 0x0c, 0, 1, 0, 1],
        ),
        // Beyond the end of the packet.
        (
            "pointer past the end",
            &[0xc0, 0xff, 0x00, 0x01, 0x00, 0x01],
        ),
    ];
    for (i, (what, qname)) in cases.into_iter().enumerate() {
        let mut packet = header(0x6000 + i as u16, [0, 0], [1, 0, 0, 0]);
        packet.extend_from_slice(qname);
        assert_formerr_or_silent(server.addr(), &packet, what).await;
    }
    assert_alive(server.addr()).await;
    server.stop().await;
}

#[tokio::test]
async fn a_label_running_past_the_packet_gets_formerr_or_nothing() {
    let server = serve().await;
    let cases: [(&str, &[u8]); 3] = [
        ("63-byte label, 3 bytes left", &[0x3f, b'w', b'w', b'w']),
        ("label, no terminator", &[0x03, b'w', b'w', b'w']),
        ("name, no type or class", &[0x03, b'w', b'w', b'w', 0x00]),
    ];
    for (i, (what, qname)) in cases.into_iter().enumerate() {
        let mut packet = header(0x7000 + i as u16, [0, 0], [1, 0, 0, 0]);
        packet.extend_from_slice(qname);
        assert_formerr_or_silent(server.addr(), &packet, what).await;
    }
    assert_alive(server.addr()).await;
    server.stop().await;
}

#[tokio::test]
async fn a_response_sent_to_the_server_is_dropped() {
    let server = serve().await;
    let mut packet = valid_query(0x8001);
    packet[2] |= QR;
    assert_dropped(server.addr(), &packet, "a response").await;
    assert_alive(server.addr()).await;
    server.stop().await;
}

/// Over UDP a forged "response" could aim our reply at a victim, so it is
/// dropped unparsed. Over TCP (hickory's server) the peer completed a
/// handshake; a FORMERR there reflects nothing and is tolerated.
#[tokio::test]
async fn a_broken_response_sent_to_the_server_is_dropped() {
    let server = serve().await;
    let mut packet = header(0x8002, [QR, 0], [1, 0, 0, 0]);
    packet.extend_from_slice(&[0x03, b'w']);
    assert_eq!(
        udp_raw_within(server.addr(), &packet, SILENCE).await,
        None,
        "a broken response over UDP"
    );
    assert_alive(server.addr()).await;
    server.stop().await;
}

/// No reply to `packet`, over UDP or TCP.
async fn assert_dropped(addr: SocketAddr, packet: &[u8], what: &str) {
    assert_eq!(
        udp_raw_within(addr, packet, SILENCE).await,
        None,
        "{what} over UDP"
    );
    let mut conn = TcpClient::connect(addr).await;
    conn.send_raw(packet).await;
    let got = conn.receive_within(SILENCE).await;
    assert!(
        matches!(got, Received::Silent | Received::Closed),
        "{what} over TCP: {got:?}"
    );
}

#[tokio::test]
async fn a_tcp_length_prefix_longer_than_the_data_then_close() {
    let server = serve().await;
    let mut conn = TcpClient::connect(server.addr()).await;
    let query = valid_query(0x9001);
    let mut framed = 0x0100u16.to_be_bytes().to_vec();
    framed.extend_from_slice(&query);
    conn.stream.write_all(&framed).await.expect("write");
    conn.stream.shutdown().await.expect("close our side");
    let got = conn.receive_within(Duration::from_secs(5)).await;
    assert_eq!(got, Received::Closed, "the server closes its side");
    assert_alive(server.addr()).await;
    server.stop().await;
}

/// A question named by a pointer into the header (which hickory's parser
/// accepts) gets FORMERR without the question, over UDP and TCP: echoing
/// the question as sent would put the pointer into the reply, where it
/// points at the reply's own flags (found by the `tcp_stream` fuzz target).
#[tokio::test]
async fn a_question_named_by_a_pointer_into_the_header_gets_a_parsable_formerr() {
    let server = serve().await;
    // RD set, so offset 2 reads as a one-byte label and offset 4 as the root.
    let mut packet = header(0x7000, [0x01, 0x00], [1, 0, 0, 0]);
    packet.extend_from_slice(&[0xc0, 0x02, 0x00, 0x01, 0x00, 0x01]);
    let check = |reply: &[u8], what: &str| {
        assert_formerr(reply, 0x7000, what);
        let message = hickory_proto::op::Message::from_vec(reply)
            .unwrap_or_else(|e| panic!("{what}: the reply does not parse: {e}"));
        assert!(message.queries.is_empty(), "{what}: no question echoed");
    };
    let reply = udp_raw_within(server.addr(), &packet, Duration::from_secs(5))
        .await
        .expect("a UDP reply");
    check(&reply, "UDP");
    let mut conn = TcpClient::connect(server.addr()).await;
    conn.send_raw(&packet).await;
    match conn.receive_within(Duration::from_secs(5)).await {
        Received::Message(reply) => check(&reply, "TCP"),
        other => panic!("TCP: {other:?}"),
    }
    assert_alive(server.addr()).await;
    server.stop().await;
}

/// Ten long questions (found by the `udp_packet` fuzz target): echoing them
/// made a FORMERR too large for 512 bytes, and the fallback was a SERVFAIL.
/// A query without exactly one question gets FORMERR with no question.
#[tokio::test]
async fn many_long_questions_get_a_formerr_that_fits_and_parses() {
    let server = serve().await;
    let mut packet = header(0x7100, [0x01, 0x00], [10, 0, 0, 0]);
    for i in 0..10u8 {
        // A 50-byte name: one 48-byte label and the root.
        packet.push(48);
        packet.extend(std::iter::repeat_n(b'a' + i, 48));
        packet.extend_from_slice(&[0x00, 0x00, 0x01, 0x00, 0x01]);
    }
    assert!(packet.len() > 512);
    let reply = udp_raw_within(server.addr(), &packet, Duration::from_secs(5))
        .await
        .expect("a UDP reply");
    assert!(reply.len() <= 512, "{} bytes", reply.len());
    assert_formerr(&reply, 0x7100, "UDP");
    let message = hickory_proto::op::Message::from_vec(&reply).expect("the reply parses");
    assert!(message.queries.is_empty(), "no question echoed");
    assert_alive(server.addr()).await;
    server.stop().await;
}
