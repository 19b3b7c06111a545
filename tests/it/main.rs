//! The one integration-test binary: one module per concern.

mod differential;
mod geo;
mod import;
mod zone_files;
