//! Apex REST under `/services/apexrest/`: requests are matched against the `@RestResource`
//! urlMappings of the org's Apex classes; the seeded `Insights_Rest_API` answers the
//! Insights+ resource (`/insights/v1/*`) for users whose profile or permission sets grant the
//! class.

use axum::Json;
use axum::Router;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, Method, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::any;
use serde_json::json;

use crate::rest::auth::api_session;
use crate::rest::error::ApiError;
use crate::state::AppState;
use crate::store::access;
use crate::store::org::{self, ApexClass};

/// Routes of Apex REST.
pub fn router() -> Router<AppState> {
    Router::new().route("/services/apexrest/{*path}", any(apex_rest))
}

/// Whether a urlMapping matches a path: exact, or a prefix for a mapping ending in `/*`.
fn mapping_matches(mapping: &str, path: &str) -> bool {
    let mapping = mapping.trim();
    match mapping.strip_suffix("/*") {
        Some(prefix) => path == prefix || path.starts_with(&format!("{prefix}/")),
        None => mapping == path,
    }
}

async fn apex_rest(
    State(state): State<AppState>,
    Path(path): Path<String>,
    method: Method,
    headers: HeaderMap,
) -> Response {
    match handle(&state, &format!("/{path}"), &method, &headers) {
        Ok(response) => response,
        Err(error) => error.into_response(),
    }
}

fn handle(state: &AppState, path: &str, method: &Method, headers: &HeaderMap) -> Result<Response, ApiError> {
    let session = api_session(state, headers)?;
    let classes = state.store.read(org::apex_classes)?;
    let class: &ApexClass = classes
        .iter()
        .find(|class| class.url_mapping.as_deref().is_some_and(|mapping| mapping_matches(mapping, path)))
        .ok_or_else(|| {
            ApiError::new(
                StatusCode::NOT_FOUND,
                "NOT_FOUND",
                format!("Could not find a match for URL {path}"),
            )
        })?;
    let granted = session.modify_all_data
        || state.store.read(|connection| access::user_granted(connection, &session.user_id, &class.id))?;
    if !granted {
        return Err(ApiError::new(
            StatusCode::FORBIDDEN,
            "FORBIDDEN",
            format!("You do not have access to the Apex class named: {}", class.name),
        ));
    }
    let body = json!({
        "status": "ok",
        "service": "Insights+",
        "apexClass": class.name,
        "method": method.as_str(),
        "path": path,
        "organizationId": session.org_id,
        "userId": session.user_id,
        "username": session.username,
        "time": state.clock.now_iso(),
    });
    Ok(Json(body).into_response())
}

#[cfg(test)]
mod tests {
    use super::mapping_matches;

    #[test]
    fn wildcard_mappings_match_sub_paths_only() {
        assert!(mapping_matches("/insights/v1/*", "/insights/v1/status"));
        assert!(mapping_matches("/insights/v1/*", "/insights/v1"));
        assert!(!mapping_matches("/insights/v1/*", "/insights/v10/status"));
        assert!(!mapping_matches("/insights/v1/*", "/other"));
        assert!(mapping_matches("/exact", "/exact"));
        assert!(!mapping_matches("/exact", "/exact/more"));
    }
}
