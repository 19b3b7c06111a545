//! The zones folder as an operator meets it: a `*.toml` entry that is not a
//! readable file (a dangling symlink, a folder, a FIFO, bytes that are not
//! UTF-8) is reported by `alwayson check` and by a reload, and a file that
//! turns into one keeps its previous version serving; a zones folder
//! created after start is picked up without SIGHUP.

use std::io::{BufRead, BufReader};
use std::net::SocketAddr;
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use crate::harness::{query, udp_raw_within};
use alwayson::app::start;
use alwayson::config::ServerConfig;
use hickory_proto::op::Message;
use hickory_proto::rr::{RData, RecordType};

fn zone(origin: &str, www: &str) -> String {
    format!(
        "[zone]\norigin = \"{origin}\"\nsoa = {{ mname = \"ns1.{origin}\", rname = \"hostmaster.{origin}\", serial = 1 }}\n\n[[record]]\nname = \"www\"\ntype = \"A\"\nvalues = [\"{www}\"]\n"
    )
}

/// The A values for `www.<origin>` (empty when there is no answer).
async fn www(server: SocketAddr, origin: &str) -> Vec<String> {
    let Ok(bytes) = query(&format!("www.{origin}"), RecordType::A).to_vec() else {
        return Vec::new();
    };
    let Some(reply) = udp_raw_within(server, &bytes, Duration::from_secs(1)).await else {
        return Vec::new();
    };
    let Ok(msg) = Message::from_vec(&reply) else {
        return Vec::new();
    };
    msg.answers
        .iter()
        .filter_map(|r| match &r.data {
            RData::A(a) => Some(a.to_string()),
            _ => None,
        })
        .collect()
}

/// A folder, a dangling symlink, a FIFO and invalid UTF-8, all named `*.toml`
/// (each fails for root too), plus an editor's hidden lock file.
fn write_broken_entries(dir: &Path) {
    std::fs::create_dir(dir.join("folder.toml")).unwrap();
    std::os::unix::fs::symlink(dir.join("nowhere"), dir.join("dangling.toml")).unwrap();
    let status = Command::new("mkfifo")
        .arg(dir.join("fifo.toml"))
        .status()
        .expect("run mkfifo");
    assert!(status.success());
    std::fs::write(dir.join("latin1.toml"), b"[zone]\norigin = \"caf\xe9.\"\n").unwrap();
    std::os::unix::fs::symlink("root@host.1234", dir.join(".#lock.toml")).unwrap();
}

