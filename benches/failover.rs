//! Failover figures (a benchmark, not a test): `cargo bench --bench failover`.
//!
//! 1. Flip latency: the time from a health state change entering the
//!    updater (an override, which takes the same path as a probe's flip:
//!    book → routing state → publish) to the first UDP query answered with
//!    the new answer; p50 and p99 over 1,000 flips.
//! 2. End-to-end failover: a real HTTP backend behind a check with
//!    `interval = "1s"` and both thresholds 2 is stopped; the time until
//!    queries get the secondary; median of 10 runs.

// A benchmark stops loudly when its setup fails.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::net::SocketAddr;
use std::time::{Duration, Instant};

use alwayson::app::{RunningServer, start};
use alwayson::config::ServerConfig;
use alwayson::health::Override;
use hickory_proto::op::{Message, Query};
use hickory_proto::rr::{Name, RData, RecordType};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, UdpSocket};

fn zone(primary: SocketAddr, interval: &str) -> String {
    format!(
        r#"[zone]
origin = "example.com."
soa = {{ mname = "ns1.example.com.", rname = "hostmaster.example.com." }}

[[record]]
name = "www"
type = "A"
set = "primary"
failover = "primary"
health_check = "web-1"
values = ["192.0.2.10"]

[[record]]
name = "www"
type = "A"
set = "backup"
failover = "secondary"
values = ["198.51.100.10"]

[health_check.web-1]
type = "http"
address = "{primary}"
interval = "{interval}"
timeout = "500ms"
healthy_threshold = 2
unhealthy_threshold = 2
"#
    )
}

async fn http_backend(listener: TcpListener) -> tokio::task::JoinHandle<()> {
    tokio::spawn(async move {
        while let Ok((mut stream, _)) = listener.accept().await {
            tokio::spawn(async move {
                let mut buf = [0u8; 1024];
                let _ = stream.read(&mut buf).await;
                let _ = stream
                    .write_all(
                        b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\nConnection: close\r\n\r\nOK",
                    )
                    .await;
            });
        }
    })
}

struct Client {
    socket: UdpSocket,
    server: SocketAddr,
    query: Vec<u8>,
    buf: Vec<u8>,
}

impl Client {
    async fn new(server: SocketAddr) -> Self {
        let socket = UdpSocket::bind("127.0.0.1:0").await.unwrap();
        let mut msg = Message::query();
        msg.add_query(Query::query(
            Name::from_ascii("www.example.com.").unwrap(),
            RecordType::A,
        ));
        Client {
            socket,
            server,
            query: msg.to_vec().unwrap(),
            buf: vec![0; 1500],
        }
    }

    async fn answer(&mut self) -> Option<String> {
        self.socket.send_to(&self.query, self.server).await.ok()?;
        let (len, _) =
            tokio::time::timeout(Duration::from_secs(1), self.socket.recv_from(&mut self.buf))
                .await
                .ok()?
                .ok()?;
        let msg = Message::from_vec(&self.buf[..len]).ok()?;
        msg.answers.iter().find_map(|r| match &r.data {
            RData::A(a) => Some(a.to_string()),
            _ => None,
        })
    }

    async fn wait_for(&mut self, want: &str, limit: Duration) -> Option<Duration> {
        let start = Instant::now();
        while start.elapsed() < limit {
            if self.answer().await.as_deref() == Some(want) {
                return Some(start.elapsed());
            }
        }
        None
    }
}

async fn serve(dir: &std::path::Path, zone_text: &str) -> RunningServer {
    std::fs::write(dir.join("example.com.toml"), zone_text).unwrap();
    let mut config = ServerConfig::for_tests(dir);
    config.admin.listen = None;
    config.reload.watch = false;
    start(config).await.expect("start")
}

fn percentile(sorted: &[Duration], p: f64) -> Duration {
    sorted[((sorted.len() as f64 - 1.0) * p).round() as usize]
}

async fn flip_latency() {
    let dir = tempfile::tempdir().unwrap();
    let backend = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = backend.local_addr().unwrap();
    let _backend = http_backend(backend).await;
    let server = serve(dir.path(), &zone(addr, "10s")).await;
    let mut client = Client::new(server.dns_addr()).await;
    let mut samples = Vec::with_capacity(1000);
    for i in 0..1000 {
        let down = i % 2 == 0;
        let want = if down { "198.51.100.10" } else { "192.0.2.10" };
        let start = Instant::now();
        server
            .updater
            .set_override(
                "web-1",
                down.then_some(Override::new(false, None, std::time::SystemTime::now())),
            )
            .await
            .unwrap()
            .unwrap();
        while client.answer().await.as_deref() != Some(want) {}
        samples.push(start.elapsed());
    }
    samples.sort();
    println!(
        "flip latency over {} flips: p50 {} µs, p99 {} µs, max {} µs",
        samples.len(),
        percentile(&samples, 0.5).as_micros(),
        percentile(&samples, 0.99).as_micros(),
        samples.last().unwrap().as_micros()
    );
    server.shutdown().await;
}

async fn end_to_end_failover() {
    let dir = tempfile::tempdir().unwrap();
    let backend = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = backend.local_addr().unwrap();
    let mut task = http_backend(backend).await;
    let server = serve(dir.path(), &zone(addr, "1s")).await;
    let mut client = Client::new(server.dns_addr()).await;
    let mut runs = Vec::new();
    for _ in 0..10 {
        client
            .wait_for("192.0.2.10", Duration::from_secs(10))
            .await
            .expect("primary");
        // Let a probe or two pass so the kill lands at a random phase.
        tokio::time::sleep(Duration::from_millis(1300)).await;
        task.abort();
        let _ = task.await;
        let took = client
            .wait_for("198.51.100.10", Duration::from_secs(10))
            .await
            .expect("failover");
        runs.push(took);
        task = http_backend(TcpListener::bind(addr).await.unwrap()).await;
    }
    runs.sort();
    println!(
        "end-to-end failover (interval 1s, thresholds 2, timeout 500ms) over {} runs: median {} ms, min {} ms, max {} ms",
        runs.len(),
        percentile(&runs, 0.5).as_millis(),
        runs[0].as_millis(),
        runs.last().unwrap().as_millis()
    );
    server.shutdown().await;
}

fn main() {
    // `cargo bench` passes --bench; `cargo test --benches` does not: run only under bench.
    if !std::env::args().any(|a| a == "--bench") {
        return;
    }
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    runtime.block_on(async {
        flip_latency().await;
        end_to_end_failover().await;
    });
}
