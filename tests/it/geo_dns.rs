//! Geo answers over real DNS: a MaxMind DB that the test builds with
//! `alwayson geoip build`, queried with and without EDNS Client Subnet; the
//! ECS option comes back with the scope the answer used; a missing or
//! broken database is a clear error at start and at reload.

use std::path::Path;
use std::process::Command;

use alwayson::config::ServerConfig;
use hickory_proto::op::{Edns, Message};
use hickory_proto::rr::rdata::opt::{ClientSubnet, EdnsCode, EdnsOption};
use hickory_proto::rr::{RData, RecordType};

use crate::harness::{TestServer, query, udp, zone};

const CSV: &str = "network,continent,country,subdivision,latitude,longitude
10.1.0.0/16,EU,DE,DE-HE,50.11,8.68
10.2.0.0/16,EU,FR,,48.86,2.35
10.3.0.0/16,NA,US,US-CA,37.77,-122.42
10.4.0.0/16,AS,JP,,35.68,139.69
2001:db8:1::/48,EU,NL,,52.37,4.90
";

fn build_db(dir: &Path) -> std::path::PathBuf {
    let csv = dir.join("geo.csv");
    let mmdb = dir.join("geo.mmdb");
    std::fs::write(&csv, CSV).unwrap();
    let status = Command::new(env!("CARGO_BIN_EXE_alwayson"))
        .args(["geoip", "build"])
        .arg(&csv)
        .arg("-o")
        .arg(&mmdb)
        .status()
        .expect("run geoip build");
    assert!(status.success());
    mmdb
}

fn geo_zone() -> String {
    zone(
        "example.com.",
        None,
        r#"
[[record]]
name = "api"
type = "A"
set = "hesse"
geo = "DE-HE"
values = ["192.0.2.1"]

[[record]]
name = "api"
type = "A"
set = "europe"
geo = "EU"
values = ["192.0.2.2"]

[[record]]
name = "api"
type = "A"
set = "us"
geo = "US"
values = ["192.0.2.3"]

[[record]]
name = "api"
type = "A"
set = "default"
geo = "*"
values = ["192.0.2.4"]

[[record]]
name = "cdn"
type = "A"
set = "frankfurt"
geoproximity = { lat = 50.11, lon = 8.68 }
values = ["198.51.100.1"]

[[record]]
name = "cdn"
type = "A"
set = "tokyo"
geoproximity = { lat = 35.68, lon = 139.69 }
values = ["198.51.100.2"]

[[record]]
name = "www"
type = "A"
values = ["203.0.113.1"]
"#,
    )
}

fn with_ecs(mut message: Message, subnet: &str) -> Message {
    let mut edns = Edns::new();
    edns.set_max_payload(1232);
    let cs: ClientSubnet = subnet.parse().expect("subnet");
    edns.options_mut().insert(EdnsOption::Subnet(cs));
    message.set_edns(edns);
    message
}

fn answer(msg: &Message) -> Vec<String> {
    msg.answers
        .iter()
        .filter_map(|r| match &r.data {
            RData::A(a) => Some(a.to_string()),
            _ => None,
        })
        .collect()
}

fn echoed_scope(msg: &Message) -> Option<(String, u8, u8)> {
    match msg.edns.as_ref()?.option(EdnsCode::Subnet)? {
        EdnsOption::Subnet(cs) => {
            Some((cs.addr().to_string(), cs.source_prefix(), cs.scope_prefix()))
        }
        _ => None,
    }
}

