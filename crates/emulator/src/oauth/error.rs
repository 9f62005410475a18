//! OAuth error bodies as Salesforce sends them: `{"error": …, "error_description": …}`.

use axum::Json;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde_json::json;

use crate::store::StoreError;

/// An OAuth error.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct OAuthError {
    /// HTTP status (400 unless noted).
    pub status: StatusCode,
    /// `error`.
    pub error: &'static str,
    /// `error_description`.
    pub description: &'static str,
}

impl OAuthError {
    const fn bad_request(error: &'static str, description: &'static str) -> Self {
        Self { status: StatusCode::BAD_REQUEST, error, description }
    }

    /// Unknown client_id (or an app OAuth does not see yet).
    pub const INVALID_CLIENT_ID: Self = Self::bad_request("invalid_client_id", "client identifier invalid");
    /// Missing or wrong client_secret.
    pub const INVALID_CLIENT: Self = Self::bad_request("invalid_client", "invalid client credentials");
    /// redirect_uri not among the callback URLs, or not the authorize one.
    pub const REDIRECT_MISMATCH: Self =
        Self::bad_request("redirect_uri_mismatch", "redirect_uri must match configuration");
    /// PKCE required and no code_challenge.
    pub const MISSING_CHALLENGE: Self =
        Self::bad_request("invalid_request", "missing required code challenge");
    /// code_challenge_method other than S256 or plain.
    pub const UNSUPPORTED_METHOD: Self =
        Self::bad_request("invalid_request", "unsupported code challenge method");
    /// code_verifier wrong, missing or malformed.
    pub const INVALID_VERIFIER: Self = Self::bad_request("invalid_grant", "invalid code verifier");
    /// Unknown or reused code.
    pub const INVALID_CODE: Self = Self::bad_request("invalid_grant", "invalid authorization code");
    /// Code older than its lifetime.
    pub const EXPIRED_CODE: Self = Self::bad_request("invalid_grant", "expired authorization code");
    /// Refresh token revoked, expired by policy, or of another app.
    pub const EXPIRED_TOKEN: Self = Self::bad_request("invalid_grant", "expired access/refresh token");
    /// Login address outside the profile's range.
    pub const IP_RESTRICTED: Self = Self::bad_request("invalid_grant", "ip restricted");
    /// Admin-approved app, user not granted it.
    pub const NOT_APPROVED: Self =
        Self::bad_request("invalid_app_access", "user is not admin approved to access this app");
    /// grant_type missing or not supported.
    pub const UNSUPPORTED_GRANT: Self =
        Self::bad_request("unsupported_grant_type", "grant type not supported");
    /// A scope the app does not have.
    pub const INVALID_SCOPE: Self = Self::bad_request("invalid_scope", "the requested scope is not allowed");
    /// response_type other than `code`.
    pub const UNSUPPORTED_RESPONSE_TYPE: Self =
        Self::bad_request("unsupported_response_type", "response type not supported");
    /// A required parameter is missing.
    pub const MISSING_PARAMETER: Self = Self::bad_request("invalid_request", "missing required parameter");
    /// The user's profile has no API access.
    pub const API_DISABLED: Self = Self::bad_request("invalid_grant", "user does not have API access");
    /// revoke/introspect: unknown token.
    pub const INVALID_TOKEN: Self = Self::bad_request("invalid_token", "invalid token");
    /// A database failure.
    pub const SERVER_ERROR: Self = Self {
        status: StatusCode::INTERNAL_SERVER_ERROR,
        error: "server_error",
        description: "internal server error",
    };
}

impl From<StoreError> for OAuthError {
    fn from(error: StoreError) -> Self {
        tracing::error!(%error, "org database failure");
        Self::SERVER_ERROR
    }
}

impl IntoResponse for OAuthError {
    fn into_response(self) -> Response {
        (self.status, Json(json!({ "error": self.error, "error_description": self.description })))
            .into_response()
    }
}
