//! The REST API under `/services/data`: versions, resources, SOQL query, sObjects and the
//! connected app credentials resource. Everything but the version list needs a session with
//! the `api` scope.

pub mod auth;
pub mod credentials;
pub mod error;
pub mod objects;
pub mod query;
pub mod sobjects;
pub mod soql;

use std::collections::HashMap;

use axum::Router;
use axum::body::Bytes;
use axum::extract::{Path, Query, State};
use axum::http::HeaderMap;
use axum::response::{IntoResponse, Json, Response};
use axum::routing::get;
use serde_json::{Value, json};

use self::error::ApiError;
use crate::state::AppState;

/// Oldest API version served.
pub const MIN_VERSION: u32 = 31;
/// Newest API version served (Spring '26).
pub const MAX_VERSION: u32 = 66;

/// Routes of the REST API.
pub fn router() -> Router<AppState> {
    Router::new()
        .route("/services/data", get(versions))
        .route("/services/data/{version}", get(resources))
        .route("/services/data/{version}/query", get(run_query))
        .route("/services/data/{version}/sobjects", get(sobject_list))
        .route("/services/data/{version}/sobjects/{object}", axum::routing::post(create_record))
        .route("/services/data/{version}/sobjects/{object}/{id}", get(get_record).delete(delete_record))
        .route("/services/data/{version}/apps/oauth/credentials/{app}", get(list_credentials))
        .route("/services/data/{version}/apps/oauth/credentials/{app}/{consumer}", get(get_credentials))
        .route("/services/data/{version}/tooling/sobjects/SourceMember/describe", get(source_member_describe))
}

/// The release name of an API version: 66.0 is Spring '26, 65.0 Winter '26, 64.0 Summer '25.
fn label(version: u32) -> String {
    let step = version.saturating_sub(30);
    let season = ["Spring", "Summer", "Winter"][(step % 3) as usize];
    let year = 14 + step / 3 + u32::from(season == "Winter");
    format!("{season} '{year:02}")
}

async fn versions() -> Json<Value> {
    let list: Vec<Value> = (MIN_VERSION..=MAX_VERSION)
        .map(|version| {
            json!({
                "label": label(version),
                "url": format!("/services/data/v{version}.0"),
                "version": format!("{version}.0"),
            })
        })
        .collect();
    Json(Value::Array(list))
}

/// Checks a `vNN.0` path segment.
fn check_version(version: &str) -> Result<(), ApiError> {
    let number = version
        .strip_prefix('v')
        .and_then(|rest| rest.strip_suffix(".0"))
        .and_then(|number| number.parse::<u32>().ok());
    match number {
        Some(number) if (MIN_VERSION..=MAX_VERSION).contains(&number) => Ok(()),
        _ => Err(ApiError::not_found()),
    }
}

/// Session and version checks shared by the handlers below.
fn enter(state: &AppState, headers: &HeaderMap, version: &str) -> Result<crate::store::Session, ApiError> {
    let session = auth::api_session(state, headers)?;
    check_version(version)?;
    Ok(session)
}

fn respond(result: Result<Response, ApiError>) -> Response {
    result.unwrap_or_else(IntoResponse::into_response)
}

async fn resources(
    State(state): State<AppState>,
    headers: HeaderMap,
    Path(version): Path<String>,
) -> Response {
    respond(enter(&state, &headers, &version).map(|_| {
        let base = format!("/services/data/{version}");
        Json(json!({
            "tooling": format!("{base}/tooling"),
            "metadata": format!("{base}/metadata"),
            "query": format!("{base}/query"),
            "sobjects": format!("{base}/sobjects"),
            "connect": format!("{base}/connect"),
            "apps": format!("{base}/apps"),
            "limits": format!("{base}/limits"),
        }))
        .into_response()
    }))
}

