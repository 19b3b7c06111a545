//! The explain API against real answers: for many clients (plain source
//! addresses and ECS subnets, located by the sample GeoIP database) and
//! every policy, `GET /api/v1/answer` must give exactly the records, rcode
//! and ECS scope that a real UDP query gets — before and after a flip.
//! Weighted answers are random: there the reported chances are checked
//! against the weights and against a few hundred real draws.

use std::collections::HashMap;
use std::net::{IpAddr, SocketAddr};
use std::path::Path;
use std::time::Duration;

use hickory_proto::op::{Edns, Message, ResponseCode};
use hickory_proto::rr::rdata::opt::{ClientSubnet, EdnsCode, EdnsOption};
use hickory_proto::rr::{Record, RecordType};
use serde_json::Value;
use tokio::net::UdpSocket;

use crate::admin_client::{AdminClient, start};
use crate::harness::{query, zone};

const RECORDS: &str = r#"
[[record]]
name = "www"
type = "A"
set = "primary"
failover = "primary"
health_check = "web-1"
values = ["192.0.2.10"]

[[record]]
name = "www"
type = "A"
set = "backup"
failover = "secondary"
values = ["198.51.100.10"]

[[record]]
name = "@"
type = "A"
alias = "www"
evaluate_target_health = true

[[record]]
name = "shop"
type = "CNAME"
values = ["api.geo.test."]

[[record]]
name = "api"
type = "A"
set = "europe"
geo = "EU"
health_check = "web-1"
values = ["192.0.2.20"]

[[record]]
name = "api"
type = "A"
set = "germany"
geo = "DE"
values = ["192.0.2.22"]

[[record]]
name = "api"
type = "A"
set = "california"
geo = "US-CA"
values = ["198.51.100.21"]

[[record]]
name = "api"
type = "A"
set = "default"
geo = "*"
values = ["203.0.113.20"]

[[record]]
name = "cdn"
type = "A"
set = "frankfurt"
geoproximity = { lat = 50.11, lon = 8.68, bias = 0 }
health_check = "web-1"
values = ["192.0.2.30"]

[[record]]
name = "cdn"
type = "A"
set = "tokyo"
geoproximity = { lat = 35.68, lon = 139.69, bias = 0 }
values = ["203.0.113.30"]

[[record]]
name = "cdn"
type = "A"
set = "sanfrancisco"
geoproximity = { lat = 37.77, lon = -122.42, bias = 30 }
values = ["198.51.100.30"]

[[record]]
name = "corp"
type = "A"
set = "office"
cidr = ["203.0.113.0/24"]
values = ["192.0.2.60"]

[[record]]
name = "corp"
type = "A"
set = "lab"
cidr = ["203.0.113.128/25", "2001:db8::/32"]
health_check = "web-1"
values = ["192.0.2.61"]

[[record]]
name = "corp"
type = "A"
set = "elsewhere"
cidr = "*"
values = ["192.0.2.62"]

[[record]]
name = "pool"
type = "A"
set = "n1"
multivalue = true
values = ["192.0.2.51"]

[[record]]
name = "pool"
type = "A"
set = "n2"
multivalue = true
health_check = "web-1"
values = ["192.0.2.52"]

[[record]]
name = "pool"
type = "A"
set = "n3"
multivalue = true
values = ["192.0.2.53"]

[[record]]
name = "img"
type = "A"
set = "blue"
weight = 90
values = ["192.0.2.40"]

[[record]]
name = "img"
type = "A"
set = "green"
weight = 10
values = ["192.0.2.41"]

[[record]]
name = "img"
type = "A"
set = "standby"
weight = 0
values = ["192.0.2.42"]

[[record]]
name = "*.wild"
type = "TXT"
values = ["wildcard"]

[health_check.web-1]
type = "tcp"
address = "127.0.0.1:9"
interval = "1h"
disabled = true
"#;

/// Who asks: the UDP source address, and the ECS subnet when any.
#[derive(Clone, Copy, Debug)]
struct Asker {
    source: [u8; 4],
    ecs: Option<(IpAddr, u8)>,
}

