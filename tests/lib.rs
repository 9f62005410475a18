//! Support for the end-to-end tests: a throw-away workspace (config, embedded org, secret
//! store) on which the real `cargo xtask provision` / `verify-setup` code runs, and ways to
//! change the org behind the tool's back, as another admin would.

use std::path::{Path, PathBuf};
use std::time::Duration;

use insights_emulator::{Emulator, EmulatorOptions};
use insights_metadata::config::{Overrides, Settings};
use insights_metadata::template::Templates;
use insights_org_client::retry::PollPolicy;
use insights_org_client::{
    ClientOptions, Connection, ConnectionSource, DeployOptions, NoProgress, OrgClient,
};
use secrecy::SecretString;
use xtask::org::OrgArgs;
use xtask::provision::{ProvisionArgs, ProvisionReport};
use xtask::report::{Check, Format};
use xtask::verify::{Verification, VerifyArgs};

/// The repository root.
pub fn repo_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("..")
}

/// The `insights` binary of this build (`target/debug/insights`).
pub fn insights_binary() -> PathBuf {
    let exe = std::env::current_exe().expect("the test executable's path");
    let dir = exe.parent().and_then(Path::parent).expect("target/debug");
    let binary = dir.join(format!("insights{}", std::env::consts::EXE_SUFFIX));
    assert!(
        binary.exists(),
        "{} is missing: run `cargo build -p insights-cli` (cargo xtask test does)",
        binary.display()
    );
    binary
}

/// A throw-away workspace: the example config, an embedded org, a secret store.
pub struct Workspace {
    dir: tempfile::TempDir,
}

impl Default for Workspace {
    fn default() -> Self {
        Self::new()
    }
}

impl Workspace {
    /// A new workspace with the repository's example `insights.toml`.
    pub fn new() -> Self {
        let dir = tempfile::tempdir().expect("a temp dir");
        std::fs::copy(repo_root().join("insights.toml"), dir.path().join("insights.toml"))
            .expect("config copied");
        Self { dir }
    }

    /// The config file.
    pub fn config(&self) -> PathBuf {
        self.dir.path().join("insights.toml")
    }

    /// The embedded org's state folder.
    pub fn state_dir(&self) -> PathBuf {
        self.dir.path().join("org")
    }

    /// The secret store folder.
    pub fn secret_store(&self) -> PathBuf {
        self.dir.path().join("secrets")
    }

    /// The workspace folder (config, `org/`, `secrets/`, `insights-generated/`).
    pub fn root(&self) -> &Path {
        self.dir.path()
    }

    /// Connection flags for the xtask, with `extra_env` added to every step.
    pub fn org_args(&self, extra_env: &[(&str, &str)]) -> OrgArgs {
        org_args_in(self.root(), extra_env)
    }

    /// Runs `cargo xtask provision`'s code on this workspace.
    pub fn provision(&self) -> ProvisionReport {
        let args = ProvisionArgs {
            org: self.org_args(&[]),
            dry_run: false,
            skip_auth_check: false,
            login_timeout: None,
        };
        xtask::provision::run(&repo_root(), &args).expect("provision runs")
    }

    /// Runs `cargo xtask verify-setup --format json`'s code on this workspace.
    pub fn verify(&self, extra_env: &[(&str, &str)]) -> Verification {
        let args = VerifyArgs { org: self.org_args(extra_env), format: Format::Json, propagation_wait: 0 };
        xtask::verify::run(&repo_root(), &args).expect("verify-setup runs")
    }

    /// The settings of the workspace's config, with overrides.
    pub fn settings(&self, overrides: &[(&str, &str)]) -> Settings {
        let mut all = Overrides::default();
        for (key, value) in overrides {
            all = all.set(key, *value, "test");
        }
        Settings::load(Some(&self.config()), &all).expect("valid settings")
    }

    /// Opens the embedded org in-process (no `insights` step may run meanwhile).
    pub async fn open_org(&self) -> Org {
        let emulator =
            Emulator::start(EmulatorOptions { state_dir: self.state_dir(), port: 0, test_controls: true })
                .await
                .expect("the embedded org opens");
        let token = SecretString::from(emulator.admin_access_token());
        let connection =
            Connection::new(emulator.instance_url(), token, ConnectionSource::Explicit).expect("connection");
        let options = ClientOptions {
            poll: PollPolicy {
                first_delay: Duration::from_millis(50),
                factor: 1.0,
                max_delay: Duration::from_millis(50),
            },
            ..ClientOptions::default()
        };
        let client = OrgClient::connect(connection, "66.0", options).await.expect("client connects");
        Org { emulator, client }
    }
}

/// Connection flags for the xtask on the workspace in `root` (laid out as [`Workspace`]'s),
/// with `extra_env` added to every step.
pub fn org_args_in(root: &Path, extra_env: &[(&str, &str)]) -> OrgArgs {
    let secret_store = root.join("secrets").display().to_string();
    let mut env = vec![("INSIGHTS_SECRET_STORE_DIR".to_string(), secret_store)];
    env.extend(extra_env.iter().map(|(k, v)| (k.to_string(), v.to_string())));
    OrgArgs {
        target_org: None,
        instance_url: None,
        access_token: None,
        state_dir: root.join("org"),
        config: root.join("insights.toml"),
        verbose: 0,
        extra_env: env,
        insights_binary: Some(insights_binary()),
    }
}

