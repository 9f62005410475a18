//! Runs the whole check and the unattended mode with every log at TRACE captured into a buffer,
//! and proves that no secret, token, verifier, code or password reaches the log or the report.

mod support;

use std::io::Write;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use insights_auth_check::{
    AuthorizeOptions, FlowConfig, PendingAuthorization, Secret, UnattendedConfig, default_scopes,
    emulator_login, run_flow, run_unattended,
};
use secrecy::{ExposeSecret, SecretString};
use support::{ADMIN_USER, API_USER, CONSUMER_SECRET, ENDPOINT, TestOrg, login_user};

#[derive(Clone, Default)]
struct Buffer(Arc<Mutex<Vec<u8>>>);

impl Write for Buffer {
    fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
        self.0.lock().map_err(|_| std::io::Error::other("poisoned"))?.extend_from_slice(bytes);
        Ok(bytes.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

impl Buffer {
    fn text(&self) -> String {
        String::from_utf8_lossy(&self.0.lock().expect("buffer")).into_owned()
    }
}

/// The longest run of base64url characters: a PKCE verifier is 128 of them.
fn longest_base64url_run(text: &str) -> usize {
    text.split(|c: char| !(c.is_ascii_alphanumeric() || c == '-' || c == '_'))
        .map(str::len)
        .max()
        .unwrap_or(0)
}

#[tokio::test]
async fn no_secret_reaches_the_trace_log_or_the_report() {
    let buffer = Buffer::default();
    let writer = buffer.clone();
    tracing_subscriber::fmt()
        .with_max_level(tracing::Level::TRACE)
        .with_ansi(false)
        .with_writer(move || writer.clone())
        .try_init()
        .expect("subscriber installed once in this test binary");

    let org = TestOrg::with_app().await;
    let app = org.app();

    // Steps by hand, so the code, verifier and tokens are known.
    let pending = PendingAuthorization::new(&app, &default_scopes(), &AuthorizeOptions::default())
        .expect("authorize URL");
    let code = emulator_login(&org.http, &pending, API_USER.0, &SecretString::from(API_USER.1))
        .await
        .expect("login");
    let tokens =
        app.exchange_code(&org.http, &code, Some(pending.verifier()), Secret::Send).await.expect("tokens");
    let refresh_token = tokens.refresh_token.clone().expect("refresh token");
    let refreshed = app.refresh(&org.http, &refresh_token, Secret::Send).await.expect("refresh");

    // The whole check, and the unattended one.
    let flow = run_flow(&FlowConfig {
        app: app.clone(),
        scopes: default_scopes(),
        insights_endpoint: ENDPOINT.into(),
        login: org.emulator_login(API_USER),
        denied_user: Some(login_user(ADMIN_USER)),
        revoke: true,
        propagation: org.quick_propagation(),
        http_timeout: Duration::from_secs(30),
    })
    .await
    .expect("flow runs");
    let mut unattended_app = app.clone();
    unattended_app.redirect_uri = None;
    let unattended = run_unattended(&UnattendedConfig {
        app: unattended_app,
        refresh_token: refresh_token.clone(),
        insights_endpoint: ENDPOINT.into(),
        revoke: true,
        propagation: org.quick_propagation(),
        http_timeout: Duration::from_secs(30),
    })
    .await
    .expect("unattended runs");
    assert!(flow.passed && unattended.passed, "{flow:?}\n{unattended:?}");

    let mut output = buffer.text();
    output.push_str(&serde_json::to_string(&flow).expect("json"));
    output.push_str(&serde_json::to_string(&unattended).expect("json"));
    output.push_str(&format!("{flow:?}{unattended:?}{tokens:?}{refreshed:?}{pending:?}{app:?}"));
    assert!(output.contains("OAuth request"), "the trace log was captured");

    let secrets = [
        CONSUMER_SECRET,
        API_USER.1,
        ADMIN_USER.1,
        code.expose_secret(),
        pending.verifier().expose_secret(),
        tokens.access_token.expose_secret(),
        refresh_token.expose_secret(),
        refreshed.access_token.expose_secret(),
    ];
    for secret in secrets {
        assert!(!output.contains(secret), "a secret reached the log or report");
    }
    // Shapes of the emulator's tokens and codes, issued inside run_flow.
    for shape in ["!AQ", "5Aep861", "aPrx"] {
        assert!(!output.contains(shape), "a token or code of shape {shape} reached the log");
    }
    assert!(longest_base64url_run(&output) < 100, "a verifier-length string reached the log");
}