fn askers() -> Vec<Asker> {
    let mut all: Vec<Asker> = (1..=4)
        .map(|last| Asker {
            source: [127, 0, 0, last],
            ecs: None,
        })
        .collect();
    for (net, prefix) in [
        ("192.0.2.0", 24),
        ("192.0.2.128", 25),
        ("198.51.100.0", 24),
        ("203.0.113.0", 24),
        ("203.0.113.200", 32),
        ("8.8.8.0", 24),
        ("193.0.6.0", 24),
        ("10.0.0.0", 8),
        ("0.0.0.0", 0),
        ("2001:db8::", 48),
        ("2001:db8:1::", 48),
        ("2001:db8:2::", 56),
    ] {
        all.push(Asker {
            source: [127, 0, 0, 1],
            ecs: Some((net.parse().unwrap(), prefix)),
        });
    }
    all
}

const NAMES: [(&str, RecordType); 12] = [
    ("www.geo.test.", RecordType::A),
    ("geo.test.", RecordType::A),
    ("api.geo.test.", RecordType::A),
    ("shop.geo.test.", RecordType::A),
    ("cdn.geo.test.", RecordType::A),
    ("corp.geo.test.", RecordType::A),
    ("pool.geo.test.", RecordType::A),
    ("x.wild.geo.test.", RecordType::TXT),
    ("api.geo.test.", RecordType::AAAA),
    ("nope.geo.test.", RecordType::A),
    ("geo.test.", RecordType::ANY),
    ("other.example.", RecordType::A),
];

fn text(r: &Record) -> String {
    format!("{} {} IN {} {}", r.name, r.ttl, r.record_type(), r.data)
}

fn sorted(mut v: Vec<String>) -> Vec<String> {
    v.sort();
    v
}

fn strings(v: &Value) -> Vec<String> {
    v.as_array()
        .unwrap()
        .iter()
        .map(|s| s.as_str().unwrap().to_string())
        .collect()
}

fn rcode(code: ResponseCode) -> &'static str {
    match code {
        ResponseCode::NoError => "NOERROR",
        ResponseCode::NXDomain => "NXDOMAIN",
        ResponseCode::Refused => "REFUSED",
        _ => "other",
    }
}

/// A real UDP query from `asker.source`, with its ECS option when any.
async fn ask(dns: SocketAddr, name: &str, qtype: RecordType, asker: Asker) -> Message {
    let mut message = query(name, qtype);
    let mut edns = Edns::new();
    edns.set_max_payload(1232);
    if let Some((addr, prefix)) = asker.ecs {
        edns.options_mut()
            .insert(EdnsOption::Subnet(ClientSubnet::new(addr, prefix, 0)));
    }
    message.set_edns(edns);
    let socket = UdpSocket::bind(SocketAddr::from((asker.source, 0)))
        .await
        .expect("bind a loopback source address");
    let bytes = message.to_vec().unwrap();
    let mut buf = vec![0u8; 65535];
    for _ in 0..5 {
        socket.send_to(&bytes, dns).await.unwrap();
        if let Ok(Ok((len, _))) =
            tokio::time::timeout(Duration::from_secs(1), socket.recv_from(&mut buf)).await
        {
            return Message::from_vec(&buf[..len]).unwrap();
        }
    }
    panic!("no answer to {name} {qtype}");
}

async fn explain(admin: &AdminClient, name: &str, qtype: RecordType, asker: Asker) -> Value {
    let client = IpAddr::from(asker.source);
    let mut path = format!("/api/v1/answer?name={name}&type={qtype}&client={client}");
    if let Some((addr, prefix)) = asker.ecs {
        path.push_str(&format!("&ecs={addr}/{prefix}"));
    }
    let reply = admin.get(&path).await;
    assert_eq!(reply.status, 200, "{path}: {}", reply.body);
    reply.json()
}

