//! The fast path over TCP against the general path over TCP: every query
//! of the corpus in `tests`, sent as a frame through
//! `dns::tcp::answer_frame`, gets the same bytes from a handler with the
//! fast path and one without. Over TCP nothing is truncated, so answers
//! that UDP leaves to the general path (too large for the payload) are
//! the fast path's here; a query asking for the keepalive option is the
//! general path's, which adds it.

use std::net::SocketAddr;
use std::sync::Arc;

use hickory_proto::op::{Message, ResponseCode};
use hickory_proto::rr::RecordType;
use hickory_proto::rr::rdata::opt::EdnsCode;
use tokio::sync::mpsc;

use super::tests::{Opt, corpus, handlers, query, store_with_ids};
use super::{Outcome, answer_tcp};
use crate::dns::guard::Guard;
use crate::dns::handler::DnsHandler;
use crate::dns::rrl::{Rrl, RrlSettings};
use crate::dns::tcp::answer_frame;
use crate::metrics::{Metrics, Transport};

/// One frame through `handler`'s TCP answering; the message (no prefix).
async fn ask_tcp(handler: &DnsHandler, packet: &[u8], src: SocketAddr) -> Vec<u8> {
    let (tx, mut rx) = mpsc::channel(1);
    let mut scratch = Vec::new();
    assert!(answer_frame(packet.to_vec(), src, handler, &tx, &mut scratch).await);
    let framed = rx.recv().await.expect("an answer");
    let len = usize::from(u16::from_be_bytes([framed[0], framed[1]]));
    assert_eq!(len, framed.len() - 2, "the prefix is the length");
    framed[2..].to_vec()
}

#[tokio::test]
async fn the_fast_path_answers_tcp_byte_for_byte_as_the_general_path() {
    let (fast, slow) = handlers();
    let src: SocketAddr = "127.0.0.3:5353".parse().unwrap();
    let (mut answered_fast, mut udp_would_not) = (0, 0);
    for (spelled, rtype, opt, packet) in corpus() {
        // The general path first: it fills the signature cache.
        let expected = ask_tcp(&slow, &packet, src).await;
        let got = ask_tcp(&fast, &packet, src).await;
        assert_eq!(got, expected, "{spelled} {rtype} {opt:?}");
        let mut out = Vec::new();
        if answer_tcp(&fast, &packet, src, &mut out) == Outcome::Reply {
            answered_fast += 1;
            let mut udp = Vec::new();
            let over_udp = super::answer(&fast, &packet, src, &mut udp);
            udp_would_not += usize::from(over_udp == Outcome::Fallback);
            assert!(!matches!(opt, Opt::Keepalive), "{spelled} {rtype}");
        }
    }
    assert!(answered_fast > 15_000, "only {answered_fast} fast answers");
    // Answers too large for the payload offered over UDP.
    assert!(
        udp_would_not > 0,
        "no answer is the fast path's over TCP alone"
    );
}

#[tokio::test]
async fn keepalive_is_answered_over_tcp() {
    let (fast, _) = handlers();
    let src: SocketAddr = "127.0.0.3:5353".parse().unwrap();
    let packet = query("host.fast.test.", RecordType::A, Opt::Keepalive, 7);
    let mut out = Vec::new();
    assert_eq!(answer_tcp(&fast, &packet, src, &mut out), Outcome::Fallback);
    let reply = Message::from_vec(&ask_tcp(&fast, &packet, src).await).unwrap();
    let edns = reply.edns.expect("an OPT");
    assert!(edns.option(EdnsCode::Keepalive).is_some());
}

/// Over TCP the rate limiter lets everything through, as on the general
/// path, and the queries are counted as TCP.
#[tokio::test]
async fn tcp_answers_skip_rate_limiting_and_count_as_tcp() {
    let metrics = Arc::new(Metrics::new());
    let rrl = Rrl::frozen(RrlSettings {
        responses_per_second: 1,
        ..RrlSettings::default()
    });
    let guard = Guard {
        rrl: Some(Arc::new(rrl)),
        cookies: None,
    };
    let handler = DnsHandler::new(store_with_ids(&metrics), 1232, true)
        .with_metrics(metrics.clone())
        .with_guard(guard);
    let src: SocketAddr = "192.0.2.77:5353".parse().unwrap();
    for id in 0..20 {
        let packet = query("host.fast.test.", RecordType::A, Opt::None, id);
        let mut out = Vec::new();
        assert_eq!(answer_tcp(&handler, &packet, src, &mut out), Outcome::Reply);
        let reply = Message::from_vec(&out).unwrap();
        assert!(!reply.metadata.truncation && !reply.answers.is_empty());
    }
    assert_eq!(metrics.abuse.rrl(), Default::default(), "nothing limited");
    let zone = metrics.zone_counters("fast.test.").unwrap();
    let count = |t| zone.get(t, ResponseCode::NoError, RecordType::A);
    assert_eq!((count(Transport::Tcp), count(Transport::Udp)), (20, 0));
}
