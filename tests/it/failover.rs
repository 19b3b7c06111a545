//! Failover end to end: real HTTP backends behind health checks, a zone
//! whose answers follow them, queried over real UDP. Real time with short
//! intervals (the DNS threads run their own runtimes); the bounds are
//! generous and the measured times are printed.

use std::time::{Duration, Instant};

use alwayson::health::Override;
use hickory_proto::op::ResponseCode;
use hickory_proto::rr::{RData, RecordType};

use crate::harness::{TestServer, query, udp, zone};
use crate::health::{Backend, Reply};

fn failover_zone(primary: std::net::SocketAddr, secondary: std::net::SocketAddr) -> String {
    zone(
        "example.com.",
        None,
        &format!(
            r#"
[[record]]
name = "www"
type = "A"
ttl = 5
set = "primary"
failover = "primary"
health_check = "web-1"
values = ["192.0.2.10"]

[[record]]
name = "www"
type = "A"
ttl = 5
set = "backup"
failover = "secondary"
health_check = "web-2"
values = ["198.51.100.10"]

[[record]]
name = "@"
type = "A"
alias = "www"
evaluate_target_health = true

[health_check.web-1]
type = "http"
address = "{primary}"
path = "/healthz"
interval = "200ms"
timeout = "100ms"
healthy_threshold = 2
unhealthy_threshold = 2

[health_check.web-2]
type = "tcp"
address = "{secondary}"
interval = "200ms"
timeout = "100ms"
healthy_threshold = 2
unhealthy_threshold = 2
"#
        ),
    )
}

async fn a_values(server: &TestServer, name: &str) -> Vec<String> {
    let answer = udp(server.addr(), &query(name, RecordType::A)).await;
    assert_eq!(answer.metadata.response_code, ResponseCode::NoError);
    answer
        .answers
        .iter()
        .filter_map(|r| match &r.data {
            RData::A(a) => Some(a.to_string()),
            _ => None,
        })
        .collect()
}

