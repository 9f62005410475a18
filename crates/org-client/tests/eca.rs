//! External Client Apps against the in-process emulator: deploy (create and update) in an org
//! that refuses new Connected Apps, read-back, consumer key and secret (store and REST),
//! retrieve round trip, and diff.

mod common;

use common::{TestOrg, deploy_zip};

use insights_metadata::config::AppKind;
use insights_metadata::model::external_client_app as eca;
use insights_metadata::{GeneratedFile, zip_files};
use insights_org_client::OrgClient;
use insights_org_client::consumer::{SecretSource, consumer_credentials_with};
use insights_org_client::diff::{DesiredState, compare};
use insights_org_client::metadata_api::retrieve::zip_entries;
use insights_org_client::provision::read_deployed_state;
use insights_org_client::secret_store::SecretStore;

const CONFIG: &str = r#"
api_version = "66.0"
app_kind = "external-client-app"
assign_to = ["api@insights-emulator.test"]
[app]
label = "Insights API Authorization"
contact_email = "salesforce-admin@example.com"
callback_urls = ["http://localhost:8765/oauth/callback"]
[permission_set]
label = "Insights API Access"
"#;

/// This file's org refuses new Connected Apps, as a Spring '26 org does.
async fn start() -> TestOrg {
    TestOrg::start_with(CONFIG, false).await
}

impl TestOrg {
    /// Deploys the generated files with `from` replaced by `to` in the file ending `suffix`.
    async fn deploy_changed(&self, client: &OrgClient, suffix: &str, from: &str, to: &str) {
        let files: Vec<GeneratedFile> = self
            .generated
            .mdapi_files()
            .into_iter()
            .map(|file| {
                if file.path.ends_with(suffix) {
                    let text = String::from_utf8(file.contents).expect("utf-8");
                    assert!(text.contains(from), "{from} not in {}", file.path);
                    GeneratedFile { contents: text.replace(from, to).into_bytes(), ..file }
                } else {
                    file
                }
            })
            .collect();
        deploy_zip(client, &zip_files(&files)).await;
    }
}

#[tokio::test]
async fn an_eca_deploys_where_connected_apps_are_refused_and_updates_without_the_secret() {
    let org = start().await;
    let client = org.client().await;
    assert_eq!(org.generated.app_kind, AppKind::ExternalClientApp);

    let created = org.deploy(&client).await;
    assert!(created.succeeded(), "{:?} {:?}", created.outcome, created.verification_problems);
    assert!(created.creates_app && created.secret_stored_at.is_some());

    let updated = org.deploy(&client).await;
    assert!(updated.succeeded(), "{:?} {:?}", updated.outcome, updated.verification_problems);
    assert!(!updated.creates_app && updated.secret_stored_at.is_none());

    let credentials = consumer_credentials_with(&client, &org.settings.app.api_name, &org.store())
        .await
        .expect("credentials");
    assert!(!credentials.consumer_key.is_empty());
    assert_eq!(credentials.secret_source, Some(SecretSource::SecretStore));

    // Without the store, the secret comes from the REST credentials resource when allowed.
    let url = format!("{}/__emulator/org-settings", org.emulator.instance_url());
    let body = serde_json::json!({"allow_consumer_secret_in_rest": true});
    assert!(
        reqwest::Client::new().post(&url).json(&body).send().await.expect("control").status().is_success()
    );
    let empty = SecretStore::at(org.dir.path().join("no-secrets"));
    let from_org =
        consumer_credentials_with(&client, &org.settings.app.api_name, &empty).await.expect("credentials");
    assert_eq!(from_org.secret_source, Some(SecretSource::OrgRestApi));
    assert_eq!(from_org.consumer_key, credentials.consumer_key);
}

#[tokio::test]
async fn retrieve_returns_the_generated_eca_files_with_the_consumer_key() {
    let org = start().await;
    let client = org.client().await;
    assert!(org.deploy(&client).await.succeeded());
    let app = &org.settings.app.api_name;
    let members: Vec<(&str, Vec<String>)> =
        eca::ECA_TYPES.iter().map(|t| (t.type_name, vec![t.component_name(app)])).collect();
    let retrieved = client.retrieve(&members).await.expect("retrieves");
    let entries = zip_entries(&retrieved.zip).expect("a zip");
    let mut compared = 0;
    for generated in org.generated.eca_components() {
        let path = generated.eca_type.mdapi_path(&generated.full_name);
        let (_, bytes) = entries
            .iter()
            .find(|(name, _)| name.to_string_lossy() == path)
            .unwrap_or_else(|| panic!("{path} not retrieved"));
        let text = String::from_utf8_lossy(bytes);
        assert_eq!(
            text.contains("<consumerKey>"),
            generated.eca_type == eca::GLOBAL_OAUTH_SETTINGS,
            "{path}"
        );
        assert!(!text.contains("consumerSecret"), "{path}");
        let without_key: String =
            text.lines().filter(|l| !l.contains("<consumerKey>")).map(|l| format!("{l}\n")).collect();
        assert_eq!(without_key, generated.xml, "{path}");
        compared += 1;
    }
    assert_eq!(compared, 5);
}

#[tokio::test]
async fn diff_of_an_eca_is_identical_after_deploy_and_names_a_changed_policy() {
    let org = start().await;
    let client = org.client().await;
    assert!(org.deploy(&client).await.succeeded());
    let desired = DesiredState::from_generated(&org.generated).expect("desired");
    let app = &org.settings.app.api_name;
    let permission_set = org.generated.permission_set_name();

    let deployed =
        read_deployed_state(&client, AppKind::ExternalClientApp, app, permission_set).await.expect("reads");
    let comparison = compare(&desired, &deployed);
    assert!(comparison.is_identical(), "{:?}", comparison.differences().collect::<Vec<_>>());

    org.deploy_changed(
        &client,
        ".ecaOauthPlcy",
        "<ipRelaxationPolicyType>Bypass<",
        "<ipRelaxationPolicyType>Enforce<",
    )
    .await;
    let deployed =
        read_deployed_state(&client, AppKind::ExternalClientApp, app, permission_set).await.expect("reads");
    let differences: Vec<_> = compare(&desired, &deployed).differences().cloned().collect();
    assert_eq!(differences.len(), 1, "{differences:?}");
    assert_eq!(differences[0].setting, "IP relaxation");
    assert_eq!((differences[0].desired.as_str(), differences[0].deployed.as_str()), ("BYPASS", "ENFORCE"));
}
