//! The parts of `alwayson.toml` that were bound at start, at reload: a
//! changed `[dns] listen` or `[admin] listen` moves the listeners (through
//! [`Rebind`], implemented by whoever owns them); a changed `[dns.rrl]`,
//! `[dns.cookies]`, `nsid` or `version` is swapped into the handlers
//! ([`LiveSettings`]); every other such key
//! that changed is logged as a warning and reported as "needs restart" in
//! the reload outcome, the API and the status page until the running value
//! is back or the server restarts. Nothing is silently ignored.

use std::net::SocketAddr;
use std::sync::Arc;

use tokio::sync::watch;

use crate::config::ServerConfig;
use crate::control::outcome::{ReloadError, ReloadOutcome};
use crate::dns::live::{LiveConfig, LiveSettings};
use crate::dns::server::ListenError;

/// Moves the listeners; new sockets serve before old ones close, and a
/// failure leaves the old ones serving.
pub trait Rebind: Send + Sync {
    fn rebind_dns(&self, listen: &[SocketAddr]) -> Result<(), RebindError>;
    fn rebind_admin(&self, listen: Option<SocketAddr>) -> Result<(), RebindError>;
}

/// Why a listen change could not be applied.
#[derive(Debug, thiserror::Error)]
pub enum RebindError {
    /// A reload came before the listeners were handed over.
    #[error("the listeners have not started yet")]
    NotStarted,
    /// A new DNS address could not be bound.
    #[error("{0}")]
    Dns(#[from] ListenError),
    /// The new admin address could not be bound.
    #[error("cannot listen for the admin API on {addr}: {source}")]
    Admin {
        addr: SocketAddr,
        source: std::io::Error,
    },
}

/// What the updater keeps for the keys bound at start.
pub struct StartupKeys {
    rebind: Option<Arc<dyn Rebind>>,
    live: Option<LiveSettings>,
    needs_restart: watch::Sender<Vec<String>>,
}

impl Default for StartupKeys {
    fn default() -> Self {
        Self {
            rebind: None,
            live: None,
            needs_restart: watch::Sender::new(Vec::new()),
        }
    }
}

/// The `[dns]` keys a reload swaps into the handlers.
pub fn live_config(config: &ServerConfig) -> LiveConfig {
    LiveConfig {
        rrl: config.dns.rrl.clone(),
        cookies: config.dns.cookies.clone(),
        nsid: config.dns.nsid.clone(),
        version: config.dns.version.clone(),
    }
}

impl StartupKeys {
    /// From now on, listen changes are applied through `rebind`.
    pub fn set_rebind(&mut self, rebind: Arc<dyn Rebind>) {
        self.rebind = Some(rebind);
    }

    /// From now on, live setting changes are applied through `live`.
    pub fn set_live(&mut self, live: LiveSettings) {
        self.live = Some(live);
    }

    /// The keys that wait for a restart, updated by every reload.
    pub fn needs_restart(&self) -> watch::Receiver<Vec<String>> {
        self.needs_restart.subscribe()
    }

