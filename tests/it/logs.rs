//! Logs of the real binary with `--log-format json`: every stderr line is
//! one JSON object, and a reload, an override and the flip it causes each
//! produce exactly one structured line with their fields. Per-query logs
//! stay off.

use std::io::{BufRead, BufReader};
use std::net::TcpListener;
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use hickory_proto::rr::RecordType;
use serde_json::Value;

use crate::admin_client::AdminClient;
use crate::harness::{query, udp, zone};

/// The server process; killed when dropped.
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
    fn start(config: &std::path::Path) -> Self {
        Self::start_with(config, "json")
    }

    /// `alwayson serve` with `--log-format format`, stderr piped (not a terminal).
    fn start_with(config: &std::path::Path, format: &str) -> Self {
        let mut child = Command::new(env!("CARGO_BIN_EXE_alwayson"))
            .args(["serve", "--log-format", format, "--config"])
            .arg(config)
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

    /// Reads lines until one matches; every line must be a JSON object.
    fn wait_for(&mut self, what: &str, matches: impl Fn(&Value) -> bool) -> Value {
        let deadline = Instant::now() + Duration::from_secs(10);
        loop {
            let left = deadline.saturating_duration_since(Instant::now());
            let line = self
                .lines
                .recv_timeout(left)
                .unwrap_or_else(|_| panic!("no log line for {what}; saw {:#?}", self.seen));
            let value: Value = serde_json::from_str(&line)
                .unwrap_or_else(|e| panic!("not a JSON log line ({e}): {line}"));
            assert!(value.is_object(), "{line}");
            self.seen.push(value.clone());
            if matches(&value) {
                return value;
            }
        }
    }

    /// Every line logged so far and within `quiet` more.
    fn drain(&mut self, quiet: Duration) -> Vec<Value> {
        while let Ok(line) = self.lines.recv_timeout(quiet) {
            let value: Value = serde_json::from_str(&line)
                .unwrap_or_else(|e| panic!("not a JSON log line ({e}): {line}"));
            self.seen.push(value);
        }
        self.seen.clone()
    }
}

