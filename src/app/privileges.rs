//! `serve`'s drop to `[process] user` / `group` once every socket (DNS UDP
//! and TCP, admin API, forwarders) is bound, and a warning for each file or
//! folder a reload needs that the new identity cannot use.

use std::path::Path;

use crate::config::ServerConfig;
use crate::process::{self, DropError, Dropped, RunAs};

/// Why `serve` refuses to go on.
#[derive(Debug, thiserror::Error)]
#[error(
    "refusing to serve: cannot become process.user {target} (started as uid {started_as}): {source}"
)]
pub struct PrivilegeError {
    target: RunAs,
    started_as: u32,
    source: DropError,
}

/// Becomes `[process] user` when it is set; nothing otherwise.
pub fn drop_privileges(config: &ServerConfig) -> Result<(), Box<PrivilegeError>> {
    let Some(target) = &config.process.run_as else {
        return Ok(());
    };
    let started_as = process::current_uid();
    match process::drop_to(target) {
        Ok(Dropped::AlreadyThere) => {
            tracing::info!(run_as = %target, "already running as process.user");
        }
        Ok(Dropped::Changed) => {
            tracing::info!(run_as = %target, started_as, "dropped privileges");
        }
        Err(source) => {
            return Err(Box::new(PrivilegeError {
                target: target.clone(),
                started_as,
                source,
            }));
        }
    }
    warn_unusable(config, target);
    Ok(())
}

/// Warns about each path that reloads and state writes need but `target`
/// cannot use; serving goes on.
fn warn_unusable(config: &ServerConfig, target: &RunAs) {
    if let Some(dir) = &config.state_dir
        && !process::can_write(dir)
    {
        tracing::warn!(
            state_dir = %dir.display(),
            user = %target.user,
            "state_dir is not writable by process.user: overrides and serials will not be kept \
             across restarts (chown it to the user)"
        );
    }
    if !process::can_read_dir(&config.dns.zones_dir) {
        warn_unreadable("dns.zones_dir", &config.dns.zones_dir, target);
    }
    let keys = &config.dnssec.keys_dir;
    if keys.exists() && !process::can_read_dir(keys) {
        warn_unreadable("dnssec.keys_dir", keys, target);
    }
    let files = [
        ("config file", config.path.as_deref()),
        ("geoip.database", config.geoip.database.as_deref()),
    ];
    for (what, path) in files {
        if let Some(path) = path
            && !process::can_read(path)
        {
            warn_unreadable(what, path, target);
        }
    }
}

fn warn_unreadable(what: &str, path: &Path, target: &RunAs) {
    tracing::warn!(
        path = %path.display(),
        user = %target.user,
        "{what} is not readable by process.user: reloads will fail to read it"
    );
}
