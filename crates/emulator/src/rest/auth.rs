//! Reading the session of a REST or Apex REST request from `Authorization: Bearer <token>`
//! (Salesforce also accepts the older `OAuth <token>`).

use axum::http::HeaderMap;
use axum::http::header::AUTHORIZATION;

use super::error::ApiError;
use crate::state::AppState;
use crate::store::Session;

/// The bearer token of the request, if any.
pub fn bearer_token(headers: &HeaderMap) -> Option<&str> {
    let value = headers.get(AUTHORIZATION)?.to_str().ok()?.trim();
    let (scheme, token) = value.split_once(' ')?;
    let token = token.trim();
    (scheme.eq_ignore_ascii_case("bearer") || scheme.eq_ignore_ascii_case("oauth"))
        .then_some(token)
        .filter(|token| !token.is_empty())
}

/// The valid session of the request; 401 when absent, invalid, expired or without `api` scope.
pub fn api_session(state: &AppState, headers: &HeaderMap) -> Result<Session, ApiError> {
    let token = bearer_token(headers).ok_or_else(ApiError::invalid_session)?;
    let session = state.session(token)?.ok_or_else(ApiError::invalid_session)?;
    if !session.has_api_scope() {
        return Err(ApiError::not_api_session());
    }
    Ok(session)
}
