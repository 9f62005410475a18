//! The HTTP side: one reqwest client (timeouts, no redirects followed), the https-only rule for
//! anything that carries credentials, and the adapter that lets `oauth2` send through reqwest 0.13.

use std::net::IpAddr;
use std::time::Duration;

use oauth2::{HttpRequest, HttpResponse};
use url::{Host, Url};

use crate::error::{AuthCheckError, StepError};

/// Builds the HTTP client every request of the check goes through.
///
/// Redirects are never followed: an OAuth answer that redirects is read as it is, and
/// credentials never travel to a host the check did not choose.
pub fn http_client(timeout: Duration) -> Result<reqwest::Client, AuthCheckError> {
    reqwest::Client::builder()
        .timeout(timeout)
        .connect_timeout(timeout.min(Duration::from_secs(15)))
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .map_err(|error| AuthCheckError::Config(format!("cannot build the HTTP client: {error}")))
}

/// True when `url` is https, or http to a loopback host (the emulator, a local callback).
pub fn is_secure_url(url: &Url) -> bool {
    match url.scheme() {
        "https" => true,
        "http" => is_loopback_host(url),
        _ => false,
    }
}

/// True when the URL's host is `localhost`, `127.0.0.0/8` or `::1`.
pub fn is_loopback_host(url: &Url) -> bool {
    match url.host() {
        Some(Host::Domain(domain)) => domain.eq_ignore_ascii_case("localhost"),
        Some(Host::Ipv4(address)) => IpAddr::V4(address).is_loopback(),
        Some(Host::Ipv6(address)) => IpAddr::V6(address).is_loopback(),
        None => false,
    }
}

/// Fails unless `url` may carry credentials (see [`is_secure_url`]).
pub(crate) fn ensure_secure(url: &Url) -> Result<(), StepError> {
    if is_secure_url(url) { Ok(()) } else { Err(StepError::Insecure(origin_of(url))) }
}

/// Scheme, host and port of a URL: safe to show (no path, query or credentials).
pub(crate) fn origin_of(url: &Url) -> String {
    url.origin().ascii_serialization()
}

/// Why an `oauth2` request could not be sent through reqwest.
#[derive(Debug, thiserror::Error)]
pub(crate) enum SendError {
    /// The endpoint is not https (loopback excepted).
    #[error("insecure endpoint {0}")]
    Insecure(String),
    /// reqwest failed (its URL is stripped).
    #[error(transparent)]
    Request(#[from] reqwest::Error),
    /// The response could not be turned back into an `http::Response`.
    #[error("cannot rebuild the response: {0}")]
    Rebuild(String),
}

/// Sends one `oauth2` request through reqwest and hands the answer back to `oauth2`.
pub(crate) async fn send_oauth(
    http: &reqwest::Client,
    request: HttpRequest,
) -> Result<HttpResponse, SendError> {
    let (parts, body) = request.into_parts();
    let url = Url::parse(&parts.uri.to_string())
        .map_err(|error| SendError::Rebuild(format!("bad request URL: {error}")))?;
    if !is_secure_url(&url) {
        return Err(SendError::Insecure(origin_of(&url)));
    }
    tracing::debug!(method = %parts.method, endpoint = %url.path(), "OAuth request");

    let response = http
        .request(parts.method, url)
        .headers(parts.headers)
        .body(body)
        .send()
        .await
        .map_err(reqwest::Error::without_url)?;
    let status = response.status();
    let headers = response.headers().clone();
    let bytes = response.bytes().await.map_err(reqwest::Error::without_url)?;
    tracing::debug!(status = status.as_u16(), "OAuth response");

    let mut builder = oauth2::http::Response::builder().status(status);
    if let Some(response_headers) = builder.headers_mut() {
        *response_headers = headers;
    }
    builder.body(bytes.to_vec()).map_err(|error| SendError::Rebuild(error.to_string()))
}

/// Turns a send failure into a step error.
pub(crate) fn step_error_from_send(error: SendError) -> StepError {
    match error {
        SendError::Insecure(origin) => StepError::Insecure(origin),
        SendError::Request(error) => StepError::Transport(error),
        SendError::Rebuild(message) => StepError::Protocol(message),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn secure(url: &str) -> bool {
        is_secure_url(&Url::parse(url).expect("test URL"))
    }

    #[test]
    fn only_https_or_loopback_http_is_secure() {
        assert!(secure("https://example.my.salesforce.com/services/oauth2/token"));
        assert!(secure("http://127.0.0.1:8080/services/oauth2/token"));
        assert!(secure("http://127.1.2.3/x"));
        assert!(secure("http://localhost:1717/callback"));
        assert!(secure("http://[::1]:99/"));
        assert!(!secure("http://example.com/services/oauth2/token"));
        assert!(!secure("http://10.0.0.1/"));
        assert!(!secure("http://localhost.example.com/"));
        assert!(!secure("ftp://127.0.0.1/"));
    }

    #[test]
    fn origin_hides_path_and_query() {
        let url = Url::parse("http://example.com:81/a/b?code=zzz#frag").expect("test URL");
        assert_eq!(origin_of(&url), "http://example.com:81");
    }
}
