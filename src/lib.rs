//! alwayson: a Route 53-style authoritative DNS server with health-checked
//! failover and an L4 TCP forwarder.
//!
//! The four flows (see ARCHITECTURE.md):
//! - zone files → `zone` (parse + validate) → [`table`] (compile) → snapshot;
//! - [`health`] probes → observations → [`control`] (the one writer) → snapshot;
//! - DNS queries → `dns` → resolve → `policy` select → response;
//! - TCP connections → `forwarder` → balance over healthy backends.

pub mod admin;
pub mod app;
pub mod cli;
pub mod cluster;
pub mod config;
pub mod control;
pub mod diag;
pub mod dns;
pub mod dnssec;
pub mod duration;
pub mod forwarder;
pub mod geo;
pub mod health;
pub mod import;
pub mod metrics;
pub mod policy;
pub mod process;
pub mod table;
pub mod telemetry;
pub mod zone;
