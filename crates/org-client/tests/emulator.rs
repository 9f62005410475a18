//! The client against the in-process emulator (127.0.0.1, port 0, fresh state per test):
//! deploys, failures, check-only, retrieve round trip, diff, assignment, expired sessions,
//! transient 503s and deploys that outlive the wait.

mod common;

use std::time::Duration;

use common::{TestOrg, deploy_zip};

use insights_metadata::GeneratedFile;
use insights_org_client::assign::{AssignmentStatus, assign_permission_set};
use insights_org_client::consumer::{SecretSource, consumer_credentials_with};
use insights_org_client::diff::{DesiredState, compare};
use insights_org_client::metadata_api::read::{CONNECTED_APP, PERMISSION_SET};
use insights_org_client::metadata_api::retrieve::zip_entries;
use insights_org_client::provision::{DeployReport, deploy_app, read_deployed_state};
use insights_org_client::{DeployOutcome, NoProgress, OrgClient, OrgError};
use secrecy::ExposeSecret;

const API_USER: &str = "api@insights-emulator.test";

impl TestOrg {
    async fn control(&self, path: &str, body: serde_json::Value) {
        let url = format!("{}/__emulator/{path}", self.emulator.instance_url());
        let response = reqwest::Client::new().post(&url).json(&body).send().await.expect("control answers");
        assert!(response.status().is_success(), "{path}: {}", response.status());
    }

    /// Deploys a package whose ConnectedApp is the generated one with `from` replaced by `to`.
    async fn deploy_changed_app(&self, client: &OrgClient, from: &str, to: &str) {
        let app_xml = self.generated.connected_app_xml();
        assert!(app_xml.contains(from), "the generated app has no {from:?}");
        self.deploy_files(
            client,
            &app_xml.replace(from, to),
            self.generated.permission_set_xml().unwrap_or_default(),
        )
        .await;
    }

    async fn deploy_files(&self, client: &OrgClient, app_xml: &str, permission_set_xml: &str) {
        let files = [
            file("package.xml", self.generated.package_xml()),
            file(&format!("connectedApps/{}.connectedApp", self.app()), app_xml),
            file(&format!("permissionsets/{}.permissionset", self.permission_set()), permission_set_xml),
        ];
        deploy_zip(client, &insights_metadata::zip_files(&files)).await;
    }
}

fn file(path: &str, contents: &str) -> GeneratedFile {
    GeneratedFile { path: path.to_owned(), contents: contents.as_bytes().to_vec() }
}

fn finished(report: &DeployReport) -> &insights_org_client::DeployResult {
    report.result().expect("the deploy finished")
}

#[tokio::test]
async fn a_clean_deploy_creates_the_app_keeps_its_secret_and_links_the_permission_set() {
    let org = TestOrg::start().await;
    let client = org.client().await;
    let before = client.request_count();

    let report = org.deploy(&client).await;

    assert!(report.succeeded(), "{report:#?}");
    assert!(report.creates_app && report.quick_deployed);
    assert!(report.verification_problems.is_empty(), "{:?}", report.verification_problems);
    eprintln!("a clean deploy sent {} HTTP requests", client.request_count() - before);
    let credentials = consumer_credentials_with(&client, org.app(), &org.store()).await.expect("credentials");
    assert!(!credentials.consumer_key.is_empty());
    assert_eq!(credentials.secret_source, Some(SecretSource::SecretStore));
    let secret = credentials.consumer_secret.expect("secret stored");
    assert!(secret.expose_secret().len() >= 40);
    let stored = std::fs::read_to_string(report.secret_stored_at.expect("stored")).expect("readable");
    assert_eq!(stored, secret.expose_secret());
}

#[tokio::test]
async fn a_second_identical_deploy_updates_without_a_secret_and_finds_nothing_to_change() {
    let org = TestOrg::start().await;
    let client = org.client().await;
    assert!(org.deploy(&client).await.succeeded());

    let deployed = read_deployed_state(&client, org.generated.app_kind, org.app(), org.permission_set())
        .await
        .expect("reads");
    let comparison = compare(&DesiredState::from_generated(&org.generated).expect("desired"), &deployed);
    assert!(comparison.is_identical(), "{comparison:#?}");

    // The update deploy must carry no key or secret: the org would refuse either.
    let second = org.deploy(&client).await;
    assert!(second.succeeded(), "{:#?}", second.result().map(|r| r.failures()));
    assert!(!second.creates_app);
    assert!(second.secret_stored_at.is_none());
}

