//! Header rules: NOTIMP for opcodes other than QUERY (with every flag
//! defined only for QUERY clear), FORMERR for anything but exactly one
//! question, RD copied and RA never set, and names matched without case
//! while the question is echoed byte for byte.

use std::net::Ipv4Addr;
use std::time::Duration;

use hickory_proto::op::{Message, OpCode, ResponseCode};
use hickory_proto::rr::RecordType;

use super::{a_values, serve};
use crate::harness::{TcpClient, header, query, question, udp, udp_raw_within};

#[tokio::test]
async fn opcodes_other_than_query_get_notimp() {
    let server = serve().await;
    let opcodes = [
        OpCode::Status,
        OpCode::Notify,
        OpCode::Update,
        OpCode::Unknown(3),
        OpCode::Unknown(15),
    ];
    let mut conn = TcpClient::connect(server.addr()).await;
    for op_code in opcodes {
        let mut q = query("www.example.com.", RecordType::SOA);
        q.metadata.op_code = op_code;
        for response in [udp(server.addr(), &q).await, conn.exchange(&q).await] {
            assert_eq!(
                response.metadata.response_code,
                ResponseCode::NotImp,
                "{op_code}"
            );
            assert_eq!(response.metadata.op_code, op_code, "opcode echoed");
            assert!(!response.metadata.authoritative, "no AA for {op_code}");
            assert!(response.answers.is_empty(), "{op_code}");
        }
    }
    server.stop().await;
}

/// RFC 8906 §3.1.4 (and NSD): RD, CD, AD and Z are defined for QUERY only,
/// so a NOTIMP reply to another opcode clears them all.
#[tokio::test]
async fn notimp_clears_the_flags_defined_only_for_query() {
    let server = serve().await;
    // Opcode 3 (unassigned) with RD, and Z, AD, CD set; one question.
    let question = question("www.example.com.", RecordType::SOA);
    for opcode in [2u8, 3, 4, 5, 15] {
        let mut bytes = header(0x1313, [(opcode << 3) | 0x01, 0x70], [1, 0, 0, 0]);
        bytes.extend_from_slice(&question);
        let mut reply = None;
        for _ in 0..5 {
            reply = udp_raw_within(server.addr(), &bytes, Duration::from_secs(1)).await;
            if reply.is_some() {
                break;
            }
        }
        let reply = reply.expect("a NOTIMP reply");
        assert_eq!(reply.get(..2), Some(&[0x13, 0x13][..]), "id echoed");
        // QR and the opcode; AA, TC, RD clear.
        assert_eq!(
            reply.get(2),
            Some(&(0x80 | (opcode << 3))),
            "opcode {opcode}"
        );
        // RA, Z, AD, CD clear; RCODE 4 (NOTIMP).
        assert_eq!(reply.get(3), Some(&0x04), "opcode {opcode}");
    }
    // The same over TCP, with hickory's messages.
    let mut conn = TcpClient::connect(server.addr()).await;
    for op_code in [OpCode::Notify, OpCode::Update, OpCode::Unknown(3)] {
        let mut q = query("www.example.com.", RecordType::SOA);
        q.metadata.op_code = op_code;
        q.metadata.recursion_desired = true;
        q.metadata.checking_disabled = true;
        q.metadata.authentic_data = true;
        let response = conn.exchange(&q).await;
        assert_eq!(response.metadata.response_code, ResponseCode::NotImp);
        assert!(!response.metadata.recursion_desired, "RD for {op_code}");
        assert!(!response.metadata.checking_disabled, "CD for {op_code}");
        assert!(!response.metadata.authentic_data, "AD for {op_code}");
    }
    server.stop().await;
}

#[tokio::test]
async fn a_query_without_exactly_one_question_gets_formerr() {
    let server = serve().await;
    let none = Message::query();
    let mut two = query("www.example.com.", RecordType::A);
    two.add_query(query("mail.example.com.", RecordType::A).queries.remove(0));
    let mut conn = TcpClient::connect(server.addr()).await;
    for q in [none, two] {
        let count = q.queries.len();
        for response in [udp(server.addr(), &q).await, conn.exchange(&q).await] {
            assert_eq!(
                response.metadata.response_code,
                ResponseCode::FormErr,
                "{count} questions"
            );
            assert!(response.answers.is_empty());
        }
    }
    server.stop().await;
}

#[tokio::test]
async fn rd_is_copied_and_ra_never_set() {
    let server = serve().await;
    for name in ["www.example.com.", "nope.example.com.", "example.org."] {
        for rd in [false, true] {
            let mut q = query(name, RecordType::A);
            q.metadata.recursion_desired = rd;
            let response = udp(server.addr(), &q).await;
            assert_eq!(response.metadata.recursion_desired, rd, "RD for {name}");
            assert!(!response.metadata.recursion_available, "RA for {name}");
        }
    }
    server.stop().await;
}

#[tokio::test]
async fn names_match_without_case_and_the_question_is_echoed_as_asked() {
    let server = serve().await;
    let asked = "WwW.ExAmPlE.cOm.";
    let question = question(asked, RecordType::A);
    let mut bytes = header(0x2a2a, [0, 0], [1, 0, 0, 0]);
    bytes.extend_from_slice(&question);
    let mut reply = None;
    for _ in 0..5 {
        reply = udp_raw_within(server.addr(), &bytes, Duration::from_secs(1)).await;
        if reply.is_some() {
            break;
        }
    }
    let reply = reply.expect("a response");
    assert_eq!(
        reply.get(12..12 + question.len()),
        Some(&question[..]),
        "question echoed byte for byte"
    );
    let response = Message::from_vec(&reply).expect("parse");
    assert!(response.metadata.authoritative);
    assert_eq!(a_values(&response.answers), [Ipv4Addr::new(192, 0, 2, 10)]);
    server.stop().await;
}
