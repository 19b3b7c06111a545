//! The kind-specific keys of a health check: `address` for tcp, the HTTP
//! keys for http and https, `children` and `healthy_when` for calculated.
//! Like the rest of the conversion, every problem is reported, each at the
//! value it is about or at the table header when a key is missing.

use std::collections::BTreeSet;

use toml::Spanned;

use super::{Report, is_check_id};
use crate::diag::Span;
use crate::health::CheckId;
use crate::health::spec::raw::RawHealthCheck;
use crate::health::spec::{
    Address, CheckKind, ExpectStatus, HttpCheck, SEARCH_WINDOW, is_dns_name,
};

/// The kind-specific part of the check, for a valid `type`.
pub(super) fn check_kind(
    id: &str,
    kind: Option<&str>,
    r: &RawHealthCheck,
    header: &Span,
    report: &mut Report<'_>,
) -> Option<CheckKind> {
    match kind {
        Some("calculated") => calculated(id, r, header, report),
        Some("tcp") => {
            address(id, "tcp", r, header, report).map(|address| CheckKind::Tcp { address })
        }
        Some(name @ "http") => http(id, name, r, header, report).map(CheckKind::Http),
        Some(name @ "https") => http(id, name, r, header, report).map(CheckKind::Https),
        _ => None,
    }
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
    let host = host(r, report);
    let path = path(r, report);
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
        host: host?,
        path: path?,
        expect_status: expect_status?,
        search: search?,
        verify_tls: r.verify_tls.as_ref().is_some_and(|v| *v.get_ref()),
    })
}

/// The optional `host`, without a trailing dot; `None` when it is invalid.
fn host(r: &RawHealthCheck, report: &mut Report<'_>) -> Option<Option<String>> {
    let Some(h) = &r.host else {
        return Some(None);
    };
    let text = h.get_ref();
    let is_ip = text.parse::<std::net::IpAddr>().is_ok();
    if is_ip || is_dns_name(text) {
        Some(Some(text.trim_end_matches('.').to_string()))
    } else {
        report.at(
            &h.span(),
            format!(
                "invalid host {text:?}: write a DNS name such as \"www.example.com\", without port"
            ),
        );
        None
    }
}

/// `path`, `/` by default.
fn path(r: &RawHealthCheck, report: &mut Report<'_>) -> Option<String> {
    let Some(p) = &r.path else {
        return Some("/".to_string());
    };
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

fn calculated(
    id: &str,
    r: &RawHealthCheck,
    header: &Span,
    report: &mut Report<'_>,
) -> Option<CheckKind> {
    let children = match &r.children {
        Some(list) if !list.get_ref().is_empty() => Some(list.get_ref().as_slice()),
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
    let ids = child_ids(children.unwrap_or_default(), report);
    let healthy_when = healthy_when(id, r, children, header, report);
    Some(CheckKind::Calculated {
        children: children.map(|_| ids)?,
        healthy_when: healthy_when?,
    })
}

/// The valid, distinct ids of `children`; each bad or repeated one is
/// reported.
fn child_ids(children: &[Spanned<String>], report: &mut Report<'_>) -> Vec<CheckId> {
    let mut ids = Vec::new();
    let mut seen = BTreeSet::new();
    for child in children {
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
    ids
}

/// `healthy_when`, required, at most the number of children (not compared
/// when `children` is missing or empty: that is reported already).
fn healthy_when(
    id: &str,
    r: &RawHealthCheck,
    children: Option<&[Spanned<String>]>,
    header: &Span,
    report: &mut Report<'_>,
) -> Option<usize> {
    let Some(n) = &r.healthy_when else {
        report.at(
            header,
            format!("calculated health check `{id}` needs `healthy_when`: how many children must be healthy"),
        );
        return None;
    };
    let count = children.map_or(0, <[_]>::len);
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
