//! The emulator reading a deploy zip and matching package.xml with its files (which parses
//! and validates every metadata file in it).
#![no_main]

use insights_emulator::soap::{deploy_package, zip_package};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok(entries) = zip_package::read_zip(data) {
        for single_package in [true, false] {
            let _ = deploy_package::check_package(&entries, single_package, "2026-01-01T00:00:00.000Z");
        }
    }
});
