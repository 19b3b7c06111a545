//! `alwayson.toml` through `config::convert`.
#![no_main]

use alwayson::diag::Source;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let _ = alwayson::config::convert(&Source::new("/srv/alwayson/alwayson.toml", text));
});
