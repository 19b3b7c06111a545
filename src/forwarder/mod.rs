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
//! (and every other) as it was, and is reported. A removed forwarder stays
//! in the stats, its backends marked draining, until its last connection
//! ends (unless a forwarder of the same name runs again).
//!
//! Files: `config` (TOML → [`ForwarderConfig`]), `balance` (pure selection),
//! `pool` (backends across reloads), `instance` (one forwarder's shared
//! state and stats), `workers` (thread per core, one
//! `SO_REUSEPORT` listener per thread), `listener` (accept loop, limits),
//! `session` (connect, retry, idle, drain), `opening` (PROXY header and
//! early client bytes with the handshake), `relay` (buffered copy, splice,
//! or both), `proxy_v2` (header bytes), `stats` (counters and their
//! metric rows), `supervisor` (the task that owns [`Forwarders`] and applies
//! the control plane's configs).

pub mod balance;
pub mod config;
mod instance;
mod listener;
mod opening;
mod pool;
pub mod proxy_v2;
// The relay calls splice(2), pipe2(2) and getsockopt(TCP_INFO) through libc.
#[allow(unsafe_code)]
pub mod relay;
mod session;
pub mod stats;
pub mod supervisor;
mod workers;

use std::net::SocketAddr;
use std::sync::Arc;

use arc_swap::ArcSwap;
use tokio::task::{JoinHandle, JoinSet};

pub use config::{
    BackendConfig, Balance, ForwarderConfig, RawBackend, RawForwarder, WhenAllDown, convert,
    convert_all,
};
pub use relay::CopyMode;
pub use stats::{BackendStats, CounterValues, ForwarderStats, ForwarderStatsView};
pub use supervisor::Supervisor;

use crate::table::SnapshotStore;
use instance::Forwarder;
use workers::Workers;

/// Why a forwarder could not be (re)started.
#[derive(Debug, thiserror::Error)]
pub enum ForwarderError {
    /// Its listen address could not be bound; it keeps running as it was
    /// (or does not run, when it is new).
    #[error("forwarder {name:?}: cannot listen on {listen}: {source}")]
    Listen {
        name: String,
        listen: SocketAddr,
        source: std::io::Error,
    },
}

/// Every running forwarder.
#[derive(Debug)]
pub struct Forwarders {
    store: Arc<SnapshotStore>,
    copy: CopyMode,
    running: Vec<Running>,
    /// Removed forwarders (with their bound address) whose connections are
    /// still finishing.
    retired: Vec<(Arc<Forwarder>, SocketAddr)>,
    drains: JoinSet<()>,
    /// Where listeners and their connections run.
    workers: Workers,
    /// What stats readers see: the forwarders above, republished after
    /// every change.
    view: Arc<ArcSwap<ForwarderSet>>,
}

/// The forwarders as stats readers see them: running ones, then removed
/// ones (draining until their last connection ends). Their counters are
/// live atomics, so reading through a published set never waits.
#[derive(Debug, Default)]
pub struct ForwarderSet {
    running: Vec<(Arc<Forwarder>, SocketAddr)>,
    retired: Vec<(Arc<Forwarder>, SocketAddr)>,
}

impl ForwarderSet {
    /// Each running forwarder's name and bound address.
    pub fn local_addrs(&self) -> Vec<(String, SocketAddr)> {
        self.running
            .iter()
            .map(|(f, local)| (f.name.clone(), *local))
            .collect()
    }

    /// Running forwarders, then removed ones still draining.
    pub fn stats(&self) -> Vec<ForwarderStats> {
        let running = self.running.iter().map(|(f, local)| f.stats(*local));
        let retired = self
            .retired
            .iter()
            .filter(|(f, _)| f.is_draining())
            .filter(|(f, _)| !self.running.iter().any(|(r, _)| r.name == f.name))
            .map(|(f, local)| f.stats(*local));
        running.chain(retired).collect()
    }
}

#[derive(Debug)]
struct Running {
    forwarder: Arc<Forwarder>,
    /// As configured (may have port 0).
    listen: SocketAddr,
    /// As bound.
    local: SocketAddr,
    /// One accept loop per worker thread.
    accept: Vec<JoinHandle<()>>,
}

impl Forwarders {
    /// No forwarders yet; health is read from `store` once per new connection.
    /// The copy strategy is [`CopyMode::from_env`]; connections run on one
    /// thread per core (or `ALWAYSON_FORWARDER_THREADS`), started with the
    /// first forwarder.
    pub fn new(store: Arc<SnapshotStore>) -> Self {
        Self::with_copy_mode(store, CopyMode::from_env())
    }

