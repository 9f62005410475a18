//! Deploy and retrieve zips: decoding the base64 `ZipFile`, reading entries within limits,
//! finding the package root (`singlePackage`), and writing a retrieve zip.

use std::collections::BTreeMap;
use std::io::{Cursor, Read, Write};

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use zip::write::SimpleFileOptions;

/// Most entries a deploy zip may hold (Salesforce: 10,000 files).
const MAX_ENTRIES: usize = 10_000;
/// Most bytes all entries may unpack to; a zip bomb is refused before it fills memory.
const MAX_UNPACKED_BYTES: u64 = 200 * 1024 * 1024;

/// Why a `ZipFile` could not be read. Each becomes an `INVALID_OPERATION` fault.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum ZipReadError {
    #[error("No zip file content passed in")]
    Empty,
    #[error("ZipFile is not valid base64: {0}")]
    Base64(String),
    #[error("ZipFile is not a valid zip archive: {0}")]
    Archive(String),
    #[error("zip entry '{0}' has an unsafe path")]
    UnsafePath(String),
    #[error("the zip holds more than {MAX_ENTRIES} entries")]
    TooManyEntries,
    #[error("the zip unpacks to more than {MAX_UNPACKED_BYTES} bytes")]
    TooLarge,
    #[error("zip entry '{0}' appears more than once")]
    Duplicate(String),
    #[error("zip entry '{0}' is a link; links are not accepted")]
    Link(String),
}

/// The files of a zip by path (directory entries dropped), in path order.
pub type ZipEntries = BTreeMap<String, Vec<u8>>;

/// Decodes base64 text (line breaks and spaces allowed, as SOAP clients wrap it).
pub fn decode_base64(text: &str) -> Result<Vec<u8>, ZipReadError> {
    let compact: String = text.chars().filter(|c| !c.is_ascii_whitespace()).collect();
    if compact.is_empty() {
        return Err(ZipReadError::Empty);
    }
    STANDARD.decode(compact.as_bytes()).map_err(|error| ZipReadError::Base64(error.to_string()))
}

/// Reads every file entry of a zip held in memory.
pub fn read_zip(bytes: &[u8]) -> Result<ZipEntries, ZipReadError> {
    let mut archive =
        zip::ZipArchive::new(Cursor::new(bytes)).map_err(|error| ZipReadError::Archive(error.to_string()))?;
    if archive.len() > MAX_ENTRIES {
        return Err(ZipReadError::TooManyEntries);
    }
    if archive.has_duplicate_names() {
        return Err(ZipReadError::Duplicate("(a name in the central directory)".into()));
    }
    let mut entries = ZipEntries::new();
    let mut unpacked: u64 = 0;
    for index in 0..archive.len() {
        let mut file = archive.by_index(index).map_err(|error| ZipReadError::Archive(error.to_string()))?;
        let name = file.name().map_err(|error| ZipReadError::Archive(error.to_string()))?.replace('\\', "/");
        if file.is_dir() || name.ends_with('/') {
            continue;
        }
        if file.enclosed_name().is_none() || name.starts_with('/') {
            return Err(ZipReadError::UnsafePath(name));
        }
        if file.is_symlink() {
            return Err(ZipReadError::Link(name));
        }
        let budget = MAX_UNPACKED_BYTES.saturating_sub(unpacked);
        let mut content = Vec::new();
        (&mut file)
            .take(budget.saturating_add(1))
            .read_to_end(&mut content)
            .map_err(|error| ZipReadError::Archive(error.to_string()))?;
        unpacked = unpacked.saturating_add(content.len() as u64);
        if unpacked > MAX_UNPACKED_BYTES {
            return Err(ZipReadError::TooLarge);
        }
        let key = trim_leading_dot_slash(&name).to_string();
        if entries.contains_key(&key) {
            return Err(ZipReadError::Duplicate(name));
        }
        entries.insert(key, content);
    }
    Ok(entries)
}

fn trim_leading_dot_slash(name: &str) -> &str {
    name.strip_prefix("./").unwrap_or(name)
}

