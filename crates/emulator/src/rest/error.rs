//! Error bodies as Salesforce's REST API shapes them: `[{"message": …, "errorCode": …}]`.

use axum::Json;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde_json::json;

use crate::store::StoreError;

/// One REST error.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ApiError {
    /// HTTP status.
    pub status: StatusCode,
    /// Salesforce error code (`INVALID_SESSION_ID`, `MALFORMED_QUERY`, …).
    pub error_code: String,
    /// Human message.
    pub message: String,
    /// Fields concerned, when Salesforce lists them.
    pub fields: Option<Vec<String>>,
}

impl ApiError {
    /// An error without a field list.
    pub fn new(status: StatusCode, error_code: &str, message: impl Into<String>) -> Self {
        Self { status, error_code: error_code.to_string(), message: message.into(), fields: None }
    }

    /// Adds the `fields` list.
    pub fn with_fields(mut self, fields: &[&str]) -> Self {
        self.fields = Some(fields.iter().map(|field| field.to_string()).collect());
        self
    }

    /// 401 `INVALID_SESSION_ID` `Session expired or invalid`.
    pub fn invalid_session() -> Self {
        Self::new(StatusCode::UNAUTHORIZED, "INVALID_SESSION_ID", "Session expired or invalid")
    }

    /// 401 for a session without the `api` scope.
    pub fn not_api_session() -> Self {
        Self::new(
            StatusCode::UNAUTHORIZED,
            "INVALID_SESSION_ID",
            "This session is not valid for use with the REST API",
        )
    }

    /// 404 `NOT_FOUND`.
    pub fn not_found() -> Self {
        Self::new(StatusCode::NOT_FOUND, "NOT_FOUND", "The requested resource does not exist")
    }

    /// 500 for a database failure (details go to the log, not the client).
    pub fn internal(error: &StoreError) -> Self {
        tracing::error!(%error, "org database failure");
        Self::new(
            StatusCode::INTERNAL_SERVER_ERROR,
            "UNKNOWN_EXCEPTION",
            "An unexpected error occurred in the emulated org; see the emulator's log.",
        )
    }
}

impl From<StoreError> for ApiError {
    fn from(error: StoreError) -> Self {
        Self::internal(&error)
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let mut body = json!({ "message": self.message, "errorCode": self.error_code });
        if let Some(fields) = self.fields {
            body["fields"] = json!(fields);
        }
        (self.status, Json(json!([body]))).into_response()
    }
}
