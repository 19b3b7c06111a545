//! The control plane: the one writer of the snapshot and everything that
//! drives it. The updater task owns the zone set (files read at reload, a
//! failed file keeps its previous version), the GeoIP source, the health
//! book and the prober, re-reads `alwayson.toml` at reload and tells the
//! forwarder supervisor about `[[forwarder]]` changes; file watch and SIGHUP
//! triggers only ask it to reload. A changed listen address is applied
//! through `listen::Rebind`; other keys bound at start are reported as
//! needing a restart.
//!
//! Invariant: only [`updater::Updater`] calls `SnapshotStore::publish`;
//! everything else sends it a command and waits for the reply.

mod cluster_sync;
mod geo_source;
pub mod handle;
pub mod listen;
mod memory;
pub mod outcome;
mod overrides;
pub mod state;
pub mod triggers;
pub mod updater;
pub mod zone_keys;
pub mod zone_set;

pub use handle::{Command, FlipRecord, HealthReport, UpdaterHandle};
pub use memory::bound_allocator;
pub use outcome::{Problem, ReloadError, ReloadOutcome, ZoneRef};
pub use updater::Updater;
