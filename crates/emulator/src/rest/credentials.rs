//! `apps/oauth/credentials/{appIdentifier}[/{consumerId}]?part=key|secret|keyandsecret`:
//! the consumer key, and the secret only when the org setting allows it.

use axum::Json;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde_json::json;

use super::error::ApiError;
use crate::ids;
use crate::state::AppState;
use crate::store::Session;
use crate::store::apps::{self, ConnectedAppRecord};

/// The consumer id of an app: its id under another key prefix (the real prefix is not
/// documented; only the shape matters to clients).
fn consumer_id(app: &ConnectedAppRecord) -> String {
    ids::with_checksum(&format!("888{}", &ids::short(&app.id)[3..]))
}

fn find_app(state: &AppState, identifier: &str) -> Result<ConnectedAppRecord, ApiError> {
    state
        .store
        .read(|connection| match ids::normalize(identifier) {
            Some(id) => apps::by_id(connection, &id),
            None => apps::by_full_name(connection, identifier),
        })?
        .ok_or_else(ApiError::not_found)
}

fn require_admin(session: &Session) -> Result<(), ApiError> {
    if session.modify_all_data {
        Ok(())
    } else {
        Err(ApiError::new(
            StatusCode::FORBIDDEN,
            "INSUFFICIENT_ACCESS",
            "You don't have permission to view connected app credentials.",
        ))
    }
}

/// The consumers of an app.
pub fn list(
    state: &AppState,
    session: &Session,
    version: &str,
    identifier: &str,
) -> Result<Response, ApiError> {
    require_admin(session)?;
    let app = find_app(state, identifier)?;
    let consumer = consumer_id(&app);
    let url = format!("/services/data/{version}/apps/oauth/credentials/{}/{consumer}", app.id);
    Ok(Json(json!({ "consumers": [{ "id": consumer, "url": url }] })).into_response())
}

/// One consumer's key and, where allowed, secret.
pub fn get(
    state: &AppState,
    session: &Session,
    identifier: &str,
    consumer: &str,
    part: Option<&str>,
) -> Result<Response, ApiError> {
    require_admin(session)?;
    let app = find_app(state, identifier)?;
    let expected = consumer_id(&app);
    if ids::normalize(consumer).as_deref() != Some(expected.as_str()) {
        return Err(ApiError::not_found());
    }
    let (key, secret) = match part.unwrap_or("key").to_ascii_lowercase().as_str() {
        "key" => (true, false),
        "secret" => (false, true),
        "keyandsecret" => (true, true),
        other => {
            return Err(ApiError::new(
                StatusCode::BAD_REQUEST,
                "INVALID_INPUT",
                format!("Invalid value for part: {other}. Use key, secret or keyandsecret."),
            ));
        }
    };
    if secret && !state.settings.get().allow_consumer_secret_in_rest {
        return Err(ApiError::new(
            StatusCode::FORBIDDEN,
            "INSUFFICIENT_ACCESS",
            "Access to consumer secrets through the REST API is disabled in this org (setting: allow_consumer_secret_in_rest).",
        ));
    }
    let mut body = json!({ "id": expected });
    if key {
        body["key"] = json!(app.consumer_key);
    }
    if secret {
        body["secret"] = json!(app.consumer_secret);
    }
    Ok(Json(body).into_response())
}
