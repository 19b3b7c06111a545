//! Response rate limiting and DNS cookies over real UDP: a burst from one
//! /24 is limited with the slip ratio (TC=1, empty sections, for every
//! `slip`th limited response), random names under a wildcard share its
//! bucket, another /24 and a whitelisted one are not,
//! a client with a valid server cookie is exempt, BADCOOKIE for a server
//! cookie that is not ours, FORMERR for a malformed COOKIE option, and the
//! counters `/metrics` renders. Sources are 127.x.y.z addresses, all on
//! loopback.

use std::net::SocketAddr;
use std::time::Duration;

use alwayson::config::ServerConfig;
use alwayson::dns::cookie::CookieSettings;
use alwayson::dns::rrl::RrlSettings;
use hickory_proto::op::{Edns, Message, ResponseCode};
use hickory_proto::rr::RecordType;
use hickory_proto::rr::rdata::opt::{EdnsCode, EdnsOption};
use tokio::net::UdpSocket;

use crate::harness::{TestServer, query, tcp, udp, with_edns, zone};

const SECRET: [u8; 16] = *b"0123456789abcdef";

fn www_zone() -> String {
    zone(
        "example.com.",
        None,
        "[[record]]\nname = \"www\"\ntype = \"A\"\nvalues = [\"192.0.2.1\"]\n\
         [[record]]\nname = \"*.wild\"\ntype = \"A\"\nvalues = [\"192.0.2.2\"]\n",
    )
}

async fn serve(rate: u32, cookies: bool) -> TestServer {
    TestServer::start_with(&[www_zone()], |config: &mut ServerConfig| {
        config.dns.rrl = Some(RrlSettings {
            responses_per_second: rate,
            slip: 2,
            whitelist: vec!["127.0.2.0/24".parse().unwrap()],
            ..RrlSettings::default()
        });
        config.dns.cookies = cookies.then_some(CookieSettings {
            secret: Some(SECRET),
            previous_secret: None,
        });
    })
    .await
}

/// A query for www.example.com. A, with a COOKIE option holding `cookie`
/// when given.
fn www(cookie: Option<&[u8]>) -> Message {
    let mut q = query("www.example.com.", RecordType::A);
    let mut edns = Edns::new();
    edns.set_max_payload(1232);
    if let Some(cookie) = cookie {
        edns.options_mut()
            .insert(EdnsOption::Unknown(10, cookie.to_vec()));
    }
    q.set_edns(edns);
    q
}

/// Full answers and truncated ones for `n` copies of `q` sent at once
/// from `source`.
#[derive(Debug, Default, PartialEq, Eq)]
struct Burst {
    full: usize,
    truncated: usize,
}

async fn burst(server: SocketAddr, source: &str, q: &Message, n: u16) -> Burst {
    burst_of(server, source, n, |_| q.clone()).await
}

/// The same for `n` queries made by `make` from their index.
async fn burst_of(
    server: SocketAddr,
    source: &str,
    n: u16,
    make: impl Fn(u16) -> Message,
) -> Burst {
    let socket = UdpSocket::bind(format!("{source}:0")).await.unwrap();
    for id in 0..n {
        let mut q = make(id);
        q.metadata.id = id;
        socket.send_to(&q.to_vec().unwrap(), server).await.unwrap();
    }
    let mut counts = Burst::default();
    let mut buf = vec![0u8; 4096];
    while let Ok(Ok((len, _))) =
        tokio::time::timeout(Duration::from_millis(500), socket.recv_from(&mut buf)).await
    {
        let reply = Message::from_vec(&buf[..len]).unwrap();
        if reply.metadata.truncation {
            assert!(reply.answers.is_empty() && reply.authorities.is_empty());
            counts.truncated += 1;
        } else {
            assert_eq!(reply.answers.len(), 1, "{reply:?}");
            counts.full += 1;
        }
    }
    counts
}

fn cookie_of(reply: &Message) -> Vec<u8> {
    match reply.edns.as_ref().and_then(|e| e.option(EdnsCode::Cookie)) {
        Some(EdnsOption::Unknown(10, data)) => data.clone(),
        other => panic!("no COOKIE option in the response: {other:?}"),
    }
}

