//! Shared test harness: an emulator per test, a no-redirect HTTP client, apps and permission
//! sets put into the org through the store, and the login + code exchange steps.

use std::time::Duration;

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use insights_emulator::store::{access, apps, org, users};
use insights_emulator::{Emulator, EmulatorOptions};
use serde_json::Value;
use sha2::{Digest, Sha256};

pub const ADMIN: (&str, &str) = ("admin@insights-emulator.test", "Admin-Pass-1");
pub const API_USER: (&str, &str) = ("api@insights-emulator.test", "Api-User-Pass-1");
pub const RESTRICTED: (&str, &str) = ("restricted@insights-emulator.test", "Restricted-Pass-1");
pub const CALLBACK: &str = "http://localhost:1717/OauthRedirect";
pub const VERIFIER: &str = "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk-long-enough-verifier";

pub struct Org {
    pub emulator: Emulator,
    pub http: reqwest::Client,
    // Dropped last: the state directory outlives the emulator.
    pub dir: tempfile::TempDir,
}

impl Org {
    pub async fn start() -> Self {
        let dir = tempfile::tempdir().expect("temp dir");
        Self::start_in(dir).await
    }

    pub async fn start_in(dir: tempfile::TempDir) -> Self {
        let emulator = Emulator::start(EmulatorOptions {
            state_dir: dir.path().to_path_buf(),
            port: 0,
            test_controls: true,
        })
        .await
        .expect("emulator starts");
        Self { emulator, http: client(), dir }
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.emulator.instance_url())
    }

    pub async fn get(&self, path: &str, token: &str) -> reqwest::Response {
        self.http.get(self.url(path)).bearer_auth(token).send().await.expect("request")
    }

    pub async fn json(&self, path: &str, token: &str) -> (u16, Value) {
        let response = self.get(path, token).await;
        let status = response.status().as_u16();
        (status, response.json().await.unwrap_or(Value::Null))
    }

    pub async fn control(&self, path: &str, body: Value) -> Value {
        let response = self
            .http
            .post(self.url(&format!("/__emulator/{path}")))
            .json(&body)
            .send()
            .await
            .expect("control request");
        assert!(response.status().is_success(), "control {path}: {}", response.status());
        response.json().await.unwrap_or(Value::Null)
    }

    pub async fn advance(&self, seconds: i64) {
        self.control("clock/advance", serde_json::json!({ "seconds": seconds })).await;
    }

    /// Puts a connected app into the org as a deploy would (metadata, key, secret).
    pub fn add_app(&self, name: &str, xml: &str) -> TestApp {
        let key = format!("3MVG9{name}Key0123456789");
        let secret = format!("{name}Secret0123456789ABCDEF0123456789");
        let now = self.emulator.clock().now_iso();
        let id = self
            .emulator
            .store()
            .with_tx(|tx| apps::insert(tx, name, xml, &key, &secret, &now))
            .expect("insert app");
        TestApp { id, key, secret }
    }

    /// Creates a permission set granting `entity_ids` (apps or classes).
    pub fn add_permission_set(&self, name: &str, app_ids: &[&str], class_names: &[&str]) -> String {
        let now = self.emulator.clock().now_iso();
        self.emulator
            .store()
            .with_tx(|tx| {
                let id = access::upsert_permission_set(tx, name, name, None, &now)?;
                for app_id in app_ids {
                    access::grant(tx, &id, app_id, access::CONNECTED_APPLICATION)?;
                }
                let mut class_ids = Vec::new();
                for class_name in class_names {
                    if let Some(class) = org::apex_class_by_name(tx, class_name)? {
                        class_ids.push(class.id);
                    }
                }
                access::sync_class_accesses(tx, &id, &class_ids)?;
                Ok(id)
            })
            .expect("insert permission set")
    }

    pub fn user_id(&self, username: &str) -> String {
        self.emulator
            .store()
            .read(|connection| users::by_username(connection, username))
            .expect("read user")
            .expect("user exists")
            .id
    }

    /// Assigns a permission set through the REST API, as the tools do.
    pub async fn assign(&self, username: &str, permission_set_id: &str) -> reqwest::Response {
        self.http
            .post(self.url("/services/data/v66.0/sobjects/PermissionSetAssignment"))
            .bearer_auth(self.emulator.admin_access_token())
            .json(&serde_json::json!({
                "AssigneeId": self.user_id(username),
                "PermissionSetId": permission_set_id,
            }))
            .send()
            .await
            .expect("assign")
    }

    /// Posts the login form; `Ok(code)` on a redirect to the callback, `Err(location or body)`.
    pub async fn login(
        &self,
        app: &TestApp,
        user: (&str, &str),
        extra: &[(&str, &str)],
    ) -> Result<String, String> {
        let challenge = challenge(VERIFIER);
        let mut form: Vec<(&str, &str)> = vec![
            ("response_type", "code"),
            ("client_id", &app.key),
            ("redirect_uri", CALLBACK),
            ("state", "xyz123"),
            ("username", user.0),
            ("password", user.1),
        ];
        if !extra.iter().any(|(name, _)| name.starts_with("code_challenge") || *name == "no_pkce") {
            form.push(("code_challenge", &challenge));
            form.push(("code_challenge_method", "S256"));
        }
        form.extend(extra.iter().filter(|(name, _)| *name != "no_pkce"));
        let response =
            self.http.post(self.url("/services/oauth2/authorize")).form(&form).send().await.expect("login");
        let location = location(&response);
        if response.status() != 302 {
            return Err(response.text().await.unwrap_or_default());
        }
        let url = url::Url::parse(&location).expect("location is a URL");
        if !location.starts_with(CALLBACK) {
            return Err(location);
        }
        let pairs: std::collections::HashMap<_, _> = url.query_pairs().into_owned().collect();
        assert_eq!(pairs.get("state").map(String::as_str), Some("xyz123"), "state echoed");
        Ok(pairs.get("code").cloned().expect("code in redirect"))
    }

    pub async fn token(&self, form: &[(&str, &str)]) -> (u16, Value) {
        let response = self
            .http
            .post(self.url("/services/oauth2/token"))
            .form(form)
            .send()
            .await
            .expect("token request");
        let status = response.status().as_u16();
        (status, response.json().await.unwrap_or(Value::Null))
    }

    pub async fn exchange(&self, app: &TestApp, code: &str) -> (u16, Value) {
        self.token(&[
            ("grant_type", "authorization_code"),
            ("code", code),
            ("client_id", &app.key),
            ("client_secret", &app.secret),
            ("redirect_uri", CALLBACK),
            ("code_verifier", VERIFIER),
        ])
        .await
    }

    /// Login and exchange; panics unless both succeed.
    pub async fn tokens(&self, app: &TestApp, user: (&str, &str)) -> Value {
        let code = self.login(app, user, &[]).await.expect("login succeeds");
        let (status, body) = self.exchange(app, &code).await;
        assert_eq!(status, 200, "{body}");
        body
    }

    pub async fn refresh(&self, app: &TestApp, refresh_token: &str, with_secret: bool) -> (u16, Value) {
        let mut form = vec![
            ("grant_type", "refresh_token"),
            ("refresh_token", refresh_token),
            ("client_id", app.key.as_str()),
        ];
        if with_secret {
            form.push(("client_secret", &app.secret));
        }
        self.token(&form).await
    }
}

