//! Health checks: what is probed (spec), how results become a status
//! (hysteresis), and the view of every status that queries and the forwarder read.

pub mod spec;
pub mod view;

pub use view::{CheckId, CheckStatus, HealthView};
