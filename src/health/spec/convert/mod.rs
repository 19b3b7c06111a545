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
use crate::diag::{Diagnostic, Source, Span};
use crate::duration::parse_duration;
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
        .map_err(|e| report.at(&text.span(), e.to_string()))
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
            .map_err(|e| report.at(&s.span(), e.to_string()))
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
mod tests;
