//! Assembles the HTTP server: seeding, the router of every API, and the layer every request
//! passes (path normalisation: trailing and doubled slashes; body size limit, request counting, injected faults).

use std::time::Duration;

use axum::Router;
use axum::body::Body;
use axum::extract::{DefaultBodyLimit, Request, State};
use axum::http::{StatusCode, Uri, header};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};

use crate::clock::Clock;
use crate::error::EmulatorError;
use crate::rest::error::ApiError;
use crate::state::AppState;
use crate::store::{Store, org, users as user_store};
use crate::users::UsersFile;

/// Largest request body accepted (deploy zips are limited to 39 MB by Salesforce).
pub const MAX_BODY_BYTES: usize = 50 * 1024 * 1024;

/// Prefix of the test controls; requests there are neither counted nor faulted.
pub const CONTROLS_PREFIX: &str = "/__emulator/";

/// Seeds the org (first start) and applies `users.toml`; returns the admin's user id.
pub fn seed(store: &Store, users: &UsersFile, clock: &Clock) -> Result<String, EmulatorError> {
    let now = clock.now_epoch();
    let admin_id = store.with_tx(|tx| {
        org::ensure(tx)?;
        let mut profile_ids = std::collections::HashMap::new();
        for profile in &users.profiles {
            let start = profile.login_ip_start.map(|ip| ip.to_string());
            let end = profile.login_ip_end.map(|ip| ip.to_string());
            let id = user_store::upsert_profile(
                tx,
                &user_store::ProfileSpec {
                    name: &profile.name,
                    login_ip_start: start.as_deref(),
                    login_ip_end: end.as_deref(),
                    api_enabled: profile.api_enabled,
                    modify_all_data: profile.modify_all_data,
                },
            )?;
            profile_ids.insert(profile.name.as_str(), id);
        }
        // Users removed from the file can no longer log in; their records stay.
        tx.execute("UPDATE users SET active = 0", [])?;
        let mut admin_id = None;
        for user in &users.users {
            let profile_id = profile_ids.get(user.profile.as_str()).ok_or_else(|| {
                crate::store::StoreError::Corrupt(format!("unknown profile {}", user.profile))
            })?;
            let id = user_store::upsert_user(
                tx,
                &user_store::UserSpec {
                    username: &user.username,
                    password: &user.password,
                    email: user.email.as_deref().unwrap_or(&user.username),
                    first_name: &user.first_name,
                    last_name: &user.last_name,
                    active: user.active,
                },
                profile_id,
            )?;
            if user.username.eq_ignore_ascii_case(&users.admin_username) {
                admin_id = Some(id);
            }
        }
        let admin_id = admin_id.ok_or_else(|| {
            crate::store::StoreError::Corrupt("admin_username is not among the users".into())
        })?;
        org::ensure_admin_token(tx, &admin_id, now)?;
        Ok(admin_id)
    })?;
    Ok(admin_id)
}

/// The whole application: every API, the test controls when enabled, and the common layer.
pub fn app(state: AppState) -> Router {
    let mut routes = Router::new()
        .merge(crate::oauth::router())
        .merge(crate::rest::router())
        .merge(crate::apexrest::router())
        .merge(crate::soap::router());
    if state.test_controls {
        routes = routes.merge(crate::controls::router());
    }
    let routes =
        routes.fallback(not_found).layer(DefaultBodyLimit::max(MAX_BODY_BYTES)).with_state(state.clone());
    // The layer sits on an outer router whose only route is the inner one, so it runs before
    // routing and can rewrite the path (trailing and doubled slashes).
    Router::new().fallback_service(routes).layer(middleware::from_fn_with_state(state, around_request))
}

async fn not_found(uri: Uri) -> Response {
    ApiError::new(
        StatusCode::NOT_FOUND,
        "NOT_FOUND",
        format!("The requested resource does not exist: {}", uri.path()),
    )
    .into_response()
}

/// Runs around every request.
async fn around_request(State(state): State<AppState>, mut request: Request, next: Next) -> Response {
    if let Some(uri) = normalized_uri(request.uri()) {
        *request.uri_mut() = uri;
    }
    let path = request.uri().path().to_string();
    if !path.starts_with(CONTROLS_PREFIX) {
        state.counters.record(&path);
        let (latency_ms, fail) = state.faults.take();
        if latency_ms > 0 {
            tokio::time::sleep(Duration::from_millis(latency_ms)).await;
        }
        if let Some(status) = fail {
            return injected_failure(status);
        }
    }
    if let Some(length) = content_length(&request)
        && length > MAX_BODY_BYTES as u64
    {
        return too_large(length);
    }
    next.run(request).await
}

/// The path without a trailing slash and with runs of slashes collapsed, when it differs:
/// clients that keep the instance URL with a trailing slash (the Salesforce CLI stores
/// `http://host/`) ask for `//services/data`, which Salesforce serves like `/services/data`.
fn normalized_uri(uri: &Uri) -> Option<Uri> {
    let path = uri.path();
    let trailing = path.len() > 1 && path.ends_with('/');
    if !trailing && !path.contains("//") {
        return None;
    }
    let mut normalized = String::with_capacity(path.len());
    for segment in path.split('/').filter(|segment| !segment.is_empty()) {
        normalized.push('/');
        normalized.push_str(segment);
    }
    if normalized.is_empty() {
        normalized.push('/');
    }
    let rebuilt = match uri.query() {
        Some(query) => format!("{normalized}?{query}"),
        None => normalized,
    };
    rebuilt.parse().ok()
}

fn content_length(request: &Request) -> Option<u64> {
    request.headers().get(header::CONTENT_LENGTH)?.to_str().ok()?.parse().ok()
}

fn injected_failure(status: u16) -> Response {
    let status = StatusCode::from_u16(status).unwrap_or(StatusCode::SERVICE_UNAVAILABLE);
    ApiError::new(
        status,
        "SERVER_UNAVAILABLE",
        "Service temporarily unavailable (failure injected by the emulator's test controls)",
    )
    .into_response()
}

fn too_large(length: u64) -> Response {
    let mut response = ApiError::new(
        StatusCode::PAYLOAD_TOO_LARGE,
        "REQUEST_TOO_LARGE",
        format!("The request body ({length} bytes) exceeds the emulator's limit of {MAX_BODY_BYTES} bytes"),
    )
    .into_response();
    response.headers_mut().insert(header::CONNECTION, header::HeaderValue::from_static("close"));
    response
}

/// An empty 200 body (revoke, deletes answered with 204 use their own status).
pub fn empty(status: StatusCode) -> Response {
    (status, Body::empty()).into_response()
}
