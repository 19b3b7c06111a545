//! One test per policy, asked through resolve: the values a client gets
//! under a health view, as Route 53 would answer.

use std::collections::HashSet;

use hickory_proto::op::ResponseCode;
use hickory_proto::rr::{Name, RecordType};

use super::{World, checks};
use crate::dns::resolve::resolve;
use crate::policy::Client;

pub(super) fn failover_zone(secondary_check: bool) -> String {
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
    let mut orders = HashSet::new();
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

pub(super) fn geo_zone() -> String {
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
