//! Health check specs: the validated model of one `[health_check.<id>]` table.
//!
//! Invariant: a [`HealthCheckSpec`] only holds values a probe can use as they
//! are (parsed address, durations with `timeout < interval`, thresholds in
//! 1..=10, status ranges); [`convert`] is the only way in from a file and
//! reports every problem with `file:line:col`.

mod convert;
mod raw;

use std::collections::{BTreeMap, BTreeSet};
use std::fmt;
use std::hash::{DefaultHasher, Hash, Hasher};
use std::ops::RangeInclusive;
use std::time::Duration;

use crate::health::CheckId;

pub use convert::convert;
pub use raw::RawHealthCheck;

/// Body bytes an HTTP check reads, and where `search` must occur.
pub const SEARCH_WINDOW: usize = 5120;

/// One health check, ready to probe.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct HealthCheckSpec {
    pub id: CheckId,
    pub kind: CheckKind,
    pub interval: Duration,
    pub timeout: Duration,
    /// Consecutive successes that make an unhealthy check healthy.
    pub healthy_threshold: u32,
    /// Consecutive failures that make a healthy check unhealthy.
    pub unhealthy_threshold: u32,
    pub invert: bool,
    /// Always healthy and never probed.
    pub disabled: bool,
}

#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum CheckKind {
    Http(HttpCheck),
    Https(HttpCheck),
    Tcp {
        address: Address,
    },
    /// Healthy when at least `healthy_when` children are healthy.
    Calculated {
        children: Vec<CheckId>,
        healthy_when: usize,
    },
}

/// What an HTTP or HTTPS probe sends and what it accepts.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct HttpCheck {
    /// Where to connect, whatever `host` says.
    pub address: Address,
    /// The HTTP `Host` header and TLS SNI name; the address host when absent.
    pub host: Option<String>,
    /// Starts with `/`.
    pub path: String,
    pub expect_status: ExpectStatus,
    /// Must occur in the first [`SEARCH_WINDOW`] bytes of the body.
    pub search: Option<String>,
    /// HTTPS only: validate the server certificate against the web PKI roots.
    pub verify_tls: bool,
}

/// `host:port` to connect to; `host` is an IP literal or a DNS name.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct Address {
    pub host: String,
    pub port: u16,
}

/// Accepted HTTP status codes, e.g. `200-399` or `200,204,300-302`.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct ExpectStatus(Vec<RangeInclusive<u16>>);

impl HealthCheckSpec {
    /// Identifies this exact spec: probe results carry it as their
    /// generation, so results of a replaced spec can be told apart.
    pub fn fingerprint(&self) -> u64 {
        let mut hasher = DefaultHasher::new();
        self.hash(&mut hasher);
        hasher.finish()
    }

    /// Whether a probe loop runs for this check.
    pub fn is_probed(&self) -> bool {
        !self.disabled && !matches!(self.kind, CheckKind::Calculated { .. })
    }
}

impl CheckKind {
    /// The `type` as written in files.
    pub fn name(&self) -> &'static str {
        match self {
            CheckKind::Http(_) => "http",
            CheckKind::Https(_) => "https",
            CheckKind::Tcp { .. } => "tcp",
            CheckKind::Calculated { .. } => "calculated",
        }
    }
}

/// How to write an `address`, appended to its errors.
const ADDRESS_HINT: &str = "write \"ip:port\" or \"host:port\", e.g. \"192.0.2.10:80\"";
/// How to write `expect_status`, appended to its error.
const EXPECT_STATUS_HINT: &str = "write e.g. \"200-399\", \"200\" or \"200,204,300-302\"";

