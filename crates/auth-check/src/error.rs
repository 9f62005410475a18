//! Error types: what an org said (`OrgError`), why one step failed (`StepError`), and why the
//! whole check could not run (`AuthCheckError`).
//!
//! None of these carries a token, secret, verifier, code or a response body that could hold one.

use std::fmt;

use serde::Serialize;

/// An error as the org reported it: an OAuth `error`/`error_description` pair, or an Apex REST
/// `errorCode`/`message` pair.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct OrgError {
    /// HTTP status, when the error came in an HTTP response (not in a redirect).
    pub http_status: Option<u16>,
    /// The org's code, e.g. `invalid_grant` or `INVALID_SESSION_ID`.
    pub code: String,
    /// The org's description, e.g. `expired authorization code`.
    pub description: Option<String>,
}

impl OrgError {
    /// An error with a code and an optional description and no HTTP status.
    pub fn new(code: impl Into<String>, description: Option<String>) -> Self {
        Self { http_status: None, code: code.into(), description }
    }

    /// The error as `code: description`, the form used in reports.
    pub fn summary(&self) -> String {
        match &self.description {
            Some(description) if !description.is_empty() => format!("{}: {description}", self.code),
            _ => self.code.clone(),
        }
    }
}

impl fmt::Display for OrgError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if let Some(status) = self.http_status {
            write!(f, "HTTP {status} ")?;
        }
        f.write_str(&self.summary())
    }
}

/// Why one step of the check did not succeed.
#[derive(Debug, thiserror::Error)]
pub enum StepError {
    /// The org refused the request with its own error code.
    #[error("the org answered {0}")]
    Org(OrgError),
    /// The redirect's `state` was not the one sent (a stale tab, or a forged redirect).
    #[error("the redirect's state does not match the one sent with the authorize request")]
    StateMismatch,
    /// The redirect carried neither `code` nor `error`.
    #[error("the redirect carries neither a code nor an error")]
    MissingCode,
    /// The emulator's login form did not accept the user (no redirect came back).
    #[error("login was not accepted: {0}")]
    LoginRejected(String),
    /// A URL that would carry a secret or token is not https (loopback excepted).
    #[error("refusing to send credentials to {0}: only https is allowed (http only on loopback)")]
    Insecure(String),
    /// The request could not be sent or the answer not read (connection, timeout).
    #[error("request failed: {0}")]
    Transport(#[source] reqwest::Error),
    /// The answer was not what the protocol says (unparsable, unexpected status).
    #[error("unexpected answer: {0}")]
    Protocol(String),
    /// Waiting for the browser redirect or the pasted URL failed or timed out.
    #[error("waiting for the login redirect failed: {0}")]
    Redirect(String),
}

impl StepError {
    /// The org's error, when the org answered with one.
    pub fn org_error(&self) -> Option<&OrgError> {
        match self {
            Self::Org(error) => Some(error),
            _ => None,
        }
    }

    /// True when the org could not be reached at all (connection refused, DNS, timeout).
    pub fn is_unreachable(&self) -> bool {
        matches!(self, Self::Transport(error) if error.is_connect() || error.is_timeout())
    }
}

/// Why the check as a whole could not run.
#[derive(Debug, thiserror::Error)]
pub enum AuthCheckError {
    /// The org did not answer (connection refused, DNS, timeout).
    #[error("the org cannot be reached during {step}: {reason}")]
    Unreachable {
        /// The step that tried to reach it.
        step: String,
        /// The transport error, without URL.
        reason: String,
    },
    /// The check's configuration cannot work (bad URL, insecure endpoint, missing value).
    #[error("invalid auth-check configuration: {0}")]
    Config(String),
}
