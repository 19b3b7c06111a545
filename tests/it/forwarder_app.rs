//! The forwarder as `serve` runs it: `[[forwarder]]` sections of
//! `alwayson.toml` start with the server, follow the same health checks as
//! DNS, and change on reload (a new backend takes connections).

use std::net::SocketAddr;
use std::time::{Duration, Instant};

use alwayson::app::start;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

/// An echo server that prefixes its replies with `tag`.
async fn tagged_echo(tag: &'static str) -> (SocketAddr, tokio::task::JoinHandle<()>) {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let task = tokio::spawn(async move {
        while let Ok((mut stream, _)) = listener.accept().await {
            tokio::spawn(async move {
                let mut buf = [0u8; 64];
                if let Ok(n) = stream.read(&mut buf).await {
                    let _ = stream.write_all(tag.as_bytes()).await;
                    let _ = stream.write_all(&buf[..n]).await;
                }
            });
        }
    });
    (addr, task)
}

async fn through(forwarder: SocketAddr) -> String {
    let mut stream = TcpStream::connect(forwarder)
        .await
        .expect("connect to the forwarder");
    stream.write_all(b"ping").await.unwrap();
    stream.shutdown().await.unwrap();
    let mut reply = String::new();
    tokio::time::timeout(Duration::from_secs(5), stream.read_to_string(&mut reply))
        .await
        .expect("reply in time")
        .expect("read");
    reply
}

fn server_toml(backends: &[(SocketAddr, Option<&str>)], check_port: u16) -> String {
    let backends: Vec<String> = backends
        .iter()
        .map(|(addr, check)| match check {
            Some(id) => format!("{{ address = \"{addr}\", health_check = \"{id}\" }}"),
            None => format!("{{ address = \"{addr}\" }}"),
        })
        .collect();
    format!(
        r#"[dns]
listen = ["127.0.0.1:0"]

[admin]
listen = "127.0.0.1:0"

[reload]
watch = false

[health_check.a-up]
type = "tcp"
address = "127.0.0.1:{check_port}"
interval = "200ms"
timeout = "100ms"
healthy_threshold = 1
unhealthy_threshold = 1

[[forwarder]]
name = "web"
listen = "127.0.0.1:0"
balance = "round_robin"
backends = [{}]
"#,
        backends.join(", ")
    )
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn serve_runs_forwarders_over_dns_health_and_reloads_them() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir_all(dir.path().join("zones")).unwrap();
    let (a, _a) = tagged_echo("a:").await;
    let (b, _b) = tagged_echo("b:").await;
    // Backend a's health check watches a separate port that the test closes.
    let check = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let check_port = check.local_addr().unwrap().port();
    let path = dir.path().join("alwayson.toml");
    std::fs::write(&path, server_toml(&[(a, Some("a-up"))], check_port)).unwrap();

    let config = alwayson::config::load(Some(&path)).expect("config loads");
    let server = start(config).await.expect("server starts");
    let (name, forwarder) = server.forwarder_addrs().await[0].clone();
    assert_eq!(name, "web");
    assert_eq!(through(forwarder).await, "a:ping");

    // Reload with a second backend: both take connections.
    std::fs::write(
        &path,
        server_toml(&[(a, Some("a-up")), (b, None)], check_port),
    )
    .unwrap();
    let outcome = server.reload().await.unwrap();
    assert!(
        outcome
            .errors
            .iter()
            .all(|e| e.to_string().contains("zones")),
        "{outcome:?}"
    );
    let start_wait = Instant::now();
    let mut seen = std::collections::BTreeSet::new();
    while seen.len() < 2 {
        seen.insert(through(forwarder).await[..2].to_string());
        assert!(
            start_wait.elapsed() < Duration::from_secs(5),
            "new backend never used: {seen:?}"
        );
    }
    assert_eq!(
        server.forwarder_addrs().await[0].1,
        forwarder,
        "an unchanged listen address keeps its socket"
    );

    // a's check fails: new connections go only to b (the same health as DNS).
    drop(check);
    let start_wait = Instant::now();
    loop {
        let replies: Vec<String> = replies(forwarder, 6).await;
        if replies.iter().all(|r| r == "b:ping") {
            break;
        }
        assert!(
            start_wait.elapsed() < Duration::from_secs(5),
            "a still used: {replies:?}"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert!(!server.store.load().health.is_healthy("a-up"));

    // Per-backend series on /metrics: connections and bytes both ways.
    let admin = server.admin_addr.expect("admin listens");
    let page = reqwest::get(format!("http://{admin}/metrics"))
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let series = |name: &str, backend: SocketAddr| -> u64 {
        page.lines()
            .find(|l| l.starts_with(name) && l.contains(&format!("backend=\"{backend}\"")))
            .and_then(|l| l.rsplit(' ').next())
            .and_then(|v| v.parse().ok())
            .unwrap_or_else(|| panic!("no {name} for {backend} in:\n{page}"))
    };
    assert!(series("alwayson_forwarder_connections_total{", b) >= 6);
    assert!(series("alwayson_forwarder_backend_healthy{", a) == 0);
    let to_backend = page.lines().any(|l| {
        l.starts_with("alwayson_forwarder_bytes_total{")
            && l.contains("to_backend")
            && !l.ends_with(" 0")
    });
    let to_client = page.lines().any(|l| {
        l.starts_with("alwayson_forwarder_bytes_total{")
            && l.contains("to_client")
            && !l.ends_with(" 0")
    });
    assert!(to_backend && to_client, "{page}");
    let status = reqwest::get(format!("http://{admin}/"))
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(
        status.contains(&b.to_string()),
        "the status page lists the backends"
    );
    server.shutdown().await;
}

async fn replies(forwarder: SocketAddr, n: usize) -> Vec<String> {
    let mut replies = Vec::with_capacity(n);
    for _ in 0..n {
        replies.push(through(forwarder).await);
    }
    replies
}

/// A backend naming a check that no file defines is a reload problem like
/// any other: returned, logged and counted as a failed reload (it was only
/// returned to the API once).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_backend_naming_an_unknown_check_counts_as_a_reload_error() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir_all(dir.path().join("zones")).unwrap();
    let (a, _a) = tagged_echo("a:").await;
    let check = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let check_port = check.local_addr().unwrap().port();
    let path = dir.path().join("alwayson.toml");
    std::fs::write(&path, server_toml(&[(a, Some("nope"))], check_port)).unwrap();

    let config = alwayson::config::load(Some(&path)).expect("config loads");
    let server = start(config).await.expect("server starts");
    let errors: Vec<String> = server
        .initial_load
        .errors
        .iter()
        .map(ToString::to_string)
        .collect();
    assert!(
        errors
            .iter()
            .any(|e| e.contains("unknown health check \"nope\"")),
        "{errors:?}"
    );
    assert_eq!(server.metrics.reload_errors(), 1);

    let again = server.reload().await.expect("reload");
    assert_eq!(again.errors.len(), 1, "{:?}", again.errors);
    assert_eq!(server.metrics.reload_errors(), 2);
    // The backend still takes connections: an unknown check counts as healthy.
    let (_, forwarder) = server.forwarder_addrs().await[0].clone();
    assert_eq!(through(forwarder).await, "a:ping");
    server.shutdown().await;
}