    pub fn with_copy_mode(store: Arc<SnapshotStore>, copy: CopyMode) -> Self {
        Self::with_threads(store, copy, Workers::count_from_env())
    }

    /// Runs listeners and connections on `threads` threads (at least one).
    pub fn with_threads(store: Arc<SnapshotStore>, copy: CopyMode, threads: usize) -> Self {
        Self {
            store,
            copy,
            running: Vec::new(),
            retired: Vec::new(),
            drains: JoinSet::new(),
            workers: Workers::new(threads),
            view: Arc::default(),
        }
    }

    /// A reader of these forwarders' stats that never waits for a reload.
    pub fn stats_view(&self) -> ForwarderStatsView {
        ForwarderStatsView::new(Arc::clone(&self.view))
    }

    /// How many threads run the listeners and connections.
    pub fn threads(&self) -> usize {
        self.workers.count()
    }

    /// Makes the running forwarders match `configs` (names are unique); returns
    /// one error per forwarder that could not be (re)started.
    pub async fn apply(&mut self, configs: &[ForwarderConfig]) -> Vec<ForwarderError> {
        while self.drains.try_join_next().is_some() {}
        self.retired.retain(|(f, _)| f.is_draining());
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
        self.publish();
        errors
    }

    /// Each forwarder's name and bound address.
    pub fn local_addrs(&self) -> Vec<(String, SocketAddr)> {
        self.view.load().local_addrs()
    }

    /// Running forwarders, then removed ones still draining.
    pub fn stats(&self) -> Vec<ForwarderStats> {
        self.view.load().stats()
    }

    /// Shows the current forwarders to stats readers.
    fn publish(&self) {
        self.view.store(Arc::new(ForwarderSet {
            running: self
                .running
                .iter()
                .map(|r| (Arc::clone(&r.forwarder), r.local))
                .collect(),
            retired: self.retired.clone(),
        }));
    }

    /// Stops accepting, then lets open connections finish for at most each
    /// forwarder's `drain_timeout` and closes the rest.
    pub async fn shutdown(mut self) {
        for r in std::mem::take(&mut self.running) {
            self.retire(r).await;
        }
        self.publish();
        while self.drains.join_next().await.is_some() {}
    }

    async fn start(&mut self, config: &ForwarderConfig) -> Result<Running, ForwarderError> {
        let forwarder = Arc::new(Forwarder::new(config, Arc::clone(&self.store), self.copy));
        let (local, accept) = self.listen(config, &forwarder)?;
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
    ) -> Result<(), ForwarderError> {
        if config.listen != r.listen {
            let (local, accept) = self.listen(config, &r.forwarder)?;
            stop_accepting(&mut r.accept).await;
            r.accept = accept;
            r.listen = config.listen;
            r.local = local;
        }
        let removed = r.forwarder.reconfigure(config);
        tracing::info!(forwarder = %config.name, listen = %r.local, removed = removed.len(), "forwarder reconfigured");
        for backend in removed {
            let drain = Arc::clone(&r.forwarder).drain(backend, config.drain_timeout);
            self.drains.spawn(drain);
        }
        Ok(())
    }

    /// Binds `config.listen` on every worker thread and starts accepting there.
    fn listen(
        &mut self,
        config: &ForwarderConfig,
        forwarder: &Arc<Forwarder>,
    ) -> Result<(SocketAddr, Vec<JoinHandle<()>>), ForwarderError> {
        let forwarder = Arc::clone(forwarder);
        self.workers
            .listen(config.listen, move |listener| {
                listener::accept_loop(Arc::clone(&forwarder), listener)
            })
            .map_err(|source| ForwarderError::Listen {
                name: config.name.clone(),
                listen: config.listen,
                source,
            })
    }

    async fn retire(&mut self, mut r: Running) {
        stop_accepting(&mut r.accept).await;
        for drain in r.forwarder.retire() {
            self.drains.spawn(drain);
        }
        self.retired.push((Arc::clone(&r.forwarder), r.local));
        tracing::info!(forwarder = %r.forwarder.name, "forwarder stopped; draining");
    }
}

/// Aborts a forwarder's accept loops and waits until their listeners are closed.
async fn stop_accepting(accept: &mut Vec<JoinHandle<()>>) {
    for task in accept.iter() {
        task.abort();
    }
    for task in accept.drain(..) {
        let _ = task.await;
    }
}

impl Drop for Forwarders {
    /// Without [`Forwarders::shutdown`], listeners still close with their owner.
    fn drop(&mut self) {
        for task in self.running.iter().flat_map(|r| &r.accept) {
            task.abort();
        }
    }
}
