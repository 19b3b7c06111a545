//! The GeoIP database the snapshot carries, and the file version it was
//! read from.
//!
//! Invariant: a database that fails to open never replaces the one in use;
//! an unchanged file (same path and modification time) is not re-read.

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::SystemTime;

use crate::geo::{GeoDb, GeoError};

/// The GeoIP database and the file version it was read from.
#[derive(Default)]
pub struct GeoSource {
    db: Option<Arc<GeoDb>>,
    path: Option<PathBuf>,
    modified: Option<SystemTime>,
}

impl GeoSource {
    /// Re-opens the database when its path or file changed; on failure the
    /// previous database stays in use and the error is returned.
    pub fn refresh(&mut self, path: Option<&Path>) -> Result<(), GeoError> {
        let Some(path) = path else {
            *self = GeoSource::default();
            return Ok(());
        };
        let modified = std::fs::metadata(path).and_then(|m| m.modified()).ok();
        if self.path.as_deref() == Some(path) && modified.is_some() && self.modified == modified {
            return Ok(());
        }
        let db = GeoDb::open(path)?;
        tracing::info!(target: "alwayson::reload", path = %path.display(), kind = db.database_type(), "GeoIP database loaded");
        *self = GeoSource {
            db: Some(Arc::new(db)),
            path: Some(path.to_path_buf()),
            modified,
        };
        Ok(())
    }

    /// The database in use, if one is configured and opened.
    pub fn db(&self) -> Option<&Arc<GeoDb>> {
        self.db.as_ref()
    }
}