async fn geo_server(dir: &Path) -> TestServer {
    let mmdb = build_db(dir);
    TestServer::start_with(&[geo_zone()], |c| c.geoip.database = Some(mmdb)).await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ecs_picks_the_geo_answer_and_is_echoed_with_its_scope() {
    let dir = tempfile::tempdir().unwrap();
    let server = geo_server(dir.path()).await;
    let ask = |name: &str, subnet: &str| with_ecs(query(name, RecordType::A), subnet);

    let r = udp(server.addr(), &ask("api.example.com.", "10.1.2.0/24")).await;
    assert_eq!(answer(&r), ["192.0.2.1"], "Hesse");
    assert_eq!(
        echoed_scope(&r),
        Some(("10.1.2.0".into(), 24, 16)),
        "scope = the /16 database network"
    );

    let r = udp(server.addr(), &ask("api.example.com.", "10.2.0.0/16")).await;
    assert_eq!(answer(&r), ["192.0.2.2"], "France walks up to EU");
    let r = udp(server.addr(), &ask("api.example.com.", "10.3.9.0/24")).await;
    assert_eq!(answer(&r), ["192.0.2.3"], "US-CA matches the country");
    let r = udp(server.addr(), &ask("api.example.com.", "10.4.0.0/24")).await;
    assert_eq!(answer(&r), ["192.0.2.4"], "Japan has only the default");
    let r = udp(server.addr(), &ask("api.example.com.", "2001:db8:1::/56")).await;
    assert_eq!(answer(&r), ["192.0.2.2"], "an IPv6 subnet in NL");
    assert_eq!(echoed_scope(&r), Some(("2001:db8:1::".into(), 56, 48)));

    // Bits beyond the source prefix are masked: 10.1.255.255/8 is 10.0.0.0/8, not Hesse.
    let r = udp(server.addr(), &ask("api.example.com.", "10.1.255.255/8")).await;
    assert_eq!(answer(&r), ["192.0.2.4"]);
    // SOURCE 0 gets SCOPE 0 (RFC 7871) and the resolver's own location (127.0.0.1: unknown).
    let r = udp(server.addr(), &ask("api.example.com.", "0.0.0.0/0")).await;
    assert_eq!(echoed_scope(&r).map(|s| s.2), Some(0));

    // Geoproximity: Paris is nearer Frankfurt, Tokyo is Tokyo.
    let r = udp(server.addr(), &ask("cdn.example.com.", "10.2.0.0/24")).await;
    assert_eq!(answer(&r), ["198.51.100.1"]);
    let r = udp(server.addr(), &ask("cdn.example.com.", "10.4.0.0/24")).await;
    assert_eq!(answer(&r), ["198.51.100.2"]);

    // An answer that does not depend on location says scope 0.
    let r = udp(server.addr(), &ask("www.example.com.", "10.1.2.0/24")).await;
    assert_eq!(echoed_scope(&r).map(|s| s.2), Some(0));
    // Without ECS: no ECS option comes back, and the source address (127.0.0.1) is unknown.
    let mut plain = query("api.example.com.", RecordType::A);
    plain.set_edns(Edns::new());
    let r = udp(server.addr(), &plain).await;
    assert_eq!(answer(&r), ["192.0.2.4"]);
    assert_eq!(echoed_scope(&r), None);
    server.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn use_ecs_off_answers_by_source_address() {
    let dir = tempfile::tempdir().unwrap();
    let mmdb = build_db(dir.path());
    let server = TestServer::start_with(&[geo_zone()], |c| {
        c.geoip.database = Some(mmdb);
        c.geoip.use_ecs = false;
    })
    .await;
    let r = udp(
        server.addr(),
        &with_ecs(query("api.example.com.", RecordType::A), "10.1.2.0/24"),
    )
    .await;
    assert_eq!(
        answer(&r),
        ["192.0.2.4"],
        "ECS ignored: 127.0.0.1 is not in the database"
    );
    assert_eq!(echoed_scope(&r), None, "ECS is not echoed when not used");
    server.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_missing_or_broken_database_is_a_clear_error() {
    let dir = tempfile::tempdir().unwrap();
    let zones = dir.path().join("zones");
    std::fs::create_dir_all(&zones).unwrap();
    std::fs::write(zones.join("example.com.toml"), geo_zone()).unwrap();

    let mut config = ServerConfig::for_tests(&zones);
    config.admin.listen = None;
    config.reload.watch = false;
    config.geoip.database = Some(dir.path().join("missing.mmdb"));
    let error = alwayson::app::start(config.clone())
        .await
        .err()
        .expect("start must fail");
    assert!(error.to_string().contains("missing.mmdb"), "{error}");

    // A good database at start; then the file is replaced by garbage: the
    // reload reports it and the old database keeps answering.
    let mmdb = build_db(dir.path());
    config.geoip.database = Some(mmdb.clone());
    let server = alwayson::app::start(config).await.expect("start");
    std::fs::write(&mmdb, b"this is not a MaxMind database").unwrap();
    let outcome = server.reload().await.unwrap();
    assert_eq!(outcome.errors.len(), 1, "{outcome:?}");
    assert!(
        outcome.errors[0].to_string().contains("geo.mmdb"),
        "{outcome:?}"
    );
    let r = udp(
        server.dns_addr(),
        &with_ecs(query("api.example.com.", RecordType::A), "10.1.2.0/24"),
    )
    .await;
    assert_eq!(answer(&r), ["192.0.2.1"]);
    server.shutdown().await;
}
