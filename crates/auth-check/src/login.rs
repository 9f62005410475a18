//! The three ways to complete a login: a loopback callback caught by our listener, a redirect
//! URL pasted by the person, or the emulator's login form posted as a seeded user.

use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::time::Duration;

use secrecy::{ExposeSecret, SecretString};
use serde::Deserialize;
use url::Url;

use crate::authorize::PendingAuthorization;
use crate::error::{OrgError, StepError};
use crate::loopback::CallbackListener;
use crate::transport::{ensure_secure, is_loopback_host};

/// A boxed future, for the one async method of [`LoginUi`].
pub type BoxFuture<'a, T> = Pin<Box<dyn Future<Output = T> + Send + 'a>>;

/// What the person is asked to do for one login.
#[derive(Clone, Debug)]
pub struct LoginPrompt {
    /// Which login this is, e.g. `probe: token exchange without code_verifier`.
    pub purpose: String,
    /// The user to log in as, when it matters (the denied-user probe).
    pub username: Option<String>,
    /// True when the redirect must be pasted back (the callback is not a loopback URL).
    pub paste_redirect: bool,
}

/// The terminal side of a browser login, provided by the caller (the library prints nothing).
pub trait LoginUi: Send + Sync {
    /// Opens the authorize URL in a browser, or shows it when no browser can be opened.
    fn open_authorize_url(&self, url: &Url, prompt: &LoginPrompt);

    /// Reads the redirect URL the browser ended on (paste mode).
    fn read_pasted_redirect(&self) -> BoxFuture<'_, std::io::Result<String>>;
}

/// A user who logs in: the password is needed only for the emulator's form.
#[derive(Clone, Debug)]
pub struct LoginUser {
    /// Username.
    pub username: String,
    /// Password (emulator form only).
    pub password: Option<SecretString>,
}

/// How logins are completed.
#[derive(Clone)]
pub enum Login {
    /// A person logs in through a browser: loopback callback or pasted redirect.
    Browser {
        /// Opens or shows URLs and reads pasted redirects.
        ui: Arc<dyn LoginUi>,
        /// How long to wait for each redirect.
        redirect_timeout: Duration,
    },
    /// The emulator's login form is posted directly (no person needed).
    EmulatorForm {
        /// The user the main flow logs in as (needs a password).
        user: LoginUser,
    },
}

impl std::fmt::Debug for Login {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::Browser { redirect_timeout, .. } => {
                f.debug_struct("Browser").field("redirect_timeout", redirect_timeout).finish()
            }
            Self::EmulatorForm { user } => f.debug_struct("EmulatorForm").field("user", user).finish(),
        }
    }
}

/// True when the callback can be caught by a local listener (plain http on loopback).
pub fn is_loopback_callback(callback: &Url) -> bool {
    callback.scheme() == "http" && is_loopback_host(callback)
}

/// Completes one browser login and returns the code.
pub(crate) async fn browser_login(
    ui: &dyn LoginUi,
    redirect_timeout: Duration,
    callback: &Url,
    pending: &PendingAuthorization,
    mut prompt: LoginPrompt,
) -> Result<SecretString, StepError> {
    if is_loopback_callback(callback) {
        prompt.paste_redirect = false;
        let listener = CallbackListener::bind(callback).await?;
        ui.open_authorize_url(&pending.url, &prompt);
        listener.accept_redirect(pending, redirect_timeout).await
    } else {
        prompt.paste_redirect = true;
        ui.open_authorize_url(&pending.url, &prompt);
        let pasted = tokio::time::timeout(redirect_timeout, ui.read_pasted_redirect())
            .await
            .map_err(|_| StepError::Redirect("no redirect URL was pasted in time".into()))?
            .map_err(|error| StepError::Redirect(format!("reading the pasted URL: {error}")))?;
        pending.read_redirect(&pasted)
    }
}