/// Why an `address` or `expect_status` value is not valid.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum SpecError {
    /// An address without `:port`.
    #[error("address {text:?} has no port; {hint}", hint = ADDRESS_HINT)]
    AddressWithoutPort {
        /// The address as written.
        text: String,
    },
    /// An address whose port is not a number in 0..=65535.
    #[error("address {text:?} has an invalid port {port:?}; {hint}", hint = ADDRESS_HINT)]
    AddressPort {
        /// The address as written.
        text: String,
        /// The text after the last colon.
        port: String,
    },
    /// An address whose host is neither an IP address nor a DNS name.
    #[error("address {text:?} has an invalid host {host:?}; {hint}", hint = ADDRESS_HINT)]
    AddressHost {
        /// The address as written.
        text: String,
        /// The text before the last colon.
        host: String,
    },
    /// An address with port 0, which nothing can listen on.
    #[error("address {text:?} has port 0; {hint}", hint = ADDRESS_HINT)]
    AddressPortZero {
        /// The address as written.
        text: String,
    },
    /// An `expect_status` part that is not a code in 100..=599 or an
    /// ascending range of them.
    #[error(
        "invalid expect_status {text:?}: {part:?} is not a status code (100-599) or an ascending range; {hint}",
        hint = EXPECT_STATUS_HINT
    )]
    ExpectStatus {
        /// The whole value as written.
        text: String,
        /// The comma-separated part that is wrong.
        part: String,
    },
}

impl Address {
    /// Parses `ip:port`, `[v6]:port` or `host:port`.
    pub fn parse(text: &str) -> Result<Self, SpecError> {
        if let Ok(socket) = text.parse::<std::net::SocketAddr>() {
            return Self::with_port(socket.ip().to_string(), socket.port(), text);
        }
        let Some((host, port)) = text.rsplit_once(':') else {
            return Err(SpecError::AddressWithoutPort {
                text: text.to_owned(),
            });
        };
        let port: u16 = port.parse().map_err(|_| SpecError::AddressPort {
            text: text.to_owned(),
            port: port.to_owned(),
        })?;
        if !is_dns_name(host) {
            return Err(SpecError::AddressHost {
                text: text.to_owned(),
                host: host.to_owned(),
            });
        }
        Self::with_port(host.to_string(), port, text)
    }

    fn with_port(host: String, port: u16, text: &str) -> Result<Self, SpecError> {
        if port == 0 {
            return Err(SpecError::AddressPortZero {
                text: text.to_owned(),
            });
        }
        Ok(Self { host, port })
    }

    /// The host as it appears in a URL (IPv6 in brackets).
    pub fn url_host(&self) -> String {
        if self.host.contains(':') {
            format!("[{}]", self.host)
        } else {
            self.host.clone()
        }
    }
}

impl fmt::Display for Address {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}", self.url_host(), self.port)
    }
}

impl ExpectStatus {
    /// Parses a comma-separated list of codes and `low-high` ranges in 100..=599.
    pub fn parse(text: &str) -> Result<Self, SpecError> {
        let mut ranges = Vec::new();
        for part in text.split(',') {
            let part = part.trim();
            let (low, high) = part.split_once('-').unwrap_or((part, part));
            let code = |s: &str| {
                s.trim()
                    .parse::<u16>()
                    .ok()
                    .filter(|c| (100..=599).contains(c))
            };
            match (code(low), code(high)) {
                (Some(low), Some(high)) if low <= high => ranges.push(low..=high),
                _ => {
                    return Err(SpecError::ExpectStatus {
                        text: text.to_owned(),
                        part: part.to_owned(),
                    });
                }
            }
        }
        Ok(Self(ranges))
    }

    pub fn contains(&self, status: u16) -> bool {
        self.0.iter().any(|r| r.contains(&status))
    }
}

impl Default for ExpectStatus {
    fn default() -> Self {
        Self(vec![200..=399])
    }
}

impl fmt::Display for ExpectStatus {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, r) in self.0.iter().enumerate() {
            if i > 0 {
                f.write_str(",")?;
            }
            if r.start() == r.end() {
                write!(f, "{}", r.start())?;
            } else {
                write!(f, "{}-{}", r.start(), r.end())?;
            }
        }
        Ok(())
    }
}

