//! The one integration-test binary: one module per concern.

// Test code fails loudly on purpose: unwrap and expect are its asserts.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod admin_api;
mod admin_client;
mod admin_explain;
mod cluster;
mod differential;
mod dns_protocol;
mod dnssec;
mod dnssec_admin;
mod dnssec_rollover;
mod dnssec_validation;
mod failover;
mod forwarder;
mod forwarder_app;
mod geo;
mod geo_dns;
mod harness;
mod health;
mod import;
mod incremental_reload;
mod layering;
mod listen_reload;
mod live_reload;
mod logs;
mod metrics;
mod packets;
mod privileges;
mod record_types;
mod reference;
mod reload;
mod rrl;
mod serve_flags;
mod state;
mod status_page;
mod udp_batch;
mod validator;
mod zone_files;
mod zones_folder;