#[tokio::test]
async fn a_burst_from_one_network_is_limited_with_the_slip_ratio() {
    let server = serve(5, false).await;
    let got = burst(server.addr(), "127.0.0.1", &www(None), 40).await;
    // 5 a second, one more second's worth if the burst straddles a second.
    assert!(got.full == 5 || got.full == 10, "{got:?}");
    // Slip 2: every second limited response goes out truncated.
    assert_eq!(got.truncated, (40 - got.full) / 2, "{got:?}");
    let (slipped, dropped) = server.server.metrics.abuse.rrl();
    assert_eq!(slipped as usize, got.truncated);
    assert_eq!(dropped as usize, 40 - got.full - got.truncated);
    let page = alwayson::metrics::render(
        &server.server.metrics,
        &server.server.store.load_full(),
        &[],
    );
    let limited = format!("alwayson_rrl_limited_responses_total {}", slipped + dropped);
    assert!(page.contains(&limited), "{page}");

    // Another /24 has its own buckets; a whitelisted one has none.
    assert_eq!(
        burst(server.addr(), "127.0.1.1", &www(None), 5).await,
        Burst {
            full: 5,
            truncated: 0
        }
    );
    assert_eq!(
        burst(server.addr(), "127.0.2.1", &www(None), 40).await,
        Burst {
            full: 40,
            truncated: 0
        }
    );
    // Random names under a wildcard share the wildcard's bucket.
    let wild = burst_of(server.addr(), "127.0.3.1", 40, |i| {
        with_edns(
            query(&format!("r{i}.wild.example.com."), RecordType::A),
            1232,
        )
    })
    .await;
    assert!(wild.full == 5 || wild.full == 10, "{wild:?}");
    // TCP is never limited.
    let reply = tcp(server.addr(), &www(None)).await;
    assert_eq!(reply.answers.len(), 1);
    server.stop().await;
}

#[tokio::test]
async fn a_client_with_a_valid_server_cookie_is_exempt() {
    let server = serve(2, true).await;
    // First contact: a client cookie alone is answered, with a server cookie.
    let first = udp(server.addr(), &www(Some(b"clientck"))).await;
    assert_eq!(first.metadata.response_code, ResponseCode::NoError);
    assert_eq!(first.answers.len(), 1);
    let cookie = cookie_of(&first);
    assert_eq!(cookie.len(), 24);
    assert_eq!(&cookie[..8], b"clientck");
    assert_eq!(cookie[8], 1, "RFC 9018 version");

    // That cookie from the same address: never limited. The harness's
    // `udp` sent from 127.0.0.1 too.
    let exempt = burst(server.addr(), "127.0.0.1", &www(Some(&cookie)), 30).await;
    assert_eq!(
        exempt,
        Burst {
            full: 30,
            truncated: 0
        }
    );
    // Without it, the same network is limited.
    let limited = burst(server.addr(), "127.0.0.1", &www(Some(b"clientck")), 30).await;
    assert!(limited.full < 30 && limited.truncated > 0, "{limited:?}");
    server.stop().await;
}

#[tokio::test]
async fn bad_server_cookies_get_badcookie_and_malformed_ones_formerr() {
    let server = serve(1000, true).await;
    let first = udp(server.addr(), &www(Some(b"clientck"))).await;
    let mut forged = cookie_of(&first);
    forged[23] ^= 0xFF;
    let reply = udp(server.addr(), &www(Some(&forged))).await;
    assert_eq!(u16::from(reply.metadata.response_code), 23, "BADCOOKIE");
    assert!(reply.answers.is_empty());
    let fresh = cookie_of(&reply);
    assert_eq!(&fresh[..8], b"clientck");
    assert_ne!(fresh, forged, "a new server cookie comes with BADCOOKIE");
    // The new one is accepted.
    let reply = udp(server.addr(), &www(Some(&fresh))).await;
    assert_eq!(reply.metadata.response_code, ResponseCode::NoError);
    assert_eq!(reply.answers.len(), 1);
    // Over TCP the forged cookie is a first contact, answered.
    let reply = tcp(server.addr(), &www(Some(&forged))).await;
    assert_eq!(reply.metadata.response_code, ResponseCode::NoError);

    for bad in [&b"short"[..], &[7u8; 12], &[7u8; 41]] {
        let reply = udp(server.addr(), &www(Some(bad))).await;
        assert_eq!(
            reply.metadata.response_code,
            ResponseCode::FormErr,
            "{bad:?}"
        );
        assert!(reply.answers.is_empty());
    }
    let page = alwayson::metrics::render(
        &server.server.metrics,
        &server.server.store.load_full(),
        &[],
    );
    for line in [
        "alwayson_dns_cookies_total{result=\"client_only\"} 1",
        "alwayson_dns_cookies_total{result=\"valid\"} 1",
        "alwayson_dns_cookies_total{result=\"invalid\"} 2",
        "alwayson_dns_cookies_total{result=\"malformed\"} 3",
    ] {
        assert!(page.contains(line), "{line} not in {page}");
    }
    server.stop().await;
}
