//! RRL figures (a benchmark, not a test): `cargo bench --bench rrl`.
//!
//! A spoofed-source amplification flood on loopback: `NETWORKS` senders,
//! each from its own 127.10.N.1 (its own /24), ask `ANY` for a name whose
//! answer is one large TXT RRset (about 1,100 bytes, the size an attacker
//! picks) at 5× `[dns.rrl] responses_per_second`. Meanwhile a legitimate
//! client in another network (127.200.0.1) asks for `www` 10 times a
//! second and retries over TCP when it gets TC=1. Run once with RRL off and
//! once on; for each it prints the bytes the flood sent, the bytes that
//! came back to its (victim) addresses, their ratio (the amplification:
//! goal below 1 with RRL on), the same after the first 2 s (once each
//! bucket's first second of credit is spent; with slip 2 the truncated
//! replies, about the size of the query, bring it to about 0.5), and the
//! share of legitimate queries answered.
//!
//! First, the limiter's own cost: ns per `Rrl::check`.
//!
//! Knobs (environment): `RRL_SECONDS` (default 10), `RRL_NETWORKS` (50),
//! `RRL_RATE` (responses_per_second, 20).

// A benchmark stops loudly when its setup fails.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::net::SocketAddr;
use std::str::FromStr;
use std::time::{Duration, Instant};

use alwayson::app::start;
use alwayson::config::ServerConfig;
use alwayson::dns::rrl::RrlSettings;
use hickory_proto::op::{Edns, Message, Query};
use hickory_proto::rr::{Name, RecordType};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpStream, UdpSocket};

