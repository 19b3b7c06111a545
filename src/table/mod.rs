//! The answer table: compiled zones, health-dependent routing state, the
//! snapshot that joins them, and wire-format names.
//!
//! Invariant: pure data and functions over it. Nothing here reads a file,
//! spawns a task or knows of the config, the forwarder, metrics or the
//! control plane; the control plane (`control::updater`) is its one writer.

pub mod compile;
pub mod name_index;
pub mod routing;
pub mod sig_slot;
pub mod snapshot;
pub mod wire;
pub mod wire_name;
pub mod zone_table;

pub use routing::RoutingState;
pub use snapshot::{Snapshot, SnapshotStore};
pub use zone_table::ZoneTable;
