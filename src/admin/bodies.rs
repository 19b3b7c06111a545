//! The JSON bodies the API answers with, built from the updater's and the
//! snapshot's types. Times are RFC 3339 UTC; statuses are the words
//! `healthy` and `unhealthy`, as in requests.

use std::time::SystemTime;

use serde::Serialize;

use crate::control::FlipRecord;
use crate::control::{Problem, ReloadError, ReloadOutcome, ZoneRef};
use crate::health::{CheckDetail, CheckKind, HealthCheckSpec, Verdict};
use crate::table::zone_table::ZoneFileReport;

#[derive(Debug, Serialize)]
pub struct ZoneJson {
    pub file: String,
    pub origin: Option<String>,
    pub serial: Option<u32>,
    pub records: usize,
    /// When the version being served was loaded (or the failed attempt, when none is).
    pub loaded_at: String,
    /// "ok" or "error".
    pub result: &'static str,
    pub error: Option<String>,
}

impl From<&ZoneFileReport> for ZoneJson {
    fn from(r: &ZoneFileReport) -> Self {
        Self {
            file: r.file.display().to_string(),
            origin: r.origin.as_ref().map(ToString::to_string),
            serial: r.serial,
            records: r.records,
            loaded_at: time_text(r.loaded_at),
            result: if r.error.is_some() { "error" } else { "ok" },
            error: r.error.clone(),
        }
    }
}

/// `POST /api/v1/reload`'s reply: zones by origin, errors by position.
#[derive(Debug, Serialize)]
pub struct ReloadJson {
    pub ok: bool,
    pub added: Vec<String>,
    pub changed: Vec<String>,
    pub removed: Vec<String>,
    pub unchanged: Vec<String>,
    /// Keys of `alwayson.toml` that changed but wait for a restart.
    pub needs_restart: Vec<String>,
    /// Every problem with its position (`line` and `col` are null for a
    /// problem of a whole file or folder).
    pub errors: Vec<ErrorJson>,
    /// Present when the reload failed: every error as the log prints it,
    /// one per line (every failed API call carries `error`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
}

impl From<&ReloadOutcome> for ReloadJson {
    fn from(o: &ReloadOutcome) -> Self {
        let names = |v: &[ZoneRef]| v.iter().map(|z| z.origin.to_string()).collect();
        let text: Vec<String> = o.errors.iter().map(ToString::to_string).collect();
        Self {
            ok: o.errors.is_empty(),
            added: names(&o.added),
            changed: names(&o.changed),
            removed: names(&o.removed),
            unchanged: names(&o.unchanged),
            needs_restart: o.needs_restart.clone(),
            errors: o
                .errors
                .iter()
                .flat_map(ReloadError::problems)
                .map(ErrorJson::from)
                .collect(),
            error: (!text.is_empty()).then(|| text.join("\n")),
        }
    }
}

/// One problem of a reload.
#[derive(Debug, Serialize)]
pub struct ErrorJson {
    pub file: String,
    pub line: Option<usize>,
    pub col: Option<usize>,
    pub message: String,
}

impl From<Problem> for ErrorJson {
    fn from(p: Problem) -> Self {
        Self {
            file: p.file.display().to_string(),
            line: p.line,
            col: p.column,
            message: p.message,
        }
    }
}

#[derive(Debug, Serialize)]
pub struct CheckJson {
    pub id: String,
    pub status: &'static str,
    pub since: String,
    pub last_probe: Option<ProbeJson>,
    #[serde(rename = "override")]
    pub overridden: Option<OverrideJson>,
    /// This node's own status from its probes.
    pub local_status: &'static str,
    /// In a cluster: the verdict `status` follows (null: local probes).
    pub cluster_verdict: Option<VerdictJson>,
    pub consecutive_successes: u32,
    pub consecutive_failures: u32,
    pub invert: bool,
    pub disabled: bool,
    /// The check as configured.
    #[serde(flatten)]
    pub spec: SpecJson,
}

/// A check's configuration as the zone file or `alwayson.toml` writes it;
/// keys that do not apply to its type are null.
#[derive(Debug, Serialize)]
pub struct SpecJson {
    #[serde(rename = "type")]
    pub kind: &'static str,
    pub address: Option<String>,
    pub host: Option<String>,
    pub path: Option<String>,
    pub expect_status: Option<String>,
    pub search: Option<String>,
    pub verify_tls: Option<bool>,
    pub children: Option<Vec<String>>,
    pub healthy_when: Option<usize>,
    pub interval: String,
    pub timeout: String,
    pub healthy_threshold: u32,
    pub unhealthy_threshold: u32,
}

impl From<&HealthCheckSpec> for SpecJson {
    fn from(spec: &HealthCheckSpec) -> Self {
        let mut json = Self {
            kind: spec.kind.name(),
            address: None,
            host: None,
            path: None,
            expect_status: None,
            search: None,
            verify_tls: None,
            children: None,
            healthy_when: None,
            interval: humantime::format_duration(spec.interval).to_string(),
            timeout: humantime::format_duration(spec.timeout).to_string(),
            healthy_threshold: spec.healthy_threshold,
            unhealthy_threshold: spec.unhealthy_threshold,
        };
        match &spec.kind {
            CheckKind::Http(http) | CheckKind::Https(http) => {
                json.address = Some(http.address.to_string());
                json.host = http.host.clone();
                json.path = Some(http.path.clone());
                json.expect_status = Some(http.expect_status.to_string());
                json.search = http.search.clone();
                json.verify_tls =
                    matches!(spec.kind, CheckKind::Https(_)).then_some(http.verify_tls);
            }
            CheckKind::Tcp { address } => json.address = Some(address.to_string()),
            CheckKind::Calculated {
                children,
                healthy_when,
            } => {
                json.children = Some(children.iter().map(ToString::to_string).collect());
                json.healthy_when = Some(*healthy_when);
            }
        }
        json
    }
}

