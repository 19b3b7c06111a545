//! The snapshot: everything a query or a new forwarded connection needs, in
//! one immutable value behind one `ArcSwap`.
//!
//! Invariant: readers call [`SnapshotStore::load`] once per query (or per
//! connection) and never lock; only the updater task calls
//! [`SnapshotStore::publish`]. A health flip republishes with the same
//! `Arc<ZoneTable>`; a reload republishes with the same `Arc<HealthView>`.

use std::sync::Arc;

use arc_swap::{ArcSwap, Guard};
use tokio::sync::watch;

use crate::geo::GeoDb;
use crate::health::HealthView;
use crate::table::{RoutingState, ZoneTable};

/// One consistent version of the served state.
#[derive(Debug, Default)]
pub struct Snapshot {
    pub zones: Arc<ZoneTable>,
    pub health: Arc<HealthView>,
    /// Health-dependent selection data, precomputed from `zones` and `health`.
    pub routing: Arc<RoutingState>,
    /// The GeoIP database, when configured.
    pub geo: Option<Arc<GeoDb>>,
    /// Grows by one on every publish.
    pub version: u64,
}

/// The one place the current snapshot lives.
#[derive(Debug)]
pub struct SnapshotStore {
    current: ArcSwap<Snapshot>,
    changed: watch::Sender<u64>,
}

impl SnapshotStore {
    pub fn new(initial: Snapshot) -> Self {
        let version = initial.version;
        Self {
            current: ArcSwap::from_pointee(initial),
            changed: watch::Sender::new(version),
        }
    }

    /// The current snapshot; cheap, lock-free, for the query path.
    pub fn load(&self) -> Guard<Arc<Snapshot>> {
        self.current.load()
    }

    /// The current snapshot as an owned `Arc`, to hold across awaits.
    pub fn load_full(&self) -> Arc<Snapshot> {
        self.current.load_full()
    }

    /// Notified with the new version after every publish.
    pub fn subscribe(&self) -> watch::Receiver<u64> {
        self.changed.subscribe()
    }

    /// Replaces the snapshot. Only the updater (and tests standing in for
    /// it) call this; the version is set here so it always grows.
    pub fn publish(&self, mut next: Snapshot) {
        next.version = self.current.load().version + 1;
        let version = next.version;
        self.current.store(Arc::new(next));
        self.changed.send_replace(version);
    }
}