async fn wait_for(server: &TestServer, name: &str, want: &str, within: Duration) -> Duration {
    let start = Instant::now();
    loop {
        if a_values(server, name).await == [want] {
            return start.elapsed();
        }
        assert!(
            start.elapsed() < within,
            "{name} did not turn to {want} within {within:?}"
        );
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn answers_fail_over_when_the_primary_dies_and_return_when_it_is_back() {
    let primary = Backend::start(None).await;
    let secondary = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let primary_addr = primary.addr;
    let server =
        TestServer::start(&[failover_zone(primary_addr, secondary.local_addr().unwrap())]).await;
    assert_eq!(a_values(&server, "www.example.com.").await, ["192.0.2.10"]);
    assert_eq!(
        a_values(&server, "example.com.").await,
        ["192.0.2.10"],
        "apex alias follows www"
    );

    // Status failure: 503 → unhealthy after 2 probes (~400 ms).
    primary.set(Reply::Status(503, "maintenance".into()));
    let took = wait_for(
        &server,
        "www.example.com.",
        "198.51.100.10",
        Duration::from_secs(5),
    )
    .await;
    eprintln!("503 → secondary after {took:?}");
    assert_eq!(a_values(&server, "example.com.").await, ["198.51.100.10"]);

    primary.set(Reply::Status(200, "OK".into()));
    let took = wait_for(
        &server,
        "www.example.com.",
        "192.0.2.10",
        Duration::from_secs(5),
    )
    .await;
    eprintln!("200 → primary after {took:?}");

    // The backend process dies (connection refused), then comes back.
    primary.stop().await;
    let took = wait_for(
        &server,
        "www.example.com.",
        "198.51.100.10",
        Duration::from_secs(5),
    )
    .await;
    eprintln!("killed → secondary after {took:?}");
    let primary = Backend::start_at(primary_addr, None).await;
    wait_for(
        &server,
        "www.example.com.",
        "192.0.2.10",
        Duration::from_secs(5),
    )
    .await;

    // Both down: fail open to the primary.
    drop(secondary);
    primary.stop().await;
    tokio::time::sleep(Duration::from_millis(1200)).await;
    assert_eq!(a_values(&server, "www.example.com.").await, ["192.0.2.10"]);
    server.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_override_flips_the_answer_at_once_and_clearing_it_restores() {
    let primary = Backend::start(None).await;
    let secondary = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let server =
        TestServer::start(&[failover_zone(primary.addr, secondary.local_addr().unwrap())]).await;
    let updater = server.server.updater.clone();

    let start = Instant::now();
    let held = Override::new(false, None, std::time::SystemTime::now());
    updater
        .set_override("web-1", Some(held.clone()))
        .await
        .unwrap()
        .unwrap();
    let flipped = a_values(&server, "www.example.com.").await;
    eprintln!("override → answered after {:?}", start.elapsed());
    assert_eq!(
        flipped,
        ["198.51.100.10"],
        "the flip is published before set_override returns"
    );

    let report = updater.health().await.unwrap();
    let web1 = report.checks.iter().find(|c| &*c.id == "web-1").unwrap();
    assert!(!web1.healthy);
    assert_eq!(
        web1.overridden
            .as_ref()
            .map(|o| (o.healthy, o.until, o.set_by.clone())),
        Some((held.healthy, held.until, None))
    );
    assert!(
        report
            .recent_flips
            .iter()
            .any(|f| &*f.flip.id == "web-1" && !f.flip.healthy)
    );

    updater.set_override("web-1", None).await.unwrap().unwrap();
    assert_eq!(a_values(&server, "www.example.com.").await, ["192.0.2.10"]);
    assert!(
        updater.set_override("nope", None).await.unwrap().is_err(),
        "unknown ids are refused"
    );
    drop(primary);
    server.stop().await;
}

/// `when_all_down = "nodata"`: with every set down the name answers NODATA,
/// and the SOA's TTL (the negative TTL) is no longer than the record set's
/// own, so resolvers ask again as soon as a backend may be back.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_fail_closed_nodata_is_cached_no_longer_than_the_records() {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let up = listener.local_addr().unwrap();
    let records = |name: &str, ttl: u32| {
        format!(
            r#"
[[record]]
name = "{name}"
type = "A"
ttl = {ttl}
set = "a"
failover = "primary"
health_check = "down-1"
when_all_down = "nodata"
values = ["192.0.2.10"]

[[record]]
name = "{name}"
type = "A"
ttl = {ttl}
set = "b"
failover = "secondary"
health_check = "down-2"
values = ["198.51.100.10"]
"#
        )
    };
    let checks = format!(
        "[health_check.down-1]\ntype = \"tcp\"\naddress = \"{up}\"\n\n[health_check.down-2]\ntype = \"tcp\"\naddress = \"{up}\"\n"
    );
    let text = format!("{}{}{checks}", records("short", 20), records("long", 900));
    let server = TestServer::start(&[zone("example.com.", None, &text)]).await;
    let updater = server.server.updater.clone();
    let down = Override::new(false, None, std::time::SystemTime::now());
    for id in ["down-1", "down-2"] {
        updater
            .set_override(id, Some(down.clone()))
            .await
            .unwrap()
            .unwrap();
    }
    // (name, negative TTL): the set's 20 s; the zone's 300 s below a 900 s set.
    for (name, ttl) in [("short.example.com.", 20), ("long.example.com.", 300)] {
        let answer = udp(server.addr(), &query(name, RecordType::A)).await;
        assert_eq!(answer.metadata.response_code, ResponseCode::NoError);
        assert!(answer.answers.is_empty(), "{name}: {:?}", answer.answers);
        let soa: Vec<_> = answer
            .authorities
            .iter()
            .filter(|r| r.record_type() == RecordType::SOA)
            .map(|r| r.ttl)
            .collect();
        assert_eq!(soa, [ttl], "{name}: the negative TTL");
    }
    // A NODATA for a type the name does not have keeps the zone's TTL.
    let mx = udp(server.addr(), &query("short.example.com.", RecordType::MX)).await;
    assert_eq!(mx.authorities.first().map(|r| r.ttl), Some(300));
    drop(listener);
    server.stop().await;
}
