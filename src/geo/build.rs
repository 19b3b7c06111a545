//! `alwayson geoip build`: CSV of `network,continent,country,subdivision,latitude,longitude`
//! → a MaxMind DB in the GeoIP2-City schema.

use std::path::Path;

use crate::diag::Diagnostics;

/// Builds `output` from the CSV at `csv`; returns a one-line summary.
pub fn build_file(csv: &Path, output: &Path) -> Result<String, Diagnostics> {
    let _ = (csv, output);
    Err(Diagnostics(Vec::new()))
}
