//! The HTTP side of an org connection: one reqwest client with timeouts, retries with backoff,
//! a request counter, and the API version check.

use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use reqwest::header::{HeaderValue, LOCATION, RETRY_AFTER};
use secrecy::SecretString;

use crate::connection::{Connection, ConnectionSource, token_text};
use crate::error::body_excerpt;
use crate::retry::{PollPolicy, RetryPolicy};
use crate::{OrgError, RestError};

/// Timeouts, retries and poll pacing of a client.
#[derive(Debug, Clone)]
pub struct ClientOptions {
    /// Time allowed to open a connection.
    pub connect_timeout: Duration,
    /// Time allowed for one whole request and its answer.
    pub request_timeout: Duration,
    /// Retries of transient failures.
    pub retry: RetryPolicy,
    /// Pacing of deploy and retrieve status checks.
    pub poll: PollPolicy,
}

impl Default for ClientOptions {
    fn default() -> Self {
        Self {
            connect_timeout: Duration::from_secs(10),
            request_timeout: Duration::from_secs(120),
            retry: RetryPolicy::default(),
            poll: PollPolicy::default(),
        }
    }
}

/// Whether a request may be sent again after a failure that the org may have acted on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Resend {
    /// Reads and other requests that are safe to repeat: retry connect errors, 5xx and 429.
    Safe,
    /// Requests the org may have accepted (a deploy): retry only when no connection was made.
    OnlyIfNotSent,
}

/// A raw answer: status, body text, and where a redirect points (query left out).
#[derive(Debug)]
pub(crate) struct HttpAnswer {
    pub status: u16,
    pub body: String,
    pub location: Option<String>,
}

/// A connected org: instance URL, session, API version and the HTTP client.
#[derive(Debug)]
pub struct OrgClient {
    http: reqwest::Client,
    instance_url: String,
    access_token: SecretString,
    api_version: String,
    source: ConnectionSource,
    options: ClientOptions,
    requests: AtomicU64,
}

impl OrgClient {
    /// Builds the client and checks that the org offers `api_version` (`GET /services/data`).
    pub async fn connect(
        connection: Connection,
        api_version: &str,
        options: ClientOptions,
    ) -> Result<Self, OrgError> {
        let http = reqwest::Client::builder()
            .connect_timeout(options.connect_timeout)
            .timeout(options.request_timeout)
            .redirect(reqwest::redirect::Policy::none())
            .user_agent(concat!("insights-provision/", env!("CARGO_PKG_VERSION")))
            .build()
            .map_err(|source| OrgError::Unreachable {
                operation: "building the HTTP client".into(),
                attempts: 0,
                source,
            })?;
        let client = Self {
            http,
            instance_url: connection.instance_url.as_str().trim_end_matches('/').to_owned(),
            access_token: connection.access_token,
            api_version: api_version.to_owned(),
            source: connection.source,
            options,
            requests: AtomicU64::new(0),
        };
        client.check_api_version().await?;
        tracing::debug!(instance_url = %client.instance_url, source = ?client.source, "connected");
        Ok(client)
    }

    /// The instance URL without a trailing slash.
    pub fn instance_url(&self) -> &str {
        &self.instance_url
    }

    /// The API version every call uses, e.g. `66.0`.
    pub fn api_version(&self) -> &str {
        &self.api_version
    }

    /// Where the connection came from.
    pub fn source(&self) -> &ConnectionSource {
        &self.source
    }

    /// The options this client was built with.
    pub fn options(&self) -> &ClientOptions {
        &self.options
    }

    /// HTTP requests sent so far (retries included).
    pub fn request_count(&self) -> u64 {
        self.requests.load(Ordering::Relaxed)
    }

    /// The session id / bearer token (for SOAP headers and REST).
    pub(crate) fn token(&self) -> &str {
        token_text(&self.access_token)
    }

    /// `{instance}/services/data/v{version}/{path}`.
    pub(crate) fn data_url(&self, path: &str) -> String {
        format!("{}/services/data/v{}/{}", self.instance_url, self.api_version, path)
    }

    /// `{instance}/services/Soap/m/{version}`.
    pub(crate) fn soap_url(&self) -> String {
        format!("{}/services/Soap/m/{}", self.instance_url, self.api_version)
    }

    /// `{instance}{path}` for paths outside the versioned data API.
    pub(crate) fn instance_path(&self, path: &str) -> String {
        format!("{}{}", self.instance_url, path)
    }

    async fn check_api_version(&self) -> Result<(), OrgError> {
        let operation = "listing API versions (GET /services/data)";
        let url = self.instance_path("/services/data");
        let answer =
            self.send(operation, Resend::Safe, |http| http.get(&url).bearer_auth(self.token())).await?;
        let versions: Vec<ApiVersionEntry> = rest_json(operation, &answer)?;
        if versions.iter().any(|entry| entry.version == self.api_version) {
            return Ok(());
        }
        let offered: Vec<&str> = versions.iter().map(|entry| entry.version.as_str()).collect();
        Err(OrgError::ApiVersionUnsupported { wanted: self.api_version.clone(), offered: offered.join(", ") })
    }

