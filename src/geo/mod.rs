//! Geolocation: reading MaxMind-format databases into client locations, and
//! building such databases from CSV (`alwayson geoip build`).
//!
//! Invariant: everything the DNS query path touches here ([`GeoDb::locate`],
//! [`GeoKey::matches`], [`keys_for`], the distance functions) is
//! allocation-free and cannot panic on any address or database content.

pub mod build;
pub mod csv;
pub mod distance;
mod integrity;
pub mod key;
pub mod location;
mod memo;
pub mod reader;
mod record;
pub mod region;

pub use distance::{biased_distance, great_circle_km};
pub use key::{GeoKey, GeoKeyError, keys_for};
pub use location::{Code, Location};
pub use reader::{GeoDb, GeoError};
