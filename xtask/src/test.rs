//! `cargo xtask test`: the whole test suite, after making sure the tools it needs are there.
//!
//! The metadata tests validate generated XML and SOAP bodies with `xmllint` (Debian package
//! `libxml2-utils`). On a fresh machine it is installed with apt-get when we are root;
//! otherwise the task says what to install. The pinned Salesforce CLI for the interop tests is
//! installed into `target/sf-cli` when it can be (`cargo xtask sf-cli`).

use std::process::Command;

use anyhow::{Context, bail};

/// Ensures the test tools, then runs `cargo test --workspace` with any extra arguments.
pub fn run(extra: &[String]) -> anyhow::Result<()> {
    ensure_xmllint()?;
    // Best effort: without the CLI the interop tests skip, saying so.
    if let Err(error) = crate::sf_cli::install(&crate::workspace_root()) {
        eprintln!("the sf CLI could not be installed ({error:#}): the sf CLI interop tests will be skipped");
    }
    let status = Command::new(env!("CARGO"))
        .args(["test", "--workspace"])
        .args(extra)
        .status()
        .context("running cargo test")?;
    if !status.success() {
        bail!("the test suite failed");
    }
    Ok(())
}

fn ensure_xmllint() -> anyhow::Result<()> {
    if has("xmllint") {
        return Ok(());
    }
    let is_root = Command::new("id").arg("-u").output().is_ok_and(|o| o.stdout.trim_ascii() == b"0");
    if !is_root || !has("apt-get") {
        bail!(
            "xmllint is missing: install it (Debian/Ubuntu: sudo apt-get install libxml2-utils; macOS: it ships with the system)"
        );
    }
    eprintln!("installing xmllint (libxml2-utils) with apt-get");
    let quiet =
        |args: &[&str]| Command::new("apt-get").args(args).env("DEBIAN_FRONTEND", "noninteractive").status();
    quiet(&["update", "-qq"]).context("apt-get update")?;
    let status = quiet(&["install", "-y", "-qq", "libxml2-utils"]).context("apt-get install")?;
    if !status.success() || !has("xmllint") {
        bail!("could not install libxml2-utils with apt-get");
    }
    Ok(())
}

fn has(tool: &str) -> bool {
    Command::new(tool).arg("--version").output().is_ok()
}
