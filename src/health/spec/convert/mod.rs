//! Conversion of a [`RawHealthCheck`] into a [`HealthCheckSpec`]: the
//! conversion is the validation. Every problem is reported (not only the
//! first), each at the value it is about, or at the table header when a key
//! is missing.

use std::ops::Range;
use std::time::Duration;

use toml::Spanned;

use super::HealthCheckSpec;
use super::raw::RawHealthCheck;
use crate::diag::{Diagnostic, Source, Span};
use crate::duration::parse_duration;
use crate::health::CheckId;

mod kind;

use kind::check_kind;

const DEFAULT_INTERVAL: Duration = Duration::from_secs(10);
/// The timeout when none is given is the smaller of this and half the interval.
const MAX_DEFAULT_TIMEOUT: Duration = Duration::from_secs(2);
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
    let kind = check_type(id, r, &header, &mut report);
    if let Some(kind) = kind {
        reject_foreign_keys(kind, r, &mut report);
    }
    let (interval, timeout) = timing(r, &header, &mut report);
    let healthy_threshold = threshold(&r.healthy_threshold, "healthy_threshold", &mut report);
    let unhealthy_threshold = threshold(&r.unhealthy_threshold, "unhealthy_threshold", &mut report);
    let kind = check_kind(id, kind, r, &header, &mut report);
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

/// The `type` key: one of the four kinds, required.
fn check_type<'r>(
    id: &str,
    r: &'r RawHealthCheck,
    header: &Span,
    report: &mut Report<'_>,
) -> Option<&'r str> {
    let Some(t) = &r.kind else {
        report.at(
            header,
            format!(
                "health check `{id}` needs `type`: one of \"http\", \"https\", \"tcp\", \"calculated\""
            ),
        );
        return None;
    };
    match t.get_ref().as_str() {
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
    }
}

/// The timeout of a check that gives none: the smaller of 2 s and half the
/// interval, so that a fast check (`interval = "1s"`) is valid as written.
fn default_timeout(interval: Duration) -> Duration {
    MAX_DEFAULT_TIMEOUT.min(interval / 2)
}

/// `interval` and `timeout`, defaulted (the timeout follows the interval);
/// the timeout must be the shorter.
fn timing(
    r: &RawHealthCheck,
    header: &Span,
    report: &mut Report<'_>,
) -> (Option<Duration>, Option<Duration>) {
    let interval = duration(&r.interval, "interval", DEFAULT_INTERVAL, report);
    let default = default_timeout(interval.unwrap_or(DEFAULT_INTERVAL));
    let timeout = duration(&r.timeout, "timeout", default, report);
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
    (interval, timeout)
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

#[cfg(test)]
mod tests;
