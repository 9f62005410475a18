//! Project automation behind `cargo xtask`: the whole provisioning job, the CI check, the
//! benchmarks and the schema extraction.
//!
//! The tasks orchestrate; the work is done by the `insights` command (run as a child process,
//! so each step is exactly what an admin would run by hand) and the library crates behind it.

pub mod bench;
pub mod embedded;
pub mod insights;
pub mod org;
pub mod provision;
pub mod report;
pub mod schema;
pub mod sf_cli;
pub mod test;
pub mod verify;

use std::path::{Path, PathBuf};

/// The workspace root: the parent of this crate's folder.
pub fn workspace_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .map(Path::to_path_buf)
        .unwrap_or_else(|| PathBuf::from("."))
}
