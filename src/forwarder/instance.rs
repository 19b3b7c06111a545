//! One running forwarder's shared state ([`Forwarder`]): its current pool,
//! counters, the backends still draining, and the stats read from them.
//! The accept loop (`listener`) and the sessions (`session`) use it; it
//! uses neither.
//!
//! Invariant: everything here is read without a lock — the pool and the
//! draining list are swapped whole (`ArcSwap`), counters are atomics — so
//! stats can be read at any time by a scrape while connections run.

use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::Duration;

use arc_swap::ArcSwap;
use tokio::net::TcpStream;
use tokio::time::Instant;

use super::config::ForwarderConfig;
use super::pool::{Backend, Pool};
use super::relay::CopyMode;
use super::stats::{BackendStats, Counters, ForwarderStats};
use crate::table::SnapshotStore;

/// The state shared by a forwarder's accept loop and its connections.
#[derive(Debug)]
pub struct Forwarder {
    pub name: String,
    pub store: Arc<SnapshotStore>,
    /// Swapped whole on reload; each connection loads it once.
    pub pool: ArcSwap<Pool>,
    pub counters: Arc<Counters>,
    pub copy: CopyMode,
    refused: AtomicU64,
    waiting: AtomicU64,
    /// Removed backends whose connections are still finishing; replaced
    /// whole on every change (rare: reloads and drain ends).
    draining: ArcSwap<Vec<Arc<Backend>>>,
    /// Removed from the config: every backend is draining.
    retired: AtomicBool,
}

impl Forwarder {
    pub fn new(config: &ForwarderConfig, store: Arc<SnapshotStore>, copy: CopyMode) -> Self {
        let (pool, _) = Pool::build(config, None);
        Self {
            name: config.name.clone(),
            store,
            pool: ArcSwap::from_pointee(pool),
            counters: Arc::default(),
            copy,
            refused: AtomicU64::new(0),
            waiting: AtomicU64::new(0),
            draining: ArcSwap::default(),
            retired: AtomicBool::new(false),
        }
    }

    /// Switches new connections to `config`; returns the backends it dropped.
    pub fn reconfigure(&self, config: &ForwarderConfig) -> Vec<Arc<Backend>> {
        let current = self.pool.load_full();
        let (pool, removed) = Pool::build(config, Some(&current));
        self.pool.store(Arc::new(pool));
        removed
    }

    /// Lists `backend` as draining now, and returns the drain: it lets the
    /// backend's connections finish for at most `timeout`, stops the rest,
    /// and takes the backend off the list.
    pub fn drain(
        self: Arc<Self>,
        backend: Arc<Backend>,
        timeout: Duration,
    ) -> impl Future<Output = ()> + Send + 'static {
        self.draining.rcu(|list| {
            let mut list = Vec::clone(list);
            list.push(Arc::clone(&backend));
            list
        });
        async move {
            backend.counters.idle_by(Instant::now() + timeout).await;
            backend.stop.send_replace(true);
            self.draining.rcu(|list| {
                let mut list = Vec::clone(list);
                list.retain(|b| !Arc::ptr_eq(b, &backend));
                list
            });
        }
    }

    /// Marks the forwarder as removed from the config (its accept loops are
    /// stopped by the caller) and starts draining every backend.
    pub fn retire(self: &Arc<Self>) -> Vec<impl Future<Output = ()> + Send + 'static> {
        self.retired.store(true, Ordering::Relaxed);
        let pool = self.pool.load_full();
        pool.backends
            .iter()
            .map(|b| Arc::clone(self).drain(Arc::clone(b), pool.config.drain_timeout))
            .collect()
    }

    /// True while a removed backend still has connections finishing.
    pub fn is_draining(&self) -> bool {
        !self.draining.load().is_empty()
    }

    pub fn refuse(&self, client: TcpStream) {
        self.refused.fetch_add(1, Ordering::Relaxed);
        drop(client);
    }

    pub fn stats(&self, listen: SocketAddr) -> ForwarderStats {
        let pool = self.pool.load();
        let snapshot = self.store.load();
        let backend_stats = |b: &Arc<Backend>, draining| BackendStats {
            address: b.config.address,
            weight: b.config.weight,
            health_check: b.config.health_check.clone(),
            healthy: b.is_healthy(&snapshot.health),
            draining,
            counters: b.counters.values(),
        };
        // A retired forwarder's backends are all on the draining list.
        let current = if self.retired.load(Ordering::Relaxed) {
            &[][..]
        } else {
            &pool.backends[..]
        };
        let mut backends: Vec<BackendStats> =
            current.iter().map(|b| backend_stats(b, false)).collect();
        backends.extend(self.draining.load().iter().map(|b| backend_stats(b, true)));
        ForwarderStats {
            name: self.name.clone(),
            listen,
            balance: pool.config.balance.as_str(),
            counters: self.counters.values(),
            refused: self.refused.load(Ordering::Relaxed),
            backends,
        }
    }

    /// Connections waiting for a slot under `max_connections` (the accept loop's).
    pub fn waiting(&self) -> &AtomicU64 {
        &self.waiting
    }
}
