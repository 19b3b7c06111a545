//! Selection rules, end to end over the pure core: zone TOML → compiled
//! table → routing state under a health view → resolve → the values a
//! client gets.

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

fn failover_zone(secondary_check: bool) -> String {
    format!(
        r#"
[[record]]
name = "www"
type = "A"
set = "primary"
failover = "primary"
health_check = "p"
values = ["192.0.2.10"]

[[record]]
name = "www"
type = "A"
set = "backup"
failover = "secondary"
{}
values = ["198.51.100.10"]
{}"#,
        if secondary_check {
            "health_check = \"s\""
        } else {
            ""
        },
        checks(&["p", "s"])
    )
}

#[test]
fn failover_primary_while_healthy_else_secondary_else_primary() {
    let zone = failover_zone(true);
    assert_eq!(
        World::new(&zone, &[]).values("www", "192.0.2.1"),
        ["192.0.2.10"]
    );
    assert_eq!(
        World::new(&zone, &["p"]).values("www", "192.0.2.1"),
        ["198.51.100.10"]
    );
    assert_eq!(
        World::new(&zone, &["p", "s"]).values("www", "192.0.2.1"),
        ["192.0.2.10"]
    );
    // A secondary with no check is always healthy.
    assert_eq!(
        World::new(&failover_zone(false), &["p"]).values("www", "192.0.2.1"),
        ["198.51.100.10"]
    );
}

#[test]
fn when_all_down_nodata_fails_closed() {
    let zone = failover_zone(true).replace(
        "set = \"backup\"",
        "set = \"backup\"\nwhen_all_down = \"nodata\"",
    );
    let world = World::new(&zone, &["p", "s"]);
    assert_eq!(
        world.ask("www", "192.0.2.1"),
        (ResponseCode::NoError, vec![])
    );
    assert_eq!(
        World::new(&zone, &["p"]).values("www", "192.0.2.1"),
        ["198.51.100.10"]
    );
}

fn weighted_zone(weights: &[(&str, u8)]) -> String {
    let mut zone = String::new();
    for (i, (set, weight)) in weights.iter().enumerate() {
        zone += &format!(
            "\n[[record]]\nname = \"img\"\ntype = \"A\"\nset = \"{set}\"\nweight = {weight}\nhealth_check = \"{set}\"\nvalues = [\"192.0.2.{}\"]\n",
            40 + i
        );
    }
    zone + &checks(&weights.iter().map(|(s, _)| *s).collect::<Vec<_>>())
}

#[test]
fn weighted_chances_follow_weights() {
    let world = World::new(&weighted_zone(&[("blue", 90), ("green", 10)]), &[]);
    let t = world.tally("img", 2000);
    let blue = t["192.0.2.40"];
    assert!((1700..=1900).contains(&blue), "{t:?}");
    assert!(t["192.0.2.41"] > 100, "{t:?}");
}

#[test]
fn weighted_zero_is_standby_and_all_zero_is_equal() {
    let zone = weighted_zone(&[("a", 50), ("b", 0)]);
    assert_eq!(
        World::new(&zone, &[]).tally("img", 200).len(),
        1,
        "weight 0 must not answer"
    );
    assert_eq!(
        World::new(&zone, &["a"])
            .tally("img", 50)
            .keys()
            .collect::<Vec<_>>(),
        ["192.0.2.41"]
    );
    let equal = World::new(&weighted_zone(&[("a", 0), ("b", 0)]), &[]).tally("img", 2000);
    assert!(
        equal.values().all(|&n| (850..=1150).contains(&n)),
        "{equal:?}"
    );
    // Everything down: fail open over the weighted sets.
    let down = World::new(&zone, &["a", "b"]).tally("img", 50);
    assert_eq!(down.keys().collect::<Vec<_>>(), ["192.0.2.40"]);
}

