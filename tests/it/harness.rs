//! The shared test harness: zone files written into a tempdir, the real
//! server started in-process on 127.0.0.1:0, and a tiny DNS client over UDP
//! and TCP built on hickory-proto's `Message` (plus raw bytes for packets a
//! `Message` cannot express).
//!
//! Invariant: a [`TestServer`] is only returned once every zone file loaded
//! without error, so a test never runs against a half-loaded table.

use std::net::SocketAddr;
use std::str::FromStr;
use std::time::Duration;

use alwayson::app::RunningServer;
use alwayson::config::ServerConfig;
use hickory_proto::op::{Edns, Message, Query};
use hickory_proto::rr::{Name, RecordType};
use tempfile::TempDir;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpStream, UdpSocket};

/// How long a UDP query waits for its answer before it is sent again.
const UDP_WAIT: Duration = Duration::from_secs(1);
/// How long a test waits for a TCP read before it fails.
const TCP_WAIT: Duration = Duration::from_secs(5);

/// The server under test with its zones folder; stop it with [`TestServer::stop`].
pub struct TestServer {
    pub server: RunningServer,
    _dir: TempDir,
}

impl TestServer {
    /// Serves `zones` (zone TOML texts) with the test defaults.
    pub async fn start(zones: &[String]) -> Self {
        Self::start_with(zones, |_| {}).await
    }

    /// Serves `zones` after `configure` adjusted the test config.
    pub async fn start_with(zones: &[String], configure: impl FnOnce(&mut ServerConfig)) -> Self {
        let dir = tempfile::tempdir().expect("tempdir");
        let zones_dir = dir.path().join("zones");
        std::fs::create_dir_all(&zones_dir).expect("create zones dir");
        for (i, text) in zones.iter().enumerate() {
            std::fs::write(zones_dir.join(format!("zone{i}.toml")), text).expect("write zone");
        }
        let mut config = ServerConfig::for_tests(&zones_dir);
        config.reload.watch = false;
        config.admin.listen = None;
        configure(&mut config);
        let server = alwayson::app::start(config).await.expect("start alwayson");
        assert!(
            server.initial_load.errors.is_empty(),
            "test zones do not load: {:?}",
            server.initial_load.errors
        );
        Self { server, _dir: dir }
    }

    pub fn addr(&self) -> SocketAddr {
        self.server.dns_addr()
    }

    pub async fn stop(self) {
        self.server.shutdown().await;
    }
}

/// A zone file: `origin`, zone TTL 3600, SOA minimum 300 (so negative
/// answers carry TTL 300 unless `soa_ttl` is lower), then `records` (TOML
/// `[[record]]` tables).
pub fn zone(origin: &str, soa_ttl: Option<u32>, records: &str) -> String {
    let soa_ttl = soa_ttl.map_or(String::new(), |t| format!(", ttl = {t}"));
    format!(
        r#"[zone]
origin = "{origin}"
ttl = 3600
soa = {{ mname = "ns1.{origin}", rname = "hostmaster.{origin}", serial = 2024010101, refresh = 7200, retry = 900, expire = 1209600, minimum = 300{soa_ttl} }}

{records}
"#
    )
}

/// A plain query: one question, RD off, no EDNS.
pub fn query(name: &str, qtype: RecordType) -> Message {
    let name = Name::from_str(name).expect("test names are valid");
    let mut message = Message::query();
    message.add_query(Query::query(name, qtype));
    message
}

/// `message` with an OPT record offering `payload` bytes.
pub fn with_edns(mut message: Message, payload: u16) -> Message {
    let mut edns = Edns::new();
    edns.set_max_payload(payload);
    message.set_edns(edns);
    message
}

/// Sends `message` over UDP and returns the parsed response, retrying a
/// lost datagram; the response must carry the query's id.
pub async fn udp(server: SocketAddr, message: &Message) -> Message {
    let bytes = message.to_vec().expect("encode query");
    for _ in 0..5 {
        if let Some(reply) = udp_raw_within(server, &bytes, UDP_WAIT).await {
            let response = Message::from_vec(&reply).expect("parse UDP response");
            assert_eq!(response.metadata.id, message.metadata.id, "response id");
            return response;
        }
    }
    panic!("no UDP response from {server} to {message:?}");
}