/// The embedded org, opened by a test, with an admin client.
pub struct Org {
    /// The running emulator.
    pub emulator: Emulator,
    /// An admin client.
    pub client: OrgClient,
}

impl Org {
    /// Deploys metadata generated from `settings` and `templates` (an update: no key, no secret),
    /// as an admin changing the org behind the tool's back would.
    pub async fn deploy(&self, settings: &Settings, templates: &Templates) {
        let generated =
            insights_metadata::generate(settings, templates).expect("the changed metadata is valid");
        let id = self
            .client
            .deploy(&generated.deploy_zip(None), &DeployOptions::default())
            .await
            .expect("deploy sent");
        let outcome = self
            .client
            .wait_for_deploy(&id, Duration::from_secs(30), &NoProgress)
            .await
            .expect("deploy polled");
        match outcome {
            insights_org_client::DeployOutcome::Finished(result) => {
                assert!(result.success, "the behind-the-back deploy failed: {:?}", result.component_failures)
            }
            other => panic!("the deploy did not finish: {other:?}"),
        }
    }

    /// Stops the org (the client goes first, so no idle connection holds the shutdown).
    pub async fn close(self) {
        let Org { emulator, client } = self;
        drop(client);
        emulator.shutdown().await;
    }
}

/// The checks of a verification that failed.
pub fn failed(verification: &Verification) -> Vec<&Check> {
    verification.checks.iter().filter(|c| !c.passed).collect()
}

impl Org {
    /// Logs `username` in through the org's login form with PKCE and returns the tokens
    /// (access, refresh) and the app's consumer key and secret, as an API client would hold
    /// them for unattended checks.
    pub async fn login(&self, workspace: &Workspace, username: &str, password: &str) -> Login {
        use base64::Engine as _;
        use secrecy::ExposeSecret as _;
        use sha2::Digest as _;

        let settings = workspace.settings(&[]);
        let store = insights_org_client::secret_store::SecretStore::at(workspace.secret_store());
        let credentials = insights_org_client::consumer::consumer_credentials_with(
            &self.client,
            &settings.app.api_name,
            &store,
        )
        .await
        .expect("consumer credentials");
        let secret =
            credentials.consumer_secret.expect("the secret is in the store").expose_secret().to_owned();
        let verifier = "e2e-verifier-0123456789-abcdefghijklmnopqrstuvwxyz-ABCDEFGHIJ";
        let challenge = base64::engine::general_purpose::URL_SAFE_NO_PAD
            .encode(sha2::Sha256::digest(verifier.as_bytes()));
        let callback = settings.app.callback_urls[0].clone();
        let base = self.emulator.instance_url();
        let http =
            reqwest::Client::builder().redirect(reqwest::redirect::Policy::none()).build().expect("client");
        let form = [
            ("response_type", "code"),
            ("client_id", credentials.consumer_key.as_str()),
            ("redirect_uri", callback.as_str()),
            ("scope", "api refresh_token"),
            ("state", "e2e"),
            ("code_challenge", challenge.as_str()),
            ("code_challenge_method", "S256"),
            ("username", username),
            ("password", password),
        ];
        let response = http
            .post(format!("{base}/services/oauth2/authorize"))
            .form(&form)
            .send()
            .await
            .expect("login posted");
        let location = response.headers()["location"].to_str().expect("a redirect").to_owned();
        let redirect = url::Url::parse(&location).expect("redirect URL");
        let code =
            redirect.query_pairs().find(|(k, _)| k == "code").map(|(_, v)| v.into_owned()).expect("a code");
        let token: serde_json::Value = http
            .post(format!("{base}/services/oauth2/token"))
            .form(&[
                ("grant_type", "authorization_code"),
                ("code", code.as_str()),
                ("client_id", credentials.consumer_key.as_str()),
                ("client_secret", secret.as_str()),
                ("redirect_uri", callback.as_str()),
                ("code_verifier", verifier),
            ])
            .send()
            .await
            .expect("token request")
            .json()
            .await
            .expect("token JSON");
        Login {
            client_id: credentials.consumer_key,
            client_secret: secret,
            access_token: token["access_token"].as_str().expect("an access token").to_owned(),
            refresh_token: token["refresh_token"].as_str().expect("a refresh token").to_owned(),
        }
    }

    /// Revokes a token at the org's revoke endpoint.
    pub async fn revoke(&self, token: &str) {
        let response = reqwest::Client::new()
            .post(format!("{}/services/oauth2/revoke", self.emulator.instance_url()))
            .form(&[("token", token)])
            .send()
            .await
            .expect("revoke sent");
        assert!(response.status().is_success(), "revoke answered {}", response.status());
    }
}

/// What an unattended check needs.
pub struct Login {
    /// The consumer key.
    pub client_id: String,
    /// The consumer secret.
    pub client_secret: String,
    /// An access token of the logged-in user.
    pub access_token: String,
    /// A refresh token of the logged-in user.
    pub refresh_token: String,
}
