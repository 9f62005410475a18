//! OAuth 2.0 under `/services/oauth2/`: authorize (login form), token, revoke, introspect,
//! userinfo, and the identity URL `/id/{orgId}/{userId}`.

use axum::Router;

use crate::state::AppState;

/// Routes of the OAuth endpoints.
pub fn router() -> Router<AppState> {
    Router::new()
}
