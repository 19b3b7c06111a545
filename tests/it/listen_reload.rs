//! `[dns] listen` and `[admin] listen` changed in `alwayson.toml` and
//! reloaded: new addresses serve before old ones close and a query to a kept
//! address is never lost; an address that cannot be bound is reported and
//! the old ones keep serving; other keys bound at start are reported as
//! "needs restart" in the reply and on the status page.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use crate::admin_client::AdminClient;
use crate::harness::{query, tcp, udp_raw_within, zone};
use alwayson::app::{RunningServer, start};
use alwayson::config;
use hickory_proto::op::{Message, ResponseCode};
use hickory_proto::rr::RecordType;

/// A config folder with one zone; returns the config file's path.
fn setup(dir: &Path, dns: &str, admin: &str, udp_threads: usize) -> PathBuf {
    let zones = dir.join("zones");
    std::fs::create_dir_all(&zones).unwrap();
    std::fs::write(
        zones.join("example.com.toml"),
        zone(
            "example.com.",
            None,
            "[[record]]\nname = \"www\"\ntype = \"A\"\nvalues = [\"192.0.2.1\"]\n",
        ),
    )
    .unwrap();
    write_config(dir, dns, admin, udp_threads)
}

fn write_config(dir: &Path, dns: &str, admin: &str, udp_threads: usize) -> PathBuf {
    let path = dir.join("alwayson.toml");
    std::fs::write(
        &path,
        format!(
            "[dns]\nlisten = [{dns}]\nzones_dir = \"zones\"\nudp_threads = {udp_threads}\n\n[admin]\nlisten = \"{admin}\"\n\n[reload]\nwatch = false\n"
        ),
    )
    .unwrap();
    path
}

async fn serve(config: &Path) -> RunningServer {
    let config = config::load(Some(config)).expect("config loads");
    start(config).await.expect("server starts")
}

/// Whether `server` answers `www.example.com. A` over UDP within `wait`.
async fn answers(server: SocketAddr, wait: Duration) -> bool {
    let bytes = query("www.example.com.", RecordType::A).to_vec().unwrap();
    udp_raw_within(server, &bytes, wait)
        .await
        .and_then(|reply| Message::from_vec(&reply).ok())
        .is_some_and(|m| m.metadata.response_code == ResponseCode::NoError && m.answers.len() == 1)
}