async fn run_query(
    State(state): State<AppState>,
    headers: HeaderMap,
    Path(version): Path<String>,
    Query(params): Query<HashMap<String, String>>,
) -> Response {
    respond(enter(&state, &headers, &version).and_then(|_| {
        let text = params.get("q").filter(|text| !text.trim().is_empty()).ok_or_else(|| {
            ApiError::new(
                axum::http::StatusCode::BAD_REQUEST,
                "MALFORMED_QUERY",
                "A query string has to be specified",
            )
        })?;
        if params.get("columns").is_some_and(|value| value.eq_ignore_ascii_case("true")) {
            return Ok(Json(query::columns(text)?).into_response());
        }
        Ok(Json(query::run(&state, &version, text)?).into_response())
    }))
}

async fn sobject_list(
    State(state): State<AppState>,
    headers: HeaderMap,
    Path(version): Path<String>,
) -> Response {
    respond(enter(&state, &headers, &version).map(|_| {
        let names = [
            "ApexClass",
            "ConnectedApplication",
            "Organization",
            "PermissionSet",
            "PermissionSetAssignment",
            "Profile",
            "SetupEntityAccess",
            "User",
        ];
        let list: Vec<Value> = names
            .iter()
            .map(|name| {
                json!({
                    "name": name,
                    "queryable": true,
                    "createable": *name == "PermissionSetAssignment",
                    "deletable": *name == "PermissionSetAssignment",
                    "urls": { "sobject": format!("/services/data/{version}/sobjects/{name}") },
                })
            })
            .collect();
        Json(json!({ "encoding": "UTF-8", "maxBatchSize": 200, "sobjects": list })).into_response()
    }))
}

async fn get_record(
    State(state): State<AppState>,
    headers: HeaderMap,
    Path((version, object, id)): Path<(String, String, String)>,
) -> Response {
    respond(enter(&state, &headers, &version).and_then(|_| sobjects::get(&state, &version, &object, &id)))
}

async fn create_record(
    State(state): State<AppState>,
    headers: HeaderMap,
    Path((version, object)): Path<(String, String)>,
    body: Bytes,
) -> Response {
    respond(
        enter(&state, &headers, &version)
            .and_then(|session| sobjects::create(&state, &session, &object, &body)),
    )
}

async fn delete_record(
    State(state): State<AppState>,
    headers: HeaderMap,
    Path((version, object, id)): Path<(String, String, String)>,
) -> Response {
    respond(
        enter(&state, &headers, &version)
            .and_then(|session| sobjects::delete(&state, &session, &object, &id)),
    )
}

async fn list_credentials(
    State(state): State<AppState>,
    headers: HeaderMap,
    Path((version, app)): Path<(String, String)>,
) -> Response {
    respond(
        enter(&state, &headers, &version)
            .and_then(|session| credentials::list(&state, &session, &version, &app)),
    )
}

async fn get_credentials(
    State(state): State<AppState>,
    headers: HeaderMap,
    Path((version, app, consumer)): Path<(String, String, String)>,
    Query(params): Query<HashMap<String, String>>,
) -> Response {
    respond(enter(&state, &headers, &version).and_then(|session| {
        credentials::get(&state, &session, &app, &consumer, params.get("part").map(String::as_str))
    }))
}

/// Source tracking is not offered (a production-like org): 404 `NOT_FOUND`.
async fn source_member_describe(
    State(state): State<AppState>,
    headers: HeaderMap,
    Path(version): Path<String>,
) -> Response {
    respond(enter(&state, &headers, &version).and_then(|_| Err(ApiError::not_found())))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn labels_follow_the_release_calendar() {
        assert_eq!(label(66), "Spring '26");
        assert_eq!(label(65), "Winter '26");
        assert_eq!(label(64), "Summer '25");
        assert_eq!(label(31), "Summer '14");
    }

    #[test]
    fn versions_outside_the_range_are_not_found() {
        assert!(check_version("v66.0").is_ok());
        assert!(check_version("v31.0").is_ok());
        assert!(check_version("v67.0").is_err());
        assert!(check_version("v30.0").is_err());
        assert!(check_version("66.0").is_err());
    }
}
