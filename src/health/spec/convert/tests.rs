//! Unit tests of health check conversion: each error with its exact
//! `file:line:col` text.

use std::collections::BTreeMap;

use super::*;
use crate::health::spec::{Address, CheckKind, ExpectStatus, HttpCheck};

#[derive(serde::Deserialize)]
struct Doc {
    health_check: BTreeMap<String, Spanned<RawHealthCheck>>,
}

/// Converts every check of `text`, returning the specs and the
/// diagnostics as printed.
fn run(text: &str) -> (Vec<HealthCheckSpec>, Vec<String>) {
    let src = Source::new("zones/example.com.toml", text);
    let doc: Doc = match toml::from_str(text) {
        Ok(doc) => doc,
        Err(e) => return (Vec::new(), vec![src.toml_error(&e).to_string()]),
    };
    let mut diags = Vec::new();
    let specs = doc
        .health_check
        .iter()
        .filter_map(|(id, raw)| convert(id, raw, &src, &mut diags))
        .collect();
    (specs, diags.iter().map(ToString::to_string).collect())
}

fn errors(text: &str) -> Vec<String> {
    let (specs, errors) = run(text);
    assert!(specs.is_empty(), "expected no spec from {text}");
    errors
}

#[test]
fn converts_a_full_http_check() {
    let (specs, errors) = run(r#"
[health_check.web-1]
type = "https"
address = "192.0.2.10:443"
host = "www.example.com"
path = "/healthz"
interval = "30s"
timeout = "5s"
healthy_threshold = 2
unhealthy_threshold = 4
expect_status = "200,204"
search = "OK"
invert = true
verify_tls = true
"#);
    assert_eq!(errors, Vec::<String>::new());
    let expected = HealthCheckSpec {
        id: "web-1".into(),
        kind: CheckKind::Https(HttpCheck {
            address: Address::parse("192.0.2.10:443").unwrap(),
            host: Some("www.example.com".into()),
            path: "/healthz".into(),
            expect_status: ExpectStatus::parse("200,204").unwrap(),
            search: Some("OK".into()),
            verify_tls: true,
        }),
        interval: Duration::from_secs(30),
        timeout: Duration::from_secs(5),
        healthy_threshold: 2,
        unhealthy_threshold: 4,
        invert: true,
        disabled: false,
    };
    assert_eq!(specs, [expected]);
}

#[test]
fn applies_defaults() {
    let (specs, errors) = run(
        "[health_check.db]\ntype = \"tcp\"\naddress = \"db.internal:5432\"\n[health_check.w]\ntype = \"http\"\naddress = \"127.0.0.1:80\"\n",
    );
    assert!(errors.is_empty(), "{errors:?}");
    let db = &specs[0];
    assert_eq!(db.interval, Duration::from_secs(10));
    assert_eq!(db.timeout, Duration::from_secs(2));
    assert_eq!((db.healthy_threshold, db.unhealthy_threshold), (3, 3));
    assert!(!db.invert && !db.disabled);
    let CheckKind::Http(web) = &specs[1].kind else {
        panic!("not http: {:?}", specs[1].kind);
    };
    assert_eq!(web.path, "/");
    assert_eq!(web.expect_status, ExpectStatus::default());
    assert_eq!((web.host.as_deref(), web.search.as_deref()), (None, None));
    assert!(!web.verify_tls);
}

#[test]
fn converts_a_calculated_check() {
    let (specs, errors) = run(
        "[health_check.both]\ntype = \"calculated\"\nchildren = [\"a\", \"b\"]\nhealthy_when = 2\n",
    );
    assert!(errors.is_empty(), "{errors:?}");
    assert_eq!(
        specs[0].kind,
        CheckKind::Calculated {
            children: vec!["a".into(), "b".into()],
            healthy_when: 2
        }
    );
    assert!(!specs[0].is_probed());
}

#[test]
fn unknown_type() {
    assert_eq!(
        errors("[health_check.a]\ntype = \"icmp\"\n"),
        [
            "zones/example.com.toml:2:8: unknown health check type \"icmp\": use \"http\", \"https\", \"tcp\" or \"calculated\""
        ]
    );
}

#[test]
fn missing_type_and_address() {
    assert_eq!(
        errors(
            "[health_check.a]\naddress = \"192.0.2.1:80\"\n\n[health_check.b]\ntype = \"tcp\"\n"
        ),
        [
            "zones/example.com.toml:1:1: health check `a` needs `type`: one of \"http\", \"https\", \"tcp\", \"calculated\"",
            "zones/example.com.toml:4:1: tcp health check `b` needs `address`, e.g. address = \"192.0.2.10:80\"",
        ]
    );
}

#[test]
fn bad_address() {
    assert_eq!(
        errors("[health_check.a]\ntype = \"http\"\naddress = \"192.0.2.1\"\n"),
        [
            "zones/example.com.toml:3:11: address \"192.0.2.1\" has no port; write \"ip:port\" or \"host:port\", e.g. \"192.0.2.10:80\""
        ]
    );
}

#[test]
fn http_keys_on_a_tcp_check() {
    assert_eq!(
        errors(
            "[health_check.a]\ntype = \"tcp\"\naddress = \"192.0.2.1:22\"\npath = \"/\"\nsearch = \"OK\"\n"
        ),
        [
            "zones/example.com.toml:4:8: `path` does not apply to a tcp check",
            "zones/example.com.toml:5:10: `search` does not apply to a tcp check",
        ]
    );
}

#[test]
fn verify_tls_on_plain_http_and_probe_keys_on_calculated() {
    assert_eq!(
        errors(
            "[health_check.a]\ntype = \"http\"\naddress = \"192.0.2.1:80\"\nverify_tls = true\n"
        ),
        ["zones/example.com.toml:4:14: `verify_tls` does not apply to a http check"]
    );
    assert_eq!(
        errors(
            "[health_check.c]\ntype = \"calculated\"\nchildren = [\"a\"]\nhealthy_when = 1\ninterval = \"5s\"\n"
        ),
        ["zones/example.com.toml:5:12: `interval` does not apply to a calculated check"]
    );
}

#[test]
fn bad_durations() {
    assert_eq!(
        errors(
            "[health_check.a]\ntype = \"tcp\"\naddress = \"192.0.2.1:22\"\ninterval = \"ten\"\ntimeout = \"0s\"\n"
        ),
        [
            "zones/example.com.toml:4:12: interval: invalid duration \"ten\": expected number at 0 (write e.g. \"500ms\", \"10s\", \"5m\")",
            "zones/example.com.toml:5:11: timeout must be longer than zero",
        ]
    );
}

#[test]
fn timeout_not_shorter_than_interval() {
    assert_eq!(
        errors(
            "[health_check.a]\ntype = \"tcp\"\naddress = \"192.0.2.1:22\"\ninterval = \"5s\"\ntimeout = \"5s\"\n"
        ),
        ["zones/example.com.toml:5:11: timeout (5s) must be shorter than interval (5s)"]
    );
}

#[test]
fn default_timeout_follows_a_short_interval() {
    let spec = |interval: &str| {
        let text = format!(
            "[health_check.a]\ntype = \"tcp\"\naddress = \"192.0.2.1:22\"\ninterval = \"{interval}\"\n"
        );
        let (mut specs, errors) = run(&text);
        assert!(errors.is_empty(), "{interval}: {errors:?}");
        specs.remove(0)
    };
    let fast = spec("1s");
    assert_eq!(
        (fast.interval, fast.timeout),
        (Duration::from_secs(1), Duration::from_millis(500))
    );
    let slow = spec("30s");
    assert_eq!(slow.timeout, Duration::from_secs(2));
    let tiny = spec("10ms");
    assert_eq!(tiny.timeout, Duration::from_millis(5));
}

#[test]
fn thresholds_out_of_range() {
    assert_eq!(
        errors(
            "[health_check.a]\ntype = \"tcp\"\naddress = \"192.0.2.1:22\"\nhealthy_threshold = 0\nunhealthy_threshold = 11\n"
        ),
        [
            "zones/example.com.toml:4:21: healthy_threshold must be between 1 and 10, not 0",
            "zones/example.com.toml:5:23: unhealthy_threshold must be between 1 and 10, not 11",
        ]
    );
}

#[test]
fn bad_expect_status() {
    assert_eq!(
        errors(
            "[health_check.a]\ntype = \"http\"\naddress = \"192.0.2.1:80\"\nexpect_status = \"2xx\"\n"
        ),
        [
            "zones/example.com.toml:4:17: invalid expect_status \"2xx\": \"2xx\" is not a status code (100-599) or an ascending range; write e.g. \"200-399\", \"200\" or \"200,204,300-302\""
        ]
    );
}

#[test]
fn bad_host_path_and_search() {
    assert_eq!(
        errors(
            "[health_check.a]\ntype = \"http\"\naddress = \"192.0.2.1:80\"\nhost = \"www.example.com:80\"\npath = \"healthz\"\nsearch = \"\"\n"
        ),
        [
            "zones/example.com.toml:4:8: invalid host \"www.example.com:80\": write a DNS name such as \"www.example.com\", without port",
            "zones/example.com.toml:5:8: invalid path \"healthz\": it must start with '/' and hold no spaces",
            "zones/example.com.toml:6:10: search must be 1 to 5120 bytes long",
        ]
    );
}

#[test]
fn calculated_without_children() {
    assert_eq!(
        errors(
            "[health_check.c]\ntype = \"calculated\"\nhealthy_when = 1\n\n[health_check.d]\ntype = \"calculated\"\nchildren = []\nhealthy_when = 0\n"
        ),
        [
            "zones/example.com.toml:1:1: calculated health check `c` needs `children`, e.g. children = [\"web-1\", \"web-2\"]",
            "zones/example.com.toml:7:12: `children` must list at least one health check id",
        ]
    );
}

#[test]
fn calculated_healthy_when_above_children() {
    assert_eq!(
        errors(
            "[health_check.c]\ntype = \"calculated\"\nchildren = [\"a\", \"b\"]\nhealthy_when = 3\n"
        ),
        [
            "zones/example.com.toml:4:16: healthy_when must be between 0 and the number of children (2), not 3"
        ]
    );
    assert_eq!(
        errors("[health_check.c]\ntype = \"calculated\"\nchildren = [\"a\", \"a\", \"b c\"]\n"),
        [
            "zones/example.com.toml:3:18: child `a` is listed twice",
            "zones/example.com.toml:3:23: invalid health check id \"b c\" in children",
            "zones/example.com.toml:1:1: calculated health check `c` needs `healthy_when`: how many children must be healthy",
        ]
    );
}

#[test]
fn bad_id_characters() {
    assert_eq!(
        errors("[health_check.\"web 1\"]\ntype = \"tcp\"\naddress = \"192.0.2.1:22\"\n"),
        [
            "zones/example.com.toml:1:1: invalid health check id \"web 1\": use only letters, digits, '_', '.' and '-'"
        ]
    );
}

#[test]
fn unknown_key_is_a_toml_error() {
    assert_eq!(
        errors("[health_check.a]\ntype = \"tcp\"\nadress = \"192.0.2.1:22\"\n"),
        [
            "zones/example.com.toml:3:1: unknown field `adress`, expected one of `type`, `address`, `host`, `path`, `interval`, `timeout`, `healthy_threshold`, `unhealthy_threshold`, `expect_status`, `search`, `invert`, `disabled`, `verify_tls`, `children`, `healthy_when`"
        ]
    );
}
