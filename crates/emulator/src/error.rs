//! The error type of starting and running the emulator.

use std::path::PathBuf;

use crate::store::StoreError;

/// Why the emulator could not start (or a state file could not be read or written).
#[derive(Debug, thiserror::Error)]
pub enum EmulatorError {
    /// The org database failed.
    #[error(transparent)]
    Store(#[from] StoreError),
    /// A file in the state directory could not be read or written.
    #[error("{action} {path}: {source}")]
    Io {
        /// What was being done ("reading", "writing", "creating").
        action: &'static str,
        /// The file or directory.
        path: PathBuf,
        /// The underlying error.
        source: std::io::Error,
    },
    /// A file in the state directory holds something the emulator cannot use.
    #[error("{path}: {message}")]
    BadFile {
        /// The file.
        path: PathBuf,
        /// What is wrong and how to fix it.
        message: String,
    },
    /// The listening socket could not be opened.
    #[error("cannot listen on 127.0.0.1:{port}: {source}")]
    Bind {
        /// The port asked for.
        port: u16,
        /// The underlying error.
        source: std::io::Error,
    },
}
