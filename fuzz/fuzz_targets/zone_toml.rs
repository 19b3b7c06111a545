//! Zone TOML through parse → convert → compile → routing, as a reload does.
#![no_main]

use std::sync::Arc;

use alwayson::diag::Source;
use alwayson::health::HealthView;
use alwayson::table::compile::compile;
use alwayson::table::{ZoneTable, routing};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let Ok(zone) = alwayson::zone::convert::convert(&Source::new("fuzz.toml", text)) else {
        return;
    };
    let zones = ZoneTable::new(vec![compile(&zone, 1)], Vec::new());
    let _ = routing::compute(&zones, &Arc::new(HealthView::default()));
});
