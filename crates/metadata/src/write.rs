//! Writing generated files into an output folder, safely.
//!
//! Each file is written to a temporary name and renamed into place, so an interrupted run
//! never leaves a half-written file; paths are checked to stay inside the folder.

use std::io;
use std::path::{Component, Path, PathBuf};

use crate::generate::GeneratedFile;

/// Why writing failed: which file, and the I/O error.
#[derive(Debug, thiserror::Error)]
pub enum WriteError {
    /// A path would leave the output folder.
    #[error("refusing to write {0}: the path leaves the output folder")]
    UnsafePath(String),
    /// The file system refused.
    #[error("cannot write {path}: {source}")]
    Io {
        /// The file.
        path: PathBuf,
        /// The cause.
        source: io::Error,
    },
}

/// Writes `files` under `out`; returns the paths written.
pub fn write_files(out: &Path, files: &[GeneratedFile]) -> Result<Vec<PathBuf>, WriteError> {
    let mut written = Vec::new();
    for file in files {
        let relative = Path::new(&file.path);
        if !relative.components().all(|c| matches!(c, Component::Normal(_))) {
            return Err(WriteError::UnsafePath(file.path.clone()));
        }
        let path = out.join(relative);
        let io_error = |source| WriteError::Io { path: path.clone(), source };
        if let Some(parent) = path.parent() {
            std::fs::create_dir_all(parent).map_err(io_error)?;
        }
        let temporary = path.with_extension("insights-tmp");
        std::fs::write(&temporary, &file.contents).map_err(io_error)?;
        std::fs::rename(&temporary, &path).map_err(io_error)?;
        written.push(path);
    }
    Ok(written)
}
