//! Apex REST under `/services/apexrest/`: the Insights+ resource of `Insights_Rest_API`.

use axum::Router;

use crate::state::AppState;

/// Routes of Apex REST.
pub fn router() -> Router<AppState> {
    Router::new()
}