    /// Applies the listen addresses of `read` to the listeners and to
    /// `running`, and reports every other key bound at start that differs.
    pub fn apply(
        &self,
        running: &mut ServerConfig,
        read: &ServerConfig,
        outcome: &mut ReloadOutcome,
    ) {
        let config = read.path.clone().unwrap_or_default();
        let mut pending = changed_keys(running, read);
        if running.dns.listen != read.dns.listen {
            match self.rebind.as_ref().map(|r| r.rebind_dns(&read.dns.listen)) {
                Some(Ok(())) => running.dns.listen.clone_from(&read.dns.listen),
                Some(Err(e)) => outcome.errors.push(listen_error(&config, "dns", e)),
                None => pending.insert(0, "dns.listen"),
            }
        }
        if running.admin.listen != read.admin.listen {
            match self
                .rebind
                .as_ref()
                .map(|r| r.rebind_admin(read.admin.listen))
            {
                Some(Ok(())) => running.admin.listen = read.admin.listen,
                Some(Err(e)) => outcome.errors.push(listen_error(&config, "admin", e)),
                None => pending.push("admin.listen"),
            }
        }
        let (was, now) = (live_config(running), live_config(read));
        if was != now {
            match &self.live {
                Some(live) => {
                    live.apply(&was, &now);
                    running.dns.rrl.clone_from(&read.dns.rrl);
                    running.dns.cookies.clone_from(&read.dns.cookies);
                    running.dns.nsid.clone_from(&read.dns.nsid);
                    running.dns.version.clone_from(&read.dns.version);
                    tracing::info!(target: "alwayson::reload", "rate limiting, cookies and identity settings applied");
                }
                None => pending.push("dns.rrl/cookies/nsid/version"),
            }
        }
        for key in &pending {
            tracing::warn!(
                target: "alwayson::reload",
                key,
                "{key} changed in {}; it takes effect at the next restart",
                config.display()
            );
        }
        outcome.needs_restart = pending.iter().map(ToString::to_string).collect();
        self.needs_restart
            .send_replace(outcome.needs_restart.clone());
    }
}

fn listen_error(config: &std::path::Path, section: &str, error: RebindError) -> ReloadError {
    ReloadError::Listen {
        config: config.to_path_buf(),
        key: format!("{section}.listen"),
        message: error.to_string(),
    }
}

/// The keys bound at start, other than the listen addresses, whose value
/// in `read` differs from the running one.
fn changed_keys(running: &ServerConfig, read: &ServerConfig) -> Vec<&'static str> {
    let (a, b) = (running, read);
    [
        ("dns.zones_dir", a.dns.zones_dir != b.dns.zones_dir),
        (
            "dns.tcp_idle_timeout",
            a.dns.tcp.idle_timeout != b.dns.tcp.idle_timeout,
        ),
        (
            "dns.tcp",
            a.dns.tcp.with_idle_timeout(b.dns.tcp.idle_timeout) != b.dns.tcp,
        ),
        (
            "dns.max_udp_payload",
            a.dns.max_udp_payload != b.dns.max_udp_payload,
        ),
        ("dns.udp_threads", a.dns.udp_threads != b.dns.udp_threads),
        ("geoip.use_ecs", a.geoip.use_ecs != b.geoip.use_ecs),
        ("cluster", a.cluster != b.cluster),
        ("dnssec.signature_*", a.dnssec.sign != b.dnssec.sign),
        ("admin.token", a.admin.token != b.admin.token),
        ("reload.watch", a.reload.watch != b.reload.watch),
        ("reload.debounce", a.reload.debounce != b.reload.debounce),
        ("process.user", run_as(a, |r| r.uid) != run_as(b, |r| r.uid)),
        (
            "process.group",
            run_as(a, |r| r.gid) != run_as(b, |r| r.gid),
        ),
    ]
    .into_iter()
    .filter_map(|(key, changed)| changed.then_some(key))
    .collect()
}

/// A field of `[process]`'s user and group, when set.
fn run_as(config: &ServerConfig, field: impl Fn(&crate::process::RunAs) -> u32) -> Option<u32> {
    config.process.run_as.as_ref().map(field)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_changed_key_without_a_rebind_needs_a_restart() {
        let mut running = ServerConfig::default();
        let mut read = running.clone();
        read.dns.listen = vec![SocketAddr::from(([127, 0, 0, 1], 53))];
        read.dns.udp_threads += 1;
        read.admin.token = Some("secret".into());
        read.process.run_as = Some(crate::process::RunAs {
            user: "nobody".into(),
            uid: 65534,
            group: "root".into(),
            gid: 0,
        });
        let mut outcome = ReloadOutcome::default();
        let keys = StartupKeys::default();
        keys.apply(&mut running, &read, &mut outcome);
        assert_eq!(
            outcome.needs_restart,
            [
                "dns.listen",
                "dns.udp_threads",
                "admin.token",
                "process.user",
                "process.group"
            ]
        );
        assert_eq!(*keys.needs_restart().borrow(), outcome.needs_restart);
        assert_ne!(running.dns.listen, read.dns.listen, "not applied");

        // Back to the running values: nothing waits any more.
        let mut outcome = ReloadOutcome::default();
        keys.apply(&mut running.clone(), &running, &mut outcome);
        assert!(outcome.needs_restart.is_empty());
        assert!(keys.needs_restart().borrow().is_empty());
    }
}
