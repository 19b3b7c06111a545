//! `[process] user` through the real binary: started as root, `serve`
//! binds everything, becomes the user (every thread's real, effective and
//! saved ids, and its groups, in /proc), still answers DNS over UDP and
//! TCP, still forwards, and still reloads zones; paths the user cannot use
//! are warned about; an unknown user is a `file:line:col` error at start
//! and at `check`; a drop that fails stops `serve` with exit 1. The tests
//! that need root skip themselves (with a note) when not run as root.

use std::io::{BufRead, BufReader};
use std::net::SocketAddr;
use std::os::unix::fs::PermissionsExt;
use std::os::unix::process::CommandExt;
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use hickory_proto::rr::{RData, RecordType};
use nix::unistd::{Uid, User};
use serde_json::Value;
use tokio::io::{AsyncReadExt, AsyncWriteExt};

use crate::admin_client::AdminClient;
use crate::harness::{query, tcp, udp, zone};

/// The server process with its JSON log lines; killed when dropped.
struct Serve {
    child: Child,
    lines: mpsc::Receiver<String>,
    seen: Vec<Value>,
}

impl Drop for Serve {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Serve {
    fn start(mut command: Command) -> Self {
        let mut child = command
            .env_remove("RUST_LOG")
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .expect("run alwayson serve");
        let stderr = child.stderr.take().unwrap();
        let (tx, lines) = mpsc::channel();
        std::thread::spawn(move || {
            for line in BufReader::new(stderr).lines().map_while(Result::ok) {
                if tx.send(line).is_err() {
                    return;
                }
            }
        });
        Self {
            child,
            lines,
            seen: Vec::new(),
        }
    }

    /// Reads log lines until one has `message`.
    fn wait_for(&mut self, message: &str) -> Value {
        let deadline = Instant::now() + Duration::from_secs(10);
        loop {
            let left = deadline.saturating_duration_since(Instant::now());
            let Ok(line) = self.lines.recv_timeout(left) else {
                panic!("no log line {message:?}; saw {:#?}", self.seen);
            };
            let value: Value = serde_json::from_str(&line)
                .unwrap_or_else(|e| panic!("not a JSON log line ({e}): {line}"));
            self.seen.push(value.clone());
            if value["message"].as_str() == Some(message) {
                return value;
            }
        }
    }
}

/// `alwayson serve --log-format json --config CONFIG`.
fn serve_command(config: &Path) -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_alwayson"));
    command
        .args(["serve", "--log-format", "json", "--config"])
        .arg(config);
    command
}

/// A folder every user may read, with a zone `priv.test.` whose `www` A
/// is `address`, and `alwayson.toml` with `process` as its `[process]`.
fn layout(address: &str, process: &str) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    std::fs::set_permissions(dir.path(), std::fs::Permissions::from_mode(0o755)).unwrap();
    write_zone(dir.path(), address);
    let config = format!(
        "[dns]\nlisten = [\"127.0.0.1:0\"]\nzones_dir = \"zones\"\nudp_threads = 2\n\
         [admin]\nlisten = \"127.0.0.1:0\"\n[reload]\nwatch = false\n{process}"
    );
    std::fs::write(dir.path().join("alwayson.toml"), config).unwrap();
    dir
}

fn write_zone(dir: &Path, address: &str) {
    let zones = dir.join("zones");
    std::fs::create_dir_all(&zones).unwrap();
    let records = format!("[[record]]\nname = \"www\"\ntype = \"A\"\nvalues = [\"{address}\"]\n");
    std::fs::write(
        zones.join("priv.test.toml"),
        zone("priv.test.", None, &records),
    )
    .unwrap();
}

/// Root, and `nobody` exists: else the test prints why it skips.
fn root_and_nobody() -> Option<User> {
    if !Uid::effective().is_root() {
        eprintln!("skipped: needs root");
        return None;
    }
    let nobody = User::from_name("nobody").ok().flatten();
    if nobody.is_none() {
        eprintln!("skipped: no user nobody");
    }
    nobody
}