fn multivalue_zone(n: usize) -> String {
    let ids: Vec<String> = (0..n).map(|i| format!("n{i}")).collect();
    let mut zone = String::new();
    for (i, id) in ids.iter().enumerate() {
        zone += &format!(
            "\n[[record]]\nname = \"pool\"\ntype = \"A\"\nset = \"{id}\"\nmultivalue = true\nhealth_check = \"{id}\"\nvalues = [\"192.0.2.{}\"]\n",
            100 + i
        );
    }
    zone + &checks(&ids.iter().map(String::as_str).collect::<Vec<_>>())
}

#[test]
fn multivalue_up_to_eight_healthy_shuffled_failing_open() {
    let world = World::new(&multivalue_zone(10), &["n0", "n1"]);
    let mut orders = std::collections::HashSet::new();
    for _ in 0..50 {
        let zone = &world.snapshot.zones.zones()[0];
        let client = Client::new("192.0.2.1".parse().unwrap(), None, None);
        let name = Name::from_ascii("pool.example.com.").unwrap();
        let res = resolve(&world.snapshot, zone, &name, RecordType::A, &client, false);
        let values: Vec<String> = res.answers.iter().map(|r| r.data.to_string()).collect();
        assert_eq!(values.len(), 8);
        assert!(
            !values.contains(&"192.0.2.100".to_string())
                && !values.contains(&"192.0.2.101".to_string())
        );
        orders.insert(values);
    }
    assert!(orders.len() > 1, "answers are not shuffled");
    let down: Vec<String> = (0..3).map(|i| format!("n{i}")).collect();
    let down: Vec<&str> = down.iter().map(String::as_str).collect();
    assert_eq!(
        World::new(&multivalue_zone(3), &down)
            .values("pool", "192.0.2.1")
            .len(),
        3
    );
}

fn ip_zone() -> String {
    r#"
[[record]]
name = "corp"
type = "A"
set = "wide"
cidr = ["203.0.113.0/24"]
values = ["192.0.2.1"]

[[record]]
name = "corp"
type = "A"
set = "narrow"
cidr = ["203.0.113.128/25", "2001:db8::/32"]
health_check = "narrow"
values = ["192.0.2.2"]

[[record]]
name = "corp"
type = "A"
set = "default"
cidr = "*"
values = ["192.0.2.3"]
"#
    .to_string()
        + &checks(&["narrow"])
}

#[test]
fn ip_based_longest_prefix_then_default() {
    let world = World::new(&ip_zone(), &[]);
    assert_eq!(world.values("corp", "203.0.113.200"), ["192.0.2.2"]);
    assert_eq!(world.values("corp", "203.0.113.7"), ["192.0.2.1"]);
    assert_eq!(world.values("corp", "2001:db8::1"), ["192.0.2.2"]);
    assert_eq!(world.values("corp", "198.51.100.1"), ["192.0.2.3"]);
    // An unhealthy match gives way to the next candidate.
    assert_eq!(
        World::new(&ip_zone(), &["narrow"]).values("corp", "203.0.113.200"),
        ["192.0.2.1"]
    );
}

fn geo_zone() -> String {
    r#"
[[record]]
name = "api"
type = "A"
set = "hesse"
geo = "DE-HE"
health_check = "hesse"
values = ["192.0.2.1"]

[[record]]
name = "api"
type = "A"
set = "germany"
geo = "DE"
health_check = "germany"
values = ["192.0.2.2"]

[[record]]
name = "api"
type = "A"
set = "europe"
geo = "EU"
health_check = "europe"
values = ["192.0.2.3"]

[[record]]
name = "api"
type = "A"
set = "default"
geo = "*"
values = ["192.0.2.4"]

[[record]]
name = "nodefault"
type = "A"
set = "europe"
geo = "EU"
values = ["192.0.2.9"]
"#
    .to_string()
        + &checks(&["hesse", "germany", "europe"])
}

