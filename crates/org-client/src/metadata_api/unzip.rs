//! Reading a retrieved zip safely, and unpacking it into a folder.
//!
//! Everything is checked before the first byte is written: entry names (no absolute, `..`,
//! drive or backslash-escaping paths), links (refused), duplicate names (after `./` and `\`
//! normalisation), a name used both as a file and as a folder, the entry count and the total
//! unpacked size (read with a hard cap, never trusting the sizes the zip declares). When the
//! zip passes, files are written under the target folder only, and never through a link that
//! already sits in that folder.

use std::collections::BTreeSet;
use std::io::{Cursor, Read};
use std::path::{Component, Path, PathBuf};

use crate::OrgError;

/// Most entries a retrieved zip may hold (Salesforce's own limit is 10,000 files).
pub const MAX_ENTRIES: usize = 10_000;
/// Most bytes all entries together may unpack to (a zip bomb is refused at this point).
pub const MAX_UNPACKED_BYTES: u64 = 200 * 1024 * 1024;

/// The files of a zip as (relative path, bytes), refusing unsafe zips; directories skipped.
pub fn zip_entries(zip: &[u8]) -> Result<Vec<(PathBuf, Vec<u8>)>, OrgError> {
    let refused = |reason: String| OrgError::ZipRefused { reason };
    let mut archive = zip::ZipArchive::new(Cursor::new(zip))?;
    if archive.len() > MAX_ENTRIES {
        return Err(refused(format!(
            "it holds {} entries, more than the {MAX_ENTRIES} allowed",
            archive.len()
        )));
    }
    if archive.has_duplicate_names() {
        return Err(refused("two entries have the same name".into()));
    }
    let mut entries = Vec::new();
    let mut seen = BTreeSet::new();
    let mut unpacked: u64 = 0;
    for index in 0..archive.len() {
        let file = archive.by_index(index)?;
        let name = file.name()?.into_owned();
        let path = safe_relative_path(&name)?;
        if file.is_symlink() {
            return Err(refused(format!("entry `{name}` is a link; links are not unpacked")));
        }
        if file.is_dir() {
            continue;
        }
        if path.as_os_str().is_empty() {
            return Err(OrgError::UnsafeZipEntry { name });
        }
        if !seen.insert(path.clone()) {
            return Err(refused(format!("entry `{name}` appears twice")));
        }
        let budget = MAX_UNPACKED_BYTES - unpacked;
        let mut bytes = Vec::new();
        file.take(budget + 1).read_to_end(&mut bytes).map_err(|source| OrgError::Io {
            action: "reading zip entry",
            path: path.clone(),
            source,
        })?;
        unpacked += bytes.len() as u64;
        if unpacked > MAX_UNPACKED_BYTES {
            return Err(refused(format!("it unpacks to more than {MAX_UNPACKED_BYTES} bytes")));
        }
        entries.push((path, bytes));
    }
    if let Some(path) = entries.iter().map(|(path, _)| path).find(|path| {
        path.ancestors().skip(1).any(|ancestor| !ancestor.as_os_str().is_empty() && seen.contains(ancestor))
    }) {
        return Err(refused(format!("`{}` needs a folder where the zip also has a file", path.display())));
    }
    Ok(entries)
}

/// Unzips into `out_dir` (created if missing); returns the written paths (relative to
/// `out_dir`). A refused zip writes nothing.
pub fn unzip_into(zip: &[u8], out_dir: &Path) -> Result<Vec<PathBuf>, OrgError> {
    let entries = zip_entries(zip)?;
    for (relative, _) in &entries {
        refuse_existing_links(out_dir, relative)?;
    }
    let mut written = Vec::new();
    for (relative, bytes) in entries {
        let target = out_dir.join(&relative);
        if let Some(parent) = target.parent() {
            std::fs::create_dir_all(parent).map_err(|source| OrgError::Io {
                action: "creating",
                path: parent.to_owned(),
                source,
            })?;
        }
        std::fs::write(&target, bytes).map_err(|source| OrgError::Io {
            action: "writing",
            path: target.clone(),
            source,
        })?;
        written.push(relative);
    }
    Ok(written)
}

/// Refuses to write `relative` when it, or a folder on its way, is already a link under
/// `out_dir` (writing would land wherever the link points).
fn refuse_existing_links(out_dir: &Path, relative: &Path) -> Result<(), OrgError> {
    let mut current = out_dir.to_path_buf();
    for component in relative.components() {
        current.push(component);
        match std::fs::symlink_metadata(&current) {
            Ok(metadata) if metadata.file_type().is_symlink() => {
                return Err(OrgError::ZipRefused {
                    reason: format!("{} is a link; refusing to write through it", current.display()),
                });
            }
            Ok(_) => {}
            Err(_) => return Ok(()),
        }
    }
    Ok(())
}

fn safe_relative_path(name: &str) -> Result<PathBuf, OrgError> {
    let unsafe_entry = || OrgError::UnsafeZipEntry { name: name.to_owned() };
    if name.starts_with('/') || name.starts_with('\\') || name.contains(':') || name.contains('\0') {
        return Err(unsafe_entry());
    }
    let mut path = PathBuf::new();
    for component in Path::new(&name.replace('\\', "/")).components() {
        match component {
            Component::Normal(part) => path.push(part),
            Component::CurDir => {}
            _ => return Err(unsafe_entry()),
        }
    }
    Ok(path)
}