/// Every name for every asker: explain and the real answer agree.
async fn compare_all(dns: SocketAddr, admin: &AdminClient) -> usize {
    let mut compared = 0;
    for asker in askers() {
        for (name, qtype) in NAMES {
            let real = ask(dns, name, qtype, asker).await;
            let explained = explain(admin, name, qtype, asker).await;
            let what = format!("{name} {qtype} for {asker:?}");
            assert_eq!(
                explained["rcode"],
                rcode(real.metadata.response_code),
                "{what}"
            );
            assert_eq!(
                sorted(strings(&explained["answers"])),
                sorted(real.answers.iter().map(text).collect()),
                "{what}: answers; explanation {explained:#}"
            );
            assert_eq!(
                sorted(strings(&explained["authority"])),
                sorted(real.authorities.iter().map(text).collect()),
                "{what}: authority"
            );
            let scope = real
                .edns
                .as_ref()
                .and_then(|e| match e.option(EdnsCode::Subnet) {
                    Some(EdnsOption::Subnet(s)) => Some(u64::from(s.scope_prefix())),
                    _ => None,
                });
            assert_eq!(
                explained["ecs_scope_prefix"].as_u64(),
                scope,
                "{what}: ECS scope"
            );
            compared += 1;
        }
    }
    compared
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn explain_agrees_with_real_answers_for_every_client_and_policy() {
    let sample = Path::new(env!("CARGO_MANIFEST_DIR")).join("geoip/sample.mmdb");
    let (server, admin) = start(&[zone("geo.test.", None, RECORDS)], |c| {
        c.geoip.database = Some(sample);
    })
    .await;
    let dns = server.addr();

    let n = compare_all(dns, &admin).await;
    // A flip changes failover, geolocation, geoproximity, IP-based and
    // multivalue choices: they must still agree.
    let held = admin
        .put(
            "/api/v1/health-checks/web-1/override",
            r#"{"status": "unhealthy"}"#,
        )
        .await;
    assert_eq!(held.status, 200);
    let m = compare_all(dns, &admin).await;
    eprintln!("explain = real answer for {} queries", n + m);

    // The explanation names the deciding rule.
    let germany = Asker {
        source: [127, 0, 0, 1],
        ecs: Some(("192.0.2.0".parse().unwrap(), 25)),
    };
    let why = explain(&admin, "api.geo.test.", RecordType::A, germany).await;
    let decision = &why["decisions"][0];
    assert_eq!(decision["policy"], "geo");
    assert_eq!(strings(&decision["chosen"]), ["germany"]);
    assert_eq!(decision["scope_prefix"], 25);
    let why = explain(&admin, "geo.test.", RecordType::A, germany).await;
    let policies: Vec<&str> = why["decisions"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| d["policy"].as_str().unwrap())
        .collect();
    assert_eq!(
        policies,
        ["simple", "failover"],
        "the apex alias, then its target"
    );
    assert_eq!(strings(&why["decisions"][1]["chosen"]), ["backup"]);
    assert_eq!(why["decisions"][1]["sets"][0]["healthy"], false);
    let reason = why["decisions"][0]["reason"].as_str().unwrap();
    assert!(
        reason.contains(
            "is an alias of www.geo.test. and answers with www.geo.test.'s A answer, decided below; \
             evaluate_target_health: healthy while www.geo.test. has a healthy answer"
        ),
        "{reason}"
    );

    // No location for a loopback client: which set answers, and why.
    let local = Asker {
        source: [127, 0, 0, 1],
        ecs: None,
    };
    let why = explain(&admin, "cdn.geo.test.", RecordType::A, local).await;
    assert_eq!(
        why["decisions"][0]["reason"],
        "geoproximity: no coordinates for 127.0.0.1 (location unknown) and no \"*\" set, \
         so the first set answers → frankfurt"
    );
    server.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn weighted_explanations_report_candidates_and_chances() {
    let (server, admin) = start(&[zone("geo.test.", None, RECORDS)], |_| {}).await;
    let local = Asker {
        source: [127, 0, 0, 1],
        ecs: None,
    };
    let why = explain(&admin, "img.geo.test.", RecordType::A, local).await;
    assert_eq!(why["random"], true);
    let decision = &why["decisions"][0];
    assert_eq!(decision["policy"], "weight");
    let chances: HashMap<String, Option<f64>> = decision["sets"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| (s["set"].as_str().unwrap().to_string(), s["chance"].as_f64()))
        .collect();
    assert_eq!(chances["blue"], Some(0.9));
    assert_eq!(chances["green"], Some(0.1));
    assert_eq!(
        chances["standby"], None,
        "weight 0 is not drawn while others are up"
    );
    let answered = strings(&why["answers"]);
    assert!(
        answered == ["img.geo.test. 3600 IN A 192.0.2.40"]
            || answered == ["img.geo.test. 3600 IN A 192.0.2.41"],
        "{answered:?}"
    );
    let chosen = strings(&decision["chosen"]);
    assert_eq!(chosen.len(), 1, "the drawn set is marked");

    // Real draws follow the reported chances.
    let mut green = 0;
    for _ in 0..300 {
        let real = ask(server.addr(), "img.geo.test.", RecordType::A, local).await;
        if text(&real.answers[0]).ends_with("192.0.2.41") {
            green += 1;
        }
    }
    eprintln!("green drawn {green}/300 times (expected ~30)");
    assert!((8..=70).contains(&green), "green {green}/300");
    server.stop().await;
}
