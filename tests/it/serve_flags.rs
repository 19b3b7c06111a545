//! `alwayson serve --listen ADDR --zones-dir DIR --admin-listen off`: the
//! real binary serves a folder of zones on the given addresses without a
//! config file, and the flags win over a config file's `[dns]` and
//! `[admin]` values.

use std::net::{SocketAddr, TcpListener, UdpSocket};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use hickory_proto::op::{Message, ResponseCode};
use hickory_proto::rr::{RData, RecordType};

use crate::harness::{query, tcp, udp_raw_within, zone};

/// The server process; killed when dropped.
struct Serve(Child);

impl Drop for Serve {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// Runs `alwayson serve ARGS` in `cwd`, its stderr in `cwd/stderr.log`.
fn serve(cwd: &Path, args: &[String]) -> Serve {
    let log = std::fs::File::create(cwd.join("stderr.log")).unwrap();
    let child = Command::new(env!("CARGO_BIN_EXE_alwayson"))
        .arg("serve")
        .args(args)
        .current_dir(cwd)
        .env_remove("RUST_LOG")
        .stdout(Stdio::null())
        .stderr(log)
        .spawn()
        .expect("run alwayson serve");
    Serve(child)
}

/// A loopback port free for both UDP and TCP right now.
fn free_port() -> SocketAddr {
    loop {
        let udp = UdpSocket::bind("127.0.0.1:0").unwrap();
        let addr = udp.local_addr().unwrap();
        if TcpListener::bind(addr).is_ok() {
            return addr;
        }
    }
}

/// A zone `origin` whose `www` A record is `address`.
fn write_zone(dir: &Path, origin: &str, address: &str) {
    std::fs::create_dir_all(dir).unwrap();
    let records = format!("[[record]]\nname = \"www\"\ntype = \"A\"\nvalues = [\"{address}\"]\n");
    std::fs::write(
        dir.join(format!("{origin}toml")),
        zone(origin, None, &records),
    )
    .unwrap();
}

/// The UDP answer from `server`, waiting up to 10 s for the process to start.
async fn answer_when_up(server: SocketAddr, name: &str, cwd: &Path) -> Message {
    let message = query(name, RecordType::A);
    let bytes = message.to_vec().unwrap();
    let deadline = Instant::now() + Duration::from_secs(10);
    while Instant::now() < deadline {
        if let Some(reply) = udp_raw_within(server, &bytes, Duration::from_millis(200)).await {
            return Message::from_vec(&reply).unwrap();
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let log = std::fs::read_to_string(cwd.join("stderr.log")).unwrap_or_default();
    panic!("no answer from {server} within 10 s; stderr:\n{log}");
}

fn a_values(message: &Message) -> Vec<String> {
    message
        .answers
        .iter()
        .filter_map(|r| match &r.data {
            RData::A(a) => Some(a.0.to_string()),
            _ => None,
        })
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn serve_flags_run_a_zones_folder_without_a_config_file() {
    let dir = tempfile::tempdir().unwrap();
    let zones = dir.path().join("my-zones");
    write_zone(&zones, "flags.test.", "192.0.2.7");
    let (first, second) = (free_port(), free_port());
    let args: Vec<String> = [
        "--listen",
        &first.to_string(),
        "--listen",
        &second.to_string(),
        "--zones-dir",
        "my-zones",
        "--admin-listen",
        "off",
    ]
    .iter()
    .map(ToString::to_string)
    .collect();
    let _server = serve(dir.path(), &args);

    for addr in [first, second] {
        let reply = answer_when_up(addr, "www.flags.test.", dir.path()).await;
        assert_eq!(reply.metadata.response_code, ResponseCode::NoError);
        assert!(reply.metadata.authoritative, "aa flag from {addr}");
        assert_eq!(a_values(&reply), ["192.0.2.7"], "UDP answer from {addr}");
    }
    let over_tcp = tcp(first, &query("www.flags.test.", RecordType::A)).await;
    assert_eq!(a_values(&over_tcp), ["192.0.2.7"], "TCP answer");
    let outside = answer_when_up(first, "www.example.com.", dir.path()).await;
    assert_eq!(outside.metadata.response_code, ResponseCode::Refused);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn serve_flags_win_over_the_config_file() {
    let dir = tempfile::tempdir().unwrap();
    write_zone(&dir.path().join("file-zones"), "flags.test.", "192.0.2.1");
    write_zone(&dir.path().join("flag-zones"), "flags.test.", "192.0.2.2");
    let (from_file, from_flag) = (free_port(), free_port());
    let admin = free_port();
    std::fs::write(
        dir.path().join("alwayson.toml"),
        format!(
            "[dns]\nlisten = [\"{from_file}\"]\nzones_dir = \"file-zones\"\n\
             [admin]\nlisten = \"{admin}\"\n[reload]\nwatch = false\n"
        ),
    )
    .unwrap();
    let zones_dir = dir.path().join("flag-zones").display().to_string();
    let args: Vec<String> = [
        "--config",
        "alwayson.toml",
        "--listen",
        &from_flag.to_string(),
        "--zones-dir",
        &zones_dir,
        "--admin-listen",
        "off",
    ]
    .iter()
    .map(ToString::to_string)
    .collect();
    let server = serve(dir.path(), &args);

    let reply = answer_when_up(from_flag, "www.flags.test.", dir.path()).await;
    assert_eq!(a_values(&reply), ["192.0.2.2"], "the --zones-dir folder");
    flags_hold(from_file, admin).await;

    // A reload re-reads the file; the flags still win over it.
    let status = Command::new("kill")
        .args(["-HUP", &server.0.id().to_string()])
        .status()
        .unwrap();
    assert!(status.success());
    let log = dir.path().join("stderr.log");
    let deadline = Instant::now() + Duration::from_secs(10);
    while std::fs::read_to_string(&log)
        .unwrap_or_default()
        .matches("zones reloaded")
        .count()
        < 2
    {
        assert!(Instant::now() < deadline, "no reload after SIGHUP");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let reply = answer_when_up(from_flag, "www.flags.test.", dir.path()).await;
    assert_eq!(a_values(&reply), ["192.0.2.2"], "after a reload");
    flags_hold(from_file, admin).await;
    let text = std::fs::read_to_string(&log).unwrap();
    assert!(!text.contains("next restart"), "{text}");
}

/// The file's `[dns] listen` and `[admin] listen` are not bound.
async fn flags_hold(from_file: SocketAddr, admin: SocketAddr) {
    let bytes = query("www.flags.test.", RecordType::A).to_vec().unwrap();
    assert!(
        udp_raw_within(from_file, &bytes, Duration::from_millis(300))
            .await
            .is_none(),
        "[dns] listen of the file must not be bound"
    );
    assert!(
        TcpListener::bind(admin).is_ok(),
        "--admin-listen off must leave [admin] listen unbound"
    );
}