#[tokio::test]
async fn check_only_validates_and_leaves_the_org_unchanged() {
    let org = TestOrg::start().await;
    let client = org.client().await;

    let report = deploy_app(&client, &org.generated, &org.plan(true, Duration::from_secs(60)), &NoProgress)
        .await
        .expect("validation runs");

    let result = finished(&report);
    assert!(result.success && result.check_only, "{result:#?}");
    assert!(client.read_one(CONNECTED_APP, org.app()).await.expect("reads").is_none());
    assert!(client.read_one(PERMISSION_SET, org.permission_set()).await.expect("reads").is_none());
    assert!(report.secret_stored_at.is_none());
}

#[tokio::test]
async fn component_failures_are_reported_per_component() {
    let org = TestOrg::start().await;
    let client = org.client().await;
    org.control(
        "deploy-failures",
        serde_json::json!({"fullName": org.app(), "problem": "Injected problem for the test"}),
    )
    .await;

    let report = org.deploy(&client).await;

    let result = finished(&report);
    assert!(!result.success);
    let failures = result.failures();
    assert_eq!(failures.len(), 1, "{failures:#?}");
    assert_eq!(failures[0].full_name, org.app());
    assert_eq!(failures[0].component_type, "ConnectedApp");
    assert_eq!(failures[0].file_name, format!("connectedApps/{}.connectedApp", org.app()));
    assert_eq!(failures[0].problem.as_deref(), Some("Injected problem for the test"));
    assert!(client.read_one(CONNECTED_APP, org.app()).await.expect("reads").is_none());
}

#[tokio::test]
async fn an_org_refusing_new_connected_apps_gets_an_explanation() {
    let org = TestOrg::start().await;
    let client = org.client().await;
    org.control("org-settings", serde_json::json!({"allow_new_connected_apps": false})).await;

    let report = org.deploy(&client).await;

    assert!(!finished(&report).success);
    let explanation = report.explanation.expect("an explanation");
    assert!(
        explanation.contains("Spring '26") && explanation.contains("Salesforce Support"),
        "{explanation}"
    );
    assert!(explanation.contains("External Client App"), "{explanation}");
}

#[tokio::test]
async fn retrieve_round_trips_to_the_generated_files() {
    let org = TestOrg::start().await;
    let client = org.client().await;
    assert!(org.deploy(&client).await.succeeded());

    let members = [
        (CONNECTED_APP, vec![org.app().to_owned()]),
        (PERMISSION_SET, vec![org.permission_set().to_owned()]),
    ];
    let retrieved = client.retrieve(&members).await.expect("retrieves");
    let entries = zip_entries(&retrieved.zip).expect("a zip");

    for generated_file in org.generated.mdapi_files() {
        let (_, bytes) = entries
            .iter()
            .find(|(path, _)| path.to_string_lossy() == generated_file.path)
            .unwrap_or_else(|| panic!("{} not retrieved", generated_file.path));
        // The org adds the consumer key it generated; nothing else may differ.
        let text = String::from_utf8_lossy(bytes);
        let without_key: String = text
            .lines()
            .filter(|line| !line.contains("<consumerKey>"))
            .map(|line| format!("{line}\n"))
            .collect();
        assert_eq!(without_key, String::from_utf8_lossy(&generated_file.contents), "{}", generated_file.path);
    }
}

