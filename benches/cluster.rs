//! Cluster figures (a benchmark, not a test): `cargo bench --bench cluster`.
//!
//! 1. Failover with three nodes next to one node alone: a TCP backend
//!    behind a check (`interval` 1 s, both thresholds 2, timeout 500 ms)
//!    dies; the time until the last of the three nodes answers the
//!    secondary, and the window in which they disagree (first to last);
//!    then the same for its return. `CLUSTER_RUNS` runs (default 10),
//!    median and max; gossip every 500 ms (the default).
//! 2. Gossip traffic per node per second, idle, for 3 and for 10 nodes
//!    that each probe the same 100 checks, measured over
//!    `CLUSTER_TRAFFIC_SECONDS` (default 20) after a warm-up.
//!
//! Everything runs in this process on 127.0.0.1; each node has its own
//! DNS sockets, gossip port and state folder.

// A benchmark stops loudly when its setup fails.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::net::SocketAddr;
use std::time::{Duration, Instant};

use alwayson::app::{RunningServer, start};
use alwayson::cluster::{ClusterConfig, ClusterKey};
use alwayson::config::ServerConfig;
use hickory_proto::op::{Message, Query};
use hickory_proto::rr::{Name, RData, RecordType};
use tokio::net::{TcpListener, UdpSocket};

const PRIMARY: &str = "192.0.2.10";
const SECONDARY: &str = "198.51.100.10";
const GOSSIP: Duration = Duration::from_millis(500);

fn zone(primary: SocketAddr, secondary: SocketAddr, extra_checks: usize) -> String {
    let mut text = format!(
        r#"[zone]
origin = "example.com."
soa = {{ mname = "ns1.example.com.", rname = "hostmaster.example.com." }}

[[record]]
name = "www"
type = "A"
ttl = 5
set = "primary"
failover = "primary"
health_check = "web-1"
values = ["{PRIMARY}"]

[[record]]
name = "www"
type = "A"
ttl = 5
set = "backup"
failover = "secondary"
values = ["{SECONDARY}"]

[health_check.web-1]
type = "tcp"
address = "{primary}"
interval = "1s"
timeout = "500ms"
healthy_threshold = 2
unhealthy_threshold = 2
"#
    );
    for i in 0..extra_checks {
        text.push_str(&format!(
            "\n[health_check.extra-{i}]\ntype = \"tcp\"\naddress = \"{secondary}\"\ninterval = \"1s\"\ntimeout = \"500ms\"\n"
        ));
    }
    text
}

struct Node {
    _dir: tempfile::TempDir,
    server: RunningServer,
}

fn free_udp() -> SocketAddr {
    std::net::UdpSocket::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
}

/// `n` nodes (no `[cluster]` when `n` is 1) serving `zone_text`.
async fn start_nodes(n: usize, zone_text: &str) -> Vec<Node> {
    let gossip: Vec<SocketAddr> = (0..n).map(|_| free_udp()).collect();
    let key = ClusterKey::new(b"bench-key-bench-key-bench-key!!!").unwrap();
    let mut nodes = Vec::new();
    for (i, addr) in gossip.iter().enumerate() {
        let dir = tempfile::tempdir().unwrap();
        let zones = dir.path().join("zones");
        std::fs::create_dir_all(&zones).unwrap();
        std::fs::write(zones.join("example.toml"), zone_text).unwrap();
        let mut config = ServerConfig::for_tests(&zones);
        config.reload.watch = false;
        config.admin.listen = None;
        config.dns.udp_threads = 1;
        if n > 1 {
            let seeds = gossip.iter().copied().filter(|a| a != addr).collect();
            let mut cluster =
                ClusterConfig::new(&format!("ns{}", i + 1), *addr, seeds, key.clone());
            cluster.gossip_interval = GOSSIP;
            config.cluster = Some(cluster);
        }
        let server = start(config).await.unwrap();
        nodes.push(Node { _dir: dir, server });
    }
    nodes
}

async fn www(server: &RunningServer) -> Vec<String> {
    let socket = UdpSocket::bind("127.0.0.1:0").await.unwrap();
    let mut query = Message::query();
    query.add_query(Query::query(
        Name::from_ascii("www.example.com.").unwrap(),
        RecordType::A,
    ));
    socket
        .send_to(&query.to_vec().unwrap(), server.dns_addr())
        .await
        .unwrap();
    let mut buf = vec![0u8; 1500];
    let Ok(Ok((n, _))) =
        tokio::time::timeout(Duration::from_secs(1), socket.recv_from(&mut buf)).await
    else {
        return Vec::new();
    };
    Message::from_vec(&buf[..n])
        .map(|m| {
            m.answers
                .iter()
                .filter_map(|r| match &r.data {
                    RData::A(a) => Some(a.to_string()),
                    _ => None,
                })
                .collect()
        })
        .unwrap_or_default()
}

