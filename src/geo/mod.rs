//! Geolocation: reading MaxMind-format databases into client locations, and
//! building such databases from CSV (`alwayson geoip build`).

pub mod build;
pub mod key;
