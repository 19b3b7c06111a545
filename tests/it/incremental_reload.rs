//! Incremental reload over real sockets: a reload parses and compiles only
//! the zone files that changed, the new table shares every unchanged
//! compiled zone with the old one, and a zone split over several files
//! with `include` serves all of them, reloads when one of them changes and
//! keeps its old version when an include is broken.

use std::net::SocketAddr;
use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use crate::harness::{query, udp_raw_within};
use alwayson::app::{RunningServer, start};
use alwayson::config::ServerConfig;
use alwayson::control::outcome::ReloadOutcome;
use alwayson::table::zone_table::CompiledZone;
use hickory_proto::op::Message;
use hickory_proto::rr::{Name, RData, RecordType};

fn zone(origin: &str, www: &str) -> String {
    format!(
        "[zone]\norigin = \"{origin}\"\nsoa = {{ mname = \"ns1.{origin}\", rname = \"hostmaster.{origin}\" }}\n\n[[record]]\nname = \"www\"\ntype = \"A\"\nvalues = [\"{www}\"]\n"
    )
}

/// A zone file whose records are all in the files `include` names.
fn split_zone(origin: &str, include: &str) -> String {
    format!(
        "include = [\"{include}\"]\n\n[zone]\norigin = \"{origin}\"\nsoa = {{ mname = \"ns1.{origin}\", rname = \"hostmaster.{origin}\" }}\n"
    )
}

fn host(name: &str, address: &str) -> String {
    format!("[[record]]\nname = \"{name}\"\ntype = \"A\"\nvalues = [\"{address}\"]\n\n")
}

async fn serve(dir: &Path) -> RunningServer {
    let mut config = ServerConfig::for_tests(dir);
    config.admin.listen = None;
    config.reload.watch = false;
    start(config).await.expect("server starts")
}

async fn reload(server: &RunningServer) -> ReloadOutcome {
    tokio::time::timeout(Duration::from_secs(5), server.reload())
        .await
        .expect("reload finishes")
        .expect("reload outcome")
}

/// The A values for `name` (empty when there is no answer).
async fn a(server: SocketAddr, name: &str) -> Vec<String> {
    let bytes = query(name, RecordType::A).to_vec().unwrap();
    let reply = udp_raw_within(server, &bytes, Duration::from_secs(2))
        .await
        .expect("an answer");
    let msg = Message::from_vec(&reply).unwrap();
    msg.answers
        .iter()
        .filter_map(|r| match &r.data {
            RData::A(a) => Some(a.to_string()),
            _ => None,
        })
        .collect()
}

/// The compiled zone the server serves for `origin` now.
fn compiled(server: &RunningServer, origin: &str) -> Arc<CompiledZone> {
    let snapshot = server.store.load();
    let origin = Name::from_ascii(origin).unwrap();
    let zone = snapshot.zones.zone_by_origin(&origin).expect("served");
    zone.compiled().clone()
}

