//! The one integration-test binary: one module per concern.

mod differential;
mod geo;
mod health;
mod import;
mod reload;
mod zone_files;
