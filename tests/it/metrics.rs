//! `/metrics` from a real server after real traffic: clean under
//! `promtool check metrics` (Debian package `prometheus`; the test fails
//! without it), and every series counts what happened: queries by zone,
//! qtype, rcode and transport, truncation, latency, probes, flips, reloads,
//! zone serials, build info. Query counts survive a reload of the zone.

use std::io::Write;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use hickory_proto::rr::RecordType;

use crate::admin_client::{AdminClient, backends, failover_zone, start};
use crate::harness::{query, tcp, udp};

/// The value of the sample whose line starts with `series` (name and labels).
fn sample(text: &str, series: &str) -> Option<f64> {
    text.lines()
        .find_map(|l| {
            l.strip_prefix(series)
                .and_then(|rest| rest.strip_prefix(' '))
        })
        .map(|v| v.parse().expect("a number"))
}

async fn scrape(admin: &AdminClient) -> String {
    let reply = admin.get("/metrics").await;
    assert_eq!(reply.status, 200);
    reply.body
}

/// Runs `promtool check metrics` on `text`; fails the test on any finding.
fn promtool_check(text: &str) {
    let child = Command::new("promtool")
        .args(["check", "metrics"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn();
    let mut child = match child {
        Ok(c) => c,
        Err(e) => panic!(
            "promtool is needed to check /metrics ({e}); install it: apt-get install -y prometheus"
        ),
    };
    child
        .stdin
        .take()
        .unwrap()
        .write_all(text.as_bytes())
        .unwrap();
    let out = child.wait_with_output().unwrap();
    assert!(
        out.status.success(),
        "promtool check metrics failed:\n{}{}\n--- metrics ---\n{text}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
}

const BIG_TXT: &str = r#"
[[record]]
name = "big"
type = "TXT"
values = [
  "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa",
  "bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb",
  "cccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccc",
  "dddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddd",
  "eeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeee",
  "ffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff",
]
"#;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn metrics_count_real_traffic_and_pass_promtool() {
    let (a, b) = backends().await;
    let zone_text = format!("{}{BIG_TXT}", failover_zone(&a, &b));
    let (server, admin) = start(std::slice::from_ref(&zone_text), |_| {}).await;
    let dns = server.addr();

    for _ in 0..3 {
        udp(dns, &query("www.example.com.", RecordType::A)).await;
    }
    udp(dns, &query("nope.example.com.", RecordType::AAAA)).await;
    udp(dns, &query("www.example.org.", RecordType::A)).await;
    tcp(dns, &query("www.example.com.", RecordType::A)).await;
    let big = udp(dns, &query("big.example.com.", RecordType::TXT)).await;
    assert!(
        big.metadata.truncation,
        "the TXT answer must not fit 512 bytes"
    );
    let held = admin
        .put(
            "/api/v1/health-checks/web-1/override",
            r#"{"status": "unhealthy"}"#,
        )
        .await;
    assert_eq!(held.status, 200);
    assert_eq!(admin.post("/api/v1/reload").await.status, 200);

    // Wait for a few probes of each check (every 200 ms).
    let started = Instant::now();
    let text = loop {
        let text = scrape(&admin).await;
        if sample(&text, "alwayson_health_probes_total{check=\"web-2\"}").unwrap_or(0.0) >= 2.0 {
            break text;
        }
        assert!(
            started.elapsed() < Duration::from_secs(5),
            "no probes counted:\n{text}"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    };
    promtool_check(&text);

    let q = |labels: &str| sample(&text, &format!("alwayson_queries_total{{{labels}}}"));
    assert_eq!(
        q(r#"zone="example.com.",qtype="A",rcode="NOERROR",transport="udp""#),
        Some(3.0)
    );
    assert_eq!(
        q(r#"zone="example.com.",qtype="A",rcode="NOERROR",transport="tcp""#),
        Some(1.0)
    );
    assert_eq!(
        q(r#"zone="example.com.",qtype="AAAA",rcode="NXDOMAIN",transport="udp""#),
        Some(1.0)
    );
    assert_eq!(
        q(r#"zone="example.com.",qtype="TXT",rcode="NOERROR",transport="udp""#),
        Some(1.0)
    );
    assert_eq!(
        q(r#"zone="none",qtype="A",rcode="REFUSED",transport="udp""#),
        Some(1.0)
    );
    assert_eq!(
        q(r#"zone="example.com.",qtype="A",rcode="NOERROR",transport="tcp"#),
        None,
        "exact labels only"
    );
    assert_eq!(
        sample(
            &text,
            r#"alwayson_truncated_responses_total{transport="udp"}"#
        ),
        Some(1.0)
    );
    assert_eq!(
        sample(
            &text,
            r#"alwayson_truncated_responses_total{transport="tcp"}"#
        ),
        Some(0.0)
    );
    assert_eq!(
        sample(&text, "alwayson_query_duration_seconds_count"),
        Some(7.0)
    );
    assert_eq!(
        sample(
            &text,
            r#"alwayson_query_duration_seconds_bucket{le="+Inf"}"#
        ),
        Some(7.0)
    );
    // Every UDP datagram (6, more if the client had to resend) lands in
    // one batch or another.
    let batched = sample(&text, "alwayson_udp_receive_batch_size_sum").unwrap();
    let receives = sample(&text, "alwayson_udp_receive_batch_size_count").unwrap();
    assert!(
        batched >= 6.0 && (1.0..=batched).contains(&receives),
        "{batched} in {receives}"
    );
    assert_eq!(
        sample(&text, r#"alwayson_health_check_healthy{check="web-1"}"#),
        Some(0.0)
    );
    assert_eq!(
        sample(&text, r#"alwayson_health_check_healthy{check="web-2"}"#),
        Some(1.0)
    );
    assert_eq!(
        sample(
            &text,
            r#"alwayson_health_flips_total{check="web-1",to="unhealthy"}"#
        ),
        Some(1.0)
    );
    assert_eq!(
        sample(
            &text,
            r#"alwayson_health_probe_failures_total{check="web-2"}"#
        ),
        Some(0.0)
    );
    assert!(
        sample(
            &text,
            r#"alwayson_health_probe_duration_seconds_count{check="web-2"}"#
        )
        .unwrap()
            >= 2.0
    );
    assert_eq!(
        sample(&text, "alwayson_reloads_total"),
        Some(2.0),
        "start + POST"
    );
    assert_eq!(sample(&text, "alwayson_reload_errors_total"), Some(0.0));
    assert_eq!(
        sample(&text, r#"alwayson_zone_serial{zone="example.com."}"#),
        Some(2024010101.0)
    );
    assert_eq!(
        sample(&text, r#"alwayson_zone_records{zone="example.com."}"#),
        Some(8.0)
    );
    assert!(text.contains(&format!(
        "alwayson_build_info{{version=\"{}\"}} 1",
        env!("CARGO_PKG_VERSION")
    )));

    // A changed zone file is recompiled; its query counts carry over.
    let file = server.server.initial_load.added[0].file.clone();
    std::fs::write(&file, zone_text.replace("ttl = 5", "ttl = 6")).unwrap();
    let reloaded = admin.post("/api/v1/reload").await.json();
    assert_eq!(reloaded["changed"].as_array().unwrap().len(), 1);
    udp(dns, &query("www.example.com.", RecordType::A)).await;
    // A probe failure is counted once the backend is gone.
    drop(b);
    let started = Instant::now();
    let text = loop {
        let text = scrape(&admin).await;
        if sample(
            &text,
            r#"alwayson_health_probe_failures_total{check="web-2"}"#,
        )
        .unwrap_or(0.0)
            >= 1.0
        {
            break text;
        }
        assert!(
            started.elapsed() < Duration::from_secs(5),
            "no probe failure counted:\n{text}"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    };
    let q = |labels: &str| sample(&text, &format!("alwayson_queries_total{{{labels}}}"));
    assert_eq!(
        q(r#"zone="example.com.",qtype="A",rcode="NOERROR",transport="udp""#),
        Some(4.0)
    );
    assert_eq!(sample(&text, "alwayson_reloads_total"), Some(3.0));
    promtool_check(&text);
    drop(a);
    server.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_failed_reload_is_counted_and_shown_per_file() {
    let (a, b) = backends().await;
    let (server, admin) = start(&[failover_zone(&a, &b)], |_| {}).await;
    let dir = server.server.initial_load.added[0]
        .file
        .parent()
        .unwrap()
        .to_path_buf();
    std::fs::write(dir.join("bad.toml"), "[zone]\norigin = 5\n").unwrap();
    assert_eq!(admin.post("/api/v1/reload").await.status, 422);
    let text = scrape(&admin).await;
    promtool_check(&text);
    assert_eq!(sample(&text, "alwayson_reload_errors_total"), Some(1.0));
    let failed = text
        .lines()
        .find(|l| l.starts_with("alwayson_zone_file_failed{") && l.contains("bad.toml"))
        .expect("the bad file has a series");
    assert!(failed.ends_with(" 1"), "{failed}");
    server.stop().await;
}
