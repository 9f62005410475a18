//! Zip and path safety of a retrieved zip: `../` and absolute entries, links, duplicate
//! names, a name used as file and folder, too many entries and a zip bomb are refused with a
//! clear error, and a refused zip writes nothing at all.

use std::io::{Cursor, Write};
use std::path::Path;

use insights_org_client::OrgError;
use insights_org_client::metadata_api::unzip::{MAX_ENTRIES, MAX_UNPACKED_BYTES, unzip_into, zip_entries};
use zip::write::SimpleFileOptions;

fn zip_with(entries: &[(&str, &[u8])]) -> Vec<u8> {
    let mut writer = zip::ZipWriter::new(Cursor::new(Vec::new()));
    for (name, bytes) in entries {
        writer.start_file(*name, SimpleFileOptions::default()).expect("start");
        writer.write_all(bytes).expect("write");
    }
    writer.finish().expect("finish").into_inner()
}

/// Every file and folder under `dir`, relative.
fn tree(dir: &Path) -> Vec<String> {
    let mut found = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(current) = stack.pop() {
        for entry in std::fs::read_dir(&current).expect("read_dir") {
            let path = entry.expect("entry").path();
            found.push(path.strip_prefix(dir).expect("prefix").display().to_string());
            if path.is_dir() && !path.is_symlink() {
                stack.push(path);
            }
        }
    }
    found.sort();
    found
}

/// Unzips a hostile zip into `root/out` and checks that it is refused and that nothing was
/// written anywhere under `root` (so nothing beside the target either).
fn assert_refused(zip: &[u8]) -> String {
    let root = tempfile::tempdir().expect("tempdir");
    let out = root.path().join("out");
    let error = unzip_into(zip, &out).expect_err("refused");
    assert_eq!(tree(root.path()), Vec::<String>::new(), "nothing is written for a refused zip");
    error.to_string()
}

#[test]
fn escaping_and_absolute_entries_are_refused() {
    for bad in
        ["../evil.txt", "a/../../evil.txt", "/etc/evil", "C:/evil", "\\evil", "..\\evil", "a\\..\\..\\evil"]
    {
        let zip = zip_with(&[("package.xml", b"<Package/>"), (bad, b"x")]);
        let message = assert_refused(&zip);
        assert!(message.contains(&format!("refusing to unzip entry `{bad}`")), "{bad}: {message}");
    }
}

#[test]
fn links_are_refused() {
    let mut writer = zip::ZipWriter::new(Cursor::new(Vec::new()));
    writer.start_file("package.xml", SimpleFileOptions::default()).expect("start");
    writer.write_all(b"<Package/>").expect("write");
    writer.add_symlink("connectedApps", "/etc", SimpleFileOptions::default()).expect("link");
    let zip = writer.finish().expect("finish").into_inner();
    let message = assert_refused(&zip);
    assert_eq!(message, "refusing the zip: entry `connectedApps` is a link; links are not unpacked");
}

#[test]
fn duplicate_names_are_refused() {
    // The same name twice in the central directory (the writer refuses it, so patch the bytes).
    let mut zip = zip_with(&[("package.xml", b"1"), ("packagf.xml", b"2")]);
    let (from, to) = (b"packagf.xml", b"package.xml");
    let mut index = 0;
    while let Some(offset) = zip[index..].windows(from.len()).position(|window| window == from) {
        zip[index + offset..index + offset + to.len()].copy_from_slice(to);
        index += offset + to.len();
    }
    assert_eq!(assert_refused(&zip), "refusing the zip: two entries have the same name");
    // Names equal once `./` and `\` are normalised.
    let zip = zip_with(&[("a/b.xml", b"1"), ("./a/b.xml", b"2")]);
    assert_eq!(assert_refused(&zip), "refusing the zip: entry `./a/b.xml` appears twice");
    let zip = zip_with(&[("a/b.xml", b"1"), ("a\\b.xml", b"2")]);
    assert!(assert_refused(&zip).contains("appears twice"));
}

#[test]
fn a_name_used_as_file_and_folder_is_refused() {
    let zip = zip_with(&[("connectedApps", b"1"), ("connectedApps/A.connectedApp", b"2")]);
    assert_eq!(
        assert_refused(&zip),
        "refusing the zip: `connectedApps/A.connectedApp` needs a folder where the zip also has a file"
    );
}

#[test]
fn too_many_entries_are_refused() {
    let names: Vec<String> = (0..=MAX_ENTRIES).map(|index| format!("f{index}")).collect();
    let entries: Vec<(&str, &[u8])> = names.iter().map(|name| (name.as_str(), &b""[..])).collect();
    let message = assert_refused(&zip_with(&entries));
    assert_eq!(
        message,
        format!(
            "refusing the zip: it holds {} entries, more than the {MAX_ENTRIES} allowed",
            MAX_ENTRIES + 1
        )
    );
}

#[test]
fn a_zip_bomb_is_refused() {
    // A little over the limit in zeros: deflates to a few hundred KiB.
    let mut writer = zip::ZipWriter::new(Cursor::new(Vec::new()));
    let options =
        SimpleFileOptions::default().compression_method(zip::CompressionMethod::Deflated).large_file(true);
    writer.start_file("bomb.xml", options).expect("start");
    let chunk = vec![0_u8; 1024 * 1024];
    for _ in 0..=(MAX_UNPACKED_BYTES / chunk.len() as u64) {
        writer.write_all(&chunk).expect("write");
    }
    let zip = writer.finish().expect("finish").into_inner();
    assert!(zip.len() < 1024 * 1024, "the bomb is small: {} bytes", zip.len());
    assert_eq!(
        assert_refused(&zip),
        format!("refusing the zip: it unpacks to more than {MAX_UNPACKED_BYTES} bytes")
    );
}

#[test]
fn existing_links_in_the_target_are_not_written_through() {
    let root = tempfile::tempdir().expect("tempdir");
    let outside = root.path().join("outside");
    let out = root.path().join("out");
    std::fs::create_dir_all(&outside).expect("outside");
    std::fs::create_dir_all(&out).expect("out");
    std::os::unix::fs::symlink(&outside, out.join("connectedApps")).expect("symlink");
    let zip = zip_with(&[("package.xml", b"<Package/>"), ("connectedApps/A.connectedApp", b"x")]);
    let error = unzip_into(&zip, &out).expect_err("refused");
    assert!(matches!(error, OrgError::ZipRefused { .. }), "{error}");
    assert!(error.to_string().ends_with("connectedApps is a link; refusing to write through it"), "{error}");
    assert_eq!(tree(&outside), Vec::<String>::new());
    assert!(!out.join("package.xml").exists(), "checked before the first write");
}

#[test]
fn a_good_zip_unpacks_under_the_target_only() {
    let root = tempfile::tempdir().expect("tempdir");
    let out = root.path().join("out");
    let zip = zip_with(&[("package.xml", b"<Package/>"), ("./connectedApps/A.connectedApp", b"x")]);
    let written = unzip_into(&zip, &out).expect("unzips");
    assert_eq!(written.len(), 2);
    assert_eq!(
        tree(root.path()),
        ["out", "out/connectedApps", "out/connectedApps/A.connectedApp", "out/package.xml"]
    );
    assert_eq!(zip_entries(&zip).expect("entries")[1].0, Path::new("connectedApps/A.connectedApp"));
}
