//! The JSON bodies the API answers with, built from the updater's and the
//! snapshot's types. Times are RFC 3339 UTC; statuses are the words
//! `healthy` and `unhealthy`, as in requests.

use std::time::SystemTime;

use serde::Serialize;

use crate::control::FlipRecord;
use crate::control::{Problem, ReloadError, ReloadOutcome};
use crate::health::CheckDetail;
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

#[derive(Debug, Serialize)]
pub struct ReloadJson {
    pub ok: bool,
    pub added: Vec<String>,
    pub changed: Vec<String>,
    pub removed: Vec<String>,
    pub unchanged: usize,
    /// Keys of `alwayson.toml` that changed but wait for a restart.
    pub needs_restart: Vec<String>,
    /// One entry per failed input, as the log prints it.
    pub errors: Vec<String>,
    /// Every problem with its position (`line` and `column` are null for a
    /// problem of a whole file or folder).
    pub problems: Vec<ProblemJson>,
    /// Present when the reload failed: every error, one per line.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
}

impl From<&ReloadOutcome> for ReloadJson {
    fn from(o: &ReloadOutcome) -> Self {
        let paths = |v: &[std::path::PathBuf]| v.iter().map(|p| p.display().to_string()).collect();
        let errors: Vec<String> = o.errors.iter().map(ToString::to_string).collect();
        Self {
            ok: o.errors.is_empty(),
            added: paths(&o.added),
            changed: paths(&o.changed),
            removed: paths(&o.removed),
            unchanged: o.unchanged,
            needs_restart: o.needs_restart.clone(),
            errors: errors.clone(),
            problems: o
                .errors
                .iter()
                .flat_map(ReloadError::problems)
                .map(ProblemJson::from)
                .collect(),
            error: (!errors.is_empty()).then(|| errors.join("\n")),
        }
    }
}

#[derive(Debug, Serialize)]
pub struct ProblemJson {
    pub file: String,
    pub line: Option<usize>,
    pub column: Option<usize>,
    pub message: String,
}

impl From<Problem> for ProblemJson {
    fn from(p: Problem) -> Self {
        Self {
            file: p.file.display().to_string(),
            line: p.line,
            column: p.column,
            message: p.message,
        }
    }
}

#[derive(Debug, Serialize)]
pub struct CheckJson {
    pub id: String,
    pub kind: &'static str,
    pub status: &'static str,
    pub since: String,
    pub last_probe: Option<ProbeJson>,
    #[serde(rename = "override")]
    pub overridden: Option<OverrideJson>,
    pub consecutive_successes: u32,
    pub consecutive_failures: u32,
    pub invert: bool,
    pub disabled: bool,
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
}

impl From<&CheckDetail> for CheckJson {
    fn from(c: &CheckDetail) -> Self {
        Self {
            id: c.id.to_string(),
            kind: c.kind,
            status: status_text(c.healthy),
            since: time_text(c.since),
            last_probe: c.last_probe.as_ref().map(|p| ProbeJson {
                success: p.success,
                detail: p.detail.clone(),
                duration_ms: p.duration.as_secs_f64() * 1000.0,
                at: time_text(p.at),
            }),
            overridden: c.overridden.map(|o| OverrideJson {
                status: status_text(o.healthy),
                until: o.until.map(time_text),
            }),
            consecutive_successes: c.consecutive_successes,
            consecutive_failures: c.consecutive_failures,
            invert: c.invert,
            disabled: c.disabled,
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