/// The four ids of a `Uid:` or `Gid:` line and the `Groups:` line of every
/// thread of `pid`.
fn thread_ids(pid: u32) -> Vec<(String, String, String)> {
    let mut out = Vec::new();
    for task in std::fs::read_dir(format!("/proc/{pid}/task")).unwrap() {
        let status = std::fs::read_to_string(task.unwrap().path().join("status")).unwrap();
        let field = |name: &str| {
            status
                .lines()
                .find_map(|l| l.strip_prefix(name))
                .unwrap_or_default()
                .split_whitespace()
                .collect::<Vec<_>>()
                .join(" ")
        };
        out.push((field("Uid:"), field("Gid:"), field("Groups:")));
    }
    out
}

fn a_values(reply: &hickory_proto::op::Message) -> Vec<String> {
    reply
        .answers
        .iter()
        .filter_map(|r| match &r.data {
            RData::A(a) => Some(a.0.to_string()),
            _ => None,
        })
        .collect()
}

/// A TCP backend that answers `echo:` and what it read.
async fn echo() -> (SocketAddr, tokio::task::JoinHandle<()>) {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let task = tokio::spawn(async move {
        while let Ok((mut stream, _)) = listener.accept().await {
            tokio::spawn(async move {
                let mut buf = [0u8; 64];
                if let Ok(n) = stream.read(&mut buf).await {
                    let _ = stream.write_all(b"echo:").await;
                    let _ = stream.write_all(&buf[..n]).await;
                }
            });
        }
    });
    (addr, task)
}

