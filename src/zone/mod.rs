//! Zone files: TOML → raw serde mirror → validated [`model::Zone`].
//!
//! Invariant: a [`model::Zone`] exists only when its file had no problem;
//! otherwise every problem is returned with its `file:line:col`.

mod body;
pub mod convert;
pub mod cross_check;
pub mod grouping;
pub mod groups;
pub mod include;
pub mod model;
pub mod names;
mod parallel;
pub mod raw;
pub mod rdata;
pub mod routing;
mod scan;
mod stream;
pub mod values;

use std::path::Path;

use crate::diag::{Diagnostics, Source};

pub use model::Zone;

/// Reads and converts one zone file.
pub fn load(path: &Path) -> Result<Zone, Diagnostics> {
    let src = Source::read(path).map_err(|d| Diagnostics(vec![d]))?;
    convert::convert(&src).map_err(Diagnostics)
}
