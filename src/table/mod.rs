//! The answer table: compiled zones, health-dependent routing state, the
//! snapshot that joins them, and the updater that is its one writer.

pub mod compile;
pub mod routing;
pub mod snapshot;
pub mod updater;
pub mod wire_name;
pub mod zone_set;
pub mod zone_table;

pub use routing::RoutingState;
pub use snapshot::{Snapshot, SnapshotStore};
pub use zone_table::ZoneTable;
