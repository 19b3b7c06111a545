//! The zones folder as an operator meets it: a `*.toml` entry that is not a
//! readable file (a dangling symlink, a folder, a FIFO, bytes that are not
//! UTF-8) is reported by `alwayson check` and by a reload, and a file that
//! turns into one keeps its previous version serving; a zones folder
//! created after start is picked up without SIGHUP.

use std::net::SocketAddr;
use std::path::Path;
use std::process::Command;
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
        format!("{z}/dangling.toml:1:1: cannot read file: it is a symlink to {z}/nowhere, which does not exist"),
        format!("{z}/fifo.toml:1:1: cannot read file: it is not a regular file (a FIFO, socket or device)"),
        format!("{z}/folder.toml:1:1: cannot read file: it is a folder"),
        format!("{z}/latin1.toml:1:1: cannot read file: stream did not contain valid UTF-8"),
    ] {
        assert!(
            stderr.lines().any(|l| l == expected),
            "missing {expected:?} in:\n{stderr}"
        );
    }
    assert_eq!(stderr.lines().count(), 4, "{stderr}");
    assert!(!stderr.contains("lock"), "hidden files are ignored: {stderr}");
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
            "latin1.toml:Some(1):Some(1)",
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
