//! `overrides.json`: the checks an operator holds healthy or unhealthy,
//! with the time each hold ends (RFC 3339, nanoseconds, so a restored hold
//! ends at exactly the same instant).

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use super::{StateDir, StateError};
use crate::health::{CheckId, Override};

pub const FILE: &str = "overrides.json";

#[derive(Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct OverridesFile {
    version: u32,
    overrides: BTreeMap<String, Held>,
}

#[derive(Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct Held {
    status: Status,
    until: Option<String>,
}

#[derive(Debug, Clone, Copy, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
enum Status {
    Healthy,
    Unhealthy,
}

impl StateDir {
    /// The overrides saved by the last run (expired ones included: the
    /// caller decides). An entry with an unreadable time is logged and skipped.
    pub fn load_overrides(&self) -> Vec<(CheckId, Override)> {
        let Some(file) = self.load::<OverridesFile>(FILE) else {
            return Vec::new();
        };
        let mut held = Vec::new();
        for (id, entry) in file.overrides {
            let until = match entry.until.as_deref().map(humantime::parse_rfc3339) {
                None => None,
                Some(Ok(t)) => Some(t),
                Some(Err(e)) => {
                    tracing::warn!(
                        target: "alwayson::state",
                        "{}: override of {id:?} ignored: invalid until: {e}",
                        self.path(FILE).display()
                    );
                    continue;
                }
            };
            let healthy = matches!(entry.status, Status::Healthy);
            held.push((CheckId::from(id), Override { healthy, until }));
        }
        held
    }

    /// Replaces the saved overrides with `held`.
    pub fn save_overrides(&self, held: &[(CheckId, Override)]) -> Result<(), StateError> {
        let overrides = held
            .iter()
            .map(|(id, o)| {
                let entry = Held {
                    status: if o.healthy {
                        Status::Healthy
                    } else {
                        Status::Unhealthy
                    },
                    until: o
                        .until
                        .map(|t| humantime::format_rfc3339_nanos(t).to_string()),
                };
                (id.to_string(), entry)
            })
            .collect();
        self.save(
            FILE,
            &OverridesFile {
                version: 1,
                overrides,
            },
        )
    }
}
