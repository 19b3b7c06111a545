//! NSD and Knot DNS as reference servers: generated configs in a tempdir,
//! free loopback ports, processes killed on drop.
//!
//! Invariant: a `Reference` is only returned once it answers every zone's
//! SOA authoritatively, so every query of the corpus reaches a loaded zone.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::str::FromStr;
use std::time::Duration;

use hickory_proto::op::{Message, Query};
use hickory_proto::rr::{Name, RecordType};
use tokio::net::UdpSocket;

use super::ZONES;

const NSD: &str = "/usr/sbin/nsd";
const KNOTD: &str = "/usr/sbin/knotd";

/// A reference server process, killed when dropped.
pub struct Reference {
    name: &'static str,
    child: Child,
    pub addr: SocketAddr,
    log: PathBuf,
}

impl Drop for Reference {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Reference {
    pub async fn nsd(base: &Path) -> Self {
        require(NSD, "NSD");
        let dir = base.join("nsd");
        std::fs::create_dir_all(&dir).expect("create nsd dir");
        copy_zones(&dir);
        let port = free_port();
        let d = dir.display();
        let zones: String = ZONES
            .iter()
            .map(|(origin, _)| {
                let name = origin.trim_end_matches('.');
                format!("zone:\n    name: \"{name}\"\n    zonefile: \"{d}/{origin}zone\"\n")
            })
            .collect();
        let config = format!(
            r#"server:
    ip-address: 127.0.0.1@{port}
    port: {port}
    server-count: 1
    username: ""
    chroot: ""
    zonesdir: "{d}"
    pidfile: "{d}/nsd.pid"
    database: ""
    zonelistfile: "{d}/zone.list"
    xfrdfile: "{d}/xfrd.state"
    xfrdir: "{d}"
    logfile: "{d}/nsd.log"
    hide-version: yes
    verbosity: 1
    # Response rate limiting (on in Debian's build) would truncate a
    # corpus of several hundred queries from one address.
    rrl-ratelimit: 0
    rrl-whitelist-ratelimit: 0
remote-control:
    control-enable: no
{zones}"#
        );
        let conf = dir.join("nsd.conf");
        std::fs::write(&conf, config).expect("write nsd.conf");
        let log = dir.join("nsd.stderr");
        let child = spawn(NSD, &["-d", "-c"], &conf, &log);
        Self::ready("NSD", child, port, log).await
    }

    pub async fn knot(base: &Path) -> Self {
        require(KNOTD, "Knot DNS");
        let dir = base.join("knot");
        std::fs::create_dir_all(&dir).expect("create knot dir");
        copy_zones(&dir);
        let port = free_port();
        let d = dir.display();
        let zones: String = ZONES
            .iter()
            .map(|(origin, _)| format!("  - domain: {origin}\n    file: \"{d}/{origin}zone\"\n"))
            .collect();
        let config = format!(
            r#"server:
    rundir: "{d}"
    listen: 127.0.0.1@{port}
    udp-workers: 1
    tcp-workers: 1
    background-workers: 1
log:
  - target: stderr
    any: info
database:
    storage: "{d}"
template:
  - id: default
    storage: "{d}"
    zonefile-sync: -1
    zonefile-load: whole
    journal-content: none
zone:
{zones}"#
        );
        let conf = dir.join("knot.conf");
        std::fs::write(&conf, config).expect("write knot.conf");
        let log = dir.join("knot.stderr");
        let child = spawn(KNOTD, &["-c"], &conf, &log);
        Self::ready("Knot", child, port, log).await
    }

    /// Waits until the server answers every zone's SOA authoritatively.
    async fn ready(name: &'static str, child: Child, port: u16, log: PathBuf) -> Self {
        let mut server = Self {
            name,
            child,
            addr: SocketAddr::from(([127, 0, 0, 1], port)),
            log,
        };
        for _ in 0..100 {
            if let Ok(Some(status)) = server.child.try_wait() {
                panic!(
                    "{} exited ({status}) before serving:\n{}",
                    server.name,
                    std::fs::read_to_string(&server.log).unwrap_or_default()
                );
            }
            if serves_every_zone(server.addr).await {
                return server;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        let _ = server.child.kill();
        panic!(
            "{} did not serve every zone within 10s:\n{}",
            server.name,
            std::fs::read_to_string(&server.log).unwrap_or_default()
        );
    }
}

async fn serves_every_zone(server: SocketAddr) -> bool {
    for (origin, _) in ZONES {
        match probe(server, origin).await {
            Some(response) if response.metadata.authoritative => {}
            _ => return false,
        }
    }
    true
}

async fn probe(server: SocketAddr, origin: &str) -> Option<Message> {
    let mut query = Message::query();
    query.add_query(Query::query(Name::from_str(origin).ok()?, RecordType::SOA));
    let socket = UdpSocket::bind("127.0.0.1:0").await.ok()?;
    socket.send_to(&query.to_vec().ok()?, server).await.ok()?;
    let mut buf = vec![0u8; 4096];
    let (len, _) = tokio::time::timeout(Duration::from_millis(200), socket.recv_from(&mut buf))
        .await
        .ok()?
        .ok()?;
    Message::from_vec(&buf[..len]).ok()
}

fn require(binary: &str, what: &str) {
    assert!(
        Path::new(binary).exists(),
        "{what} ({binary}) is not installed; the differential test needs it: apt-get install nsd knot"
    );
}

/// Copies every fixture into `dir` as `<origin>zone`.
fn copy_zones(dir: &Path) {
    for (origin, fixture) in ZONES {
        let source = Path::new(env!("CARGO_MANIFEST_DIR")).join(fixture);
        std::fs::copy(source, dir.join(format!("{origin}zone"))).expect("copy zone fixture");
    }
}

fn spawn(binary: &str, args: &[&str], conf: &Path, log: &Path) -> Child {
    let log = std::fs::File::create(log).expect("create log");
    let log2 = log.try_clone().expect("clone log handle");
    Command::new(binary)
        .args(args)
        .arg(conf)
        .stdin(Stdio::null())
        .stdout(log)
        .stderr(log2)
        .spawn()
        .unwrap_or_else(|e| panic!("start {binary}: {e}"))
}

/// A loopback port free for both UDP and TCP right now.
fn free_port() -> u16 {
    for _ in 0..20 {
        let udp = std::net::UdpSocket::bind("127.0.0.1:0").expect("bind UDP");
        let port = udp.local_addr().expect("local addr").port();
        if std::net::TcpListener::bind(("127.0.0.1", port)).is_ok() {
            return port;
        }
    }
    panic!("no free loopback port for both UDP and TCP");
}
