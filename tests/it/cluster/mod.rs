//! Three (or more) alwayson instances in one test process, each with its
//! own zones, state folder, DNS socket and gossip port on 127.0.0.1,
//! joined by `[cluster]`: shared verdicts, overrides, serials, drift, the
//! failure detector and the authenticated transport. Real time: the gossip
//! runs every 200 ms, probes every 200 ms; bounds are generous and the
//! measured times are printed.

mod auth;
mod overrides;
mod serials;
mod verdicts;

use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::{Duration, Instant};

use alwayson::app::RunningServer;
use alwayson::cluster::{ClusterConfig, ClusterKey};
use alwayson::config::ServerConfig;
use hickory_proto::rr::{RData, RecordType};
use tempfile::TempDir;

use crate::harness::{query, udp};

pub const KEY: &[u8] = b"a-shared-test-key-of-32-bytes!!!";
pub const PRIMARY: &str = "192.0.2.10";
pub const SECONDARY: &str = "198.51.100.10";
/// Fast enough for short tests, slow enough that a loaded CI machine does
/// not make the failure detector drop a live node.
pub const GOSSIP: Duration = Duration::from_millis(200);

/// A TCP backend that accepts and closes every connection (a TCP check
/// sees it healthy for as long as it runs).
pub struct TcpBackend {
    pub addr: SocketAddr,
    task: tokio::task::JoinHandle<()>,
}

impl TcpBackend {
    pub async fn start() -> Self {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let task = tokio::spawn(async move {
            while let Ok((stream, _)) = listener.accept().await {
                drop(stream);
            }
        });
        Self { addr, task }
    }

    pub fn local_addr(&self) -> std::io::Result<SocketAddr> {
        Ok(self.addr)
    }
}

impl Drop for TcpBackend {
    fn drop(&mut self) {
        self.task.abort();
    }
}

/// A free UDP port on 127.0.0.1 below Linux's ephemeral range
/// (32768-60999), so that while a node is stopped no other test's port-0
/// socket takes it and the node can restart on it.
pub fn free_gossip_addr() -> SocketAddr {
    use std::sync::atomic::{AtomicU16, Ordering};
    static NEXT: AtomicU16 = AtomicU16::new(0);
    let base = 21_000 + (std::process::id() % 4_000) as u16;
    loop {
        let port = base + NEXT.fetch_add(1, Ordering::Relaxed) % 7_000;
        if let Ok(socket) = std::net::UdpSocket::bind(("127.0.0.1", port)) {
            return socket.local_addr().unwrap();
        }
    }
}

/// One instance: its folder (zones + state) outlives restarts.
pub struct Node {
    pub name: String,
    pub gossip: SocketAddr,
    pub dir: TempDir,
    pub server: Option<RunningServer>,
    pub key: Vec<u8>,
    pub seeds: Vec<SocketAddr>,
    pub healthy_fraction: f64,
}

impl Node {
    pub fn new(name: &str, zone: &str) -> Self {
        let dir = tempfile::tempdir().unwrap();
        std::fs::create_dir_all(dir.path().join("zones")).unwrap();
        let node = Self {
            name: name.to_string(),
            gossip: free_gossip_addr(),
            dir,
            server: None,
            key: KEY.to_vec(),
            seeds: Vec::new(),
            healthy_fraction: 0.18,
        };
        node.write_zone(zone);
        node
    }

    pub fn zone_file(&self) -> PathBuf {
        self.dir.path().join("zones").join("example.toml")
    }

    pub fn write_zone(&self, text: &str) {
        std::fs::write(self.zone_file(), text).unwrap();
    }

    pub fn config(&self) -> ServerConfig {
        let mut config = ServerConfig::for_tests(&self.dir.path().join("zones"));
        config.reload.watch = false;
        config.admin.listen = None;
        let mut cluster = ClusterConfig::new(
            &self.name,
            self.gossip,
            self.seeds.clone(),
            ClusterKey::new(&self.key).unwrap(),
        );
        cluster.gossip_interval = GOSSIP;
        cluster.healthy_fraction = self.healthy_fraction;
        config.cluster = Some(cluster);
        config
    }