/// Queries `server` in a loop until `stop`; counts the unanswered ones.
fn query_loop(
    server: SocketAddr,
    stop: Arc<AtomicBool>,
) -> tokio::task::JoinHandle<(usize, usize)> {
    tokio::spawn(async move {
        let (mut sent, mut lost) = (0, 0);
        while !stop.load(Ordering::Relaxed) {
            sent += 1;
            if !answers(server, Duration::from_secs(2)).await {
                lost += 1;
            }
        }
        (sent, lost)
    })
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_dns_listen_change_moves_the_listeners_without_losing_a_query() {
    let dir = tempfile::tempdir().unwrap();
    let config = setup(dir.path(), "\"127.0.0.1:0\"", "off", 1);
    let server = serve(&config).await;
    let first = server.dns_addr();

    // Add an address while queries keep coming to the first one.
    let stop = Arc::new(AtomicBool::new(false));
    let queries = query_loop(first, stop.clone());
    tokio::time::sleep(Duration::from_millis(100)).await;
    write_config(dir.path(), "\"127.0.0.1:0\", \"127.0.0.2:0\"", "off", 1);
    let outcome = server.reload().await.expect("reload outcome");
    assert!(outcome.errors.is_empty(), "{outcome:?}");
    assert!(outcome.needs_restart.is_empty(), "{outcome:?}");
    tokio::time::sleep(Duration::from_millis(100)).await;
    stop.store(true, Ordering::Relaxed);
    let (sent, lost) = queries.await.unwrap();
    assert!(sent > 1, "the loop ran ({sent} queries)");
    assert_eq!(lost, 0, "queries to a kept address are never lost");

    let (dns, _) = server.listening();
    assert_eq!(dns.len(), 2, "{dns:?}");
    assert_eq!(dns[0], first, "the kept address keeps its socket");
    let second = dns[1];
    assert_eq!(second.ip().to_string(), "127.0.0.2");
    assert!(
        answers(second, Duration::from_secs(2)).await,
        "UDP on the new address"
    );
    let over_tcp = tcp(second, &query("www.example.com.", RecordType::A)).await;
    assert_eq!(over_tcp.answers.len(), 1, "TCP on the new address");

    // Remove the first address: it stops answering, the second goes on.
    write_config(dir.path(), "\"127.0.0.2:0\"", "off", 1);
    let outcome = server.reload().await.expect("reload outcome");
    assert!(outcome.errors.is_empty(), "{outcome:?}");
    assert_eq!(server.listening().0, [second]);
    assert!(answers(second, Duration::from_secs(2)).await);
    let deadline = Instant::now() + Duration::from_secs(3);
    while answers(first, Duration::from_millis(300)).await {
        assert!(
            Instant::now() < deadline,
            "the removed address still answers"
        );
    }
    assert!(
        tokio::net::TcpStream::connect(first).await.is_err(),
        "the removed TCP listener is closed"
    );
    server.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_listen_address_that_cannot_be_bound_is_reported_and_the_old_keeps_serving() {
    let taken = udp_port_below_the_ephemeral_range();
    let taken_addr = taken.local_addr().unwrap();
    let dir = tempfile::tempdir().unwrap();
    let config = setup(dir.path(), "\"127.0.0.1:0\"", "off", 1);
    let server = serve(&config).await;
    let first = server.dns_addr();

    write_config(dir.path(), &format!("\"{taken_addr}\""), "off", 1);
    let outcome = server.reload().await.expect("reload outcome");
    assert_eq!(outcome.errors.len(), 1, "{outcome:?}");
    let text = outcome.errors[0].to_string();
    assert!(
        text.starts_with(&format!(
            "{}: dns.listen: cannot listen for DNS on {taken_addr}: ",
            config.display()
        )) && text.ends_with("; the old addresses keep serving"),
        "{text}"
    );
    assert_eq!(server.listening().0, [first]);
    assert!(answers(first, Duration::from_secs(2)).await);

    // Once the address is free, the next reload applies it.
    drop(taken);
    let outcome = server.reload().await.expect("reload outcome");
    assert!(outcome.errors.is_empty(), "{outcome:?}");
    assert_eq!(server.listening().0, [taken_addr]);
    assert!(answers(taken_addr, Duration::from_secs(2)).await);
    server.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_admin_listen_change_moves_the_api_and_other_keys_need_a_restart() {
    let dir = tempfile::tempdir().unwrap();
    let config = setup(dir.path(), "\"127.0.0.1:0\"", "127.0.0.1:0", 1);
    let server = serve(&config).await;
    let old = server.admin_addr.expect("admin API bound");

    write_config(dir.path(), "\"127.0.0.1:0\"", "127.0.0.2:0", 2);
    let reply = AdminClient::new(old).post("/api/v1/reload").await;
    assert_eq!(reply.status, 200, "{}", reply.body);
    let body = reply.json();
    assert_eq!(
        body["needs_restart"],
        serde_json::json!(["dns.udp_threads"])
    );

    let new = server.listening().1.expect("admin API still on");
    assert_eq!(new.ip().to_string(), "127.0.0.2");
    let admin = AdminClient::new(new);
    assert_eq!(admin.get("/healthz").await.status, 200);
    let page = admin.get("/").await;
    assert!(
        page.body
            .contains("needs restart: dns.udp_threads changed in the config file"),
        "{}",
        page.body
    );
    let deadline = Instant::now() + Duration::from_secs(3);
    while tokio::net::TcpStream::connect(old).await.is_ok() {
        assert!(
            Instant::now() < deadline,
            "the old admin address still accepts"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }

    // Back to the running value: nothing waits for a restart any more.
    write_config(dir.path(), "\"127.0.0.1:0\"", "127.0.0.2:0", 1);
    let reply = admin.post("/api/v1/reload").await;
    assert_eq!(reply.json()["needs_restart"], serde_json::json!([]));
    assert!(!admin.get("/").await.body.contains("needs restart"));
    server.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_config_saved_by_rename_is_seen_by_the_watch_every_time() {
    let dir = tempfile::tempdir().unwrap();
    let config = setup(dir.path(), "\"127.0.0.1:0\"", "off", 1);
    let watched = |dns: &str| {
        format!(
            "[dns]\nlisten = [{dns}]\nzones_dir = \"zones\"\nudp_threads = 1\n\n[admin]\nlisten = \"off\"\n\n[reload]\ndebounce = \"20ms\"\n"
        )
    };
    std::fs::write(&config, watched("\"127.0.0.1:0\"")).unwrap();
    let server = serve(&config).await;
    // Editors save by writing a new file and renaming it over the old one,
    // which a watch on the old file would lose after the first save.
    for ip in ["127.0.0.2", "127.0.0.3"] {
        let saved = dir.path().join("alwayson.toml.new");
        std::fs::write(&saved, watched(&format!("\"{ip}:0\""))).unwrap();
        std::fs::rename(&saved, &config).unwrap();
        let deadline = Instant::now() + Duration::from_secs(3);
        while server.listening().0.first().map(|a| a.ip().to_string()) != Some(ip.to_string()) {
            assert!(
                Instant::now() < deadline,
                "the save moving DNS to {ip} was not seen"
            );
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        assert!(answers(server.listening().0[0], Duration::from_secs(2)).await);
    }
    server.shutdown().await;
}

/// A UDP socket on a port whose TCP twin is free too, below Linux's
/// ephemeral range (32768-60999): no other test's port-0 socket or outgoing
/// connection can take that port between its release and the reload.
fn udp_port_below_the_ephemeral_range() -> std::net::UdpSocket {
    // 12000-19999: the cluster tests take their gossip ports above.
    let start = (std::process::id() % 8_000) as u16;
    (0..2_000u16)
        .map(|i| 12_000 + (start + i) % 8_000)
        .find_map(|port| {
            let udp = std::net::UdpSocket::bind(("127.0.0.1", port)).ok()?;
            std::net::TcpListener::bind(("127.0.0.1", port)).ok()?;
            Some(udp)
        })
        .expect("a free port below 32768")
}
