//! Test org: an in-process emulator with the Insights+ app deployed (through the SOAP `deploy`
//! call, with a known consumer key and secret) and the permission set assigned to the API user.

#![allow(dead_code)]

use std::io::Write as _;
use std::time::Duration;

use base64::Engine as _;
use insights_auth_check::{Login, LoginUser, OAuthApp, PropagationWait, Url};
use insights_emulator::{Emulator, EmulatorOptions};
use secrecy::SecretString;

pub const APP: &str = "Insights_Test_App";
pub const PERMISSION_SET: &str = "Insights_Test_API";
pub const CONSUMER_KEY: &str = "3MVG9TestConsumerKeyForAuthCheck0123456789";
pub const CONSUMER_SECRET: &str = "TestSecret0123456789abcdefABCDEF0123456789";
pub const CALLBACK: &str = "http://localhost:1717/OauthRedirect";
pub const API_USER: (&str, &str) = ("api@insights-emulator.test", "Api-User-Pass-1");
pub const ADMIN_USER: (&str, &str) = ("admin@insights-emulator.test", "Admin-Pass-1");
pub const ENDPOINT: &str = "/services/apexrest/insights/v1/status";

/// A running emulator and its temporary state directory.
pub struct TestOrg {
    pub emulator: Emulator,
    pub http: reqwest::Client,
    _state_dir: tempfile::TempDir,
}

impl TestOrg {
    /// Starts an emulator with the app deployed and the API user assigned.
    pub async fn with_app() -> Self {
        Self::with_app_and_callback(CALLBACK).await
    }

    /// Starts an emulator with an app of this callback URL, the API user assigned.
    pub async fn with_app_and_callback(callback: &str) -> Self {
        let org = Self::start().await;
        org.deploy(&app_zip_with_callback(callback)).await;
        org.assign(API_USER.0, PERMISSION_SET).await;
        org
    }

    /// Starts an empty emulator (test controls on, port 0, temp dir).
    pub async fn start() -> Self {
        let state_dir = tempfile::tempdir().expect("temp dir");
        let emulator = Emulator::start(EmulatorOptions {
            state_dir: state_dir.path().to_path_buf(),
            port: 0,
            test_controls: true,
        })
        .await
        .expect("emulator starts");
        let http = reqwest::Client::builder()
            .timeout(Duration::from_secs(30))
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .expect("client");
        Self { emulator, http, _state_dir: state_dir }
    }

    pub fn url(&self) -> Url {
        Url::parse(self.emulator.instance_url()).expect("instance URL")
    }

    pub fn app(&self) -> OAuthApp {
        OAuthApp {
            login_url: self.url(),
            client_id: CONSUMER_KEY.into(),
            client_secret: SecretString::from(CONSUMER_SECRET),
            redirect_uri: Some(CALLBACK.into()),
        }
    }

    pub fn quick_propagation(&self) -> PropagationWait {
        PropagationWait {
            window: Duration::from_secs(0),
            first_delay: Duration::from_millis(50),
            max_delay: Duration::from_millis(200),
        }
    }

    pub fn emulator_login(&self, user: (&str, &str)) -> Login {
        Login::EmulatorForm { user: login_user(user) }
    }

