//! The org client reading a retrieved zip (entry names, sizes, content).
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let _ = insights_org_client::metadata_api::retrieve::zip_entries(data);
});