    /// Sends a request, retrying transient failures per `resend`, and returns status and body.
    pub(crate) async fn send<F>(
        &self,
        operation: &str,
        resend: Resend,
        build: F,
    ) -> Result<HttpAnswer, OrgError>
    where
        F: Fn(&reqwest::Client) -> reqwest::RequestBuilder,
    {
        let policy = self.options.retry;
        let mut attempt = 0;
        loop {
            attempt += 1;
            self.requests.fetch_add(1, Ordering::Relaxed);
            let last_try = attempt >= policy.max_attempts;
            let response = match build(&self.http).send().await {
                Ok(response) => response,
                Err(error) => {
                    let not_sent = error.is_connect();
                    let retry = not_sent || (resend == Resend::Safe && error.is_timeout());
                    if retry && !last_try {
                        let delay = policy.delay_after(attempt);
                        tracing::warn!(operation, attempt, ?delay, "transport error, retrying: {error}");
                        tokio::time::sleep(delay).await;
                        continue;
                    }
                    return Err(OrgError::Unreachable {
                        operation: operation.to_owned(),
                        attempts: attempt,
                        source: error.without_url(),
                    });
                }
            };
            let status = response.status().as_u16();
            let retry_after = response.headers().get(RETRY_AFTER).and_then(retry_after_delay);
            let location = response.headers().get(LOCATION).map(redirect_target);
            let body = match response.text().await {
                Ok(body) => body,
                Err(error) if resend == Resend::Safe && !last_try => {
                    tracing::warn!(operation, attempt, "reading the answer failed, retrying: {error}");
                    tokio::time::sleep(policy.delay_after(attempt)).await;
                    continue;
                }
                Err(error) => {
                    return Err(OrgError::Unreachable {
                        operation: operation.to_owned(),
                        attempts: attempt,
                        source: error.without_url(),
                    });
                }
            };
            let transient = status == 429 || (status >= 500 && !is_soap_fault(&body));
            if transient && resend == Resend::Safe && !last_try {
                let delay = retry_after.unwrap_or_else(|| policy.delay_after(attempt)).min(policy.max_delay);
                tracing::warn!(operation, attempt, status, ?delay, "transient HTTP status, retrying");
                tokio::time::sleep(delay).await;
                continue;
            }
            tracing::trace!(operation, status, "answer received");
            return Ok(HttpAnswer { status, body, location });
        }
    }
}

/// A SOAP fault is the org's definite answer, not a transient failure.
fn is_soap_fault(body: &str) -> bool {
    body.contains("Fault>") && body.contains("faultcode")
}

fn retry_after_delay(value: &HeaderValue) -> Option<Duration> {
    let seconds: u64 = value.to_str().ok()?.trim().parse().ok()?;
    Some(Duration::from_secs(seconds))
}

#[derive(Debug, serde::Deserialize)]
struct ApiVersionEntry {
    version: String,
}

/// Where a redirect points, without query or fragment (they may carry a session).
fn redirect_target(value: &HeaderValue) -> String {
    let text = String::from_utf8_lossy(value.as_bytes());
    let cut = text.find(['?', '#']).unwrap_or(text.len());
    text[..cut].chars().filter(|c| !c.is_control()).take(200).collect()
}

/// An answer that is not from the org's API at all: a redirect (never followed, so a session
/// never reaches another address) or an HTML page below HTTP 500 (a login page, a portal).
pub(crate) fn foreign_answer(operation: &str, answer: &HttpAnswer) -> Option<OrgError> {
    if (300..400).contains(&answer.status) {
        return Some(OrgError::Redirected {
            operation: operation.to_owned(),
            status: answer.status,
            location: answer.location.clone().unwrap_or_else(|| "(no Location)".into()),
        });
    }
    let start: String = answer.body.trim_start().chars().take(15).collect::<String>().to_ascii_lowercase();
    // A 5xx page is a gateway's or the org's own trouble: reported as its HTTP status.
    if answer.status < 500 && (start.starts_with("<!doctype html") || start.starts_with("<html")) {
        return Some(OrgError::NotAnApi { operation: operation.to_owned(), status: answer.status });
    }
    None
}

/// Reads a REST answer: JSON on 2xx, typed errors otherwise.
pub(crate) fn rest_json<T: serde::de::DeserializeOwned>(
    operation: &str,
    answer: &HttpAnswer,
) -> Result<T, OrgError> {
    if !(200..300).contains(&answer.status) {
        return Err(rest_error(operation, answer));
    }
    if let Some(error) = foreign_answer(operation, answer) {
        return Err(error);
    }
    serde_json::from_str(&answer.body).map_err(|error| {
        tracing::debug!(operation, %error, "the answer is not the expected JSON");
        OrgError::UnexpectedResponse {
            operation: operation.to_owned(),
            reason: "the answer is not the JSON the org's REST API gives".into(),
            body: body_excerpt(&answer.body),
        }
    })
}

/// Turns a REST error answer into a typed error (401 / INVALID_SESSION_ID: a session error).
pub(crate) fn rest_error(operation: &str, answer: &HttpAnswer) -> OrgError {
    let errors: Vec<RestError> = serde_json::from_str(&answer.body).unwrap_or_default();
    if answer.status != 401
        && let Some(error) = foreign_answer(operation, answer)
    {
        return error;
    }
    let session_error = errors.iter().find(|error| error.error_code == "INVALID_SESSION_ID");
    if answer.status == 401 || session_error.is_some() {
        let detail = session_error
            .map(|error| format!("INVALID_SESSION_ID: {}", error.message))
            .unwrap_or_else(|| "HTTP 401".to_owned());
        return OrgError::SessionInvalid { detail };
    }
    if errors.is_empty() {
        return OrgError::HttpStatus {
            operation: operation.to_owned(),
            status: answer.status,
            body: body_excerpt(&answer.body),
        };
    }
    OrgError::Rest { operation: operation.to_owned(), status: answer.status, errors }
}
