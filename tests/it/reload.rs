//! Hot reload over real sockets: a saved edit is served within a second, a
//! broken edit changes nothing served and reports `file:line:col`, added and
//! removed files are served and unloaded, derived serials grow, and no query
//! is lost or fails while zones reload under load.

use std::net::SocketAddr;
use std::path::Path;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use crate::harness::{query, udp_raw_within};
use alwayson::app::{RunningServer, start};
use alwayson::config::ServerConfig;
use hickory_proto::op::{Message, ResponseCode};
use hickory_proto::rr::{RData, RecordType};

fn zone(origin: &str, www: &str, serial: Option<u32>) -> String {
    let serial = serial.map_or(String::new(), |s| format!(", serial = {s}"));
    format!(
        "[zone]\norigin = \"{origin}\"\nsoa = {{ mname = \"ns1.{origin}\", rname = \"hostmaster.{origin}\"{serial} }}\n\n[[record]]\nname = \"www\"\ntype = \"A\"\nvalues = [\"{www}\"]\n"
    )
}

async fn serve(dir: &Path) -> RunningServer {
    let mut config = ServerConfig::for_tests(dir);
    config.admin.listen = None;
    config.reload.debounce = Duration::from_millis(50);
    start(config).await.expect("server starts")
}

/// One UDP query; None on timeout.
async fn ask(server: SocketAddr, name: &str, qtype: RecordType) -> Option<Message> {
    let reply = udp_raw_within(
        server,
        &query(name, qtype).to_vec().ok()?,
        Duration::from_secs(2),
    )
    .await?;
    Message::from_vec(&reply).ok()
}

fn a_values(msg: &Message) -> Vec<String> {
    msg.answers
        .iter()
        .filter_map(|r| match &r.data {
            RData::A(a) => Some(a.to_string()),
            _ => None,
        })
        .collect()
}

async fn www(server: SocketAddr, origin: &str) -> (ResponseCode, Vec<String>) {
    let msg = ask(server, &format!("www.{origin}"), RecordType::A)
        .await
        .expect("an answer");
    (msg.metadata.response_code, a_values(&msg))
}

