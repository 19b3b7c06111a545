//! `overrides.json`: the checks an operator holds healthy or unhealthy,
//! with the time each hold ends (RFC 3339, nanoseconds, so a restored hold
//! ends at exactly the same instant), when and where it was set, and the
//! releases (`cleared`), so that after a restart of a whole cluster an
//! older hold kept by one node cannot come back over a newer release.

use std::collections::BTreeMap;
use std::time::SystemTime;

use serde::{Deserialize, Serialize};

use super::{StateDir, StateError};
use crate::health::{CheckId, NodeName, Override, OverrideEvent};

pub const FILE: &str = "overrides.json";

#[derive(Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct OverridesFile {
    version: u32,
    overrides: BTreeMap<String, Held>,
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    cleared: BTreeMap<String, Cleared>,
}

#[derive(Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct Held {
    status: Status,
    until: Option<String>,
    /// Absent in files of earlier versions: then the load time.
    #[serde(default)]
    set_at: Option<String>,
    #[serde(default)]
    set_by: Option<String>,
}

#[derive(Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct Cleared {
    at: String,
    #[serde(default)]
    by: Option<String>,
}

#[derive(Debug, Clone, Copy, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
enum Status {
    Healthy,
    Unhealthy,
}

fn time_text(t: SystemTime) -> String {
    humantime::format_rfc3339_nanos(t).to_string()
}

impl StateDir {
    /// The override events saved by the last run (expired holds included:
    /// the caller decides). An entry with an unreadable time is logged and
    /// skipped.
    pub fn load_overrides(&self) -> Vec<(CheckId, OverrideEvent)> {
        let Some(file) = self.load::<OverridesFile>(FILE) else {
            return Vec::new();
        };
        let now = SystemTime::now();
        let mut events = Vec::new();
        let time =
            |id: &str, what: &str, text: Option<&str>| match text.map(humantime::parse_rfc3339) {
                None => Ok(None),
                Some(Ok(t)) => Ok(Some(t)),
                Some(Err(e)) => {
                    tracing::warn!(
                        target: "alwayson::state",
                        "{}: override of {id:?} ignored: invalid {what}: {e}",
                        self.path(FILE).display()
                    );
                    Err(())
                }
            };
        for (id, entry) in file.overrides {
            let (Ok(until), Ok(set_at)) = (
                time(&id, "until", entry.until.as_deref()),
                time(&id, "set_at", entry.set_at.as_deref()),
            ) else {
                continue;
            };
            let healthy = matches!(entry.status, Status::Healthy);
            let hold = Override::new(healthy, until, now);
            let by = entry.set_by.map(NodeName::from);
            let event = OverrideEvent::new(Some(hold), set_at.unwrap_or(now), by);
            events.push((CheckId::from(id), event));
        }
        for (id, entry) in file.cleared {
            let Ok(Some(at)) = time(&id, "at", Some(&entry.at)) else {
                continue;
            };
            let event = OverrideEvent::new(None, at, entry.by.map(NodeName::from));
            events.push((CheckId::from(id), event));
        }
        events
    }

    /// Replaces the saved overrides with `events`.
    pub fn save_overrides(&self, events: &[(CheckId, OverrideEvent)]) -> Result<(), StateError> {
        let mut file = OverridesFile {
            version: 1,
            overrides: BTreeMap::new(),
            cleared: BTreeMap::new(),
        };
        for (id, event) in events {
            let by = event.by.as_deref().map(str::to_string);
            match &event.hold {
                Some(o) => {
                    let held = Held {
                        status: if o.healthy {
                            Status::Healthy
                        } else {
                            Status::Unhealthy
                        },
                        until: o.until.map(time_text),
                        set_at: Some(time_text(event.at)),
                        set_by: by,
                    };
                    file.overrides.insert(id.to_string(), held);
                }
                None => {
                    let at = time_text(event.at);
                    file.cleared.insert(id.to_string(), Cleared { at, by });
                }
            }
        }
        self.save(FILE, &file)
    }
}
