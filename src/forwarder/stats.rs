//! Forwarder metrics: lock-free counters updated on the connection path,
//! the plain snapshots [`super::Forwarders::stats`] returns, and their
//! rows for the admin and Prometheus layers ([`ForwarderStatsView`]).
//!
//! Invariant: the connection path only does relaxed atomic adds; `active`
//! goes up exactly once and down exactly once per connection (through
//! [`ActiveGuard`]), so it never drifts, also when a task is aborted.
//! Readers reach the live counters through an `ArcSwap` of the current
//! forwarders: a scrape never locks and never waits for a reload.

use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use arc_swap::ArcSwap;
use tokio::sync::Notify;
use tokio::time::Instant;

use super::ForwarderSet;
use crate::health::CheckId;
use crate::metrics::render::ForwarderBackendStats;

/// A cheap, cloneable reader of the current forwarders' stats.
#[derive(Clone, Debug)]
pub struct ForwarderStatsView {
    set: Arc<ArcSwap<ForwarderSet>>,
}

impl ForwarderStatsView {
    pub(super) fn new(set: Arc<ArcSwap<ForwarderSet>>) -> Self {
        Self { set }
    }

    /// Each running forwarder's name and bound address.
    pub fn local_addrs(&self) -> Vec<(String, SocketAddr)> {
        self.set.load().local_addrs()
    }

    /// Running forwarders, then removed ones still draining.
    pub fn stats(&self) -> Vec<ForwarderStats> {
        self.set.load().stats()
    }

    /// One row per backend, for `/metrics` and the status page.
    pub fn metric_rows(&self) -> Vec<ForwarderBackendStats> {
        metric_rows(self.stats())
    }
}

/// One row per backend of every forwarder, in the order given.
pub fn metric_rows(stats: Vec<ForwarderStats>) -> Vec<ForwarderBackendStats> {
    stats
        .into_iter()
        .flat_map(|f| {
            let listen = f.listen.to_string();
            f.backends.into_iter().map(move |b| ForwarderBackendStats {
                forwarder: f.name.clone(),
                listen: listen.clone(),
                backend: b.address.to_string(),
                health_check: b.health_check.as_deref().map(str::to_string),
                healthy: b.healthy,
                active_connections: b.counters.active,
                connections_total: b.counters.total,
                connect_failures_total: b.counters.failed_connects,
                bytes_to_backend: b.counters.bytes_in,
                bytes_to_client: b.counters.bytes_out,
                draining: b.draining,
            })
        })
        .collect()
}

/// One forwarder's counters and its backends', as of one moment.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ForwarderStats {
    pub name: String,
    pub listen: SocketAddr,
    pub balance: &'static str,
    pub counters: CounterValues,
    /// New connections closed because `max_connections` stayed full, or no
    /// backend could take them.
    pub refused: u64,
    /// Current backends first, then removed ones still draining.
    pub backends: Vec<BackendStats>,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct BackendStats {
    pub address: SocketAddr,
    pub weight: u32,
    pub health_check: Option<CheckId>,
    /// As the forwarder sees it now (no check: healthy).
    pub healthy: bool,
    /// Removed by a reload; its established connections are finishing.
    pub draining: bool,
    pub counters: CounterValues,
}

/// Counter readings. A forwarder's `total` counts accepted connections
/// (refused ones too), a backend's counts successful connects; `active`
/// includes connections still connecting. `bytes_in` counts bytes from clients (sent on to
/// backends), `bytes_out` bytes from backends (sent on to clients).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct CounterValues {
    pub active: u64,
    pub total: u64,
    pub failed_connects: u64,
    pub bytes_in: u64,
    pub bytes_out: u64,
}

/// The live counters of a forwarder or a backend.
#[derive(Debug, Default)]
pub struct Counters {
    active: AtomicU64,
    total: AtomicU64,
    failed_connects: AtomicU64,
    bytes_in: AtomicU64,
    bytes_out: AtomicU64,
    /// Woken (all waiters) whenever `active` goes down.
    freed: Notify,
}

impl Counters {
    pub fn values(&self) -> CounterValues {
        CounterValues {
            active: self.active.load(Ordering::Relaxed),
            total: self.total.load(Ordering::Relaxed),
            failed_connects: self.failed_connects.load(Ordering::Relaxed),
            bytes_in: self.bytes_in.load(Ordering::Relaxed),
            bytes_out: self.bytes_out.load(Ordering::Relaxed),
        }
    }

    pub fn active(&self) -> u64 {
        self.active.load(Ordering::Relaxed)
    }

    /// Counts one connection as active until the guard drops.
    pub fn open(self: &Arc<Self>) -> ActiveGuard {
        self.active.fetch_add(1, Ordering::Relaxed);
        ActiveGuard(Arc::clone(self))
    }

    /// Like [`Counters::open`], but only while fewer than `max` are active.
    pub fn try_open(self: &Arc<Self>, max: u64) -> Option<ActiveGuard> {
        self.active
            .fetch_update(Ordering::Relaxed, Ordering::Relaxed, |n| {
                (n < max).then_some(n + 1)
            })
            .ok()?;
        Some(ActiveGuard(Arc::clone(self)))
    }

    /// Waits until `active` is below `max` (and takes a unit) or `deadline` passes.
    pub async fn open_by(self: &Arc<Self>, max: u64, deadline: Instant) -> Option<ActiveGuard> {
        loop {
            let freed = self.freed.notified();
            tokio::pin!(freed);
            // registered before the check, so a release in between is not missed
            freed.as_mut().enable();
            if let Some(guard) = self.try_open(max) {
                return Some(guard);
            }
            tokio::time::timeout_at(deadline, freed).await.ok()?;
        }
    }

    /// Waits until no connection is active or `deadline` passes.
    pub async fn idle_by(&self, deadline: Instant) {
        loop {
            let freed = self.freed.notified();
            tokio::pin!(freed);
            freed.as_mut().enable();
            if self.active() == 0 || tokio::time::timeout_at(deadline, freed).await.is_err() {
                return;
            }
        }
    }

    pub fn count_total(&self) {
        self.total.fetch_add(1, Ordering::Relaxed);
    }

    pub fn failed_connect(&self) {
        self.failed_connects.fetch_add(1, Ordering::Relaxed);
    }

    pub fn add_in(&self, bytes: u64) {
        self.bytes_in.fetch_add(bytes, Ordering::Relaxed);
    }

    pub fn add_out(&self, bytes: u64) {
        self.bytes_out.fetch_add(bytes, Ordering::Relaxed);
    }
}

/// Holds one unit of `active`; dropping it gives it back.
#[derive(Debug)]
pub struct ActiveGuard(Arc<Counters>);

impl Drop for ActiveGuard {
    fn drop(&mut self) {
        self.0.active.fetch_sub(1, Ordering::Relaxed);
        self.0.freed.notify_waiters();
    }
}
