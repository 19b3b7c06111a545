//! The answer table: compiled zones, health-dependent routing state, the
//! snapshot that joins them, and the updater that is its one writer.

pub mod snapshot;

pub use snapshot::{Snapshot, SnapshotStore};

/// Compiled zones (placeholder until the compiler lands).
#[derive(Debug, Default)]
pub struct ZoneTable {}

/// Health-dependent routing data (placeholder until policies land).
#[derive(Debug, Default)]
pub struct RoutingState {}
