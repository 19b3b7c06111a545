//! Conversion of a [`RawHealthCheck`] into a [`HealthCheckSpec`]: the
//! conversion is the validation. Every problem is reported (not only the
//! first), each at the value it is about, or at the table header when a key
//! is missing.

use std::collections::BTreeSet;
use std::ops::Range;
use std::time::Duration;

use toml::Spanned;

use super::raw::RawHealthCheck;
use super::{Address, CheckKind, ExpectStatus, HealthCheckSpec, HttpCheck, SEARCH_WINDOW};
use crate::config::parse_duration;
use crate::diag::{Diagnostic, Source, Span};
use crate::health::CheckId;

const DEFAULT_INTERVAL: Duration = Duration::from_secs(10);
const DEFAULT_TIMEOUT: Duration = Duration::from_secs(2);
const DEFAULT_THRESHOLD: u32 = 3;
const THRESHOLDS: Range<i64> = 1..11;

/// Converts the table `[health_check.<id>]`; `None` when anything in it is
/// invalid, with one diagnostic per problem pushed to `diags`.
pub fn convert(
    id: &str,
    raw: &Spanned<RawHealthCheck>,
    src: &Source,
    diags: &mut Vec<Diagnostic>,
) -> Option<HealthCheckSpec> {
    let mut report = Report {
        src,
        diags,
        failed: false,
    };
    let header = raw.span();
    let r = raw.get_ref();
    if !is_check_id(id) {
        report.at(
            &header,
            format!("invalid health check id {id:?}: use only letters, digits, '_', '.' and '-'"),
        );
    }
    let kind = match &r.kind {
        None => {
            report.at(
                &header,
                format!(
                    "health check `{id}` needs `type`: one of \"http\", \"https\", \"tcp\", \"calculated\""
                ),
            );
            None
        }
        Some(t) => match t.get_ref().as_str() {
            k @ ("http" | "https" | "tcp" | "calculated") => Some(k),
            other => {
                report.at(
                    &t.span(),
                    format!(
                        "unknown health check type {other:?}: use \"http\", \"https\", \"tcp\" or \"calculated\""
                    ),
                );
                None
            }
        },
    };
    if let Some(kind) = kind {
        reject_foreign_keys(kind, r, &mut report);
    }

    let interval = duration(&r.interval, "interval", DEFAULT_INTERVAL, &mut report);
    let timeout = duration(&r.timeout, "timeout", DEFAULT_TIMEOUT, &mut report);
    if let (Some(interval), Some(timeout)) = (interval, timeout)
        && timeout >= interval
    {
        let span = r
            .timeout
            .as_ref()
            .or(r.interval.as_ref())
            .map_or(header.clone(), Spanned::span);
        report.at(
            &span,
            format!(
                "timeout ({}) must be shorter than interval ({})",
                humantime::format_duration(timeout),
                humantime::format_duration(interval)
            ),
        );
    }
    let healthy_threshold = threshold(&r.healthy_threshold, "healthy_threshold", &mut report);
    let unhealthy_threshold = threshold(&r.unhealthy_threshold, "unhealthy_threshold", &mut report);

    let kind = match kind {
        Some("calculated") => calculated(id, r, &header, &mut report),
        Some("tcp") => {
            address(id, "tcp", r, &header, &mut report).map(|address| CheckKind::Tcp { address })
        }
        Some(name @ "http") => http(id, name, r, &header, &mut report).map(CheckKind::Http),
        Some(name @ "https") => http(id, name, r, &header, &mut report).map(CheckKind::Https),
        _ => None,
    };
    if report.failed {
        return None;
    }
    Some(HealthCheckSpec {
        id: CheckId::from(id),
        kind: kind?,
        interval: interval?,
        timeout: timeout?,
        healthy_threshold: healthy_threshold?,
        unhealthy_threshold: unhealthy_threshold?,
        invert: r.invert.as_ref().is_some_and(|v| *v.get_ref()),
        disabled: r.disabled.as_ref().is_some_and(|v| *v.get_ref()),
    })
}

