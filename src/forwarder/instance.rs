//! One running forwarder: its shared state ([`Forwarder`]) and the accept
//! loop that admits connections up to `max_connections`.
//!
//! Invariant: the accept loop never ends on an error — per-connection
//! errors are skipped, resource errors (EMFILE, ENFILE, ENOBUFS…) pause it
//! briefly — so only [`super::Forwarders`] stops it (by aborting its task).
//! A connection past `max_connections` waits at most [`SLOT_WAIT`] for a
//! slot, then is closed; at most `max_connections` connections wait at once.

use std::io;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use arc_swap::ArcSwap;
use tokio::net::{TcpListener, TcpStream};
use tokio::time::Instant;

use super::config::ForwarderConfig;
use super::pool::{Backend, Pool};
use super::relay::CopyMode;
use super::session;
use super::stats::{BackendStats, Counters, ForwarderStats};
use crate::table::SnapshotStore;

/// How long a connection past `max_connections` waits for a slot.
pub const SLOT_WAIT: Duration = Duration::from_secs(1);

/// How long accepting pauses after a resource error such as EMFILE, so a
/// full file table is not spun on.
const ACCEPT_PAUSE: Duration = Duration::from_millis(100);

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
    /// Removed backends whose connections are still finishing.
    draining: Mutex<Vec<Arc<Backend>>>,
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
            draining: Mutex::default(),
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
        self.draining_list().push(Arc::clone(&backend));
        async move {
            backend.counters.idle_by(Instant::now() + timeout).await;
            backend.stop.send_replace(true);
            self.draining_list().retain(|b| !Arc::ptr_eq(b, &backend));
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
        !self.draining_list().is_empty()
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
        backends.extend(self.draining_list().iter().map(|b| backend_stats(b, true)));
        ForwarderStats {
            name: self.name.clone(),
            listen,
            balance: pool.config.balance.as_str(),
            counters: self.counters.values(),
            refused: self.refused.load(Ordering::Relaxed),
            backends,
        }
    }

    fn draining_list(&self) -> std::sync::MutexGuard<'_, Vec<Arc<Backend>>> {
        // The list stays consistent even if a holder panicked: each edit is one call.
        self.draining.lock().unwrap_or_else(|e| e.into_inner())
    }
}

/// Accepts connections until the task is aborted.
pub async fn accept_loop(forwarder: Arc<Forwarder>, listener: TcpListener) {
    let mut paused = false;
    loop {
        let (client, peer) = match listener.accept().await {
            Ok(accepted) => {
                paused = false;
                accepted
            }
            Err(e) if is_per_connection(&e) => continue,
            Err(e) => {
                if !paused {
                    tracing::warn!(forwarder = %forwarder.name, error = %e, "accept failed; pausing new connections");
                    paused = true;
                }
                tokio::time::sleep(ACCEPT_PAUSE).await;
                continue;
            }
        };
        forwarder.counters.count_total();
        let max = u64::from(forwarder.pool.load().config.max_connections);
        if let Some(slot) = forwarder.counters.try_open(max) {
            tokio::spawn(session::run(Arc::clone(&forwarder), client, peer, slot));
            continue;
        }
        let waiting = forwarder
            .waiting
            .fetch_update(Ordering::Relaxed, Ordering::Relaxed, |n| {
                (n < max).then_some(n + 1)
            });
        if waiting.is_err() {
            forwarder.refuse(client);
            continue;
        }
        let forwarder = Arc::clone(&forwarder);
        tokio::spawn(async move {
            let slot = forwarder
                .counters
                .open_by(max, Instant::now() + SLOT_WAIT)
                .await;
            forwarder.waiting.fetch_sub(1, Ordering::Relaxed);
            match slot {
                Some(slot) => session::run(forwarder, client, peer, slot).await,
                None => forwarder.refuse(client),
            }
        });
    }
}

/// Errors that concern only the connection being accepted (accept(2) passes
/// pending network errors of the new socket through).
fn is_per_connection(e: &io::Error) -> bool {
    use io::ErrorKind::*;
    matches!(
        e.kind(),
        ConnectionAborted | ConnectionReset | ConnectionRefused | Interrupted | WouldBlock
    ) || matches!(
        e.raw_os_error(),
        Some(
            libc::EPROTO
                | libc::ENOPROTOOPT
                | libc::EHOSTDOWN
                | libc::ENONET
                | libc::EHOSTUNREACH
                | libc::ENETUNREACH
                | libc::ENETDOWN
                | libc::EOPNOTSUPP
                | libc::ETIMEDOUT
        )
    )
}
