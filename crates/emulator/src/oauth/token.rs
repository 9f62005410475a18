//! `POST /services/oauth2/token`: the `authorization_code` and `refresh_token` grants.
//! The body is read whole (chunked or not) and parsed as a form whatever its content type.

use std::net::SocketAddr;

use axum::Json;
use axum::body::Bytes;
use axum::extract::{ConnectInfo, State};
use axum::http::HeaderMap;
use axum::response::{IntoResponse, Response};

use super::error::OAuthError;
use super::grant::{self, Client, RefreshGrant, field};
use super::pkce;
use super::policy::RefreshTokenPolicy;
use super::scopes;
use crate::state::AppState;
use crate::store::{tokens, users};

/// How long an authorization code lives (seconds).
pub const CODE_LIFETIME_SECONDS: i64 = 15 * 60;

/// The token endpoint.
pub async fn token(
    State(state): State<AppState>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let form = grant::parse_form(&body);
    let result = match field(&form, "grant_type") {
        Some("authorization_code") => exchange_code(&state, &form, &headers, peer),
        Some("refresh_token") => refresh(&state, &form, &headers, peer),
        _ => Err(OAuthError::UNSUPPORTED_GRANT),
    };
    match result {
        Ok(body) => Json(body).into_response(),
        Err(error) => {
            tracing::debug!(error = error.error, description = error.description, "token request refused");
            error.into_response()
        }
    }
}

type Form = std::collections::HashMap<String, String>;

fn exchange_code(
    state: &AppState,
    form: &Form,
    headers: &HeaderMap,
    peer: SocketAddr,
) -> Result<serde_json::Value, OAuthError> {
    let (client_id, secret) = grant::client_credentials(form, headers);
    let client = grant::find_client(state, client_id.as_deref())?;
    grant::check_secret(&client, secret.as_deref(), !client.policy.is_consumer_secret_optional)?;

    let code_text = field(form, "code").ok_or(OAuthError::INVALID_CODE)?;
    let code = state
        .store
        .read(|connection| tokens::find_code(connection, code_text))?
        .filter(|code| !code.used && code.app_full_name == client.app.full_name)
        .ok_or(OAuthError::INVALID_CODE)?;
    // From here on the code is spent, whatever the outcome.
    if !state.store.with_tx(|tx| tokens::mark_code_used(tx, &code.code_hash))? {
        return Err(OAuthError::INVALID_CODE);
    }
    if state.clock.now_epoch() - code.created_at > CODE_LIFETIME_SECONDS {
        return Err(OAuthError::EXPIRED_CODE);
    }
    if field(form, "redirect_uri") != Some(code.redirect_uri.as_str()) {
        return Err(OAuthError::REDIRECT_MISMATCH);
    }
    if let Some(challenge) = &code.code_challenge {
        let verifier = field(form, "code_verifier").ok_or(OAuthError::INVALID_VERIFIER)?;
        if !pkce::verify(verifier, challenge, code.code_challenge_method.as_deref()) {
            return Err(OAuthError::INVALID_VERIFIER);
        }
    }
    let user = state
        .store
        .read(|connection| users::by_id(connection, &code.user_id))?
        .ok_or(OAuthError::INVALID_CODE)?;
    grant::admit_user(state, &client, &user, peer.ip(), false)?;

    let granted: Vec<String> = code.scopes.split_whitespace().map(str::to_string).collect();
    let refresh = if scopes::allows_refresh_token(&granted) && client.policy.has_scope("RefreshToken") {
        RefreshGrant::New
    } else {
        RefreshGrant::None
    };
    tracing::info!(app = %client.app.full_name, user = %user.username, "authorization code exchanged");
    grant::issue(state, &client, &user.id, &granted, refresh, None)
}

fn refresh(
    state: &AppState,
    form: &Form,
    headers: &HeaderMap,
    peer: SocketAddr,
) -> Result<serde_json::Value, OAuthError> {
    let (client_id, secret) = grant::client_credentials(form, headers);
    let client = grant::find_client(state, client_id.as_deref())?;
    grant::check_secret(&client, secret.as_deref(), client.policy.is_secret_required_for_refresh_token)?;

    let token_text = field(form, "refresh_token").ok_or(OAuthError::EXPIRED_TOKEN)?;
    let record = state
        .store
        .read(|connection| tokens::find_refresh_token(connection, token_text))?
        .filter(|record| record.app_full_name.as_deref() == Some(client.app.full_name.as_str()))
        .ok_or(OAuthError::EXPIRED_TOKEN)?;
    let grant_id = record.grant_id.clone().unwrap_or_default();
    if record.revoked {
        if client.policy.is_refresh_token_rotation_enabled {
            // A replayed rotated token ends the whole grant.
            state.store.with_tx(|tx| tokens::revoke_grant(tx, &grant_id))?;
        }
        return Err(OAuthError::EXPIRED_TOKEN);
    }
    let now = state.clock.now_epoch();
    if !policy_allows(client_policy(&client), record.issued_at, record.last_used_at, now) {
        return Err(OAuthError::EXPIRED_TOKEN);
    }
    let user = state
        .store
        .read(|connection| users::by_id(connection, &record.user_id))?
        .ok_or(OAuthError::EXPIRED_TOKEN)?;
    grant::admit_user(state, &client, &user, peer.ip(), true)?;

    state.store.with_tx(|tx| {
        tokens::touch_refresh_token(tx, &record.token_hash, now)?;
        if client.policy.is_refresh_token_rotation_enabled {
            tokens::retire_refresh_token(tx, &record.token_hash)?;
        }
        Ok(())
    })?;
    let refresh = if client.policy.is_refresh_token_rotation_enabled {
        RefreshGrant::Rotated(&grant_id)
    } else {
        RefreshGrant::None
    };
    grant::issue(state, &client, &user.id, &record.scopes, refresh, Some(&record.token_hash))
}

fn client_policy(client: &Client) -> RefreshTokenPolicy {
    client.policy.refresh_token_policy
}

/// Whether a refresh token issued at `issued_at` and last used at `last_used_at` is still
/// valid at `now` under `policy` (evaluated only when the token is used).
pub fn policy_allows(policy: RefreshTokenPolicy, issued_at: i64, last_used_at: i64, now: i64) -> bool {
    match policy {
        RefreshTokenPolicy::Infinite => true,
        RefreshTokenPolicy::Zero => false,
        RefreshTokenPolicy::SpecificLifetime(seconds) => now < issued_at.saturating_add(seconds),
        RefreshTokenPolicy::SpecificInactivity(seconds) => now < last_used_at.saturating_add(seconds),
    }
}
