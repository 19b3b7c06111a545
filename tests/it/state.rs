//! State that survives a restart of the server (real sockets, the same
//! `state_dir`): an operator's override holds with the same expiry, an
//! expired one does not come back, and a derived serial never goes down.

use std::net::SocketAddr;
use std::path::Path;

use alwayson::app::RunningServer;
use alwayson::config::ServerConfig;
use hickory_proto::rr::{RData, RecordType};
use serde_json::Value;

use crate::admin_client::{AdminClient, backends, failover_zone};
use crate::harness::{query, udp};

/// Starts the server on `dir/zones` with its state in `dir/state`.
async fn start(dir: &Path) -> (RunningServer, AdminClient) {
    let mut config = ServerConfig::for_tests(&dir.join("zones"));
    config.reload.watch = false;
    config.admin.listen = Some(SocketAddr::from(([127, 0, 0, 1], 0)));
    assert_eq!(
        config.state_dir.as_deref(),
        Some(dir.join("state").as_path())
    );
    let server = alwayson::app::start(config).await.expect("start alwayson");
    assert!(
        server.initial_load.errors.is_empty(),
        "{:?}",
        server.initial_load.errors
    );
    let admin = AdminClient::new(server.admin_addr.expect("admin API bound"));
    (server, admin)
}

async fn check(admin: &AdminClient, id: &str) -> Value {
    let checks = admin.get("/api/v1/health-checks").await.json();
    checks["checks"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["id"] == id)
        .cloned()
        .unwrap_or_else(|| panic!("no check {id}: {checks}"))
}

async fn www(server: &RunningServer) -> Vec<String> {
    udp(server.dns_addr(), &query("www.example.com.", RecordType::A))
        .await
        .answers
        .iter()
        .map(|r| r.data.to_string())
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_override_survives_a_restart_with_the_same_expiry() {
    let dir = tempfile::tempdir().unwrap();
    let (a, b) = backends().await;
    std::fs::create_dir(dir.path().join("zones")).unwrap();
    std::fs::write(
        dir.path().join("zones/example.com.toml"),
        failover_zone(&a, &b),
    )
    .unwrap();

    let (server, admin) = start(dir.path()).await;
    let path = "/api/v1/health-checks/web-1/override";
    let held = admin
        .put(path, r#"{"status": "unhealthy", "for": "30m"}"#)
        .await;
    assert_eq!(held.status, 200, "{}", held.body);
    let until = held.json()["override"]["until"].clone();
    assert!(until.is_string(), "{until}");
    assert_eq!(www(&server).await, ["198.51.100.10"]);
    server.shutdown().await;

    // A hold that ended while the server was stopped does not come back.
    let file = dir.path().join("state/overrides.json");
    let mut saved: Value = serde_json::from_str(&std::fs::read_to_string(&file).unwrap()).unwrap();
    saved["overrides"]["web-2"] =
        serde_json::json!({"status": "unhealthy", "until": "2001-01-01T00:00:00Z"});
    std::fs::write(&file, saved.to_string()).unwrap();

    let (server, admin) = start(dir.path()).await;
    let web1 = check(&admin, "web-1").await;
    assert_eq!(web1["status"], "unhealthy", "{web1}");
    assert_eq!(web1["override"]["status"], "unhealthy", "{web1}");
    assert_eq!(web1["override"]["until"], until, "the same expiry");
    assert_eq!(
        www(&server).await,
        ["198.51.100.10"],
        "the first answer already holds"
    );
    let web2 = check(&admin, "web-2").await;
    assert_eq!(
        (web2["status"].as_str(), web2["override"].clone()),
        (Some("healthy"), Value::Null)
    );

    // Clearing it is saved too.
    assert_eq!(admin.put(path, r#"{"status": null}"#).await.status, 200);
    server.shutdown().await;
    let (server, admin) = start(dir.path()).await;
    assert_eq!(check(&admin, "web-1").await["override"], Value::Null);
    assert_eq!(www(&server).await, ["192.0.2.10"]);
    server.shutdown().await;
}

/// A zone without `soa.serial`: its serial is derived.
fn zone_text(address: &str) -> String {
    format!(
        "[zone]\norigin = \"example.net.\"\nttl = 60\n\
         soa = {{ mname = \"ns1.example.net.\", rname = \"hostmaster.example.net.\" }}\n\n\
         [[record]]\nname = \"www\"\ntype = \"A\"\nvalues = [\"{address}\"]\n"
    )
}

async fn serial(server: &RunningServer) -> u32 {
    let reply = udp(server.dns_addr(), &query("example.net.", RecordType::SOA)).await;
    match &reply.answers[0].data {
        RData::SOA(soa) => soa.serial,
        other => panic!("not a SOA: {other:?}"),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_derived_serial_never_goes_down_across_restarts() {
    let dir = tempfile::tempdir().unwrap();
    let zones = dir.path().join("zones");
    std::fs::create_dir(&zones).unwrap();
    std::fs::write(zones.join("example.net.toml"), zone_text("192.0.2.1")).unwrap();

    let (server, _) = start(dir.path()).await;
    let first = serial(&server).await;
    server.shutdown().await;
    let (server, _) = start(dir.path()).await;
    assert_eq!(serial(&server).await, first, "same text, same serial");
    server.shutdown().await;

    // A serial far ahead of the clock (say, set by a clock that was wrong):
    // kept for the same text, and a changed text goes above it, not back
    // to the clock.
    let file = dir.path().join("state/serials.json");
    let mut saved: Value = serde_json::from_str(&std::fs::read_to_string(&file).unwrap()).unwrap();
    assert_eq!(saved["zones"]["example.net."]["serial"], first);
    saved["zones"]["example.net."]["serial"] = 4_000_000_000u32.into();
    std::fs::write(&file, saved.to_string()).unwrap();
    let (server, _) = start(dir.path()).await;
    assert_eq!(serial(&server).await, 4_000_000_000);
    server.shutdown().await;

    std::fs::write(zones.join("example.net.toml"), zone_text("192.0.2.2")).unwrap();
    let (server, _) = start(dir.path()).await;
    assert_eq!(
        serial(&server).await,
        4_000_000_001,
        "changed text: one more"
    );
    server.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_corrupt_state_file_is_ignored_and_replaced() {
    let dir = tempfile::tempdir().unwrap();
    let (a, b) = backends().await;
    std::fs::create_dir_all(dir.path().join("state")).unwrap();
    std::fs::create_dir(dir.path().join("zones")).unwrap();
    std::fs::write(
        dir.path().join("zones/example.com.toml"),
        failover_zone(&a, &b),
    )
    .unwrap();
    std::fs::write(dir.path().join("state/overrides.json"), "{ not json").unwrap();

    let (server, admin) = start(dir.path()).await;
    assert_eq!(
        www(&server).await,
        ["192.0.2.10"],
        "the server starts and serves"
    );
    assert!(dir.path().join("state/overrides.json.corrupt").exists());
    let held = admin
        .put(
            "/api/v1/health-checks/web-1/override",
            r#"{"status": "unhealthy"}"#,
        )
        .await;
    assert_eq!(held.status, 200);
    server.shutdown().await;
    let saved = std::fs::read_to_string(dir.path().join("state/overrides.json")).unwrap();
    let saved: Value = serde_json::from_str(&saved).unwrap();
    assert_eq!(saved["overrides"]["web-1"]["status"], "unhealthy");
}
