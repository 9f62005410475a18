//! `insights.toml` parsing and validation (`Settings::from_toml`).
#![no_main]

use insights_metadata::config::{Overrides, Settings};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else { return };
    if let Err(problems) = Settings::from_toml(text, "insights.toml", &Overrides::default()) {
        let _ = problems.to_string();
    }
});
