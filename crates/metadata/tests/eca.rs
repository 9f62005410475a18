//! External Client Apps (`app_kind = "external-client-app"`): snapshots of every file, schema
//! validity, folder and suffix conventions, the ConnectedApp-shaped view, the review's element
//! names, and bad input.

mod support;

use std::io::Read as _;

use insights_metadata::config::AppKind;
use insights_metadata::model::ConsumerSecret;
use insights_metadata::model::external_client_app as eca;
use insights_metadata::template::Templates;
use support::*;

const ECA: (&str, &str) = ("app_kind", "external-client-app");

fn generate_eca(extra: &[(&str, &str)]) -> insights_metadata::Generated {
    let mut overrides = vec![ECA];
    overrides.extend_from_slice(extra);
    let settings = example_settings(&overrides).expect("valid");
    insights_metadata::generate(&settings, &Templates::builtin()).expect("generates")
}

#[test]
fn every_generated_eca_file_matches_its_snapshot() {
    for file in generate_eca(&[]).files() {
        if file.path.ends_with(".zip") {
            continue;
        }
        let name = format!("eca__{}", file.path.replace('/', "__"));
        insta::assert_snapshot!(name, String::from_utf8(file.contents).unwrap());
    }
}

#[test]
fn files_follow_salesforce_folder_and_suffix_conventions() {
    let paths: Vec<String> = generate_eca(&[]).files().into_iter().map(|f| f.path).collect();
    let app = "Insights_API_Authorization";
    for expected in [
        format!("force-app/main/default/externalClientApps/{app}.eca-meta.xml"),
        format!("force-app/main/default/extlClntAppOauthSettings/{app}_oauth.ecaOauth-meta.xml"),
        format!("force-app/main/default/extlClntAppGlobalOauthSets/{app}_glbloauth.ecaGlblOauth-meta.xml"),
        format!("force-app/main/default/extlClntAppPolicies/{app}_plcy.ecaPlcy-meta.xml"),
        format!("force-app/main/default/extlClntAppOauthPolicies/{app}_oauthPlcy.ecaOauthPlcy-meta.xml"),
        format!("mdapi/externalClientApps/{app}.eca"),
        format!("mdapi/extlClntAppOauthSettings/{app}_oauth.ecaOauth"),
        format!("mdapi/extlClntAppGlobalOauthSets/{app}_glbloauth.ecaGlblOauth"),
        format!("mdapi/extlClntAppPolicies/{app}_plcy.ecaPlcy"),
        format!("mdapi/extlClntAppOauthPolicies/{app}_oauthPlcy.ecaOauthPlcy"),
        "mdapi/package.xml".to_string(),
    ] {
        assert!(paths.contains(&expected), "{expected} missing from {paths:?}");
    }
    assert!(!paths.iter().any(|p| p.contains("connectedApp")), "{paths:?}");
}

#[test]
fn every_generated_eca_xml_file_validates_against_the_metadata_schema() {
    let dir = tempfile::tempdir().unwrap();
    let written = insights_metadata::write::write_files(dir.path(), &generate_eca(&[]).files()).unwrap();
    let xml_files: Vec<_> = written
        .iter()
        .filter(|p| !p.to_string_lossy().ends_with(".json") && !p.to_string_lossy().ends_with(".zip"))
        .collect();
    // Source and mdapi: five ECA files and a permission set each, plus package.xml.
    assert_eq!(xml_files.len(), 13, "{written:?}");
    for file in xml_files {
        if let Err(output) = xmllint(file) {
            panic!("{} is not valid against metadata.xsd:\n{output}", file.display());
        }
    }
}

#[test]
fn every_guide_setting_maps_to_its_eca_field_and_back() {
    let generated = generate_eca(&[("app.refresh_token_policy", "specific_inactivity:30:DAYS")]);
    assert_eq!(generated.app_kind, AppKind::ExternalClientApp);
    let xml_of = |t: eca::EcaType| {
        generated.eca_components().iter().find(|c| c.eca_type == t).map(|c| c.xml.clone()).unwrap()
    };
    let policies = xml_of(eca::OAUTH_POLICIES);
    for expected in [
        "<ipRelaxationPolicyType>Bypass</ipRelaxationPolicyType>",
        "<permittedUsersPolicyType>AdminApprovedPreAuthorized</permittedUsersPolicyType>",
        "<commaSeparatedPermissionSet>Insights_API_Access</commaSeparatedPermissionSet>",
        "<refreshTokenPolicyType>SpecificInactivity</refreshTokenPolicyType>",
        "<refreshTokenValidityPeriod>30</refreshTokenValidityPeriod>",
        "<refreshTokenValidityUnit>Days</refreshTokenValidityUnit>",
        "<sessionTimeoutInMinutes>30</sessionTimeoutInMinutes>",
    ] {
        assert!(policies.contains(expected), "{expected} not in {policies}");
    }
    assert!(
        xml_of(eca::OAUTH_SETTINGS)
            .contains("<commaSeparatedOauthScopes>Api, RefreshToken</commaSeparatedOauthScopes>")
    );
    let global = xml_of(eca::GLOBAL_OAUTH_SETTINGS);
    assert!(global.contains("<isPkceRequired>true</isPkceRequired>"), "{global}");
    assert!(global.contains("<isConsumerSecretOptional>false</isConsumerSecretOptional>"), "{global}");
    // The view reads back as the same ConnectedApp settings.
    let app = &generated.connected_app;
    let config = app.oauth_config.as_ref().unwrap();
    assert_eq!(config.scopes, ["Api", "RefreshToken"]);
    assert!(config.is_admin_approved && config.is_pkce_required && !config.is_consumer_secret_optional);
    let policy = app.oauth_policy.as_ref().unwrap();
    assert_eq!(policy.ip_relaxation, "BYPASS");
    assert_eq!(policy.refresh_token_policy, "specific_inactivity:30:DAYS");
    assert_eq!(app.permission_set_names, ["Insights_API_Access"]);
    assert_eq!(app.session_policy.as_ref().and_then(|p| p.session_timeout), Some(30));
}