    /// Deploys a zip through the SOAP `deploy` call and waits for success.
    pub async fn deploy(&self, zip: &[u8]) {
        let encoded = base64::engine::general_purpose::STANDARD.encode(zip);
        let body = format!(
            "<met:deploy><met:ZipFile>{encoded}</met:ZipFile><met:DeployOptions>\
             <met:rollbackOnError>true</met:rollbackOnError><met:singlePackage>true</met:singlePackage>\
             </met:DeployOptions></met:deploy>"
        );
        let answer = self.soap("deploy", &body).await;
        let id = between(&answer, "<id>", "</id>").expect("deploy id").to_owned();
        for _ in 0..200 {
            let body = format!(
                "<met:checkDeployStatus><met:asyncProcessId>{id}</met:asyncProcessId>\
                 <met:includeDetails>true</met:includeDetails></met:checkDeployStatus>"
            );
            let status = self.soap("checkDeployStatus", &body).await;
            if between(&status, "<done>", "</done>") == Some("true") {
                assert_eq!(between(&status, "<status>", "</status>"), Some("Succeeded"), "{status}");
                return;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        panic!("deploy did not finish");
    }

    async fn soap(&self, action: &str, body: &str) -> String {
        let envelope = format!(
            "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\
             <soapenv:Envelope xmlns:soapenv=\"http://schemas.xmlsoap.org/soap/envelope/\" \
             xmlns:met=\"http://soap.sforce.com/2006/04/metadata\"><soapenv:Header><met:SessionHeader>\
             <met:sessionId>{}</met:sessionId></met:SessionHeader></soapenv:Header>\
             <soapenv:Body>{body}</soapenv:Body></soapenv:Envelope>",
            self.emulator.admin_access_token()
        );
        let response = self
            .http
            .post(format!("{}/services/Soap/m/66.0", self.emulator.instance_url()))
            .header("Content-Type", "text/xml; charset=UTF-8")
            .header("SOAPAction", format!("\"{action}\""))
            .body(envelope)
            .send()
            .await
            .expect("SOAP call");
        let status = response.status();
        let text = response.text().await.expect("SOAP body");
        assert!(status.is_success(), "{action}: HTTP {status}: {text}");
        text
    }

    /// Assigns a permission set through REST (`sobjects/PermissionSetAssignment`).
    pub async fn assign(&self, username: &str, permission_set: &str) {
        let user = self.query_id(&format!("SELECT Id FROM User WHERE Username = '{username}'")).await;
        let set =
            self.query_id(&format!("SELECT Id FROM PermissionSet WHERE Name = '{permission_set}'")).await;
        let response = self
            .http
            .post(format!(
                "{}/services/data/v66.0/sobjects/PermissionSetAssignment",
                self.emulator.instance_url()
            ))
            .bearer_auth(self.emulator.admin_access_token())
            .json(&serde_json::json!({ "AssigneeId": user, "PermissionSetId": set }))
            .send()
            .await
            .expect("assignment");
        let status = response.status();
        assert!(status.is_success(), "assign: HTTP {status}: {}", response.text().await.unwrap_or_default());
    }

    async fn query_id(&self, soql: &str) -> String {
        let response = self
            .http
            .get(format!("{}/services/data/v66.0/query", self.emulator.instance_url()))
            .query(&[("q", soql)])
            .bearer_auth(self.emulator.admin_access_token())
            .send()
            .await
            .expect("query");
        let json: serde_json::Value = response.json().await.expect("query JSON");
        json["records"][0]["Id"].as_str().unwrap_or_else(|| panic!("no record for {soql}: {json}")).to_owned()
    }

    /// Calls a test control (`/__emulator/...`).
    pub async fn control(&self, path: &str, body: serde_json::Value) {
        let response = self
            .http
            .post(format!("{}/__emulator/{path}", self.emulator.instance_url()))
            .json(&body)
            .send()
            .await
            .expect("control");
        assert!(response.status().is_success(), "control {path}: HTTP {}", response.status());
    }

    pub async fn advance_clock(&self, seconds: u64) {
        self.control("clock/advance", serde_json::json!({ "seconds": seconds })).await;
    }
}

pub fn login_user(user: (&str, &str)) -> LoginUser {
    LoginUser { username: user.0.into(), password: Some(SecretString::from(user.1)) }
}

fn between<'a>(text: &'a str, start: &str, end: &str) -> Option<&'a str> {
    let from = text.find(start)? + start.len();
    let to = text[from..].find(end)? + from;
    Some(&text[from..to])
}

/// The deploy zip: package.xml, the ConnectedApp (with key and secret, as on create), and the
/// permission set linked to it.
pub fn app_zip() -> Vec<u8> {
    app_zip_with_callback(CALLBACK)
}

/// The deploy zip with another callback URL.
pub fn app_zip_with_callback(callback: &str) -> Vec<u8> {
    let package = format!(
        r#"<?xml version="1.0" encoding="UTF-8"?>
<Package xmlns="http://soap.sforce.com/2006/04/metadata">
    <types>
        <members>{APP}</members>
        <name>ConnectedApp</name>
    </types>
    <types>
        <members>{PERMISSION_SET}</members>
        <name>PermissionSet</name>
    </types>
    <version>66.0</version>
</Package>
"#
    );
    let app = format!(
        r#"<?xml version="1.0" encoding="UTF-8"?>
<ConnectedApp xmlns="http://soap.sforce.com/2006/04/metadata">
    <contactEmail>owner@example.com</contactEmail>
    <label>Insights Test App</label>
    <oauthConfig>
        <callbackUrl>{callback}</callbackUrl>
        <consumerKey>{CONSUMER_KEY}</consumerKey>
        <consumerSecret>{CONSUMER_SECRET}</consumerSecret>
        <isAdminApproved>true</isAdminApproved>
        <isConsumerSecretOptional>false</isConsumerSecretOptional>
        <isPkceRequired>true</isPkceRequired>
        <isSecretRequiredForRefreshToken>true</isSecretRequiredForRefreshToken>
        <scopes>Api</scopes>
        <scopes>RefreshToken</scopes>
    </oauthConfig>
    <oauthPolicy>
        <ipRelaxation>BYPASS</ipRelaxation>
        <refreshTokenPolicy>infinite</refreshTokenPolicy>
    </oauthPolicy>
    <permissionSetName>{PERMISSION_SET}</permissionSetName>
    <sessionPolicy>
        <sessionTimeout>30</sessionTimeout>
    </sessionPolicy>
</ConnectedApp>
"#
    );
    let permission_set = format!(
        r#"<?xml version="1.0" encoding="UTF-8"?>
<PermissionSet xmlns="http://soap.sforce.com/2006/04/metadata">
    <classAccesses>
        <apexClass>Insights_Rest_API</apexClass>
        <enabled>true</enabled>
    </classAccesses>
    <description>Grants Insights+ REST access.</description>
    <hasActivationRequired>false</hasActivationRequired>
    <label>{PERMISSION_SET}</label>
</PermissionSet>
"#
    );
    let mut writer = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
    let options = zip::write::SimpleFileOptions::default();
    for (name, text) in [
        ("package.xml".to_owned(), package),
        (format!("connectedApps/{APP}.connectedApp"), app),
        (format!("permissionsets/{PERMISSION_SET}.permissionset"), permission_set),
    ] {
        writer.start_file(name, options).expect("zip entry");
        writer.write_all(text.as_bytes()).expect("zip write");
    }
    writer.finish().expect("zip").into_inner()
}
