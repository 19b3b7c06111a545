//! The geo CSV of `alwayson geoip build`: parse, then build the database.
#![no_main]

use std::time::SystemTime;

use alwayson::diag::Source;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let Ok(rows) = alwayson::geo::csv::parse(&Source::new("fuzz.csv", text)) else {
        return;
    };
    let _ = alwayson::geo::build::build_database(&rows, "fuzz.csv", SystemTime::UNIX_EPOCH);
});