/// Health check ids, also used as calculated children: `[A-Za-z0-9_.-]+`.
pub(crate) fn is_check_id(id: &str) -> bool {
    !id.is_empty()
        && id
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'_' | b'.' | b'-'))
}

struct Report<'a> {
    src: &'a Source,
    diags: &'a mut Vec<Diagnostic>,
    failed: bool,
}

impl Report<'_> {
    fn at(&mut self, span: &Span, message: impl Into<String>) {
        self.failed = true;
        self.diags.push(self.src.error(span, message));
    }
}

/// Keys that mean nothing for `kind` are errors, so a typo'd type or a
/// misplaced key never goes unnoticed.
fn reject_foreign_keys(kind: &str, r: &RawHealthCheck, report: &mut Report<'_>) {
    let probed = kind != "calculated";
    let web = kind == "http" || kind == "https";
    let keys = [
        ("address", r.address.as_ref().map(Spanned::span), probed),
        ("interval", r.interval.as_ref().map(Spanned::span), probed),
        ("timeout", r.timeout.as_ref().map(Spanned::span), probed),
        (
            "healthy_threshold",
            r.healthy_threshold.as_ref().map(Spanned::span),
            probed,
        ),
        (
            "unhealthy_threshold",
            r.unhealthy_threshold.as_ref().map(Spanned::span),
            probed,
        ),
        ("host", r.host.as_ref().map(Spanned::span), web),
        ("path", r.path.as_ref().map(Spanned::span), web),
        (
            "expect_status",
            r.expect_status.as_ref().map(Spanned::span),
            web,
        ),
        ("search", r.search.as_ref().map(Spanned::span), web),
        (
            "verify_tls",
            r.verify_tls.as_ref().map(Spanned::span),
            kind == "https",
        ),
        ("children", r.children.as_ref().map(Spanned::span), !probed),
        (
            "healthy_when",
            r.healthy_when.as_ref().map(Spanned::span),
            !probed,
        ),
    ];
    for (key, span, applies) in keys {
        if let (Some(span), false) = (span, applies) {
            report.at(&span, format!("`{key}` does not apply to a {kind} check"));
        }
    }
}

fn duration(
    value: &Option<Spanned<String>>,
    key: &str,
    default: Duration,
    report: &mut Report<'_>,
) -> Option<Duration> {
    let Some(value) = value else {
        return Some(default);
    };
    match parse_duration(value.get_ref()) {
        Ok(d) if d.is_zero() => {
            report.at(&value.span(), format!("{key} must be longer than zero"));
            None
        }
        Ok(d) => Some(d),
        Err(e) => {
            report.at(&value.span(), format!("{key}: {e}"));
            None
        }
    }
}

fn threshold(value: &Option<Spanned<i64>>, key: &str, report: &mut Report<'_>) -> Option<u32> {
    let Some(value) = value else {
        return Some(DEFAULT_THRESHOLD);
    };
    let n = *value.get_ref();
    if !THRESHOLDS.contains(&n) {
        report.at(
            &value.span(),
            format!("{key} must be between 1 and 10, not {n}"),
        );
        return None;
    }
    u32::try_from(n).ok()
}

fn address(
    id: &str,
    kind: &str,
    r: &RawHealthCheck,
    header: &Span,
    report: &mut Report<'_>,
) -> Option<Address> {
    let Some(text) = &r.address else {
        report.at(
            header,
            format!("{kind} health check `{id}` needs `address`, e.g. address = \"192.0.2.10:80\""),
        );
        return None;
    };
    Address::parse(text.get_ref())
        .map_err(|e| report.at(&text.span(), e))
        .ok()
}