pub struct TestApp {
    pub id: String,
    pub key: String,
    pub secret: String,
}

pub fn client() -> reqwest::Client {
    reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .timeout(Duration::from_secs(30))
        .build()
        .expect("http client")
}

pub fn challenge(verifier: &str) -> String {
    URL_SAFE_NO_PAD.encode(Sha256::digest(verifier.as_bytes()))
}

pub fn location(response: &reqwest::Response) -> String {
    response.headers().get("location").and_then(|value| value.to_str().ok()).unwrap_or_default().to_string()
}

/// ConnectedApp XML with the Insights+ defaults; `oauth` and `policy` replace parts.
pub struct AppXml<'a> {
    pub admin_approved: bool,
    pub secret_optional: bool,
    pub pkce_required: bool,
    pub secret_for_refresh: bool,
    pub rotation: bool,
    pub scopes: &'a [&'a str],
    pub ip_relaxation: &'a str,
    pub refresh_policy: &'a str,
    pub session_timeout: Option<u32>,
    pub permission_sets: &'a [&'a str],
    pub profiles: &'a [&'a str],
}

impl Default for AppXml<'_> {
    fn default() -> Self {
        Self {
            admin_approved: false,
            secret_optional: false,
            pkce_required: true,
            secret_for_refresh: true,
            rotation: false,
            scopes: &["Api", "RefreshToken"],
            ip_relaxation: "ENFORCE",
            refresh_policy: "infinite",
            session_timeout: None,
            permission_sets: &[],
            profiles: &[],
        }
    }
}

impl AppXml<'_> {
    pub fn render(&self) -> String {
        let scopes: String = self.scopes.iter().map(|s| format!("<scopes>{s}</scopes>")).collect();
        let sets: String = self
            .permission_sets
            .iter()
            .map(|s| format!("<permissionSetName>{s}</permissionSetName>"))
            .collect();
        let profiles: String =
            self.profiles.iter().map(|s| format!("<profileName>{s}</profileName>")).collect();
        let session = self
            .session_timeout
            .map(|minutes| {
                format!("<sessionPolicy><sessionTimeout>{minutes}</sessionTimeout></sessionPolicy>")
            })
            .unwrap_or_default();
        format!(
            r#"<?xml version="1.0" encoding="UTF-8"?>
<ConnectedApp xmlns="http://soap.sforce.com/2006/04/metadata">
    <contactEmail>owner@example.com</contactEmail>
    <label>Test App</label>
    <oauthConfig>
        <callbackUrl>https://localhost:8443/callback
{CALLBACK}</callbackUrl>
        <isAdminApproved>{}</isAdminApproved>
        <isConsumerSecretOptional>{}</isConsumerSecretOptional>
        <isPkceRequired>{}</isPkceRequired>
        <isRefreshTokenRotationEnabled>{}</isRefreshTokenRotationEnabled>
        <isSecretRequiredForRefreshToken>{}</isSecretRequiredForRefreshToken>
        {scopes}
    </oauthConfig>
    <oauthPolicy>
        <ipRelaxation>{}</ipRelaxation>
        <refreshTokenPolicy>{}</refreshTokenPolicy>
    </oauthPolicy>
    {sets}{profiles}{session}
</ConnectedApp>
"#,
            self.admin_approved,
            self.secret_optional,
            self.pkce_required,
            self.rotation,
            self.secret_for_refresh,
            self.ip_relaxation,
            self.refresh_policy,
        )
    }
}

pub fn error_of(body: &Value) -> (&str, &str) {
    (body["error"].as_str().unwrap_or_default(), body["error_description"].as_str().unwrap_or_default())
}

pub fn rest_error(body: &Value) -> (&str, &str) {
    (body[0]["errorCode"].as_str().unwrap_or_default(), body[0]["message"].as_str().unwrap_or_default())
}
