//! Generation from the example config: snapshots of every file, schema validity, stability.

mod support;

use std::io::Read as _;

use insights_metadata::model::ConsumerSecret;
use support::*;

#[test]
fn every_generated_file_matches_its_snapshot() {
    let generated = generate_example();
    for file in generated.files() {
        if file.path.ends_with(".zip") {
            continue;
        }
        let name = file.path.replace('/', "__");
        insta::assert_snapshot!(name, String::from_utf8(file.contents).unwrap());
    }
}

#[test]
fn every_generated_xml_file_validates_against_the_metadata_schema() {
    let dir = tempfile::tempdir().unwrap();
    let generated = generate_example();
    let written = insights_metadata::write::write_files(dir.path(), &generated.files()).unwrap();
    let xml_files: Vec<_> = written
        .iter()
        .filter(|p| !p.to_string_lossy().ends_with(".json") && !p.to_string_lossy().ends_with(".zip"))
        .collect();
    assert_eq!(xml_files.len(), 5, "{written:?}");
    for file in xml_files {
        if let Err(output) = xmllint(file) {
            panic!("{} is not valid against metadata.xsd:\n{output}", file.display());
        }
    }
}

#[test]
fn the_same_input_gives_the_same_bytes_and_zip() {
    let first = generate_example();
    let second = generate_example();
    assert_eq!(first.files(), second.files());
    let zip = first.deploy_zip(None);
    let mut archive = zip::ZipArchive::new(std::io::Cursor::new(&zip)).unwrap();
    let names: Vec<String> = archive.file_names().map(|n| n.unwrap().into_owned()).collect();
    assert_eq!(
        names,
        [
            "package.xml",
            "connectedApps/Insights_API_Authorization.connectedApp",
            "permissionsets/Insights_API_Access.permissionset"
        ]
    );
    let entry = archive.by_index(0).unwrap();
    assert_eq!(entry.last_modified(), Some(zip::DateTime::default()));
}

#[test]
fn the_secret_only_reaches_the_in_memory_create_zip() {
    let generated = generate_example();
    let secret = ConsumerSecret::new("S3cretValueThatIsLongEnough0123456789abcd");
    for file in generated.files() {
        let text = String::from_utf8_lossy(&file.contents);
        assert!(!text.contains(secret.expose()) && !text.contains("consumerSecret"), "{}", file.path);
    }
    let zip = generated.deploy_zip(Some(&secret));
    let mut archive = zip::ZipArchive::new(std::io::Cursor::new(&zip)).unwrap();
    let mut app = String::new();
    archive
        .by_name("connectedApps/Insights_API_Authorization.connectedApp")
        .unwrap()
        .read_to_string(&mut app)
        .unwrap();
    let secret_at = app.find("<consumerSecret>").expect("secret in the create zip");
    assert!(app.find("<callbackUrl>").unwrap() < secret_at);
    assert!(secret_at < app.find("<isAdminApproved>").unwrap(), "WSDL order: {app}");
    assert!(!format!("{secret:?}").contains(secret.expose()));
}

#[test]
fn an_existing_permission_set_is_linked_but_not_generated() {
    let settings =
        example_settings(&[("permission_set.existing", "true"), ("permission_set.api_name", "Existing_PS")])
            .unwrap();
    let generated =
        insights_metadata::generate(&settings, &insights_metadata::template::Templates::builtin()).unwrap();
    assert!(generated.permission_set.is_none());
    assert!(generated.connected_app_xml().contains("<permissionSetName>Existing_PS</permissionSetName>"));
    assert!(!generated.package_xml().contains("PermissionSet"));
    assert!(generated.files().iter().all(|f| !f.path.contains("permissionset")));
}

#[test]
fn generated_files_parse_back_into_the_same_model() {
    let generated = generate_example();
    let app = insights_metadata::model::ConnectedApp::from_xml(
        "Insights_API_Authorization",
        generated.connected_app_xml(),
        "connectedApps/Insights_API_Authorization.connectedApp",
    )
    .unwrap();
    assert_eq!(app, generated.connected_app);
    let config = app.oauth_config.unwrap();
    assert!(config.is_admin_approved && config.is_pkce_required && !config.is_consumer_secret_optional);
    assert_eq!(config.scopes, ["Api", "RefreshToken"]);
}

#[test]
fn review_warns_about_a_template_edit_that_departs_from_the_guide() {
    let settings = example_settings(&[]).unwrap();
    let builtin = insights_metadata::template::Templates::builtin();
    let clean = insights_metadata::review::review(&settings, &generate_example());
    assert!(clean.warnings.iter().all(|w| w.code != "differs-from-guide"), "{:?}", clean.warnings);

    let dir = tempfile::tempdir().unwrap();
    let edited = builtin.connected_app.text.replace("{{is_pkce_required}}", "false");
    std::fs::write(dir.path().join("connectedApp.xml"), edited).unwrap();
    let templates = insights_metadata::template::Templates::load(dir.path()).unwrap();
    let generated = insights_metadata::generate(&settings, &templates).unwrap();
    let review = insights_metadata::review::review(&settings, &generated);
    assert!(
        review.warnings.iter().any(|w| w.code == "differs-from-guide" && w.message.contains("PKCE")),
        "{:?}",
        review.warnings
    );
}
