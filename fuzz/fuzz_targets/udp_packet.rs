//! One UDP datagram through parse → respond, as `dns::udp::serve` does it,
//! over the fuzz zone (every record type and policy).
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let _ = alwayson_fuzz::answer_udp(data);
});