/// When each node first answered `want`, from now.
async fn until_all(nodes: &[Node], want: &str) -> Vec<Duration> {
    let start = Instant::now();
    let mut seen = vec![None; nodes.len()];
    while seen.iter().any(Option::is_none) {
        for (i, node) in nodes.iter().enumerate() {
            if seen[i].is_none() && www(&node.server).await == [want] {
                seen[i] = Some(start.elapsed());
            }
        }
        assert!(
            start.elapsed() < Duration::from_secs(30),
            "no flip: {seen:?}"
        );
        tokio::time::sleep(Duration::from_millis(2)).await;
    }
    seen.into_iter().flatten().collect()
}

fn median(mut v: Vec<Duration>) -> Duration {
    v.sort();
    v[v.len() / 2]
}

fn ms(d: Duration) -> String {
    format!("{:.0} ms", d.as_secs_f64() * 1000.0)
}

/// Flips of `n` nodes: (down: last node, down: window, up: last, up: window).
async fn flips(n: usize, runs: usize) -> [Vec<Duration>; 4] {
    let mut out: [Vec<Duration>; 4] = Default::default();
    let secondary = TcpListener::bind("127.0.0.1:0").await.unwrap();
    for _ in 0..runs {
        let mut primary = Some(TcpListener::bind("127.0.0.1:0").await.unwrap());
        let p = primary.as_ref().unwrap().local_addr().unwrap();
        let nodes = start_nodes(n, &zone(p, secondary.local_addr().unwrap(), 0)).await;
        until_all(&nodes, PRIMARY).await;
        tokio::time::sleep(Duration::from_secs(3)).await;
        primary.take();
        let down = until_all(&nodes, SECONDARY).await;
        // Back: listen again on the same port.
        let _back = TcpListener::bind(p).await.unwrap();
        let up = until_all(&nodes, PRIMARY).await;
        for (slot, times) in [(0, &down), (2, &up)] {
            let (lo, hi) = (times.iter().min().unwrap(), times.iter().max().unwrap());
            out[slot].push(*hi);
            out[slot + 1].push(*hi - *lo);
        }
        for node in nodes {
            node.server.shutdown().await;
        }
    }
    out
}

async fn traffic(n: usize, checks: usize, seconds: u64) -> (f64, f64) {
    let live = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = live.local_addr().unwrap();
    let nodes = start_nodes(n, &zone(addr, addr, checks - 1)).await;
    tokio::time::sleep(Duration::from_secs(5)).await;
    let before: Vec<_> = nodes
        .iter()
        .map(|x| x.server.metrics.cluster.traffic())
        .collect();
    tokio::time::sleep(Duration::from_secs(seconds)).await;
    let after: Vec<_> = nodes
        .iter()
        .map(|x| x.server.metrics.cluster.traffic())
        .collect();
    let per_node = |pick: fn(&(u64, u64, u64, u64)) -> u64| {
        let total: u64 = before
            .iter()
            .zip(&after)
            .map(|(b, a)| pick(a) - pick(b))
            .sum();
        total as f64 / n as f64 / seconds as f64
    };
    let bytes_out = per_node(|t| t.3);
    let datagrams_out = per_node(|t| t.1);
    for node in nodes {
        node.server.shutdown().await;
    }
    (bytes_out, datagrams_out)
}

fn main() {
    let runs: usize = std::env::var("CLUSTER_RUNS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(10);
    let seconds: u64 = std::env::var("CLUSTER_TRAFFIC_SECONDS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(20);
    let runtime = tokio::runtime::Runtime::new().unwrap();
    runtime.block_on(async {
        println!("check: tcp, interval 1s, timeout 500ms, thresholds 2/2; gossip_interval {GOSSIP:?}; {runs} runs");
        println!("| nodes | death → last node on the secondary, median / max | disagreement, median / max | return → last node on the primary, median / max | disagreement, median / max |");
        println!("| ---: | ---: | ---: | ---: | ---: |");
        for n in [1, 3] {
            let [down, down_w, up, up_w] = flips(n, runs).await;
            let cell = |v: &Vec<Duration>| format!("{} / {}", ms(median(v.clone())), ms(*v.iter().max().unwrap()));
            println!("| {n} | {} | {} | {} | {} |", cell(&down), cell(&down_w), cell(&up), cell(&up_w));
        }
        println!();
        println!("gossip traffic per node, idle, 100 checks, {seconds} s (tags included):");
        println!("| nodes | bytes/s sent | datagrams/s sent |");
        println!("| ---: | ---: | ---: |");
        for n in [3, 10] {
            let (bytes, datagrams) = traffic(n, 100, seconds).await;
            println!("| {n} | {bytes:.0} | {datagrams:.1} |");
        }
    });
}
