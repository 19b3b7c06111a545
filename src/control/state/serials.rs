//! `serials.json`: the last serial of every zone origin and the hash of
//! the text it was given for, so that derived serials never go down across
//! restarts: the same text gets the same serial, a changed text a higher one.

use std::collections::BTreeMap;
use std::str::FromStr;

use hickory_proto::rr::Name;
use serde::{Deserialize, Serialize};

use super::{StateDir, StateError};

pub const FILE: &str = "serials.json";

/// The last serial served for a zone and the content hash it belonged to.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct SerialRecord {
    pub serial: u32,
    pub content_hash: u64,
}

/// Every origin's last serial.
pub type Serials = BTreeMap<Name, SerialRecord>;

#[derive(Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct SerialsFile {
    version: u32,
    zones: BTreeMap<String, Entry>,
}

#[derive(Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct Entry {
    serial: u32,
    /// 16 hex digits.
    content_hash: String,
}

impl StateDir {
    /// The serials saved by the last run; entries that do not parse are
    /// logged and skipped.
    pub fn load_serials(&self) -> Serials {
        let Some(file) = self.load::<SerialsFile>(FILE) else {
            return Serials::new();
        };
        let mut serials = Serials::new();
        for (origin, entry) in file.zones {
            let name = Name::from_str(&origin).ok().filter(Name::is_fqdn);
            let hash = u64::from_str_radix(&entry.content_hash, 16).ok();
            match (name, hash) {
                (Some(name), Some(content_hash)) => {
                    let record = SerialRecord {
                        serial: entry.serial,
                        content_hash,
                    };
                    serials.insert(name.to_lowercase(), record);
                }
                _ => tracing::warn!(
                    target: "alwayson::state",
                    "{}: serial of {origin:?} ignored: invalid origin or content_hash",
                    self.path(FILE).display()
                ),
            }
        }
        serials
    }

    /// Replaces the saved serials with `serials`.
    pub fn save_serials(&self, serials: &Serials) -> Result<(), StateError> {
        let zones = serials
            .iter()
            .map(|(origin, r)| {
                let entry = Entry {
                    serial: r.serial,
                    content_hash: format!("{:016x}", r.content_hash),
                };
                (origin.to_string(), entry)
            })
            .collect();
        self.save(FILE, &SerialsFile { version: 1, zones })
    }
}
