//! The one integration-test binary: one module per concern.

mod differential;
mod dns_protocol;
mod failover;
mod forwarder;
mod forwarder_app;
mod geo;
mod geo_dns;
mod harness;
mod health;
mod import;
mod packets;
mod reload;
mod zone_files;