/// Posts the emulator's login form (every authorize parameter plus username and password) and
/// reads the redirect it answers with.
pub async fn emulator_login(
    http: &reqwest::Client,
    pending: &PendingAuthorization,
    username: &str,
    password: &SecretString,
) -> Result<SecretString, StepError> {
    let mut form: Vec<(String, String)> = pending.url.query_pairs().into_owned().collect();
    form.push(("username".into(), username.to_owned()));
    form.push(("password".into(), password.expose_secret().to_owned()));
    let mut endpoint = pending.url.clone();
    endpoint.set_query(None);
    ensure_secure(&endpoint)?;

    tracing::debug!(username, "posting the emulator login form");
    let response = http
        .post(endpoint)
        .form(&form)
        .send()
        .await
        .map_err(|error| StepError::Transport(error.without_url()))?;
    let status = response.status();
    if status.is_redirection() {
        let location = response
            .headers()
            .get(reqwest::header::LOCATION)
            .and_then(|value| value.to_str().ok())
            .ok_or_else(|| StepError::Protocol("a redirect without a Location".into()))?
            .to_owned();
        return pending.read_redirect(&location);
    }
    let body = response.text().await.map_err(|error| StepError::Transport(error.without_url()))?;
    if let Some(mut error) = org_error_in_body(&body) {
        error.http_status = Some(status.as_u16());
        return Err(StepError::Org(error));
    }
    Err(StepError::LoginRejected(format!("the login form answered HTTP {}", status.as_u16())))
}

/// Looks at the authorize URL without logging in: an answer that already names a propagation
/// error (`invalid_client_id`, `redirect_uri_mismatch`) is returned as the org's error.
pub(crate) async fn preflight_authorize(
    http: &reqwest::Client,
    pending: &PendingAuthorization,
) -> Result<(), StepError> {
    ensure_secure(&pending.url)?;
    let response = http
        .get(pending.url.clone())
        .send()
        .await
        .map_err(|error| StepError::Transport(error.without_url()))?;
    let status = response.status();
    if status.is_redirection() {
        let location = response
            .headers()
            .get(reqwest::header::LOCATION)
            .and_then(|value| value.to_str().ok())
            .and_then(|location| pending.url.join(location).ok());
        if let Some(location) = location {
            let pairs: Vec<(String, String)> = location.query_pairs().into_owned().collect();
            let error = pairs.iter().find(|(name, _)| name == "error").map(|(_, value)| value);
            if let Some(code) = error {
                let description = pairs
                    .iter()
                    .find(|(name, _)| name == "error_description")
                    .map(|(_, value)| value.clone());
                return Err(StepError::Org(OrgError::new(code.clone(), description)));
            }
        }
        return Ok(());
    }
    if status.is_client_error() || status.is_server_error() {
        let body = response.text().await.unwrap_or_default();
        let mut error = org_error_in_body(&body)
            .unwrap_or_else(|| OrgError::new(format!("HTTP {}", status.as_u16()), None));
        error.http_status = Some(status.as_u16());
        return Err(StepError::Org(error));
    }
    Ok(())
}

#[derive(Deserialize)]
struct ErrorBody {
    error: String,
    #[serde(default)]
    error_description: Option<String>,
}

/// Finds an OAuth error in a JSON body, or a known code named in an HTML error page.
fn org_error_in_body(body: &str) -> Option<OrgError> {
    if let Ok(parsed) = serde_json::from_str::<ErrorBody>(body) {
        return Some(OrgError::new(parsed.error, parsed.error_description));
    }
    const KNOWN: [&str; 6] = [
        "invalid_client_id",
        "redirect_uri_mismatch",
        "invalid_app_access",
        "invalid_request",
        "access_denied",
        "OAUTH_APP_BLOCKED",
    ];
    KNOWN.iter().find(|code| body.contains(*code)).map(|code| OrgError::new(*code, None))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn loopback_callbacks() {
        let url = |text: &str| Url::parse(text).expect("url");
        assert!(is_loopback_callback(&url("http://localhost:1717/OauthRedirect")));
        assert!(is_loopback_callback(&url("http://127.0.0.1:8080/cb")));
        assert!(!is_loopback_callback(&url("https://localhost:8443/oauth/callback")));
        assert!(!is_loopback_callback(&url("https://app.example.com/cb")));
    }

    #[test]
    fn error_pages_are_read() {
        let json = r#"{"error":"invalid_client_id","error_description":"client identifier invalid"}"#;
        assert_eq!(org_error_in_body(json).map(|e| e.code).as_deref(), Some("invalid_client_id"));
        let html = "<html><p>error=redirect_uri_mismatch</p></html>";
        assert_eq!(org_error_in_body(html).map(|e| e.code).as_deref(), Some("redirect_uri_mismatch"));
        assert!(org_error_in_body("<html>Login</html>").is_none());
    }
}