/// What `forwarder` relays back for `ping`.
async fn through(forwarder: SocketAddr) -> String {
    let mut stream = tokio::net::TcpStream::connect(forwarder).await.unwrap();
    stream.write_all(b"ping").await.unwrap();
    stream.shutdown().await.unwrap();
    let mut reply = String::new();
    tokio::time::timeout(Duration::from_secs(5), stream.read_to_string(&mut reply))
        .await
        .expect("reply in time")
        .unwrap();
    reply
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn serve_started_as_root_runs_as_nobody_and_still_answers_and_reloads() {
    let Some(nobody) = root_and_nobody() else {
        return;
    };
    let (backend, _echo) = echo().await;
    let dir = layout(
        "192.0.2.1",
        &format!(
            "[process]\nuser = \"nobody\"\n[[forwarder]]\nname = \"web\"\n\
             listen = \"127.0.0.1:0\"\nbackends = [{{ address = \"{backend}\" }}]\n"
        ),
    );
    let mut serve = Serve::start(serve_command(&dir.path().join("alwayson.toml")));
    let admin: SocketAddr = serve.wait_for("admin API listening")["addr"]
        .as_str()
        .unwrap()
        .parse()
        .unwrap();
    let dropped = serve.wait_for("dropped privileges");
    assert_eq!(dropped["started_as"], 0);
    let state_warning = serve.wait_for(
        "state_dir is not writable by process.user: overrides and serials will not be kept \
         across restarts (chown it to the user)",
    );
    assert_eq!(state_warning["level"], "WARN");
    let serving = serve.wait_for("alwayson serving");
    let dns: SocketAddr = serving["dns"].as_str().unwrap().parse().unwrap();
    let forwarder: SocketAddr = serving["forwarders"]
        .as_str()
        .and_then(|f| f.strip_prefix("web="))
        .unwrap()
        .parse()
        .unwrap();

    let (uid, gid) = (nobody.uid.as_raw(), nobody.gid.as_raw());
    let threads = thread_ids(serve.child.id());
    assert!(threads.len() > 2, "the runtime's threads: {threads:?}");
    for (uids, gids, groups) in &threads {
        assert_eq!(
            *uids,
            format!("{uid} {uid} {uid} {uid}"),
            "Uid: of a thread"
        );
        assert_eq!(
            *gids,
            format!("{gid} {gid} {gid} {gid}"),
            "Gid: of a thread"
        );
        assert_eq!(*groups, gid.to_string(), "Groups: of a thread");
    }

    let reply = udp(dns, &query("www.priv.test.", RecordType::A)).await;
    assert_eq!(a_values(&reply), ["192.0.2.1"], "UDP after the drop");
    let reply = tcp(dns, &query("www.priv.test.", RecordType::A)).await;
    assert_eq!(a_values(&reply), ["192.0.2.1"], "TCP after the drop");

    assert_eq!(
        through(forwarder).await,
        "echo:ping",
        "forwarder after the drop"
    );

    // The zone files are readable by nobody, so a reload still works.
    write_zone(dir.path(), "192.0.2.2");
    let reload = AdminClient::new(admin).post("/api/v1/reload").await;
    assert_eq!(reload.status, 200, "{}", reload.body);
    let reply = udp(dns, &query("www.priv.test.", RecordType::A)).await;
    assert_eq!(a_values(&reply), ["192.0.2.2"], "UDP after a reload");
}

#[test]
fn serve_refuses_to_go_on_when_the_drop_fails() {
    if root_and_nobody().is_none() {
        return;
    }
    // Started as nobody, it cannot become root: exit 1, nothing served.
    let dir = layout("192.0.2.1", "[process]\nuser = \"root\"\n");
    let mut command = serve_command(&dir.path().join("alwayson.toml"));
    command.uid(65534).gid(65534);
    let mut serve = Serve::start(command);
    let error = serve.wait_for(
        "refusing to serve: cannot become process.user root (uid 0), group root (gid 0) \
         (started as uid 65534): cannot drop supplementary groups (setgroups): \
         EPERM: Operation not permitted",
    );
    assert_eq!(error["level"], "ERROR");
    let deadline = Instant::now() + Duration::from_secs(10);
    let status = loop {
        if let Some(status) = serve.child.try_wait().unwrap() {
            break status;
        }
        assert!(Instant::now() < deadline, "serve still running");
        std::thread::sleep(Duration::from_millis(20));
    };
    assert_eq!(status.code(), Some(1));
    assert!(
        !serve
            .seen
            .iter()
            .any(|v| v["message"] == "alwayson serving"),
        "{:#?}",
        serve.seen
    );
}

#[test]
fn an_unknown_user_is_an_error_with_its_position_at_start_and_at_check() {
    let dir = layout("192.0.2.1", "[process]\nuser = \"no-such-user-alwayson\"\n");
    let config = dir.path().join("alwayson.toml");
    let expected = format!(
        "{}:10:8: unknown user \"no-such-user-alwayson\": no such user on this system",
        config.display()
    );
    for subcommand in ["serve", "check"] {
        let out = Command::new(env!("CARGO_BIN_EXE_alwayson"))
            .args([subcommand, "--config"])
            .arg(&config)
            .env_remove("RUST_LOG")
            .output()
            .unwrap();
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{subcommand}: {stderr}");
        assert!(stderr.contains(&expected), "{subcommand}: {stderr}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn paths_the_user_cannot_use_are_warned_about_and_serving_goes_on() {
    let Some(nobody) = root_and_nobody() else {
        return;
    };
    let dir = layout("192.0.2.1", "[process]\nuser = \"nobody\"\n");
    // The state folder belongs to nobody; the zones folder is root's alone.
    let state = dir.path().join("state");
    std::fs::create_dir(&state).unwrap();
    nix::unistd::chown(&state, Some(nobody.uid), Some(nobody.gid)).unwrap();
    let zones = dir.path().join("zones");
    std::fs::set_permissions(&zones, std::fs::Permissions::from_mode(0o700)).unwrap();

    let mut serve = Serve::start(serve_command(&dir.path().join("alwayson.toml")));
    let warning = serve
        .wait_for("dns.zones_dir is not readable by process.user: reloads will fail to read it");
    assert_eq!(warning["level"], "WARN");
    assert_eq!(warning["path"], zones.display().to_string());
    let serving = serve.wait_for("alwayson serving");
    let dns: SocketAddr = serving["dns"].as_str().unwrap().parse().unwrap();
    let reply = udp(dns, &query("www.priv.test.", RecordType::A)).await;
    assert_eq!(a_values(&reply), ["192.0.2.1"], "loaded before the drop");
    let state_warnings: Vec<_> = serve
        .seen
        .iter()
        .filter(|v| {
            v["message"]
                .as_str()
                .unwrap_or_default()
                .starts_with("state_dir")
        })
        .collect();
    assert!(state_warnings.is_empty(), "{state_warnings:#?}");
}
