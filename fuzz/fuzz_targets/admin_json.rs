//! The admin API's JSON request body: the health-check override
//! (`PUT /api/v1/health-checks/{id}/override`).
#![no_main]

use std::time::{Duration, SystemTime};

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let now = SystemTime::UNIX_EPOCH + Duration::from_secs(1_800_000_000);
    let _ = alwayson::admin::api::parse_override(data, now);
});
