//! Shared by the load test (`hardening_load.rs`) and the load example (`examples/load.rs`):
//! an app to log in to, authorization codes, token exchanges, refreshes and SOAP deploys.

#![allow(dead_code)]

use std::time::Duration;

use base64::Engine;
use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
use insights_emulator::Emulator;
use insights_emulator::store::apps;
use sha2::{Digest, Sha256};

pub const CALLBACK: &str = "http://localhost:1717/OauthRedirect";
pub const VERIFIER: &str = "load-test-verifier-load-test-verifier-load-test-verifier";
pub const KEY: &str = "3MVG9LoadTestConsumerKey000001";
pub const SECRET: &str = "LoadTestSecret0123456789ABCDEF0123";
const NS: &str = "http://soap.sforce.com/2006/04/metadata";

/// The app every login goes through (open to all users, PKCE required).
pub fn add_app(emulator: &Emulator) {
    let xml = format!(
        r#"<?xml version="1.0" encoding="UTF-8"?>
<ConnectedApp xmlns="{NS}">
    <contactEmail>load@example.com</contactEmail>
    <label>Load</label>
    <oauthConfig>
        <callbackUrl>{CALLBACK}</callbackUrl>
        <isAdminApproved>false</isAdminApproved>
        <isConsumerSecretOptional>false</isConsumerSecretOptional>
        <isPkceRequired>true</isPkceRequired>
        <isSecretRequiredForRefreshToken>true</isSecretRequiredForRefreshToken>
        <scopes>Api</scopes>
        <scopes>RefreshToken</scopes>
    </oauthConfig>
    <oauthPolicy>
        <ipRelaxation>ENFORCE</ipRelaxation>
        <refreshTokenPolicy>infinite</refreshTokenPolicy>
    </oauthPolicy>
</ConnectedApp>
"#
    );
    let now = emulator.clock().now_iso();
    emulator
        .store()
        .with_tx(|tx| apps::insert(tx, "Load_App", &xml, KEY, SECRET, &now))
        .expect("app inserted");
}

pub fn http() -> reqwest::Client {
    reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .timeout(Duration::from_secs(60))
        .pool_max_idle_per_host(64)
        .build()
        .expect("client")
}

/// Logs the API user in (the login form post) and returns the authorization code.
pub async fn login_code(http: &reqwest::Client, base: &str) -> Result<String, String> {
    let challenge = URL_SAFE_NO_PAD.encode(Sha256::digest(VERIFIER.as_bytes()));
    let login = http
        .post(format!("{base}/services/oauth2/authorize"))
        .form(&[
            ("response_type", "code"),
            ("client_id", KEY),
            ("redirect_uri", CALLBACK),
            ("code_challenge", &challenge),
            ("code_challenge_method", "S256"),
            ("state", "load"),
            ("username", "api@insights-emulator.test"),
            ("password", "Api-User-Pass-1"),
        ])
        .send()
        .await
        .map_err(|error| error.to_string())?;
    let location =
        login.headers().get("location").and_then(|value| value.to_str().ok()).ok_or("no redirect")?;
    let url = url::Url::parse(location).map_err(|error| error.to_string())?;
    url.query_pairs()
        .find(|(name, _)| name == "code")
        .map(|(_, value)| value.into_owned())
        .ok_or_else(|| location.to_owned())
}

/// Posts a token request; `Ok(json)` on 200, `Err((status, body))` otherwise.
pub async fn token(
    http: &reqwest::Client,
    base: &str,
    form: &[(&str, &str)],
) -> Result<serde_json::Value, (u16, String)> {
    let response = http
        .post(format!("{base}/services/oauth2/token"))
        .form(form)
        .send()
        .await
        .map_err(|error| (0, error.to_string()))?;
    let status = response.status().as_u16();
    let body = response.text().await.map_err(|error| (0, error.to_string()))?;
    if status != 200 {
        return Err((status, body));
    }
    serde_json::from_str(&body).map_err(|error| (status, error.to_string()))
}

/// Redeems a code with the verifier and the secret.
pub async fn redeem(
    http: &reqwest::Client,
    base: &str,
    code: &str,
) -> Result<serde_json::Value, (u16, String)> {
    token(
        http,
        base,
        &[
            ("grant_type", "authorization_code"),
            ("code", code),
            ("client_id", KEY),
            ("client_secret", SECRET),
            ("redirect_uri", CALLBACK),
            ("code_verifier", VERIFIER),
        ],
    )
    .await
}