/// Every problem of a reload as `file-name:line:col: message`.
fn problems(outcome: &ReloadOutcome) -> Vec<String> {
    outcome
        .errors
        .iter()
        .flat_map(|e| e.problems())
        .map(|p| {
            let name = p.file.file_name().unwrap().to_string_lossy().into_owned();
            format!(
                "{name}:{}:{}: {}",
                p.line.unwrap_or(0),
                p.column.unwrap_or(0),
                p.message
            )
        })
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_reload_shares_every_unchanged_compiled_zone() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("a.toml"), zone("a.test.", "192.0.2.1")).unwrap();
    std::fs::write(dir.path().join("b.toml"), zone("b.test.", "192.0.2.2")).unwrap();
    let server = serve(dir.path()).await;
    let (a_before, b_before) = (compiled(&server, "a.test."), compiled(&server, "b.test."));

    std::fs::write(dir.path().join("b.toml"), zone("b.test.", "192.0.2.3")).unwrap();
    let outcome = reload(&server).await;
    assert!(outcome.errors.is_empty(), "{outcome:?}");
    assert_eq!(outcome.changed.len(), 1, "{outcome:?}");
    assert_eq!(outcome.unchanged.len(), 1, "{outcome:?}");
    assert_eq!(a(server.dns_addr(), "www.b.test.").await, ["192.0.2.3"]);
    assert_eq!(a(server.dns_addr(), "www.a.test.").await, ["192.0.2.1"]);
    assert!(
        Arc::ptr_eq(&a_before, &compiled(&server, "a.test.")),
        "the unchanged zone is not compiled again"
    );
    assert!(!Arc::ptr_eq(&b_before, &compiled(&server, "b.test.")));

    // A reload with nothing changed compiles nothing.
    let b_now = compiled(&server, "b.test.");
    reload(&server).await;
    assert!(Arc::ptr_eq(&a_before, &compiled(&server, "a.test.")));
    assert!(Arc::ptr_eq(&b_now, &compiled(&server, "b.test.")));
    server.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_zone_split_with_include_serves_every_part_and_reloads_when_one_changes() {
    let dir = tempfile::tempdir().unwrap();
    let zones = dir.path();
    std::fs::write(
        zones.join("big.toml"),
        split_zone("big.test.", "hosts-*.toml"),
    )
    .unwrap();
    std::fs::write(zones.join("hosts-1.toml"), host("host1", "192.0.2.1")).unwrap();
    std::fs::write(zones.join("hosts-2.toml"), host("host2", "192.0.2.2")).unwrap();
    std::fs::write(zones.join("other.toml"), zone("other.test.", "192.0.2.9")).unwrap();
    let server = serve(zones).await;
    assert!(
        server.initial_load.errors.is_empty(),
        "the parts are not zone files of their own: {:?}",
        server.initial_load
    );
    assert_eq!(a(server.dns_addr(), "host1.big.test.").await, ["192.0.2.1"]);
    assert_eq!(a(server.dns_addr(), "host2.big.test.").await, ["192.0.2.2"]);
    let other = compiled(&server, "other.test.");

    std::fs::write(zones.join("hosts-2.toml"), host("host2", "192.0.2.22")).unwrap();
    let outcome = reload(&server).await;
    assert!(outcome.errors.is_empty(), "{outcome:?}");
    assert_eq!(outcome.changed.len(), 1, "the including zone: {outcome:?}");
    assert_eq!(
        a(server.dns_addr(), "host2.big.test.").await,
        ["192.0.2.22"]
    );
    assert!(Arc::ptr_eq(&other, &compiled(&server, "other.test.")));

    // A new part that the glob matches is a change of the zone too.
    std::fs::write(zones.join("hosts-3.toml"), host("host3", "192.0.2.3")).unwrap();
    let outcome = reload(&server).await;
    assert!(outcome.errors.is_empty(), "{outcome:?}");
    assert_eq!(a(server.dns_addr(), "host3.big.test.").await, ["192.0.2.3"]);
    server.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn parts_named_before_their_zone_file_are_parts_too() {
    let dir = tempfile::tempdir().unwrap();
    let zones = dir.path();
    // The folder's scan reads a-1 and a-2 before the zone file that
    // includes them, and a-3 (matched by no pattern) is a zone file
    // without a zone table.
    std::fs::write(
        zones.join("big.toml"),
        split_zone("big.test.", "a-[12].toml"),
    )
    .unwrap();
    std::fs::write(zones.join("a-1.toml"), host("host1", "192.0.2.1")).unwrap();
    std::fs::write(zones.join("a-2.toml"), host("host2", "192.0.2.2")).unwrap();
    let server = serve(zones).await;
    assert!(
        server.initial_load.errors.is_empty(),
        "{:?}",
        server.initial_load
    );
    assert_eq!(a(server.dns_addr(), "host1.big.test.").await, ["192.0.2.1"]);
    assert_eq!(a(server.dns_addr(), "host2.big.test.").await, ["192.0.2.2"]);

    std::fs::write(zones.join("a-1.toml"), host("host1", "192.0.2.11")).unwrap();
    std::fs::write(zones.join("a-3.toml"), host("host3", "192.0.2.3")).unwrap();
    let outcome = reload(&server).await;
    assert_eq!(outcome.changed.len(), 1, "the including zone: {outcome:?}");
    let found = problems(&outcome);
    assert_eq!(found.len(), 1, "only the unmatched file: {found:?}");
    assert!(found[0].starts_with("a-3.toml:"), "{found:?}");
    assert_eq!(
        a(server.dns_addr(), "host1.big.test.").await,
        ["192.0.2.11"]
    );
    assert_eq!(a(server.dns_addr(), "host2.big.test.").await, ["192.0.2.2"]);

    // A part that breaks the zone: the zone keeps its previous version,
    // and with it its parts, which are not reported as zone files.
    std::fs::remove_file(zones.join("a-3.toml")).unwrap();
    std::fs::write(zones.join("a-2.toml"), host("host2", "300.0.0.1")).unwrap();
    let found = problems(&reload(&server).await);
    assert_eq!(found.len(), 1, "{found:?}");
    assert!(found[0].starts_with("a-2.toml:"), "{found:?}");
    assert_eq!(a(server.dns_addr(), "host2.big.test.").await, ["192.0.2.2"]);
    server.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_broken_include_is_reported_at_its_position_and_the_old_zone_keeps_serving() {
    let dir = tempfile::tempdir().unwrap();
    let zones = dir.path();
    std::fs::create_dir(zones.join("parts")).unwrap();
    std::fs::write(
        zones.join("big.toml"),
        split_zone("big.test.", "parts/*.toml"),
    )
    .unwrap();
    std::fs::write(zones.join("parts/a.toml"), host("host1", "192.0.2.1")).unwrap();
    let server = serve(zones).await;
    assert_eq!(a(server.dns_addr(), "host1.big.test.").await, ["192.0.2.1"]);

    // A pattern that matches nothing: an error at the pattern.
    std::fs::write(
        zones.join("big.toml"),
        split_zone("big.test.", "nothere/*.toml"),
    )
    .unwrap();
    let outcome = reload(&server).await;
    let found = problems(&outcome);
    assert_eq!(found.len(), 1, "{found:?}");
    assert!(
        found[0].starts_with("big.toml:1:12: include \"nothere/*.toml\": no file matches"),
        "{found:?}"
    );
    assert_eq!(a(server.dns_addr(), "host1.big.test.").await, ["192.0.2.1"]);

    // A bad value inside an included file: reported in that file.
    std::fs::write(
        zones.join("big.toml"),
        split_zone("big.test.", "parts/*.toml"),
    )
    .unwrap();
    let bad = format!(
        "{}{}",
        host("host1", "192.0.2.5"),
        host("host2", "300.0.0.1")
    );
    std::fs::write(zones.join("parts/a.toml"), bad).unwrap();
    let found = problems(&reload(&server).await);
    assert_eq!(found.len(), 1, "{found:?}");
    assert!(found[0].starts_with("a.toml:9:11: "), "{found:?}");
    assert_eq!(a(server.dns_addr(), "host1.big.test.").await, ["192.0.2.1"]);

    // A part may not define the zone.
    std::fs::write(zones.join("parts/a.toml"), zone("big.test.", "192.0.2.6")).unwrap();
    let found = problems(&reload(&server).await);
    assert_eq!(found.len(), 1, "{found:?}");
    assert!(found[0].starts_with("a.toml:1:"), "{found:?}");
    assert!(found[0].contains("zone"), "{found:?}");
    assert_eq!(a(server.dns_addr(), "host1.big.test.").await, ["192.0.2.1"]);
    server.shutdown().await;
}
