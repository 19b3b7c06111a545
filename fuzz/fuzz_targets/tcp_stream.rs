//! A TCP stream of length-prefixed frames, each frame through the handler.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let _ = alwayson_fuzz::answer_tcp_stream(data);
});