#[test]
fn the_secret_only_reaches_the_global_oauth_settings_of_the_create_zip() {
    let generated = generate_eca(&[]);
    let secret = ConsumerSecret::new("S3cretS3cretS3cretS3cretS3cret12");
    let zip = generated.deploy_zip(Some(&secret));
    let mut archive = zip::ZipArchive::new(std::io::Cursor::new(&zip)).unwrap();
    let mut with_secret = Vec::new();
    for index in 0..archive.len() {
        let mut entry = archive.by_index(index).unwrap();
        let mut text = String::new();
        entry.read_to_string(&mut text).unwrap();
        if text.contains(secret.expose()) {
            with_secret.push(entry.name().unwrap().into_owned());
        }
    }
    assert_eq!(with_secret, ["extlClntAppGlobalOauthSets/Insights_API_Authorization_glbloauth.ecaGlblOauth"]);
    for file in generated.files() {
        assert!(!String::from_utf8_lossy(&file.contents).contains(secret.expose()), "{}", file.path);
    }
}

#[test]
fn review_shows_the_eca_element_names() {
    let settings = example_settings(&[ECA]).unwrap();
    let generated = insights_metadata::generate(&settings, &Templates::builtin()).unwrap();
    let review = insights_metadata::review::review(&settings, &generated);
    let element_of = |setting: &str| review.rows.iter().find(|r| r.setting == setting).unwrap().element;
    assert_eq!(element_of("IP Relaxation"), "ExtlClntAppOauthConfigurablePolicies/ipRelaxationPolicyType");
    assert_eq!(
        element_of("Require Proof Key for Code Exchange (PKCE)"),
        "ExtlClntAppGlobalOauthSettings/isPkceRequired"
    );
    let ip = review.rows.iter().find(|r| r.setting == "IP Relaxation").unwrap();
    assert_eq!(ip.value, "Relax IP restrictions (Bypass)");
    assert!(review.warnings.iter().all(|w| w.code != "connected-app-creation"));
    let default_review =
        insights_metadata::review::review(&example_settings(&[]).unwrap(), &generate_example());
    let creation = default_review.warnings.iter().find(|w| w.code == "connected-app-creation").unwrap();
    assert!(creation.message.contains("app_kind = \"external-client-app\""), "{}", creation.message);
}

#[test]
fn a_bad_app_kind_is_refused_with_the_values() {
    let problems = example_settings(&[("app_kind", "eca")]).unwrap_err();
    let text = problems.to_string();
    assert!(text.contains("'eca' is not an app kind") && text.contains("external-client-app"), "{text}");
}

#[test]
fn an_edited_eca_template_with_bad_values_names_the_template_and_line() {
    let mut templates = Templates::builtin();
    templates.eca_oauth_policies.text = templates
        .eca_oauth_policies
        .text
        .replace("{{eca_ip_relaxation}}", "Relaxed")
        .replace("{{session_timeout}}", "45");
    templates.eca_oauth_settings.text =
        templates.eca_oauth_settings.text.replace("{{eca_scopes}}", "Api, Everything");
    templates.eca_global_oauth_settings.text = templates
        .eca_global_oauth_settings
        .text
        .replace("<externalClientApplication>{{app_api_name}}", "<externalClientApplication>Other_App");
    let settings = example_settings(&[ECA]).unwrap();
    let problems = insights_metadata::generate(&settings, &templates).unwrap_err();
    let messages: Vec<String> =
        problems.iter().map(|p| format!("{}:{:?} {}", p.file, p.line, p.message)).collect();
    let has = |needle: &str| messages.iter().any(|m| m.contains(needle));
    assert!(has("'Relaxed' is not an IP relaxation value"), "{messages:?}");
    assert!(has("45 is not a session timeout"), "{messages:?}");
    assert!(has("'Everything' is not an OAuth scope"), "{messages:?}");
    assert!(has("names the External Client App 'Other_App'"), "{messages:?}");
    let ip = problems.iter().find(|p| p.message.contains("Relaxed")).unwrap();
    assert_eq!(ip.file, "metadata-templates/ecaOauthPolicies.xml");
    let line = Templates::builtin()
        .eca_oauth_policies
        .text
        .lines()
        .position(|l| l.contains("ipRelaxationPolicyType"));
    assert_eq!(ip.line, line.map(|l| l + 1));
}

#[test]
fn an_eca_template_out_of_wsdl_order_is_refused() {
    let mut templates = Templates::builtin();
    let text = &templates.eca_header.text;
    let label = "    <label>{{app_label}}</label>\n";
    templates.eca_header.text =
        text.replace(label, "").replace("    <contactEmail>", &format!("{label}    <contactEmail>"));
    let settings = example_settings(&[ECA]).unwrap();
    let problems = insights_metadata::generate(&settings, &templates).unwrap_err();
    assert!(problems.iter().any(|p| p.file == "metadata-templates/externalClientApp.xml"), "{problems}");
}