fn env(key: &str, default: u64) -> u64 {
    std::env::var(key)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

fn zone() -> String {
    let txt: Vec<String> = (0..10)
        .map(|i| format!("\"{i}{}\"", "x".repeat(99)))
        .collect();
    format!(
        r#"[zone]
origin = "example.com."
soa = {{ mname = "ns1.example.com.", rname = "hostmaster.example.com." }}

[[record]]
name = "big"
type = "TXT"
values = [{}]

[[record]]
name = "www"
type = "A"
values = ["192.0.2.1"]
"#,
        txt.join(", ")
    )
}

fn query(name: &str, qtype: RecordType, id: u16) -> Vec<u8> {
    let mut message = Message::query();
    message.metadata.id = id;
    message.add_query(Query::query(Name::from_str(name).unwrap(), qtype));
    let mut edns = Edns::new();
    edns.set_max_payload(1232);
    message.set_edns(edns);
    message.to_vec().unwrap()
}

/// Bytes of one flood: in total, and in the steady state (after the first
/// `STEADY_AFTER`, once a bucket's first second of credit is spent).
#[derive(Clone, Copy, Debug, Default)]
struct Bytes {
    sent: u64,
    received: u64,
    steady_sent: u64,
    steady_received: u64,
}

const STEADY_AFTER: Duration = Duration::from_secs(2);

/// One flooding network: `qps` ANY queries a second for `seconds`.
async fn flood(server: SocketAddr, source: String, qps: u64, seconds: u64) -> Bytes {
    let socket = std::sync::Arc::new(UdpSocket::bind(source).await.unwrap());
    let receiver = socket.clone();
    let started = Instant::now();
    let received = tokio::spawn(async move {
        let mut buf = vec![0u8; 4096];
        let (mut all, mut steady) = (0u64, 0u64);
        while let Ok(Ok((len, _))) =
            tokio::time::timeout(Duration::from_millis(500), receiver.recv_from(&mut buf)).await
        {
            all += len as u64;
            if started.elapsed() > STEADY_AFTER {
                steady += len as u64;
            }
        }
        (all, steady)
    });
    let packet = query("big.example.com.", RecordType::ANY, 1);
    let mut tick = tokio::time::interval(Duration::from_micros(1_000_000 / qps));
    let mut bytes = Bytes::default();
    for _ in 0..qps * seconds {
        tick.tick().await;
        let _ = socket.send_to(&packet, server).await;
        bytes.sent += packet.len() as u64;
        if started.elapsed() > STEADY_AFTER {
            bytes.steady_sent += packet.len() as u64;
        }
    }
    (bytes.received, bytes.steady_received) = received.await.unwrap();
    bytes
}

/// The legitimate client: 10 queries a second, TCP after TC=1; returns
/// (asked, answered).
async fn legitimate(server: SocketAddr, seconds: u64) -> (u64, u64) {
    let socket = UdpSocket::bind("127.200.0.1:0").await.unwrap();
    let mut tick = tokio::time::interval(Duration::from_millis(100));
    let (mut asked, mut answered) = (0, 0);
    let mut buf = vec![0u8; 4096];
    for id in 0..(10 * seconds) as u16 {
        tick.tick().await;
        asked += 1;
        let packet = query("www.example.com.", RecordType::A, id);
        socket.send_to(&packet, server).await.unwrap();
        let reply = tokio::time::timeout(Duration::from_millis(500), socket.recv_from(&mut buf));
        let Ok(Ok((len, _))) = reply.await else {
            continue;
        };
        let reply = Message::from_vec(&buf[..len]).unwrap();
        if !reply.metadata.truncation {
            answered += u64::from(!reply.answers.is_empty());
        } else if over_tcp(server, &packet).await {
            answered += 1;
        }
    }
    (asked, answered)
}

async fn over_tcp(server: SocketAddr, packet: &[u8]) -> bool {
    let Ok(mut stream) = TcpStream::connect(server).await else {
        return false;
    };
    let mut framed = (packet.len() as u16).to_be_bytes().to_vec();
    framed.extend_from_slice(packet);
    let mut len = [0u8; 2];
    stream.write_all(&framed).await.is_ok() && stream.read_exact(&mut len).await.is_ok()
}

async fn run(rrl: bool, seconds: u64, networks: u64, rate: u64) {
    let dir = tempfile::tempdir().unwrap();
    let zones = dir.path().join("zones");
    std::fs::create_dir_all(&zones).unwrap();
    std::fs::write(zones.join("example.com.toml"), zone()).unwrap();
    let mut config = ServerConfig::for_tests(&zones);
    config.reload.watch = false;
    config.admin.listen = None;
    config.state_dir = None;
    config.dns.rrl = rrl.then(|| RrlSettings {
        responses_per_second: rate as u32,
        ..RrlSettings::default()
    });
    let server = start(config).await.unwrap();
    let addr = server.dns_addr();
    let started = Instant::now();
    let legit = tokio::spawn(legitimate(addr, seconds));
    let floods: Vec<_> = (0..networks)
        .map(|n| tokio::spawn(flood(addr, format!("127.10.{n}.1:0"), rate * 5, seconds)))
        .collect();
    let mut total = Bytes::default();
    for f in floods {
        let b = f.await.unwrap();
        total.sent += b.sent;
        total.received += b.received;
        total.steady_sent += b.steady_sent;
        total.steady_received += b.steady_received;
    }
    let (sent, received) = (total.sent, total.received);
    let (asked, answered) = legit.await.unwrap();
    let (slipped, dropped) = server.metrics.abuse.rrl();
    println!(
        "RRL {:3}: flood {} networks x {} qps for {:.1}s: bytes in {sent}, bytes out {received}, \
         out/in {:.2} (after the first {}s: {:.2}); slipped {slipped}, dropped {dropped}; \
         legitimate (127.200.0.1) answered {answered}/{asked} ({:.1} %)",
        if rrl { "on" } else { "off" },
        networks,
        rate * 5,
        started.elapsed().as_secs_f64(),
        received as f64 / sent.max(1) as f64,
        STEADY_AFTER.as_secs(),
        total.steady_received as f64 / total.steady_sent.max(1) as f64,
        100.0 * answered as f64 / asked.max(1) as f64,
    );
    server.shutdown().await;
}

/// The limiter's own cost on the query path: ns per `Rrl::check` with a
/// rate nothing reaches, from one source, and from a new /24 every call
/// (the eviction path a spoofed flood takes).
fn check_cost() {
    use alwayson::dns::rrl::{ResponseKind, Rrl};
    use std::hint::black_box;
    use std::net::{IpAddr, Ipv4Addr};
    let rrl = Rrl::new(RrlSettings {
        responses_per_second: 100_000,
        ..RrlSettings::default()
    });
    let kind = ResponseKind::Answer(b"\x03www\x07example\x03com\x00", 1);
    const N: u32 = 2_000_000;
    for (label, spread) in [("one source", 0u32), ("a new /24 each call", 1 << 8)] {
        let started = Instant::now();
        for i in 0..N {
            let ip = IpAddr::V4(Ipv4Addr::from(0x0A00_0001 + i.wrapping_mul(spread)));
            black_box(rrl.check(black_box(ip), kind));
        }
        let ns = started.elapsed().as_nanos() as f64 / f64::from(N);
        println!("Rrl::check, {label}: {ns:.0} ns per response");
    }
}

#[tokio::main]
async fn main() {
    check_cost();
    let seconds = env("RRL_SECONDS", 10);
    let networks = env("RRL_NETWORKS", 50);
    let rate = env("RRL_RATE", 20);
    run(false, seconds, networks, rate).await;
    run(true, seconds, networks, rate).await;
}