    pub async fn start(&mut self) {
        let server = alwayson::app::start(self.config())
            .await
            .expect("start node");
        assert!(
            server.initial_load.errors.is_empty(),
            "{:?}",
            server.initial_load.errors
        );
        self.server = Some(server);
    }

    pub async fn stop(&mut self) {
        if let Some(server) = self.server.take() {
            server.shutdown().await;
        }
    }

    pub fn server(&self) -> &RunningServer {
        self.server.as_ref().expect("node running")
    }

    pub fn dns(&self) -> SocketAddr {
        self.server().dns_addr()
    }

    /// The A values of `name` this node answers now.
    pub async fn a(&self, name: &str) -> Vec<String> {
        let answer = udp(self.dns(), &query(name, RecordType::A)).await;
        answer
            .answers
            .iter()
            .filter_map(|r| match &r.data {
                RData::A(a) => Some(a.to_string()),
                _ => None,
            })
            .collect()
    }

    /// Live members as this node's metrics see them.
    pub fn members_alive(&self) -> usize {
        self.server()
            .metrics
            .cluster
            .gauges()
            .map_or(0, |g| g.members_alive)
    }
}

/// `n` nodes, each seeded with every other one; not started.
pub fn cluster_of(n: usize, zone: impl Fn(usize) -> String) -> Vec<Node> {
    let mut nodes: Vec<Node> = (0..n)
        .map(|i| Node::new(&format!("ns{}", i + 1), &zone(i)))
        .collect();
    let addrs: Vec<SocketAddr> = nodes.iter().map(|n| n.gossip).collect();
    for node in &mut nodes {
        node.seeds = addrs
            .iter()
            .copied()
            .filter(|a| *a != node.gossip)
            .collect();
    }
    nodes
}

pub async fn start_all(nodes: &mut [Node]) {
    for node in nodes.iter_mut() {
        node.start().await;
    }
}

pub async fn stop_all(nodes: &mut [Node]) {
    for node in nodes.iter_mut() {
        node.stop().await;
    }
}

/// Waits until `done` holds, polling every 20 ms; fails after `within`.
pub async fn eventually<F, Fut>(what: &str, within: Duration, mut done: F) -> Duration
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = bool>,
{
    let start = Instant::now();
    loop {
        if done().await {
            return start.elapsed();
        }
        assert!(start.elapsed() < within, "{what}: not within {within:?}");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

/// Waits until every running node sees `n` live members.
pub async fn until_members(nodes: &[Node], n: usize) {
    eventually(
        &format!("{n} members alive everywhere"),
        Duration::from_secs(10),
        || async {
            nodes
                .iter()
                .filter(|x| x.server.is_some())
                .all(|x| x.members_alive() == n)
        },
    )
    .await;
}

/// `example.com.` with a derived serial (none in the file) and `www`
/// failing over from 192.0.2.10 (HTTP check web-1 on `primary`) to
/// 198.51.100.10 (TCP check web-2 on `secondary`); `extra` is appended.
pub fn zone(primary: SocketAddr, secondary: SocketAddr, extra: &str) -> String {
    format!(
        r#"[zone]
origin = "example.com."
ttl = 60
soa = {{ mname = "ns1.example.com.", rname = "hostmaster.example.com.", refresh = 7200, retry = 900, expire = 1209600, minimum = 300 }}

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
health_check = "web-2"
values = ["{SECONDARY}"]

[health_check.web-1]
type = "http"
address = "{primary}"
path = "/healthz"
interval = "200ms"
timeout = "100ms"
healthy_threshold = 2
unhealthy_threshold = 2

[health_check.web-2]
type = "tcp"
address = "{secondary}"
interval = "200ms"
timeout = "100ms"
healthy_threshold = 2
unhealthy_threshold = 2
{extra}"#
    )
}