/// The ids of calculated checks that lie on a cycle of children (a check
/// that is, directly or not, its own child), sorted. Children that are not
/// in `specs` are ignored here (the caller reports them as unknown).
pub fn calculated_cycles(specs: &[HealthCheckSpec]) -> Vec<CheckId> {
    let edges: BTreeMap<&str, Vec<&str>> = specs
        .iter()
        .filter_map(|s| match &s.kind {
            CheckKind::Calculated { children, .. } => {
                Some((&*s.id, children.iter().map(|c| &**c).collect()))
            }
            _ => None,
        })
        .collect();
    let mut on_cycle = BTreeSet::new();
    for &start in edges.keys() {
        if reaches(&edges, start, start) {
            on_cycle.insert(start);
        }
    }
    on_cycle.into_iter().map(CheckId::from).collect()
}

/// Whether `target` is reachable from `from`'s children.
fn reaches(edges: &BTreeMap<&str, Vec<&str>>, from: &str, target: &str) -> bool {
    let mut seen = BTreeSet::new();
    let mut stack: Vec<&str> = edges.get(from).cloned().unwrap_or_default();
    while let Some(node) = stack.pop() {
        if node == target {
            return true;
        }
        if seen.insert(node) {
            stack.extend(edges.get(node).into_iter().flatten().copied());
        }
    }
    false
}

/// Letters, digits, `-`, `_` and dots between non-empty labels.
pub(crate) fn is_dns_name(text: &str) -> bool {
    !text.is_empty()
        && text.len() <= 253
        && text.trim_end_matches('.').split('.').all(|label| {
            !label.is_empty()
                && label.len() <= 63
                && label
                    .bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn calculated(id: &str, children: &[&str]) -> HealthCheckSpec {
        HealthCheckSpec {
            id: id.into(),
            kind: CheckKind::Calculated {
                children: children.iter().map(|c| CheckId::from(*c)).collect(),
                healthy_when: 1,
            },
            interval: Duration::from_secs(10),
            timeout: Duration::from_secs(2),
            healthy_threshold: 3,
            unhealthy_threshold: 3,
            invert: false,
            disabled: false,
        }
    }

    #[test]
    fn finds_only_checks_on_cycles() {
        let specs = [
            calculated("a", &["b"]),
            calculated("b", &["c", "leaf"]),
            calculated("c", &["a"]),
            calculated("d", &["a"]),
            calculated("self", &["self"]),
            calculated("ok", &["leaf", "missing"]),
        ];
        let ids: Vec<String> = calculated_cycles(&specs)
            .iter()
            .map(|id| id.to_string())
            .collect();
        assert_eq!(ids, ["a", "b", "c", "self"]);
        assert!(calculated_cycles(&specs[3..4]).is_empty());
    }

    #[test]
    fn parses_addresses() {
        let v4 = Address::parse("192.0.2.10:80").unwrap();
        assert_eq!((v4.host.as_str(), v4.port), ("192.0.2.10", 80));
        let v6 = Address::parse("[2001:db8::1]:443").unwrap();
        assert_eq!(v6.host, "2001:db8::1");
        assert_eq!(v6.to_string(), "[2001:db8::1]:443");
        assert_eq!(Address::parse("db.internal:5432").unwrap().port, 5432);
        for bad in [
            "192.0.2.10",
            "host:",
            "host:99999",
            "ho st:80",
            ":80",
            "h:0",
        ] {
            assert!(Address::parse(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn parses_status_lists_and_ranges() {
        let s = ExpectStatus::parse("200,204, 300-302").unwrap();
        assert!(s.contains(200) && s.contains(204) && s.contains(301));
        assert!(!s.contains(201) && !s.contains(303));
        assert_eq!(s.to_string(), "200,204,300-302");
        assert!(ExpectStatus::default().contains(399));
        assert!(!ExpectStatus::default().contains(400));
        for bad in ["", "2oo", "399-200", "200-", "600", "99", "200,,204"] {
            assert!(ExpectStatus::parse(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn fingerprint_changes_with_any_field() {
        let a = calculated("a", &["b"]);
        let mut b = a.clone();
        assert_eq!(a.fingerprint(), b.fingerprint());
        b.invert = true;
        assert_ne!(a.fingerprint(), b.fingerprint());
    }
}