async fn wait_for(server: SocketAddr, origin: &str, want: &str, within: Duration) -> Duration {
    let start = Instant::now();
    loop {
        let (_, values) = www(server, origin).await;
        if values == [want] {
            return start.elapsed();
        }
        assert!(
            start.elapsed() < within,
            "{origin} never answered {want} (still {values:?})"
        );
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_saved_edit_is_served_within_a_second() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("example.com.toml");
    std::fs::write(&file, zone("example.com.", "192.0.2.1", None)).unwrap();
    let server = serve(dir.path()).await;
    assert_eq!(
        www(server.dns_addr(), "example.com.").await,
        (ResponseCode::NoError, vec!["192.0.2.1".to_string()])
    );
    let serial_before = server.store.load().zones.zones()[0].serial;

    std::fs::write(&file, zone("example.com.", "192.0.2.2", None)).unwrap();
    let took = wait_for(
        server.dns_addr(),
        "example.com.",
        "192.0.2.2",
        Duration::from_secs(1),
    )
    .await;
    eprintln!("edit served after {took:?}");
    let serial_after = server.store.load().zones.zones()[0].serial;
    assert!(
        serial_after > serial_before,
        "derived serial must grow: {serial_before} → {serial_after}"
    );
    server.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_broken_edit_keeps_the_old_zone_and_reports_where() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("example.com.toml");
    std::fs::write(&file, zone("example.com.", "192.0.2.1", Some(7))).unwrap();
    let server = serve(dir.path()).await;

    let broken = zone("example.com.", "192.0.2.999", Some(8));
    std::fs::write(&file, &broken).unwrap();
    let outcome = server.reload().await.expect("reload outcome");
    assert_eq!(outcome.errors.len(), 1, "{outcome:?}");
    let expected = format!(
        "{}:8:11: invalid IPv4 address \"192.0.2.999\"",
        file.display()
    );
    assert_eq!(outcome.errors[0].to_string(), expected);
    assert_eq!(
        www(server.dns_addr(), "example.com.").await.1,
        ["192.0.2.1"]
    );
    let snapshot = server.store.load();
    let report = &snapshot.zones.files[0];
    assert_eq!(report.error.as_deref(), Some(expected.as_str()));
    assert_eq!(report.serial, Some(7), "the old version keeps serving");

    // Fixing the file clears the error.
    std::fs::write(&file, zone("example.com.", "192.0.2.3", Some(9))).unwrap();
    let outcome = server.reload().await.unwrap();
    assert!(outcome.errors.is_empty(), "{outcome:?}");
    assert_eq!(
        www(server.dns_addr(), "example.com.").await.1,
        ["192.0.2.3"]
    );
    assert_eq!(server.store.load().zones.files[0].error, None);
    server.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn added_files_are_served_and_removed_ones_unloaded() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("a.toml"),
        zone("example.com.", "192.0.2.1", None),
    )
    .unwrap();
    let server = serve(dir.path()).await;
    assert_eq!(
        www(server.dns_addr(), "example.net.").await.0,
        ResponseCode::Refused
    );

    std::fs::write(
        dir.path().join("b.toml"),
        zone("example.net.", "198.51.100.1", None),
    )
    .unwrap();
    wait_for(
        server.dns_addr(),
        "example.net.",
        "198.51.100.1",
        Duration::from_secs(2),
    )
    .await;

    std::fs::remove_file(dir.path().join("a.toml")).unwrap();
    let start = Instant::now();
    while www(server.dns_addr(), "example.com.").await.0 != ResponseCode::Refused {
        assert!(
            start.elapsed() < Duration::from_secs(2),
            "removed zone still served"
        );
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    assert_eq!(
        www(server.dns_addr(), "example.net.").await.1,
        ["198.51.100.1"]
    );
    server.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sighup_reloads() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("example.com.toml");
    std::fs::write(&file, zone("example.com.", "192.0.2.1", None)).unwrap();
    let mut config = ServerConfig::for_tests(dir.path());
    config.admin.listen = None;
    config.reload.watch = false;
    let server = start(config).await.unwrap();
    std::fs::write(&file, zone("example.com.", "192.0.2.2", None)).unwrap();
    tokio::time::sleep(Duration::from_millis(200)).await;
    assert_eq!(
        www(server.dns_addr(), "example.com.").await.1,
        ["192.0.2.1"],
        "no watch, no reload yet"
    );
    // Raise SIGHUP at this test process, as an operator would at the server.
    let status = std::process::Command::new("kill")
        .args(["-HUP", &std::process::id().to_string()])
        .status()
        .unwrap();
    assert!(status.success());
    wait_for(
        server.dns_addr(),
        "example.com.",
        "192.0.2.2",
        Duration::from_secs(2),
    )
    .await;
    server.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn no_query_is_lost_or_fails_during_reloads() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("example.com.toml");
    std::fs::write(&file, zone("example.com.", "192.0.2.1", None)).unwrap();
    let server = serve(dir.path()).await;
    let addr = server.dns_addr();
    let stop = Arc::new(AtomicBool::new(false));
    let answered = Arc::new(AtomicUsize::new(0));
    let failed = Arc::new(AtomicUsize::new(0));
    let mut clients = Vec::new();
    for _ in 0..4 {
        let (stop, answered, failed) = (stop.clone(), answered.clone(), failed.clone());
        clients.push(tokio::spawn(async move {
            while !stop.load(Ordering::Relaxed) {
                match ask(addr, "www.example.com.", RecordType::A).await {
                    Some(msg)
                        if msg.metadata.response_code == ResponseCode::NoError
                            && matches!(a_values(&msg).as_slice(), [v] if v == "192.0.2.1" || v == "192.0.2.2") =>
                    {
                        answered.fetch_add(1, Ordering::Relaxed);
                    }
                    _ => {
                        failed.fetch_add(1, Ordering::Relaxed);
                    }
                }
            }
        }));
    }
    for i in 0..40 {
        let www = if i % 2 == 0 { "192.0.2.2" } else { "192.0.2.1" };
        std::fs::write(&file, zone("example.com.", www, None)).unwrap();
        server.reload().await.unwrap();
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    stop.store(true, Ordering::Relaxed);
    for c in clients {
        c.await.unwrap();
    }
    let (answered, failed) = (
        answered.load(Ordering::Relaxed),
        failed.load(Ordering::Relaxed),
    );
    eprintln!("{answered} queries answered during 40 reloads, {failed} lost or failed");
    assert!(
        answered > 100,
        "too few queries to mean anything: {answered}"
    );
    assert_eq!(failed, 0);
    server.shutdown().await;
}
