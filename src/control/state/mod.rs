//! State that survives a restart, kept as small JSON files in `state_dir`:
//! operator overrides with their expiry (`overrides.json`) and the last
//! serial of every zone with its content hash (`serials.json`).
//!
//! Invariants: a file is replaced atomically (written to a temporary file
//! in the same folder, synced, then renamed over the old one), so a crash
//! leaves the old or the new version, never half of one. A missing file is
//! an empty state; a corrupt one is reported, moved aside to `<name>.corrupt`
//! and ignored: state never stops the server from starting.

mod keeper;
mod overrides;
mod serials;

use std::io::Write;
use std::path::{Path, PathBuf};

use serde::Serialize;
use serde::de::DeserializeOwned;

pub use keeper::Keeper;
pub use serials::{SerialRecord, Serials};

/// Why a state file could not be read or written.
#[derive(Debug, thiserror::Error)]
pub enum StateError {
    /// The file could not be read, written or renamed.
    #[error("{}: {source}", path.display())]
    Io {
        path: PathBuf,
        source: std::io::Error,
    },
    /// The file is not the JSON this version writes.
    #[error("{}:{line}:{col}: {message}", path.display())]
    Corrupt {
        path: PathBuf,
        line: usize,
        col: usize,
        message: String,
    },
}

/// The state folder; files are created on first write.
#[derive(Clone, Debug)]
pub struct StateDir {
    dir: PathBuf,
}

impl StateDir {
    pub fn new(dir: &Path) -> Self {
        Self {
            dir: dir.to_path_buf(),
        }
    }

    pub fn path(&self, name: &str) -> PathBuf {
        self.dir.join(name)
    }

    /// Reads `name`; None when it does not exist yet, or when it is
    /// unreadable or corrupt (then logged, and a corrupt file moved aside).
    fn load<T: DeserializeOwned>(&self, name: &str) -> Option<T> {
        match self.try_load(name) {
            Ok(value) => value,
            Err(e) => {
                let path = self.path(name);
                let aside = self.path(&format!("{name}.corrupt"));
                let moved = matches!(e, StateError::Corrupt { .. })
                    && std::fs::rename(&path, &aside).is_ok();
                let kept = if moved {
                    format!("; moved to {}", aside.display())
                } else {
                    String::new()
                };
                tracing::warn!(target: "alwayson::state", "state file ignored: {e}{kept}");
                None
            }
        }
    }

    /// Reads `name`: Ok(None) when it does not exist.
    pub fn try_load<T: DeserializeOwned>(&self, name: &str) -> Result<Option<T>, StateError> {
        let path = self.path(name);
        let text = match std::fs::read_to_string(&path) {
            Ok(text) => text,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
            Err(source) => return Err(StateError::Io { path, source }),
        };
        serde_json::from_str(&text)
            .map(Some)
            .map_err(|e| StateError::Corrupt {
                path,
                line: e.line(),
                col: e.column(),
                message: e.to_string(),
            })
    }

    /// Replaces `name` with `value` atomically, creating the folder if needed.
    fn save<T: Serialize>(&self, name: &str, value: &T) -> Result<(), StateError> {
        let path = self.path(name);
        let io = |source| StateError::Io {
            path: path.clone(),
            source,
        };
        let mut bytes = serde_json::to_vec_pretty(value).map_err(|e| io(e.into()))?;
        bytes.push(b'\n');
        std::fs::create_dir_all(&self.dir).map_err(io)?;
        let tmp = self.path(&format!(".{name}.tmp"));
        let mut file = std::fs::File::create(&tmp).map_err(io)?;
        file.write_all(&bytes).map_err(io)?;
        file.sync_all().map_err(io)?;
        std::fs::rename(&tmp, &path).map_err(io)?;
        // The rename itself survives a power loss once the folder is synced.
        if let Ok(dir) = std::fs::File::open(&self.dir) {
            let _ = dir.sync_all();
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests;
