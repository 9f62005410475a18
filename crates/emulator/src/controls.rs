//! Test controls under `/__emulator/` (served only with `test_controls`): move the org clock,
//! inject latency and failures, expire sessions, queue deploy failures, read request counts,
//! and read or change org settings. Bodies are JSON; no session is needed.

use axum::Json;
use axum::Router;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use serde::Deserialize;
use serde::de::DeserializeOwned;
use serde_json::json;

use crate::rest::error::ApiError;
use crate::settings::OrgSettingsPatch;
use crate::state::{AppState, FaultSettings, InjectedDeployFailure};
use crate::store::tokens;

/// Routes of the test controls.
pub fn router() -> Router<AppState> {
    Router::new()
        .route("/__emulator/clock/advance", post(advance_clock))
        .route("/__emulator/faults", post(set_faults).get(get_faults))
        .route("/__emulator/sessions/expire", post(expire_sessions))
        .route("/__emulator/deploy-failures", post(queue_deploy_failure))
        .route("/__emulator/requests", get(requests))
        .route("/__emulator/requests/reset", post(reset_requests))
        .route("/__emulator/org-settings", get(get_settings).post(set_settings))
}

fn parse<T: DeserializeOwned>(body: &[u8]) -> Result<T, ApiError> {
    let body = if body.iter().all(u8::is_ascii_whitespace) { b"{}".as_slice() } else { body };
    serde_json::from_slice(body).map_err(|error| {
        ApiError::new(StatusCode::BAD_REQUEST, "INVALID_CONTROL", format!("bad control body: {error}"))
    })
}

fn respond(result: Result<Response, ApiError>) -> Response {
    result.unwrap_or_else(IntoResponse::into_response)
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Advance {
    seconds: i64,
}

async fn advance_clock(State(state): State<AppState>, body: Bytes) -> Response {
    respond(parse::<Advance>(&body).and_then(|advance| {
        if advance.seconds < 0 {
            return Err(ApiError::new(
                StatusCode::BAD_REQUEST,
                "INVALID_CONTROL",
                "the org clock only moves forward: seconds must be >= 0",
            ));
        }
        state.clock.advance(advance.seconds);
        Ok(Json(json!({ "now": state.clock.now_iso() })).into_response())
    }))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct FaultRequest {
    #[serde(default)]
    latency_ms: u64,
    #[serde(default)]
    fail_next: u64,
    #[serde(default = "service_unavailable")]
    status: u16,
}

fn service_unavailable() -> u16 {
    503
}

async fn set_faults(State(state): State<AppState>, body: Bytes) -> Response {
    respond(parse::<FaultRequest>(&body).and_then(|request| {
        if !(400..=599).contains(&request.status) {
            return Err(ApiError::new(
                StatusCode::BAD_REQUEST,
                "INVALID_CONTROL",
                "status must be an HTTP error status (400-599)",
            ));
        }
        if request.latency_ms > 60_000 {
            return Err(ApiError::new(
                StatusCode::BAD_REQUEST,
                "INVALID_CONTROL",
                "latency_ms must be at most 60000",
            ));
        }
        let settings = FaultSettings {
            latency_ms: request.latency_ms,
            fail_next: request.fail_next,
            status: request.status,
        };
        state.faults.set(settings);
        Ok(Json(settings).into_response())
    }))
}

async fn get_faults(State(state): State<AppState>) -> Response {
    Json(state.faults.get()).into_response()
}

async fn expire_sessions(State(state): State<AppState>) -> Response {
    respond((|| {
        let expired = state.store.with_tx(tokens::expire_all_access_tokens)?;
        let admin_access_token = state.admin_access_token()?;
        Ok(Json(json!({ "expired": expired, "admin_access_token": admin_access_token })).into_response())
    })())
}

async fn queue_deploy_failure(State(state): State<AppState>, body: Bytes) -> Response {
    respond(parse::<InjectedDeployFailure>(&body).map(|failure| {
        state.deploy_failures.push(failure);
        (StatusCode::ACCEPTED, Json(json!({ "queued": true }))).into_response()
    }))
}

async fn requests(State(state): State<AppState>) -> Response {
    Json(state.counters.snapshot()).into_response()
}

async fn reset_requests(State(state): State<AppState>) -> Response {
    state.counters.reset();
    Json(state.counters.snapshot()).into_response()
}

async fn get_settings(State(state): State<AppState>) -> Response {
    Json(state.settings.get()).into_response()
}

async fn set_settings(State(state): State<AppState>, body: Bytes) -> Response {
    respond(parse::<OrgSettingsPatch>(&body).and_then(|patch| {
        let updated = state.settings.update(patch).map_err(|error| {
            ApiError::new(StatusCode::INTERNAL_SERVER_ERROR, "UNKNOWN_EXCEPTION", error.to_string())
        })?;
        Ok(Json(updated).into_response())
    }))
}
