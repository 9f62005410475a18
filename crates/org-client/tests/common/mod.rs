//! Shared support for the tests against the in-process emulator: a fresh org (state folder,
//! secret store, org settings), an admin client with fast polling, and deploys.

#![allow(dead_code)]

use std::time::Duration;

use insights_emulator::{Emulator, EmulatorOptions};
use insights_metadata::Generated;
use insights_metadata::config::{Overrides, Settings};
use insights_metadata::template::Templates;
use insights_org_client::provision::{DeployPlan, DeployReport, deploy_app};
use insights_org_client::retry::{PollPolicy, RetryPolicy};
use insights_org_client::secret_store::SecretStore;
use insights_org_client::{
    ClientOptions, Connection, ConnectionSource, DeployOptions, DeployOutcome, NoProgress, OrgClient,
};
use secrecy::SecretString;

/// The guide's settings, written out in full.
pub const CONFIG: &str = r#"
api_version = "66.0"
assign_to = ["api@insights-emulator.test"]
[app]
label = "Insights API Authorization"
contact_email = "salesforce-admin@example.com"
callback_urls = ["http://localhost:8765/oauth/callback"]
scopes = ["api", "refresh_token, offline_access"]
require_pkce = true
require_secret_for_web_server_flow = true
require_secret_for_refresh_token_flow = true
permitted_users = "admin_approved"
ip_relaxation = "BYPASS"
refresh_token_policy = "infinite"
session_timeout_minutes = 30
[permission_set]
label = "Insights API Access"
apex_classes = ["Insights_Rest_API"]
"#;

/// Settings and generated metadata from config text.
pub fn generate(config: &str) -> (Settings, Generated) {
    let settings = Settings::from_toml(config, "test config", &Overrides::default()).expect("valid config");
    let generated = insights_metadata::generate(&settings, &Templates::builtin()).expect("generates");
    (settings, generated)
}

/// One emulator with a fresh state folder and secret store, and the metadata of a config.
pub struct TestOrg {
    /// The running org.
    pub emulator: Emulator,
    /// Holds `org/` (state) and `secrets/` (secret store).
    pub dir: tempfile::TempDir,
    /// The metadata generated from the config.
    pub generated: Generated,
    /// The config's settings.
    pub settings: Settings,
}

impl TestOrg {
    /// The guide's config, in an org that allows new Connected Apps.
    pub async fn start() -> Self {
        Self::start_with(CONFIG, true).await
    }

    /// `config`, in an org whose setting `allow_new_connected_apps` is as given.
    pub async fn start_with(config: &str, allow_new_connected_apps: bool) -> Self {
        let dir = tempfile::tempdir().expect("temp dir");
        std::fs::create_dir_all(dir.path().join("org")).expect("state dir");
        let org_settings = format!("allow_new_connected_apps = {allow_new_connected_apps}\n");
        std::fs::write(dir.path().join("org/org-settings.toml"), org_settings).expect("org settings");
        let emulator = Emulator::start(EmulatorOptions {
            state_dir: dir.path().join("org"),
            port: 0,
            test_controls: true,
        })
        .await
        .expect("emulator starts");
        let (settings, generated) = generate(config);
        Self { emulator, dir, generated, settings }
    }

    /// Fast retries and polls, so tests of waiting stay short.
    pub fn options() -> ClientOptions {
        ClientOptions {
            retry: RetryPolicy {
                max_attempts: 5,
                base_delay: Duration::from_millis(10),
                max_delay: Duration::from_millis(50),
            },
            poll: PollPolicy {
                first_delay: Duration::from_millis(10),
                factor: 1.5,
                max_delay: Duration::from_millis(50),
            },
            ..ClientOptions::default()
        }
    }

    /// An admin client.
    pub async fn client(&self) -> OrgClient {
        let connection = Connection::new(
            self.emulator.instance_url(),
            SecretString::from(self.emulator.admin_access_token()),
            ConnectionSource::EmbeddedEmulator,
        )
        .expect("loopback URL");
        OrgClient::connect(connection, "66.0", Self::options()).await.expect("connects")
    }

    /// The secret store of this org's tests.
    pub fn store(&self) -> SecretStore {
        SecretStore::at(self.dir.path().join("secrets"))
    }

    /// The app's API name.
    pub fn app(&self) -> &str {
        &self.settings.app.api_name
    }

    /// The permission set's API name.
    pub fn permission_set(&self) -> &str {
        self.generated.permission_set_name()
    }

    /// The plan `insights deploy` would make.
    pub fn plan(&self, check_only: bool, wait: Duration) -> DeployPlan {
        DeployPlan {
            app_api_name: self.app().to_owned(),
            permission_set: self.permission_set().to_owned(),
            check_only,
            wait,
            app_exists: None,
            secret_store: self.store(),
        }
    }

    /// Deploys the generated metadata as `insights deploy` does.
    pub async fn deploy(&self, client: &OrgClient) -> DeployReport {
        deploy_app(client, &self.generated, &self.plan(false, Duration::from_secs(60)), &NoProgress)
            .await
            .expect("deploy runs")
    }
}

/// Deploys a zip as another admin would (no read-back) and asserts it succeeded.
pub async fn deploy_zip(client: &OrgClient, zip: &[u8]) {
    let id = client.deploy(zip, &DeployOptions::default()).await.expect("deploy accepted");
    match client.wait_for_deploy(&id, Duration::from_secs(60), &NoProgress).await.expect("polls") {
        DeployOutcome::Finished(result) => assert!(result.success, "{:#?}", result.failures()),
        other => panic!("still running: {other:?}"),
    }
}
