//! OAuth 2.0 under `/services/oauth2/`: authorize (login form), token, revoke, introspect,
//! userinfo, and the identity URL `/id/{orgId}/{userId}`. Policies come from the deployed
//! ConnectedApp's metadata ([`policy::app_policy`]).

pub mod authorize;
pub mod error;
pub mod grant;
pub mod identity;
pub mod pkce;
pub mod policy;
pub mod scopes;
pub mod token;

use axum::Router;
use axum::routing::{get, post};

use crate::state::AppState;

/// Routes of the OAuth endpoints.
pub fn router() -> Router<AppState> {
    Router::new()
        .route("/services/oauth2/authorize", get(authorize::authorize_form).post(authorize::authorize_login))
        .route("/services/oauth2/token", post(token::token))
        .route("/services/oauth2/revoke", post(identity::revoke).get(identity::revoke))
        .route("/services/oauth2/introspect", post(identity::introspect))
        .route("/services/oauth2/userinfo", get(identity::userinfo).post(identity::userinfo))
        .route("/id/{org_id}/{user_id}", get(identity::identity))
        .route(authorize::ERROR_PAGE, get(authorize::error_page))
}