fn message(v: &Value) -> &str {
    v["message"].as_str().unwrap_or_default()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn json_logs_give_one_structured_line_per_reload_override_and_flip() {
    let dir = tempfile::tempdir().unwrap();
    let backend = TcpListener::bind("127.0.0.1:0").unwrap();
    std::fs::create_dir(dir.path().join("zones")).unwrap();
    std::fs::write(
        dir.path().join("zones/example.com.toml"),
        zone(
            "example.com.",
            None,
            &format!(
                r#"
[[record]]
name = "www"
type = "A"
health_check = "web-1"
values = ["192.0.2.10"]

[health_check.web-1]
type = "tcp"
address = "{}"
interval = "1s"
timeout = "500ms"

# Sorts before its child: its flip must still be logged after the child's.
[health_check.aa-site]
type = "calculated"
children = ["web-1"]
healthy_when = 1
"#,
                backend.local_addr().unwrap()
            ),
        ),
    )
    .unwrap();
    let config = dir.path().join("alwayson.toml");
    std::fs::write(
        &config,
        "[dns]\nlisten = [\"127.0.0.1:0\"]\nudp_threads = 1\n\n[admin]\nlisten = \"127.0.0.1:0\"\n\n[reload]\nwatch = false\n",
    )
    .unwrap();

    let mut serve = Serve::start(&config);
    let listening = serve.wait_for("admin API listening", |v| {
        message(v) == "admin API listening"
    });
    let admin = AdminClient::new(listening["addr"].as_str().unwrap().parse().unwrap());
    let serving = serve.wait_for("alwayson serving", |v| message(v) == "alwayson serving");
    assert_eq!(serving["level"], "INFO");
    // Addresses as written in a config, not Rust debug text.
    let dns = serving["dns"].as_str().unwrap();
    let dns = dns.parse().unwrap_or_else(|_| panic!("dns={dns:?}"));
    assert_eq!(serving["admin"], listening["addr"]);

    // Queries are not logged by default.
    for _ in 0..5 {
        udp(dns, &query("www.example.com.", RecordType::A)).await;
    }

    assert_eq!(admin.post("/api/v1/reload").await.status, 200);
    let reload = serve.wait_for("the reload", |v| message(v) == "zones reloaded");
    assert_eq!(reload["target"], "alwayson::reload");
    assert_eq!(reload["unchanged"], 1);
    assert_eq!(reload["errors"], 0);

    let held = admin
        .put(
            "/api/v1/health-checks/web-1/override",
            r#"{"status": "unhealthy", "for": "30m"}"#,
        )
        .await;
    assert_eq!(held.status, 200);
    let over = serve.wait_for("the override", |v| message(v) == "override");
    assert_eq!(
        (over["check"].as_str(), over["status"].as_str()),
        (Some("web-1"), Some("unhealthy"))
    );
    // RFC 3339, the same instant the API reports.
    let until = over["until"].as_str().unwrap();
    assert!(humantime::parse_rfc3339(until).is_ok(), "until={until:?}");
    assert_eq!(held.json()["override"]["until"], until);
    let flip = serve.wait_for("the flip", |v| message(v) == "health flip");
    assert_eq!(flip["check"], "web-1");
    assert_eq!(
        (flip["from"].as_str(), flip["to"].as_str()),
        (Some("healthy"), Some("unhealthy"))
    );
    assert_eq!(flip["reason"], "override: unhealthy");
    assert_eq!(flip["target"], "alwayson::health");
    let parent = serve.wait_for("the parent's flip", |v| message(v) == "health flip");
    assert_eq!(
        parent["check"], "aa-site",
        "the calculated flip comes second"
    );
    assert_eq!(parent["reason"], "calculated: 0/1 children healthy");

    let all = serve.drain(Duration::from_millis(300));
    let count = |m: &str| all.iter().filter(|v| message(v) == m).count();
    assert_eq!(count("zones reloaded"), 2, "start and POST, one line each");
    assert_eq!(count("override"), 1);
    assert_eq!(count("health flip"), 2);
    assert!(
        all.iter().all(|v| !v["target"]
            .as_str()
            .unwrap_or_default()
            .starts_with("hickory")),
        "no per-query lines: {all:#?}"
    );
    drop(backend);
}

#[test]
fn text_logs_to_a_pipe_carry_no_colour_codes_and_print_addresses() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir(dir.path().join("zones")).unwrap();
    std::fs::write(
        dir.path().join("zones/example.com.toml"),
        zone("example.com.", None, ""),
    )
    .unwrap();
    let config = dir.path().join("alwayson.toml");
    std::fs::write(
        &config,
        "[dns]\nlisten = [\"127.0.0.1:0\"]\nudp_threads = 1\n\n[admin]\nlisten = \"off\"\n\n[reload]\nwatch = false\n",
    )
    .unwrap();
    let serve = Serve::start_with(&config, "text");
    let deadline = Instant::now() + Duration::from_secs(10);
    let mut lines = Vec::new();
    let serving = loop {
        let left = deadline.saturating_duration_since(Instant::now());
        let line = serve
            .lines
            .recv_timeout(left)
            .unwrap_or_else(|_| panic!("no start line; saw {lines:#?}"));
        lines.push(line.clone());
        if line.contains("alwayson serving") {
            break line;
        }
    };
    for line in &lines {
        assert!(!line.contains('\x1b'), "an escape code on a pipe: {line:?}");
    }
    assert!(serving.contains(" INFO "), "{serving}");
    assert!(serving.contains("dns=127.0.0.1:"), "{serving}");
    assert!(serving.contains("admin=off"), "{serving}");
    assert!(!serving.contains("Some("), "{serving}");
    assert!(!serving.contains('['), "no debug lists: {serving}");
}