/// Sends raw bytes over UDP; the reply's bytes, or None when none came
/// within `wait`.
pub async fn udp_raw_within(server: SocketAddr, bytes: &[u8], wait: Duration) -> Option<Vec<u8>> {
    let socket = UdpSocket::bind("127.0.0.1:0").await.expect("bind UDP");
    socket.send_to(bytes, server).await.expect("send UDP");
    let mut buf = vec![0u8; 65535];
    let (len, from) = tokio::time::timeout(wait, socket.recv_from(&mut buf))
        .await
        .ok()?
        .expect("receive UDP");
    assert_eq!(from, server, "UDP reply from an unexpected address");
    buf.truncate(len);
    Some(buf)
}

/// Sends `message` on a new TCP connection and returns the response.
pub async fn tcp(server: SocketAddr, message: &Message) -> Message {
    let mut conn = TcpClient::connect(server).await;
    conn.exchange(message).await
}

/// One TCP connection carrying length-prefixed DNS messages (RFC 1035 §4.2.2).
pub struct TcpClient {
    pub stream: TcpStream,
}

impl TcpClient {
    pub async fn connect(server: SocketAddr) -> Self {
        let stream = TcpStream::connect(server).await.expect("connect TCP");
        Self { stream }
    }

    /// Sends `message` and reads one response with the same id.
    pub async fn exchange(&mut self, message: &Message) -> Message {
        self.send_raw(&message.to_vec().expect("encode query"))
            .await;
        let bytes = self
            .receive_raw()
            .await
            .expect("the server closed the connection instead of answering");
        let response = Message::from_vec(&bytes).expect("parse TCP response");
        assert_eq!(response.metadata.id, message.metadata.id, "response id");
        response
    }

    /// Sends `bytes` with their two-byte length prefix.
    pub async fn send_raw(&mut self, bytes: &[u8]) {
        let len = u16::try_from(bytes.len()).expect("a DNS message fits 64 KiB");
        let mut framed = len.to_be_bytes().to_vec();
        framed.extend_from_slice(bytes);
        self.stream.write_all(&framed).await.expect("write TCP");
    }

    /// Reads one length-prefixed message; None when the server closed the
    /// connection. Fails the test when nothing happens within a few seconds.
    pub async fn receive_raw(&mut self) -> Option<Vec<u8>> {
        match self.receive_within(TCP_WAIT).await {
            Received::Message(bytes) => Some(bytes),
            Received::Closed => None,
            Received::Silent => panic!("no TCP response and no close within {TCP_WAIT:?}"),
        }
    }

    /// Reads one length-prefixed message, waiting at most `wait` for it to start.
    pub async fn receive_within(&mut self, wait: Duration) -> Received {
        let mut len = [0u8; 2];
        match tokio::time::timeout(wait, self.stream.read_exact(&mut len)).await {
            Err(_) => return Received::Silent,
            Ok(Err(_)) => return Received::Closed,
            Ok(Ok(_)) => {}
        }
        let mut bytes = vec![0u8; usize::from(u16::from_be_bytes(len))];
        match tokio::time::timeout(TCP_WAIT, self.stream.read_exact(&mut bytes)).await {
            Err(_) => panic!("a TCP response stopped halfway for {TCP_WAIT:?}"),
            Ok(Err(_)) => Received::Closed,
            Ok(Ok(_)) => Received::Message(bytes),
        }
    }
}

/// What a TCP read brought.
#[derive(Debug, PartialEq, Eq)]
pub enum Received {
    Message(Vec<u8>),
    /// The server closed (or reset) the connection.
    Closed,
    /// Nothing within the wait.
    Silent,
}

/// A DNS header: id, flag bytes, and the four section counts.
pub fn header(id: u16, flags: [u8; 2], counts: [u16; 4]) -> Vec<u8> {
    let mut bytes = id.to_be_bytes().to_vec();
    bytes.extend_from_slice(&flags);
    for count in counts {
        bytes.extend_from_slice(&count.to_be_bytes());
    }
    bytes
}

/// A question section entry for `name` (dotted, absolute) of `qtype`, class IN.
pub fn question(name: &str, qtype: RecordType) -> Vec<u8> {
    let mut bytes = Vec::new();
    for label in name.trim_end_matches('.').split('.') {
        bytes.push(u8::try_from(label.len()).expect("short label"));
        bytes.extend_from_slice(label.as_bytes());
    }
    bytes.push(0);
    bytes.extend_from_slice(&u16::from(qtype).to_be_bytes());
    bytes.extend_from_slice(&1u16.to_be_bytes());
    bytes
}
