//! The Insights+ Apex REST call: `GET <instance_url><endpoint>` with a bearer token, its errors
//! read as the org reports them (`[{"errorCode": …, "message": …}]`).

use secrecy::{ExposeSecret, SecretString};
use serde::Deserialize;
use url::Url;

use crate::error::{OrgError, StepError};
use crate::transport::ensure_secure;

/// A successful Insights+ answer.
#[derive(Clone, Debug)]
pub struct InsightsAnswer {
    /// HTTP status (2xx).
    pub status: u16,
}

#[derive(Deserialize)]
struct ApexError {
    #[serde(rename = "errorCode")]
    error_code: Option<String>,
    message: Option<String>,
}

/// Joins the Insights+ path to an instance URL.
pub fn insights_url(instance_url: &Url, endpoint: &str) -> Result<Url, StepError> {
    let path = if endpoint.starts_with('/') { endpoint.to_owned() } else { format!("/{endpoint}") };
    instance_url
        .join(&path)
        .map_err(|error| StepError::Protocol(format!("bad Insights+ endpoint {endpoint:?}: {error}")))
}

/// Calls the Insights+ endpoint; `access_token` None is the "no token" probe.
pub async fn call_insights(
    http: &reqwest::Client,
    url: &Url,
    access_token: Option<&SecretString>,
) -> Result<InsightsAnswer, StepError> {
    ensure_secure(url)?;
    let mut request = http.get(url.clone()).header("Accept", "application/json");
    if let Some(token) = access_token {
        request = request.bearer_auth(token.expose_secret());
    }
    tracing::debug!(endpoint = %url.path(), with_token = access_token.is_some(), "Insights+ call");
    let response = request.send().await.map_err(|error| StepError::Transport(error.without_url()))?;
    let status = response.status();
    tracing::debug!(status = status.as_u16(), "Insights+ answer");
    if status.is_success() {
        return Ok(InsightsAnswer { status: status.as_u16() });
    }
    let body = response.bytes().await.map_err(|error| StepError::Transport(error.without_url()))?;
    Err(StepError::Org(apex_error(status.as_u16(), &body)))
}

/// Reads an Apex REST error body; falls back to the HTTP status as the code.
fn apex_error(status: u16, body: &[u8]) -> OrgError {
    let first = serde_json::from_slice::<Vec<ApexError>>(body)
        .ok()
        .and_then(|errors| errors.into_iter().next())
        .or_else(|| serde_json::from_slice::<ApexError>(body).ok());
    let (code, description) = match first {
        Some(ApexError { error_code: Some(code), message }) => (code, message),
        Some(ApexError { error_code: None, message }) => (format!("HTTP {status}"), message),
        None => (format!("HTTP {status}"), None),
    };
    OrgError { http_status: Some(status), code, description }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn apex_errors_are_read() {
        let body = br#"[{"message":"Session expired or invalid","errorCode":"INVALID_SESSION_ID"}]"#;
        let error = apex_error(401, body);
        assert_eq!(error.code, "INVALID_SESSION_ID");
        assert_eq!(error.http_status, Some(401));
        assert_eq!(error.description.as_deref(), Some("Session expired or invalid"));

        let error = apex_error(503, b"<html>down</html>");
        assert_eq!(error.code, "HTTP 503");
    }

    #[test]
    fn endpoint_joins_to_instance() {
        let base = Url::parse("https://x.my.salesforce.com/").expect("url");
        let url = insights_url(&base, "services/apexrest/insights/v1/status").expect("joins");
        assert_eq!(url.as_str(), "https://x.my.salesforce.com/services/apexrest/insights/v1/status");
    }
}
