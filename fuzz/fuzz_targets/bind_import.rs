//! A BIND zone file through `alwayson import`; what it writes goes on
//! through the zone TOML parser (which may refuse it, never panic).
#![no_main]

use alwayson::diag::Source;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let Ok(imported) = alwayson::import::convert_text(&Source::new("fuzz.zone", text), None) else {
        return;
    };
    let _ = alwayson::zone::convert::convert(&Source::new("fuzz.toml", imported.toml));
});
