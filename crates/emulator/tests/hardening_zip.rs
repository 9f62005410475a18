//! Zip safety of a deployed zip: `../` and absolute entries, links, duplicate names and a zip
//! bomb are refused at `deploy` with an `INVALID_OPERATION` fault naming the problem, and the
//! org is left as it was (the emulator never writes zip entries to disk: they go to SQLite
//! only after validation).

mod soap_common;

use std::io::{Cursor, Write};

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use insights_emulator::soap::zip_package::{ZipReadError, read_zip};
use soap_common::*;
use zip::write::SimpleFileOptions;

fn raw_zip(build: impl FnOnce(&mut zip::ZipWriter<Cursor<Vec<u8>>>)) -> Vec<u8> {
    let mut writer = zip::ZipWriter::new(Cursor::new(Vec::new()));
    writer.start_file("package.xml", SimpleFileOptions::default()).expect("start");
    writer.write_all(package(&[("ConnectedApp", &["A"][..])]).as_bytes()).expect("write");
    build(&mut writer);
    writer.finish().expect("finish").into_inner()
}

fn replace_all(bytes: &mut [u8], from: &[u8], to: &[u8]) {
    let mut index = 0;
    while let Some(offset) = bytes[index..].windows(from.len()).position(|window| window == from) {
        bytes[index + offset..index + offset + to.len()].copy_from_slice(to);
        index += offset + to.len();
    }
}

fn hostile_zips() -> Vec<(&'static str, Vec<u8>, &'static str)> {
    let file = |name: &'static str| {
        raw_zip(move |writer| {
            writer.start_file(name, SimpleFileOptions::default()).expect("start");
            writer.write_all(b"<ConnectedApp/>").expect("write");
        })
    };
    let link = raw_zip(|writer| {
        writer.add_symlink("connectedApps", "/etc", SimpleFileOptions::default()).expect("link");
    });
    let mut duplicate = raw_zip(|writer| {
        writer.start_file("packagf.xml", SimpleFileOptions::default()).expect("start");
        writer.write_all(b"<Package/>").expect("write");
    });
    replace_all(&mut duplicate, b"packagf.xml", b"package.xml");
    let normalised_duplicate = raw_zip(|writer| {
        writer.start_file("./package.xml", SimpleFileOptions::default()).expect("start");
        writer.write_all(b"<Package/>").expect("write");
    });
    let bomb = raw_zip(|writer| {
        let options = SimpleFileOptions::default()
            .compression_method(zip::CompressionMethod::Deflated)
            .large_file(true);
        writer.start_file("connectedApps/A.connectedApp", options).expect("start");
        let chunk = vec![b' '; 1024 * 1024];
        for _ in 0..201 {
            writer.write_all(&chunk).expect("write");
        }
    });
    vec![
        (
            "dot-dot",
            file("../connectedApps/A.connectedApp"),
            "zip entry '../connectedApps/A.connectedApp' has an unsafe path",
        ),
        (
            "absolute",
            file("/connectedApps/A.connectedApp"),
            "zip entry '/connectedApps/A.connectedApp' has an unsafe path",
        ),
        ("link", link, "zip entry 'connectedApps' is a link; links are not accepted"),
        ("duplicate", duplicate, "appears more than once"),
        ("normalised duplicate", normalised_duplicate, "zip entry './package.xml' appears more than once"),
        ("bomb", bomb, "the zip unpacks to more than 209715200 bytes"),
    ]
}

#[test]
fn read_zip_refuses_each_hostile_zip() {
    for (what, zip, expected) in hostile_zips() {
        let error = read_zip(&zip).expect_err(what);
        assert!(error.to_string().contains(expected), "{what}: {error}");
        assert!(!matches!(error, ZipReadError::Archive(_)), "{what}: a typed refusal, not a parse error");
    }
}

#[tokio::test]
async fn deploy_refuses_each_hostile_zip_and_leaves_the_org_unchanged() {
    let dir = tempfile::tempdir().expect("tempdir");
    let org = start(dir.path()).await;
    let list = "<listMetadata><queries><type>ConnectedApp</type></queries><asOfVersion>66.0</asOfVersion></listMetadata>";
    let before = org.call(list).await.body;
    for (what, zip, expected) in hostile_zips() {
        let answer = org
            .post_raw(&envelope(
                Some(&org.token),
                &format!(
                    "<deploy><ZipFile>{}</ZipFile><DeployOptions><singlePackage>true</singlePackage></DeployOptions></deploy>",
                    STANDARD.encode(&zip)
                ),
            ))
            .await;
        assert_eq!(answer.status, 500, "{what}: {}", answer.body);
        assert_eq!(first(&answer.body, "faultcode"), "sf:INVALID_OPERATION", "{what}");
        let message = first(&answer.body, "faultstring");
        assert!(message.contains(expected), "{what}: {message}");
    }
    assert_eq!(org.call(list).await.body, before, "no hostile deploy changed the org");
    let files: Vec<_> =
        std::fs::read_dir(dir.path()).expect("state dir").map(|e| e.expect("entry").file_name()).collect();
    assert!(
        files.iter().all(|name| [
            "org.sqlite",
            "org.sqlite-wal",
            "org.sqlite-shm",
            "users.toml",
            "org-settings.toml"
        ]
        .contains(&name.to_string_lossy().as_ref())),
        "only the org's own files in the state dir: {files:?}"
    );
}
