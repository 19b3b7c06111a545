//! Health checks: what is probed (spec), how results become a status
//! (hysteresis), the book of every check's state (kept by the updater), the
//! probes and their scheduler, and the view of every status that queries and
//! the forwarder read.
//!
//! Flow: [`Prober`] runs one loop per probed check and sends each result as
//! an [`Observation`]; the updater feeds it to its [`HealthBook`], which
//! returns the [`Flip`]s and a fresh [`HealthView`] to publish. In a
//! cluster, the updater also gives the book each check's [`Verdict`],
//! decided from every live observer's observation (`verdict.rs`), which
//! then stands in for the local probes' status.

pub mod book;
pub mod hysteresis;
pub mod probe;
pub mod scheduler;
pub mod spec;
pub mod verdict;
pub mod view;

pub use book::{
    CheckDetail, Flip, HealthBook, Observation, Override, OverrideEvent, ProbeRecord, UnknownCheck,
};
pub use scheduler::Prober;
pub use spec::{CheckKind, HealthCheckSpec};
pub use verdict::{NodeName, PeerObservation, Verdict};
pub use view::{CheckId, CheckStatus, HealthView};
