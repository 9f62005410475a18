//! The emulator's SOQL subset parser.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok(text) = std::str::from_utf8(data) {
        let _ = insights_emulator::rest::soql::parse(text);
    }
});