/// The folder prefix every component path starts with: `""` when `package.xml` is at the root
/// (`singlePackage=true`), `"zip/"` style when the files sit under one package folder.
/// `None` when no `package.xml` is where the option says it must be.
pub fn package_root(entries: &ZipEntries, single_package: bool) -> Option<String> {
    if single_package {
        return entries.contains_key("package.xml").then(String::new);
    }
    let mut roots = entries.keys().filter_map(|path| {
        let (folder, rest) = path.split_once('/')?;
        (rest == "package.xml").then(|| format!("{folder}/"))
    });
    let root = roots.next()?;
    // Several package folders are several packages; the emulator deploys one.
    roots.next().is_none().then_some(root)
}

/// Writes a retrieve zip: deflated entries with a fixed timestamp, so equal content gives
/// equal bytes.
pub fn write_zip(files: &[(String, Vec<u8>)]) -> Result<Vec<u8>, zip::result::ZipError> {
    let mut writer = zip::ZipWriter::new(Cursor::new(Vec::new()));
    let options = SimpleFileOptions::default()
        .compression_method(zip::CompressionMethod::Deflated)
        .last_modified_time(zip::DateTime::default());
    for (path, content) in files {
        writer.start_file(path.as_str(), options)?;
        writer.write_all(content)?;
    }
    Ok(writer.finish()?.into_inner())
}

/// Base64 of bytes, for a `zipFile` element.
pub fn encode_base64(bytes: &[u8]) -> String {
    STANDARD.encode(bytes)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn zip_with(paths: &[&str]) -> Vec<u8> {
        let mut writer = zip::ZipWriter::new(Cursor::new(Vec::new()));
        let options = SimpleFileOptions::default();
        for path in paths {
            if path.ends_with('/') {
                writer.add_directory(*path, options).expect("dir");
            } else {
                writer.start_file(*path, options).expect("file");
                writer.write_all(path.as_bytes()).expect("write");
            }
        }
        writer.finish().expect("finish").into_inner()
    }

    #[test]
    fn round_trips_through_base64_and_skips_directories() {
        let bytes =
            zip_with(&["zip/", "zip/package.xml", "zip/connectedApps/", "zip/connectedApps/A.connectedApp"]);
        let wrapped = encode_base64(&bytes)
            .as_bytes()
            .chunks(76)
            .map(|chunk| String::from_utf8_lossy(chunk).into_owned())
            .collect::<Vec<_>>()
            .join("\n");
        let entries = read_zip(&decode_base64(&wrapped).expect("base64")).expect("zip");
        assert_eq!(
            entries.keys().collect::<Vec<_>>(),
            ["zip/connectedApps/A.connectedApp", "zip/package.xml"]
        );
        assert_eq!(package_root(&entries, false).as_deref(), Some("zip/"));
        assert_eq!(package_root(&entries, true), None);
    }

    #[test]
    fn finds_root_package_for_single_package() {
        let entries = read_zip(&zip_with(&["package.xml", "permissionsets/P.permissionset"])).expect("zip");
        assert_eq!(package_root(&entries, true).as_deref(), Some(""));
        assert_eq!(package_root(&entries, false), None);
    }

    #[test]
    fn refuses_bad_input() {
        assert_eq!(decode_base64(" \n"), Err(ZipReadError::Empty));
        assert!(matches!(decode_base64("not base64!"), Err(ZipReadError::Base64(_))));
        assert!(matches!(read_zip(b"PK but not a zip"), Err(ZipReadError::Archive(_))));
        assert!(matches!(read_zip(&zip_with(&["../evil"])), Err(ZipReadError::UnsafePath(_))));
    }

    #[test]
    fn written_zip_reads_back_identically() {
        let files = vec![("unpackaged/package.xml".to_string(), b"<Package/>".to_vec())];
        let first = write_zip(&files).expect("write");
        assert_eq!(first, write_zip(&files).expect("write"));
        assert_eq!(read_zip(&first).expect("read")["unpackaged/package.xml"], b"<Package/>");
    }
}
