//! Routed answers through [`resolve`], end to end over the pure core:
//! zone TOML → compiled table → routing state under a health view →
//! resolve → the values a client gets. `policies.rs` holds one test per
//! policy; this file the harness and what resolve itself adds (the ECS
//! scope of an answer, aliases nesting policies).

mod policies;

use std::collections::BTreeMap;
use std::net::IpAddr;
use std::path::Path;
use std::sync::Arc;
use std::time::SystemTime;

use hickory_proto::op::ResponseCode;
use hickory_proto::rr::{Name, RecordType};

use crate::diag::Source;
use crate::dns::resolve::resolve;
use crate::geo::GeoDb;
use crate::health::{CheckStatus, HealthView};
use crate::policy::Client;
use crate::table::zone_table::ZoneTable;
use crate::table::{Snapshot, compile::compile, routing};
use policies::geo_zone;

const HEADER: &str = r#"
[zone]
origin = "example.com."
soa = { mname = "ns1.example.com.", rname = "hostmaster.example.com." }
"#;

fn checks(ids: &[&str]) -> String {
    ids.iter()
        .map(|id| format!("\n[health_check.{id}]\ntype = \"tcp\"\naddress = \"127.0.0.1:9\"\n"))
        .collect()
}

struct World {
    snapshot: Snapshot,
}

impl World {
    fn new(records: &str, down: &[&str]) -> Self {
        let text = format!("{HEADER}{records}");
        let zone = crate::zone::convert::convert(&Source::new("t.toml", text))
            .unwrap_or_else(|d| panic!("{}", crate::diag::Diagnostics(d)));
        let zones = Arc::new(ZoneTable::new(vec![compile(&zone, 1)], Vec::new()));
        let mut health = HealthView::default();
        for id in down {
            health.set(
                Arc::from(*id),
                CheckStatus {
                    healthy: false,
                    since: SystemTime::now(),
                },
            );
        }
        let routing = Arc::new(routing::compute(&zones, &health));
        let geo = GeoDb::open(&Path::new(env!("CARGO_MANIFEST_DIR")).join("geoip/sample.mmdb"))
            .ok()
            .map(Arc::new);
        World {
            snapshot: Snapshot {
                zones,
                health: Arc::new(health),
                routing,
                geo,
                version: 1,
            },
        }
    }

    /// The sorted A values `name` answers to a client at `addr`.
    fn ask(&self, name: &str, addr: &str) -> (ResponseCode, Vec<String>) {
        self.ask_ecs(name, addr, None)
    }

    fn ask_ecs(&self, name: &str, addr: &str, source: Option<u8>) -> (ResponseCode, Vec<String>) {
        let qname = Name::from_ascii(format!("{name}.example.com.")).unwrap();
        let zone = &self.snapshot.zones.zones()[0];
        let ip: IpAddr = addr.parse().unwrap();
        let client = Client::new(ip, source, self.snapshot.geo.as_deref());
        let res = resolve(&self.snapshot, zone, &qname, RecordType::A, &client, false);
        let mut values: Vec<String> = res.answers.iter().map(|r| r.data.to_string()).collect();
        values.sort();
        (res.rcode, values)
    }

    fn values(&self, name: &str, addr: &str) -> Vec<String> {
        self.ask(name, addr).1
    }

    /// How often each answer comes back over `n` queries.
    fn tally(&self, name: &str, n: usize) -> BTreeMap<String, usize> {
        let mut counts = BTreeMap::new();
        for _ in 0..n {
            *counts
                .entry(self.values(name, "192.0.2.1").join(","))
                .or_insert(0) += 1;
        }
        counts
    }
}

#[test]
fn ecs_scope_follows_the_database_network() {
    let world = World::new(&geo_zone(), &[]);
    let zone = &world.snapshot.zones.zones()[0];
    let name = Name::from_ascii("api.example.com.").unwrap();
    let client = Client::new(
        "192.0.2.0".parse().unwrap(),
        Some(24),
        world.snapshot.geo.as_deref(),
    );
    let res = resolve(&world.snapshot, zone, &name, RecordType::A, &client, false);
    assert_eq!(res.ecs_scope, 24, "min(source 24, network /25)");
    let client = Client::new(
        "192.0.2.0".parse().unwrap(),
        Some(32),
        world.snapshot.geo.as_deref(),
    );
    let res = resolve(&world.snapshot, zone, &name, RecordType::A, &client, false);
    assert_eq!(res.ecs_scope, 25);
    let simple = World::new(
        "\n[[record]]\nname = \"www\"\ntype = \"A\"\nvalues = [\"192.0.2.1\"]\n",
        &[],
    );
    let name = Name::from_ascii("www.example.com.").unwrap();
    let zone = &simple.snapshot.zones.zones()[0];
    let res = resolve(&simple.snapshot, zone, &name, RecordType::A, &client, false);
    assert_eq!(
        res.ecs_scope, 0,
        "a simple answer does not depend on location"
    );
}

