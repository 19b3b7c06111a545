//! The L4 TCP forwarder (`[[forwarder]]`, SPEC §6): listeners that balance
//! new connections over healthy backends, and [`Forwarders`], which starts,
//! reconfigures and stops them as the config changes.
//!
//! Invariant: a reload never drops an established connection except at the
//! end of a drain. An unchanged forwarder keeps its listener and its
//! connections; a changed one keeps its listener unless its listen address
//! changed (then it binds the new one before closing the old); a removed
//! backend or forwarder stops taking connections at once and its open ones
//! get `drain_timeout` to finish. A failure to bind one forwarder leaves it
//! (and every other) as it was, and is reported.
//!
//! Files: `config` (TOML → [`ForwarderConfig`]), `balance` (pure selection),
//! `pool` (backends across reloads), `listener` (accept loop, limits),
//! `session` (connect, retry, idle, drain), `relay` (splice or buffered
//! copy), `proxy_v2` (header bytes), `stats` (counters).

pub mod balance;
pub mod config;
mod listener;
mod pool;
pub mod proxy_v2;
pub mod relay;
mod session;
pub mod stats;

use std::net::SocketAddr;
use std::sync::Arc;

use tokio::net::TcpListener;
use tokio::task::{JoinHandle, JoinSet};

pub use config::{
    BackendConfig, Balance, ForwarderConfig, RawBackend, RawForwarder, WhenAllDown, convert,
    convert_all,
};
pub use relay::CopyMode;
pub use stats::{BackendStats, CounterValues, ForwarderStats};

use crate::table::SnapshotStore;
use listener::Forwarder;

/// Every running forwarder.
#[derive(Debug)]
pub struct Forwarders {
    store: Arc<SnapshotStore>,
    copy: CopyMode,
    running: Vec<Running>,
    drains: JoinSet<()>,
}

#[derive(Debug)]
struct Running {
    forwarder: Arc<Forwarder>,
    /// As configured (may have port 0).
    listen: SocketAddr,
    /// As bound.
    local: SocketAddr,
    accept: JoinHandle<()>,
}

impl Forwarders {
    /// No forwarders yet; health is read from `store` once per new connection.
    /// The copy strategy is [`CopyMode::from_env`].
    pub fn new(store: Arc<SnapshotStore>) -> Self {
        Self::with_copy_mode(store, CopyMode::from_env())
    }

    pub fn with_copy_mode(store: Arc<SnapshotStore>, copy: CopyMode) -> Self {
        Self {
            store,
            copy,
            running: Vec::new(),
            drains: JoinSet::new(),
        }
    }

    /// Makes the running forwarders match `configs` (names are unique); returns
    /// one message per forwarder that could not be (re)started.
    pub async fn apply(&mut self, configs: &[ForwarderConfig]) -> Vec<String> {
        while self.drains.try_join_next().is_some() {}
        let mut errors = Vec::new();
        // Removed forwarders go first, so their addresses are free for the rest.
        let (mut old, removed): (Vec<Running>, Vec<Running>) = std::mem::take(&mut self.running)
            .into_iter()
            .partition(|r| configs.iter().any(|c| c.name == r.forwarder.name));
        for r in removed {
            self.retire(r).await;
        }
        for config in configs {
            let Some(i) = old.iter().position(|r| r.forwarder.name == config.name) else {
                match self.start(config).await {
                    Ok(r) => self.running.push(r),
                    Err(e) => errors.push(e),
                }
                continue;
            };
            let mut r = old.swap_remove(i);
            let changed = r.forwarder.pool.load().config != *config;
            if changed && let Err(e) = self.reconfigure(&mut r, config).await {
                errors.push(e);
            }
            self.running.push(r);
        }
        errors
    }

    /// Each forwarder's name and bound address.
    pub fn local_addrs(&self) -> Vec<(String, SocketAddr)> {
        self.running
            .iter()
            .map(|r| (r.forwarder.name.clone(), r.local))
            .collect()
    }

    pub fn stats(&self) -> Vec<ForwarderStats> {
        self.running
            .iter()
            .map(|r| r.forwarder.stats(r.local))
            .collect()
    }

    /// Stops accepting, then lets open connections finish for at most each
    /// forwarder's `drain_timeout` and closes the rest.
    pub async fn shutdown(mut self) {
        for r in std::mem::take(&mut self.running) {
            self.retire(r).await;
        }
        while self.drains.join_next().await.is_some() {}
    }

    async fn start(&self, config: &ForwarderConfig) -> Result<Running, String> {
        let listener = bind(config).await?;
        let local = listener
            .local_addr()
            .map_err(|e| format!("forwarder {:?}: {e}", config.name))?;
        let forwarder = Arc::new(Forwarder::new(config, Arc::clone(&self.store), self.copy));
        let accept = tokio::spawn(listener::accept_loop(Arc::clone(&forwarder), listener));
        tracing::info!(forwarder = %config.name, listen = %local, backends = config.backends.len(), "forwarder started");
        Ok(Running {
            forwarder,
            listen: config.listen,
            local,
            accept,
        })
    }

    async fn reconfigure(
        &mut self,
        r: &mut Running,
        config: &ForwarderConfig,
    ) -> Result<(), String> {
        if config.listen != r.listen {
            let listener = bind(config).await?;
            let local = listener
                .local_addr()
                .map_err(|e| format!("forwarder {:?}: {e}", config.name))?;
            stop_accepting(&mut r.accept).await;
            r.accept = tokio::spawn(listener::accept_loop(Arc::clone(&r.forwarder), listener));
            r.listen = config.listen;
            r.local = local;
        }
        let removed = r.forwarder.reconfigure(config);
        tracing::info!(forwarder = %config.name, listen = %r.local, removed = removed.len(), "forwarder reconfigured");
        for backend in removed {
            self.drains
                .spawn(Arc::clone(&r.forwarder).drain(backend, config.drain_timeout));
        }
        Ok(())
    }

    async fn retire(&mut self, mut r: Running) {
        stop_accepting(&mut r.accept).await;
        let pool = r.forwarder.pool.load_full();
        for backend in &pool.backends {
            self.drains.spawn(
                Arc::clone(&r.forwarder).drain(Arc::clone(backend), pool.config.drain_timeout),
            );
        }
        tracing::info!(forwarder = %r.forwarder.name, "forwarder stopped; draining");
    }
}

async fn bind(config: &ForwarderConfig) -> Result<TcpListener, String> {
    TcpListener::bind(config.listen).await.map_err(|e| {
        format!(
            "forwarder {:?}: cannot listen on {}: {e}",
            config.name, config.listen
        )
    })
}

/// Aborts an accept loop and waits until its listener is closed.
async fn stop_accepting(accept: &mut JoinHandle<()>) {
    accept.abort();
    let _ = accept.await;
}

impl Drop for Forwarders {
    /// Without [`Forwarders::shutdown`], listeners still close with their owner.
    fn drop(&mut self) {
        for r in &self.running {
            r.accept.abort();
        }
    }
}
