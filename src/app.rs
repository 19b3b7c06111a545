//! Wiring: load the config, start the updater, DNS listeners, checkers, admin
//! API and forwarders; `check` validates the same inputs without serving.

use std::path::{Path, PathBuf};
use std::process::ExitCode;

/// `alwayson serve`.
pub fn serve(config: Option<&Path>) -> ExitCode {
    let _ = config;
    ExitCode::from(1)
}

/// `alwayson check`.
pub fn check(config: Option<&Path>, zone_files: &[PathBuf]) -> ExitCode {
    let _ = (config, zone_files);
    ExitCode::from(2)
}