#[tokio::test]
async fn diff_detects_each_setting_changed_in_the_org() {
    let org = TestOrg::start().await;
    let client = org.client().await;
    assert!(org.deploy(&client).await.succeeded());
    let desired = DesiredState::from_generated(&org.generated).expect("desired");
    let app_xml = org.generated.connected_app_xml().to_owned();
    let permission_set_name = org.permission_set().to_owned();
    let link = format!("<permissionSetName>{permission_set_name}</permissionSetName>");
    let cases = [
        ("<label>Insights API Authorization</label>", "<label>Renamed</label>", "App name (label)"),
        ("salesforce-admin@example.com", "other@example.com", "Contact email"),
        ("http://localhost:8765/oauth/callback", "http://localhost:9999/cb", "Callback URL"),
        ("<scopes>RefreshToken</scopes>", "", "OAuth scopes"),
        ("<isPkceRequired>true", "<isPkceRequired>false", "Require PKCE"),
        (
            "<isConsumerSecretOptional>false",
            "<isConsumerSecretOptional>true",
            "Require secret for web server flow",
        ),
        (
            "<isSecretRequiredForRefreshToken>true",
            "<isSecretRequiredForRefreshToken>false",
            "Require secret for refresh token flow",
        ),
        ("<ipRelaxation>BYPASS", "<ipRelaxation>ENFORCE", "IP relaxation"),
        ("<refreshTokenPolicy>infinite", "<refreshTokenPolicy>zero", "Refresh token policy"),
        ("<sessionTimeout>30", "<sessionTimeout>60", "Session timeout (minutes)"),
        (link.as_str(), "", "Permission set link (pre-authorization)"),
    ];
    for (from, to, setting) in cases {
        org.deploy_changed_app(&client, from, to).await;
        let deployed = read_deployed_state(&client, org.generated.app_kind, org.app(), &permission_set_name)
            .await
            .expect("reads");
        let differing: Vec<String> =
            compare(&desired, &deployed).differences().map(|row| row.setting.clone()).collect();
        assert_eq!(differing, vec![setting.to_owned()], "after changing {from:?}");
        org.deploy_files(&client, &app_xml, org.generated.permission_set_xml().unwrap_or_default()).await;
    }

    // Admin approval off drops the pre-authorization too: both rows differ.
    org.deploy_changed_app(&client, "<isAdminApproved>true", "<isAdminApproved>false").await;
    let deployed = read_deployed_state(&client, org.generated.app_kind, org.app(), &permission_set_name)
        .await
        .expect("reads");
    let differing: Vec<String> =
        compare(&desired, &deployed).differences().map(|row| row.setting.clone()).collect();
    assert!(differing.contains(&"Admin approved users are pre-authorized".to_owned()), "{differing:?}");
    org.deploy_files(&client, &app_xml, org.generated.permission_set_xml().unwrap_or_default()).await;

    let permission_set_xml = org.generated.permission_set_xml().unwrap_or_default();
    let without_class = permission_set_xml.replace("<enabled>true</enabled>", "<enabled>false</enabled>");
    org.deploy_files(&client, &app_xml, &without_class).await;
    let deployed = read_deployed_state(&client, org.generated.app_kind, org.app(), &permission_set_name)
        .await
        .expect("reads");
    let differing: Vec<String> =
        compare(&desired, &deployed).differences().map(|row| row.setting.clone()).collect();
    assert_eq!(differing, vec!["Apex class access".to_owned()]);
}

#[tokio::test]
async fn assigning_twice_reports_the_existing_assignment() {
    let org = TestOrg::start().await;
    let client = org.client().await;
    assert!(org.deploy(&client).await.succeeded());
    let users = vec![API_USER.to_owned()];

    let first = assign_permission_set(&client, org.permission_set(), &users).await.expect("assigns");
    let second = assign_permission_set(&client, org.permission_set(), &users).await.expect("assigns again");

    assert_eq!(first[0].status, AssignmentStatus::Assigned);
    assert_eq!(second[0].status, AssignmentStatus::AlreadyAssigned);
    let unknown =
        assign_permission_set(&client, org.permission_set(), &["nobody@example.com".to_owned()]).await;
    assert!(matches!(unknown, Err(OrgError::NotFound { .. })), "{unknown:?}");
}

#[tokio::test]
async fn an_expired_session_says_how_to_log_in_again() {
    let org = TestOrg::start().await;
    let client = org.client().await;
    org.control("sessions/expire", serde_json::json!({})).await;

    let soap = client.read_one(CONNECTED_APP, org.app()).await.unwrap_err();
    let rest = client.query::<serde_json::Value>("SELECT Id FROM User").await.unwrap_err();

    for error in [soap, rest] {
        assert!(matches!(error, OrgError::SessionInvalid { .. }), "{error:?}");
        assert!(error.is_connection_problem());
        let message = error.to_string();
        assert!(message.contains("sf org login web") && message.contains("SF_ACCESS_TOKEN"), "{message}");
    }
}

#[tokio::test]
async fn transient_503s_are_retried() {
    let org = TestOrg::start().await;
    let client = org.client().await;
    org.control("faults", serde_json::json!({"fail_next": 2, "status": 503})).await;
    let before = client.request_count();

    let record = client.read_one(CONNECTED_APP, org.app()).await.expect("succeeds on the third try");

    assert!(record.is_none());
    assert_eq!(client.request_count() - before, 3);
}

#[tokio::test]
async fn a_deploy_that_outlives_the_wait_is_still_running_and_can_be_resumed() {
    let org = TestOrg::start().await;
    let client = org.client().await;

    let report = deploy_app(&client, &org.generated, &org.plan(false, Duration::ZERO), &NoProgress)
        .await
        .expect("deploy starts");

    let DeployOutcome::StillRunning { id, .. } = &report.outcome else {
        panic!("expected a running deploy: {report:#?}");
    };
    assert_eq!(Some(id), report.validation_id.as_ref());
    match client.wait_for_deploy(id, Duration::from_secs(60), &NoProgress).await.expect("resumes") {
        DeployOutcome::Finished(result) => assert!(result.success && result.check_only, "{result:#?}"),
        other => panic!("{other:?}"),
    }
}