#[test]
fn aliases_nest_policies_and_evaluate_target_health() {
    // Geolocation whose sets alias to per-region failover names.
    let zone = r#"
[[record]]
name = "app"
type = "A"
set = "eu"
geo = "EU"
alias = "eu.app"
evaluate_target_health = true

[[record]]
name = "app"
type = "A"
set = "any"
geo = "*"
alias = "us.app"
evaluate_target_health = true

[[record]]
name = "eu.app"
type = "A"
set = "p"
failover = "primary"
health_check = "eu1"
values = ["192.0.2.1"]

[[record]]
name = "eu.app"
type = "A"
set = "s"
failover = "secondary"
health_check = "eu2"
values = ["192.0.2.2"]

[[record]]
name = "us.app"
type = "A"
set = "p"
failover = "primary"
health_check = "us1"
values = ["198.51.100.1"]

[[record]]
name = "@"
type = "A"
alias = "app"
evaluate_target_health = true
"#
    .to_string()
        + &checks(&["eu1", "eu2", "us1"]);
    let paris = "192.0.2.200";
    let world = World::new(&zone, &[]);
    assert_eq!(world.values("app", paris), ["192.0.2.1"]);
    assert_eq!(world.values("app", "203.0.113.1"), ["198.51.100.1"]);
    // The answer appears under the asked name, at the apex too.
    let qname = Name::from_ascii("example.com.").unwrap();
    let client = Client::new(paris.parse().unwrap(), None, world.snapshot.geo.as_deref());
    let res = resolve(
        &world.snapshot,
        &world.snapshot.zones.zones()[0],
        &qname,
        RecordType::A,
        &client,
        false,
    );
    assert_eq!(res.answers.len(), 1);
    assert_eq!(res.answers[0].name, qname);
    assert_eq!(res.answers[0].data.to_string(), "192.0.2.1");
    // EU primary down: the EU failover's secondary.
    assert_eq!(
        World::new(&zone, &["eu1"]).values("app", paris),
        ["192.0.2.2"]
    );
    // All of EU down: the EU alias is unhealthy, so geolocation walks up to "*".
    assert_eq!(
        World::new(&zone, &["eu1", "eu2"]).values("app", paris),
        ["198.51.100.1"]
    );
}

/// The additional section of an SRV answer whose target's A is a failover
/// group: the address its policy answers now, beside the static AAAA.
#[test]
fn routed_targets_of_srv_and_mx_add_the_address_their_policy_answers() {
    let zone = format!(
        r#"
[[record]]
name = "_sip._tcp"
type = "SRV"
values = ["10 5 5060 www.example.com."]

[[record]]
name = "@"
type = "MX"
values = ["10 www.example.com."]

[[record]]
name = "www"
type = "AAAA"
values = ["2001:db8::10"]
{}"#,
        policies::failover_zone(true)
    );
    let additionals = |down: &[&str], name: &str, qtype: RecordType| {
        let world = World::new(&zone, down);
        let qname = Name::from_ascii(name).unwrap();
        let served = &world.snapshot.zones.zones()[0];
        let client = Client::new("192.0.2.1".parse().unwrap(), None, None);
        let res = resolve(&world.snapshot, served, &qname, qtype, &client, false);
        assert_eq!(res.answers.len(), 1, "{name}");
        let mut values: Vec<String> = res.additionals.iter().map(|r| r.data.to_string()).collect();
        values.sort();
        values
    };
    let srv = ("_sip._tcp.example.com.", RecordType::SRV);
    assert_eq!(
        additionals(&[], srv.0, srv.1),
        ["192.0.2.10", "2001:db8::10"]
    );
    assert_eq!(
        additionals(&["p"], srv.0, srv.1),
        ["198.51.100.10", "2001:db8::10"]
    );
    let mx = ("example.com.", RecordType::MX);
    assert_eq!(
        additionals(&["p"], mx.0, mx.1),
        ["198.51.100.10", "2001:db8::10"]
    );
}
