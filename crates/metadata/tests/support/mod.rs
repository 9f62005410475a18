//! Shared helpers for the metadata tests: loading settings, generating, and xmllint.

#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::process::Command;

use insights_metadata::config::{Overrides, Settings};
use insights_metadata::template::Templates;
use insights_metadata::{Generated, Problems};

/// The repository root.
pub fn repo_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

/// The example config at the repository root, with an override list.
pub fn example_settings(overrides: &[(&str, &str)]) -> Result<Settings, Problems> {
    let text = std::fs::read_to_string(repo_root().join("insights.toml")).expect("example config");
    settings_from(&text, overrides)
}

/// Settings from TOML text with `(key, value)` overrides.
pub fn settings_from(text: &str, overrides: &[(&str, &str)]) -> Result<Settings, Problems> {
    let mut all = Overrides::default();
    for (key, value) in overrides {
        all = all.set(key, *value, "test");
    }
    Settings::from_toml(text, "insights.toml", &all)
}

/// Generates from the example config with the built-in templates.
pub fn generate_example() -> Generated {
    let settings = example_settings(&[]).expect("example config is valid");
    insights_metadata::generate(&settings, &Templates::builtin()).expect("example generates")
}

/// The Metadata API schema with root elements, from the shared reference material.
pub fn xsd_path() -> PathBuf {
    repo_root().join("../shared/salesforce/metadata.xsd")
}

/// Validates an XML file with xmllint against the metadata schema; returns xmllint's output
/// on failure. Fails the test when xmllint or the schema is missing: CI installs both.
pub fn xmllint(file: &Path) -> Result<(), String> {
    let xsd = xsd_path();
    assert!(xsd.exists(), "schema missing at {}", xsd.display());
    let output = Command::new("xmllint")
        .args(["--noout", "--schema"])
        .arg(&xsd)
        .arg(file)
        .output()
        .expect("xmllint is installed (Debian package libxml2-utils; .ci/run installs it)");
    if output.status.success() { Ok(()) } else { Err(String::from_utf8_lossy(&output.stderr).into_owned()) }
}
