//! The REST API under `/services/data`: versions, resources, SOQL query, sObjects and the
//! connected app credentials resource.

pub mod auth;
pub mod error;

use axum::Router;

use crate::state::AppState;

/// Routes of the REST API.
pub fn router() -> Router<AppState> {
    Router::new()
}