#[test]
fn check_reports_every_entry_it_cannot_read() {
    let dir = tempfile::tempdir().unwrap();
    let zones = dir.path().join("zones");
    std::fs::create_dir(&zones).unwrap();
    std::fs::write(zones.join("good.toml"), zone("example.com.", "192.0.2.1")).unwrap();
    write_broken_entries(&zones);
    let config = dir.path().join("alwayson.toml");
    std::fs::write(&config, "[dns]\nzones_dir = \"zones\"\n").unwrap();

    let out = Command::new(env!("CARGO_BIN_EXE_alwayson"))
        .args(["check", "--config"])
        .arg(&config)
        .output()
        .expect("run alwayson check");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{stderr}");
    let z = zones.display();
    for expected in [
        format!(
            "{z}/dangling.toml:1:1: cannot read file: it is a symlink to {z}/nowhere, which does not exist"
        ),
        format!(
            "{z}/fifo.toml:1:1: cannot read file: it is not a regular file (a FIFO, socket or device)"
        ),
        format!("{z}/folder.toml:1:1: cannot read file: it is a folder"),
        format!("{z}/latin1.toml:2:14: cannot read file: it is not valid UTF-8"),
    ] {
        assert!(
            stderr.lines().any(|l| l == expected),
            "missing {expected:?} in:\n{stderr}"
        );
    }
    assert_eq!(stderr.lines().count(), 4, "{stderr}");
    assert!(
        !stderr.contains("lock"),
        "hidden files are ignored: {stderr}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_file_that_becomes_unreadable_is_reported_and_keeps_serving() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("example.com.toml");
    std::fs::write(&file, zone("example.com.", "192.0.2.1")).unwrap();
    let mut config = ServerConfig::for_tests(dir.path());
    config.admin.listen = None;
    config.reload.watch = false;
    let server = start(config).await.expect("server starts");
    assert_eq!(www(server.dns_addr(), "example.com.").await, ["192.0.2.1"]);

    std::fs::remove_file(&file).unwrap();
    std::os::unix::fs::symlink(dir.path().join("moved-away.toml.orig"), &file).unwrap();
    write_broken_entries(dir.path());
    let outcome = tokio::time::timeout(Duration::from_secs(5), server.reload())
        .await
        .expect("a FIFO does not block the reload")
        .expect("reload outcome");
    let mut failed: Vec<String> = outcome
        .errors
        .iter()
        .flat_map(|e| e.problems())
        .map(|p| {
            let name = p.file.file_name().unwrap().to_string_lossy().into_owned();
            format!("{name}:{:?}:{:?}", p.line, p.column)
        })
        .collect();
    failed.sort();
    assert_eq!(
        failed,
        [
            "dangling.toml:Some(1):Some(1)",
            "example.com.toml:Some(1):Some(1)",
            "fifo.toml:Some(1):Some(1)",
            "folder.toml:Some(1):Some(1)",
            "latin1.toml:Some(2):Some(14)",
        ],
        "{outcome:?}"
    );
    assert!(outcome.removed.is_empty(), "{outcome:?}");
    assert_eq!(
        www(server.dns_addr(), "example.com.").await,
        ["192.0.2.1"],
        "the old version keeps serving"
    );
    server.shutdown().await;
}

/// Waits until `www.<origin>` answers `want`; fails after `within`.
async fn served_within(server: SocketAddr, origin: &str, want: &str, within: Duration) {
    let start = Instant::now();
    loop {
        if www(server, origin).await == [want] {
            return;
        }
        assert!(
            start.elapsed() < within,
            "{origin} did not answer {want} within {within:?}"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_zones_folder_created_after_start_is_served_without_sighup() {
    let dir = tempfile::tempdir().unwrap();
    // Neither the zones folder nor its parent exists yet.
    let zones = dir.path().join("etc/zones");
    let mut config = ServerConfig::for_tests(&zones);
    config.admin.listen = None;
    config.reload.debounce = Duration::from_millis(50);
    let server = start(config).await.expect("server starts");
    assert_eq!(server.initial_load.errors.len(), 1, "the folder is missing");

    std::fs::create_dir_all(&zones).unwrap();
    std::fs::write(zones.join("a.toml"), zone("example.com.", "192.0.2.1")).unwrap();
    served_within(
        server.dns_addr(),
        "example.com.",
        "192.0.2.1",
        Duration::from_secs(3),
    )
    .await;

    // Edits inside the new folder are watched too.
    std::fs::write(zones.join("a.toml"), zone("example.com.", "192.0.2.2")).unwrap();
    served_within(
        server.dns_addr(),
        "example.com.",
        "192.0.2.2",
        Duration::from_secs(3),
    )
    .await;

    // A folder removed and created again (a deploy that swaps it) is followed.
    std::fs::remove_dir_all(&zones).unwrap();
    tokio::time::sleep(Duration::from_millis(200)).await;
    assert_eq!(
        www(server.dns_addr(), "example.com.").await,
        ["192.0.2.2"],
        "a missing folder keeps the loaded zones serving"
    );
    std::fs::create_dir(&zones).unwrap();
    std::fs::write(zones.join("a.toml"), zone("example.com.", "192.0.2.3")).unwrap();
    served_within(
        server.dns_addr(),
        "example.com.",
        "192.0.2.3",
        Duration::from_secs(3),
    )
    .await;
    server.shutdown().await;
}

/// `line` without ANSI colour sequences.
fn plain(line: &str) -> String {
    let mut out = String::with_capacity(line.len());
    let mut chars = line.chars();
    while let Some(c) = chars.next() {
        if c == '\u{1b}' {
            chars.by_ref().find(|c| c.is_ascii_alphabetic());
        } else {
            out.push(c);
        }
    }
    out
}

#[test]
fn removing_the_watched_folder_logs_no_watch_descriptor_noise() {
    let dir = tempfile::tempdir().unwrap();
    let zones = dir.path().join("zones");
    std::fs::create_dir(&zones).unwrap();
    std::fs::write(zones.join("a.toml"), zone("example.com.", "192.0.2.1")).unwrap();
    let config = dir.path().join("alwayson.toml");
    std::fs::write(
        &config,
        "[dns]\nlisten = [\"127.0.0.1:0\"]\nudp_threads = 1\n\n[admin]\nlisten = \"off\"\n\n[reload]\ndebounce = \"20ms\"\n",
    )
    .unwrap();
    let mut child = Command::new(env!("CARGO_BIN_EXE_alwayson"))
        .args(["serve", "--config"])
        .arg(&config)
        .env_remove("RUST_LOG")
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .expect("run alwayson serve");
    let (tx, lines) = std::sync::mpsc::channel();
    let stderr = child.stderr.take().unwrap();
    std::thread::spawn(move || {
        for line in BufReader::new(stderr).lines().map_while(Result::ok) {
            let _ = tx.send(line);
        }
    });
    let mut seen = Vec::new();
    let wait_for = |what: &str, seen: &mut Vec<String>| loop {
        let line = lines
            .recv_timeout(Duration::from_secs(10))
            .unwrap_or_else(|_| panic!("no log line with {what:?}; saw {seen:#?}"));
        let line = plain(&line);
        seen.push(line.clone());
        if line.contains(what) {
            return;
        }
    };
    wait_for("alwayson serving", &mut seen);
    // Removing the folder drops its watch in the kernel; the watcher then
    // fails to remove it again, which notify logs at INFO.
    std::fs::remove_dir_all(&zones).unwrap();
    wait_for("cannot read the zones folder", &mut seen);
    std::fs::create_dir(&zones).unwrap();
    std::fs::write(zones.join("a.toml"), zone("example.com.", "192.0.2.2")).unwrap();
    wait_for("changed=1", &mut seen);
    let _ = child.kill();
    let _ = child.wait();
    while let Ok(line) = lines.recv_timeout(Duration::from_millis(100)) {
        seen.push(line);
    }
    assert!(
        seen.iter().all(|l| !l.contains("watch descriptor")),
        "{seen:#?}"
    );
}