/// Uses a refresh token.
pub async fn refresh(
    http: &reqwest::Client,
    base: &str,
    refresh_token: &str,
) -> Result<serde_json::Value, (u16, String)> {
    token(
        http,
        base,
        &[
            ("grant_type", "refresh_token"),
            ("refresh_token", refresh_token),
            ("client_id", KEY),
            ("client_secret", SECRET),
        ],
    )
    .await
}

/// A deploy zip with one ConnectedApp `Load_Deploy_{index}` (package.xml at the root).
pub fn app_zip(index: usize) -> Vec<u8> {
    use std::io::Write;
    let name = format!("Load_Deploy_{index}");
    let app = format!(
        r#"<?xml version="1.0" encoding="UTF-8"?>
<ConnectedApp xmlns="{NS}">
    <contactEmail>load@example.com</contactEmail>
    <label>{name}</label>
    <oauthConfig>
        <callbackUrl>{CALLBACK}</callbackUrl>
        <isAdminApproved>false</isAdminApproved>
        <isConsumerSecretOptional>false</isConsumerSecretOptional>
        <isPkceRequired>true</isPkceRequired>
        <scopes>Api</scopes>
    </oauthConfig>
</ConnectedApp>
"#
    );
    let package = format!(
        r#"<?xml version="1.0" encoding="UTF-8"?>
<Package xmlns="{NS}">
    <types>
        <members>{name}</members>
        <name>ConnectedApp</name>
    </types>
    <version>66.0</version>
</Package>
"#
    );
    let mut writer = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
    let options = zip::write::SimpleFileOptions::default();
    writer.start_file("package.xml", options).expect("start");
    writer.write_all(package.as_bytes()).expect("write");
    writer.start_file(format!("connectedApps/{name}.connectedApp"), options).expect("start");
    writer.write_all(app.as_bytes()).expect("write");
    writer.finish().expect("finish").into_inner()
}

async fn soap(http: &reqwest::Client, base: &str, session: &str, operation: &str) -> Result<String, String> {
    let envelope = format!(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?><soapenv:Envelope xmlns:soapenv=\"http://schemas.xmlsoap.org/soap/envelope/\"><soapenv:Header xmlns=\"{NS}\"><SessionHeader><sessionId>{session}</sessionId></SessionHeader></soapenv:Header><soapenv:Body xmlns=\"{NS}\">{operation}</soapenv:Body></soapenv:Envelope>"
    );
    let response = http
        .post(format!("{base}/services/Soap/m/66.0"))
        .header("Content-Type", "text/xml; charset=UTF-8")
        .header("SOAPAction", "\"\"")
        .body(envelope)
        .send()
        .await
        .map_err(|error| error.to_string())?;
    let status = response.status().as_u16();
    let body = response.text().await.map_err(|error| error.to_string())?;
    if status != 200 {
        return Err(format!("HTTP {status}: {body}"));
    }
    Ok(body)
}

/// Text of the first `<name>` element.
pub fn first(xml: &str, name: &str) -> Option<String> {
    let start = xml.find(&format!("<{name}>"))? + name.len() + 2;
    let end = xml[start..].find(&format!("</{name}>"))? + start;
    Some(xml[start..end].to_owned())
}

/// Deploys a zip and polls until done; returns the final status (`Succeeded`, `Failed`, …).
pub async fn deploy_and_wait(
    http: &reqwest::Client,
    base: &str,
    session: &str,
    zip: &[u8],
) -> Result<String, String> {
    let started = soap(
        http,
        base,
        session,
        &format!(
            "<deploy><ZipFile>{}</ZipFile><DeployOptions><singlePackage>true</singlePackage><rollbackOnError>true</rollbackOnError></DeployOptions></deploy>",
            STANDARD.encode(zip)
        ),
    )
    .await?;
    let id = first(&started, "id").ok_or("no id")?;
    for _ in 0..50 {
        let status = soap(
            http,
            base,
            session,
            &format!("<checkDeployStatus><asyncProcessId>{id}</asyncProcessId><includeDetails>true</includeDetails></checkDeployStatus>"),
        )
        .await?;
        if first(&status, "done").as_deref() == Some("true") {
            return first(&status, "status").ok_or_else(|| "no status".into());
        }
    }
    Err(format!("deploy {id} not done after 50 polls"))
}