#[test]
fn geolocation_walks_up_when_unhealthy() {
    // 192.0.2.0/25 is DE-HE (Frankfurt) in the sample database.
    let frankfurt = "192.0.2.5";
    assert_eq!(
        World::new(&geo_zone(), &[]).values("api", frankfurt),
        ["192.0.2.1"]
    );
    assert_eq!(
        World::new(&geo_zone(), &["hesse"]).values("api", frankfurt),
        ["192.0.2.2"]
    );
    assert_eq!(
        World::new(&geo_zone(), &["hesse", "germany"]).values("api", frankfurt),
        ["192.0.2.3"]
    );
    assert_eq!(
        World::new(&geo_zone(), &["hesse", "germany", "europe"]).values("api", frankfurt),
        ["192.0.2.4"]
    );
    // Paris (FR) matches only the continent; Tokyo only "*"; unknown only "*".
    assert_eq!(
        World::new(&geo_zone(), &[]).values("api", "192.0.2.200"),
        ["192.0.2.3"]
    );
    assert_eq!(
        World::new(&geo_zone(), &[]).values("api", "203.0.113.9"),
        ["192.0.2.4"]
    );
    assert_eq!(
        World::new(&geo_zone(), &[]).values("api", "10.9.9.9"),
        ["192.0.2.4"]
    );
    // No match and no "*": NODATA.
    assert_eq!(
        World::new(&geo_zone(), &[]).ask("nodefault", "203.0.113.9"),
        (ResponseCode::NoError, vec![])
    );
}

#[test]
fn geolocation_all_matches_down_answers_the_most_specific() {
    let zone = geo_zone().replace("geo = \"*\"\n", "geo = \"*\"\nhealth_check = \"europe\"\n");
    let world = World::new(&zone, &["hesse", "germany", "europe"]);
    assert_eq!(world.values("api", "192.0.2.5"), ["192.0.2.1"]);
}

fn proximity_zone(bias_virginia: i32) -> String {
    format!(
        r#"
[[record]]
name = "cdn"
type = "A"
set = "frankfurt"
geoproximity = {{ lat = 50.11, lon = 8.68, bias = 0 }}
health_check = "fra"
values = ["192.0.2.30"]

[[record]]
name = "cdn"
type = "A"
set = "virginia"
geoproximity = {{ lat = 38.9, lon = -77.0, bias = {bias_virginia} }}
values = ["198.51.100.30"]

[[record]]
name = "cdn"
type = "A"
set = "anywhere"
geoproximity = "*"
values = ["203.0.113.30"]
{}"#,
        checks(&["fra"])
    )
}

#[test]
fn geoproximity_nearest_with_bias_of_both_signs() {
    // Paris: ~480 km to Frankfurt, ~6200 km to Virginia.
    let paris = "192.0.2.200";
    assert_eq!(
        World::new(&proximity_zone(0), &[]).values("cdn", paris),
        ["192.0.2.30"]
    );
    // bias 99 shrinks Virginia's distance to 1 %: ~62 km, nearer than Frankfurt.
    assert_eq!(
        World::new(&proximity_zone(99), &[]).values("cdn", paris),
        ["198.51.100.30"]
    );
    // bias 90: ~620 km, still farther than Frankfurt.
    assert_eq!(
        World::new(&proximity_zone(90), &[]).values("cdn", paris),
        ["192.0.2.30"]
    );
    // New York (US-NY) is nearer Virginia; a negative bias (-95) multiplies its distance by 20.
    let new_york = "2001:db8:1::1";
    assert_eq!(
        World::new(&proximity_zone(0), &[]).values("cdn", new_york),
        ["198.51.100.30"]
    );
    assert_eq!(
        World::new(&proximity_zone(-95), &[]).values("cdn", new_york),
        ["192.0.2.30"]
    );
    // Unhealthy Frankfurt is skipped; unknown location gets the "*" set.
    assert_eq!(
        World::new(&proximity_zone(0), &["fra"]).values("cdn", paris),
        ["198.51.100.30"]
    );
    assert_eq!(
        World::new(&proximity_zone(0), &[]).values("cdn", "10.1.1.1"),
        ["203.0.113.30"]
    );
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
