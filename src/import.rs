//! `alwayson import`: an RFC 1035 (BIND) zone file → zone TOML.

use std::path::Path;

use crate::diag::Diagnostics;

/// Converts the zone file at `path` to zone TOML text.
pub fn import_file(path: &Path, origin: Option<&str>) -> Result<String, Diagnostics> {
    let _ = (path, origin);
    Err(Diagnostics(Vec::new()))
}