fn http(
    id: &str,
    kind: &str,
    r: &RawHealthCheck,
    header: &Span,
    report: &mut Report<'_>,
) -> Option<HttpCheck> {
    let address = address(id, kind, r, header, report);
    let host = r.host.as_ref().and_then(|h| {
        let text = h.get_ref();
        let is_ip = text.parse::<std::net::IpAddr>().is_ok();
        if is_ip || super::is_dns_name(text) {
            Some(text.trim_end_matches('.').to_string())
        } else {
            report.at(
                &h.span(),
                format!("invalid host {text:?}: write a DNS name such as \"www.example.com\", without port"),
            );
            None
        }
    });
    let path = match &r.path {
        None => Some("/".to_string()),
        Some(p) => {
            let text = p.get_ref();
            if text.starts_with('/') && !text.chars().any(|c| c.is_whitespace() || c.is_control()) {
                Some(text.clone())
            } else {
                report.at(
                    &p.span(),
                    format!("invalid path {text:?}: it must start with '/' and hold no spaces"),
                );
                None
            }
        }
    };
    let expect_status = match &r.expect_status {
        None => Some(ExpectStatus::default()),
        Some(s) => ExpectStatus::parse(s.get_ref())
            .map_err(|e| report.at(&s.span(), e))
            .ok(),
    };
    let search = match &r.search {
        Some(s) if s.get_ref().is_empty() || s.get_ref().len() > SEARCH_WINDOW => {
            report.at(
                &s.span(),
                format!("search must be 1 to {SEARCH_WINDOW} bytes long"),
            );
            None
        }
        other => Some(other.as_ref().map(|s| s.get_ref().clone())),
    };
    Some(HttpCheck {
        address: address?,
        host: match (&r.host, host) {
            (Some(_), None) => return None,
            (_, host) => host,
        },
        path: path?,
        expect_status: expect_status?,
        search: search?,
        verify_tls: r.verify_tls.as_ref().is_some_and(|v| *v.get_ref()),
    })
}

fn calculated(
    id: &str,
    r: &RawHealthCheck,
    header: &Span,
    report: &mut Report<'_>,
) -> Option<CheckKind> {
    let children = match &r.children {
        Some(list) if !list.get_ref().is_empty() => Some(list),
        Some(list) => {
            report.at(
                &list.span(),
                "`children` must list at least one health check id",
            );
            None
        }
        None => {
            report.at(
                header,
                format!("calculated health check `{id}` needs `children`, e.g. children = [\"web-1\", \"web-2\"]"),
            );
            None
        }
    };
    let mut ids = Vec::new();
    let mut seen = BTreeSet::new();
    for child in children.map(|c| c.get_ref().as_slice()).unwrap_or_default() {
        let name = child.get_ref().as_str();
        if !is_check_id(name) {
            report.at(
                &child.span(),
                format!("invalid health check id {name:?} in children"),
            );
        } else if !seen.insert(name) {
            report.at(&child.span(), format!("child `{name}` is listed twice"));
        } else {
            ids.push(CheckId::from(name));
        }
    }
    let healthy_when = match &r.healthy_when {
        None => {
            report.at(
                header,
                format!("calculated health check `{id}` needs `healthy_when`: how many children must be healthy"),
            );
            None
        }
        Some(n) => {
            let count = children.map_or(0, |c| c.get_ref().len());
            let value = *n.get_ref();
            match usize::try_from(value) {
                Ok(v) if v <= count || children.is_none() => Some(v),
                _ => {
                    report.at(
                        &n.span(),
                        format!("healthy_when must be between 0 and the number of children ({count}), not {value}"),
                    );
                    None
                }
            }
        }
    };
    Some(CheckKind::Calculated {
        children: children.map(|_| ids)?,
        healthy_when: healthy_when?,
    })
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;

    use super::*;

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
        // With the default timeout, the interval is what the user must fix.
        assert_eq!(
            errors(
                "[health_check.a]\ntype = \"tcp\"\naddress = \"192.0.2.1:22\"\ninterval = \"1s\"\n"
            ),
            ["zones/example.com.toml:4:12: timeout (2s) must be shorter than interval (1s)"]
        );
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
}
