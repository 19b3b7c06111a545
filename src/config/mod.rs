//! `alwayson.toml`: the server config, read into a raw serde mirror and
//! converted into a model that holds only valid values.

pub mod duration;

pub use duration::parse_duration;
