//! A real validating resolver for the DNSSEC tests: Unbound (Debian's
//! `unbound` package), started on a free loopback port with stub zones
//! pointing at the alwayson instances under test and the zone's DS as its
//! only trust anchor. Also: signed test zones (keys made with the crate's
//! own `keygen` in the test's keys folder) and DO=1 queries.

use std::net::{SocketAddr, UdpSocket};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::str::FromStr;
use std::time::{Duration, Instant};

use alwayson::dnssec::folder::keygen;
use alwayson::dnssec::{Role, SignAlgorithm};
use hickory_proto::op::{Edns, Message, Query};
use hickory_proto::rr::{Name, RecordType};
use tempfile::TempDir;

use crate::harness::udp;

/// A running Unbound, killed when dropped.
pub struct Unbound {
    child: Child,
    pub addr: SocketAddr,
    _dir: TempDir,
}

/// A free loopback port for both UDP and TCP (the resolver binds both).
fn free_port() -> u16 {
    loop {
        let udp = UdpSocket::bind("127.0.0.1:0").unwrap();
        let port = udp.local_addr().unwrap().port();
        if std::net::TcpListener::bind(("127.0.0.1", port)).is_ok() {
            return port;
        }
    }
}

impl Unbound {
    /// Unbound with a stub zone per `(zone, server)` and `anchors` (zone
    /// file DS or DNSKEY lines) as its trust anchors; ECS is sent to the
    /// stubs when the client query carries it.
    pub async fn start(stubs: &[(&str, SocketAddr)], anchors: &[String]) -> Self {
        let dir = tempfile::tempdir().unwrap();
        let port = free_port();
        let mut conf = format!(
            "server:\n  interface: 127.0.0.1\n  port: {port}\n  do-ip6: no\n  username: \"\"\n  chroot: \"\"\n  directory: \"{dir}\"\n  pidfile: \"\"\n  use-syslog: no\n  logfile: \"{dir}/unbound.log\"\n  verbosity: 0\n  val-log-level: 2\n  do-daemonize: no\n  num-threads: 1\n  so-reuseport: no\n  do-not-query-localhost: no\n  access-control: 127.0.0.0/8 allow\n  qname-minimisation: no\n  prefetch: no\n  cache-max-ttl: 0\n  cache-max-negative-ttl: 0\n  module-config: \"subnetcache validator iterator\"\n  send-client-subnet: 127.0.0.1\n  max-client-subnet-ipv4: 24\n",
            dir = dir.path().display()
        );
        for anchor in anchors {
            conf.push_str(&format!("  trust-anchor: \"{anchor}\"\n"));
        }
        for (zone, server) in stubs {
            conf.push_str(&format!(
                "stub-zone:\n  name: \"{zone}\"\n  stub-addr: {}@{}\n",
                server.ip(),
                server.port()
            ));
        }
        let conf_path = dir.path().join("unbound.conf");
        std::fs::write(&conf_path, conf).unwrap();
        let program = if Path::new("/usr/sbin/unbound").exists() {
            "/usr/sbin/unbound"
        } else {
            "unbound"
        };
        let child = Command::new(program)
            .arg("-d")
            .arg("-c")
            .arg(&conf_path)
            .stdout(Stdio::null())
            .stderr(Stdio::inherit())
            .spawn()
            .expect(
                "start unbound (apt-get install unbound): the DNSSEC tests need a real validator",
            );
        let unbound = Self {
            child,
            addr: SocketAddr::from(([127, 0, 0, 1], port)),
            _dir: dir,
        };
        unbound.wait_ready().await;
        unbound
    }

    async fn wait_ready(&self) {
        let deadline = Instant::now() + Duration::from_secs(10);
        let probe = do_query("localhost.", RecordType::A).to_vec().unwrap();
        while Instant::now() < deadline {
            let wait = Duration::from_millis(200);
            if crate::harness::udp_raw_within(self.addr, &probe, wait)
                .await
                .is_some()
            {
                return;
            }
        }
        panic!("unbound did not answer on {}", self.addr);
    }

    /// Asks Unbound (RD=1, DO=1).
    pub async fn ask(&self, name: &str, qtype: RecordType) -> Message {
        udp(self.addr, &do_query(name, qtype)).await
    }

    /// Asks Unbound with an ECS option.
    pub async fn ask_ecs(&self, name: &str, qtype: RecordType, subnet: &str) -> Message {
        let mut message = do_query(name, qtype);
        if let Some(edns) = message.edns.as_mut() {
            let cs = subnet.parse().unwrap();
            edns.options_mut()
                .insert(hickory_proto::rr::rdata::opt::EdnsOption::Subnet(cs));
        }
        udp(self.addr, &message).await
    }
}

impl Drop for Unbound {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// A query with RD=1 and an OPT with DO=1.
pub fn do_query(name: &str, qtype: RecordType) -> Message {
    let mut message = Message::query();
    message.add_query(Query::query(Name::from_str(name).unwrap(), qtype));
    message.metadata.recursion_desired = true;
    let mut edns = Edns::new();
    edns.set_max_payload(1232);
    edns.set_dnssec_ok(true);
    message.set_edns(edns);
    message
}

pub fn ds_anchor(dir: &Path, origin: &str, algorithm: SignAlgorithm) -> String {
    let name = Name::from_str(origin).unwrap();
    let key = keygen(dir, &name, algorithm, Role::Csk, None).unwrap();
    format!("{origin} DS {}", key.ds(&name).unwrap())
}

/// `[zone]` with `dnssec = true`, then `records`.
pub fn signed_zone(origin: &str, records: &str) -> String {
    format!(
        r#"[zone]
origin = "{origin}"
ttl = 60
dnssec = true
soa = {{ mname = "ns1.{origin}", rname = "hostmaster.{origin}", serial = 1, minimum = 60 }}

[[record]]
name = "@"
type = "NS"
values = ["ns1.{origin}"]

[[record]]
name = "ns1"
type = "A"
values = ["127.0.0.1"]

{records}
"#
    )
}