#[derive(Debug, Serialize)]
pub struct ProbeJson {
    pub success: bool,
    pub detail: String,
    pub duration_ms: f64,
    pub at: String,
}

#[derive(Debug, Serialize)]
pub struct OverrideJson {
    pub status: &'static str,
    pub until: Option<String>,
    pub set_at: String,
    /// The node whose API took it (null without a cluster).
    pub set_by: Option<String>,
}

/// A cluster verdict and the observers it was made from.
#[derive(Debug, Serialize)]
pub struct VerdictJson {
    pub status: &'static str,
    pub healthy_observers: Vec<String>,
    pub unhealthy_observers: Vec<String>,
    pub stale_observers: Vec<String>,
}

impl From<&Verdict> for VerdictJson {
    fn from(v: &Verdict) -> Self {
        let names = |list: &[crate::health::NodeName]| list.iter().map(|n| n.to_string()).collect();
        Self {
            status: status_text(v.healthy),
            healthy_observers: names(&v.healthy_observers),
            unhealthy_observers: names(&v.unhealthy_observers),
            stale_observers: names(&v.stale_observers),
        }
    }
}

impl From<&CheckDetail> for CheckJson {
    fn from(c: &CheckDetail) -> Self {
        Self {
            id: c.id.to_string(),
            status: status_text(c.healthy),
            since: time_text(c.since),
            last_probe: c.last_probe.as_ref().map(|p| ProbeJson {
                success: p.success,
                detail: p.detail.clone(),
                duration_ms: p.duration.as_secs_f64() * 1000.0,
                at: time_text(p.at),
            }),
            overridden: c.overridden.as_ref().map(|o| OverrideJson {
                status: status_text(o.healthy),
                until: o.until.map(time_text),
                set_at: time_text(o.set_at),
                set_by: o.set_by.as_deref().map(str::to_string),
            }),
            local_status: status_text(c.local_healthy),
            cluster_verdict: c.verdict.as_deref().map(VerdictJson::from),
            consecutive_successes: c.consecutive_successes,
            consecutive_failures: c.consecutive_failures,
            invert: c.invert,
            disabled: c.disabled,
            spec: SpecJson::from(&c.spec),
        }
    }
}

#[derive(Debug, Serialize)]
pub struct FlipJson {
    pub at: String,
    pub check: String,
    pub to: &'static str,
    pub reason: String,
}

impl From<&FlipRecord> for FlipJson {
    fn from(f: &FlipRecord) -> Self {
        Self {
            at: time_text(f.at),
            check: f.flip.id.to_string(),
            to: status_text(f.flip.healthy),
            reason: f.flip.reason.clone(),
        }
    }
}

pub fn status_text(healthy: bool) -> &'static str {
    if healthy { "healthy" } else { "unhealthy" }
}

/// RFC 3339 UTC with milliseconds.
pub fn time_text(t: SystemTime) -> String {
    humantime::format_rfc3339_millis(t).to_string()
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::*;
    use crate::health::spec::{Address, ExpectStatus, HttpCheck};

    fn spec(kind: CheckKind) -> HealthCheckSpec {
        HealthCheckSpec {
            id: "web".into(),
            kind,
            interval: Duration::from_secs(10),
            timeout: Duration::from_millis(2500),
            healthy_threshold: 2,
            unhealthy_threshold: 4,
            invert: false,
            disabled: false,
        }
    }

    #[test]
    fn a_check_shows_its_configuration() {
        let https = spec(CheckKind::Https(HttpCheck {
            address: Address {
                host: "192.0.2.10".into(),
                port: 443,
            },
            host: Some("www.example.com".into()),
            path: "/health".into(),
            expect_status: ExpectStatus::parse("200-299").unwrap(),
            search: None,
            verify_tls: true,
        }));
        let json = serde_json::to_value(SpecJson::from(&https)).unwrap();
        assert_eq!(
            json,
            serde_json::json!({
                "type": "https", "address": "192.0.2.10:443", "host": "www.example.com",
                "path": "/health", "expect_status": "200-299", "search": null, "verify_tls": true,
                "children": null, "healthy_when": null, "interval": "10s", "timeout": "2s 500ms",
                "healthy_threshold": 2, "unhealthy_threshold": 4
            })
        );
        let calculated = spec(CheckKind::Calculated {
            children: vec!["a".into(), "b".into()],
            healthy_when: 1,
        });
        let json = serde_json::to_value(SpecJson::from(&calculated)).unwrap();
        assert_eq!(json["type"], "calculated");
        assert_eq!(json["children"], serde_json::json!(["a", "b"]));
        assert_eq!(json["healthy_when"], 1);
        assert_eq!(json["address"], serde_json::Value::Null);
    }
}
