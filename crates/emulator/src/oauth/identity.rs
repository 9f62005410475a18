//! Who a token belongs to and what it is: `userinfo`, the identity URL, `introspect`, and
//! `revoke`.

use axum::Json;
use axum::body::Bytes;
use axum::extract::{Path, RawQuery, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use serde_json::{Value, json};

use super::error::OAuthError;
use super::grant::{self, field};
use super::policy::app_policy;
use super::token::policy_allows;
use crate::rest::auth::bearer_token;
use crate::state::AppState;
use crate::store::{Session, apps, digest, org, tokens, users};

/// What Salesforce answers the identity endpoints for a bad token.
fn bad_token() -> Response {
    (StatusCode::FORBIDDEN, "Bad_OAuth_Token").into_response()
}

fn session_of(state: &AppState, headers: &HeaderMap) -> Result<Option<Session>, OAuthError> {
    match bearer_token(headers) {
        Some(token) => Ok(state.session(token)?),
        None => Ok(None),
    }
}

fn user_claims(state: &AppState, session: &Session) -> Result<Option<Value>, OAuthError> {
    let Some(user) = state.store.read(|connection| users::by_id(connection, &session.user_id))? else {
        return Ok(None);
    };
    let id_url = grant::identity_url(state, &session.org_id, &user.id);
    Ok(Some(json!({
        "sub": id_url,
        "user_id": user.id,
        "organization_id": session.org_id,
        "preferred_username": user.username,
        "nickname": user.username.split('@').next().unwrap_or_default(),
        "name": user.name(),
        "given_name": user.first_name,
        "family_name": user.last_name,
        "email": user.email,
        "email_verified": true,
        "active": user.active,
        "user_type": "STANDARD",
        "language": "en_US",
        "locale": "en_US",
        "utcOffset": 0,
        "urls": urls(state),
    })))
}

fn urls(state: &AppState) -> Value {
    let base = &*state.instance_url;
    json!({
        "rest": format!("{base}/services/data/v{{version}}/"),
        "sobjects": format!("{base}/services/data/v{{version}}/sobjects/"),
        "query": format!("{base}/services/data/v{{version}}/query/"),
        "metadata": format!("{base}/services/Soap/m/{{version}}/"),
    })
}

/// `GET /services/oauth2/userinfo`.
pub async fn userinfo(State(state): State<AppState>, headers: HeaderMap) -> Response {
    let claims = session_of(&state, &headers).and_then(|session| match session {
        Some(session) => user_claims(&state, &session),
        None => Ok(None),
    });
    match claims {
        Ok(Some(claims)) => Json(claims).into_response(),
        Ok(None) => bad_token(),
        Err(error) => error.into_response(),
    }
}

/// `GET /id/{orgId}/{userId}`: the identity of the token's own user.
pub async fn identity(
    State(state): State<AppState>,
    Path((org_id, user_id)): Path<(String, String)>,
    headers: HeaderMap,
) -> Response {
    let session = match session_of(&state, &headers) {
        Ok(Some(session)) => session,
        Ok(None) => return bad_token(),
        Err(error) => return error.into_response(),
    };
    let same = |left: &str, right: &str| crate::ids::normalize(left).as_deref() == Some(right);
    if !same(&org_id, &session.org_id) || !same(&user_id, &session.user_id) {
        return bad_token();
    }
    match user_claims(&state, &session) {
        Ok(Some(claims)) => {
            let body = json!({
                "id": claims["sub"],
                "asserted_user": true,
                "user_id": claims["user_id"],
                "organization_id": claims["organization_id"],
                "username": claims["preferred_username"],
                "nick_name": claims["nickname"],
                "display_name": claims["name"],
                "email": claims["email"],
                "first_name": claims["given_name"],
                "last_name": claims["family_name"],
                "active": claims["active"],
                "user_type": "STANDARD",
                "language": "en_US",
                "locale": "en_US",
                "utcOffset": 0,
                "urls": claims["urls"],
            });
            Json(body).into_response()
        }
        Ok(None) => bad_token(),
        Err(error) => error.into_response(),
    }
}

/// `POST /services/oauth2/revoke` (form `token=`), also `GET ?token=`.
pub async fn revoke(State(state): State<AppState>, RawQuery(query): RawQuery, body: Bytes) -> Response {
    let mut form = grant::parse_form(&body);
    if field(&form, "token").is_none() {
        form = grant::parse_form(query.unwrap_or_default().as_bytes());
    }
    let Some(token) = field(&form, "token") else {
        return OAuthError::INVALID_TOKEN.into_response();
    };
    let outcome = state.store.with_tx(|tx| {
        if tokens::find_refresh_token(tx, token)?.is_some() {
            tokens::revoke_refresh_token(tx, &digest(token))?;
            return Ok(true);
        }
        if tokens::find_access_token(tx, token)?.is_some() {
            tokens::revoke_access_token(tx, &digest(token))?;
            return Ok(true);
        }
        Ok(false)
    });
    match outcome {
        Ok(true) => StatusCode::OK.into_response(),
        Ok(false) => OAuthError::INVALID_TOKEN.into_response(),
        Err(error) => OAuthError::from(error).into_response(),
    }
}

/// `POST /services/oauth2/introspect`: client authentication (form or Basic) required; an app
/// sees only its own tokens unless `isIntrospectAllTokens`.
pub async fn introspect(State(state): State<AppState>, headers: HeaderMap, body: Bytes) -> Response {
    match introspect_inner(&state, &headers, &body) {
        Ok(value) => Json(value).into_response(),
        Err(error) if error == OAuthError::INVALID_CLIENT || error == OAuthError::INVALID_CLIENT_ID => {
            (StatusCode::UNAUTHORIZED, error).into_response()
        }
        Err(error) => error.into_response(),
    }
}

fn introspect_inner(state: &AppState, headers: &HeaderMap, body: &[u8]) -> Result<Value, OAuthError> {
    let form = grant::parse_form(body);
    let (client_id, secret) = grant::client_credentials(&form, headers);
    let client = grant::find_client(state, client_id.as_deref())?;
    grant::check_secret(&client, secret.as_deref(), true)?;
    let inactive = json!({ "active": false });
    let Some(token) = field(&form, "token") else {
        return Ok(inactive);
    };
    let now = state.clock.now_epoch();
    let (record, kind, active) = state
        .store
        .read(|connection| {
            if let Some(record) = tokens::find_access_token(connection, token)? {
                let active = tokens::session(connection, token, now)?.is_some();
                return Ok(Some((record, "access_token", active)));
            }
            if let Some(record) = tokens::find_refresh_token(connection, token)? {
                let policy = match &record.app_full_name {
                    Some(name) => apps::by_full_name(connection, name)?.map(|app| app_policy(&app.xml)),
                    None => None,
                };
                let active = !record.revoked
                    && policy.is_some_and(|policy| {
                        policy_allows(policy.refresh_token_policy, record.issued_at, record.last_used_at, now)
                    });
                return Ok(Some((record, "refresh_token", active)));
            }
            Ok(None)
        })?
        .ok_or(OAuthError::INVALID_TOKEN)
        .map_or((None, "", false), |(record, kind, active)| (Some(record), kind, active));
    let Some(record) = record else {
        return Ok(inactive);
    };
    let own = record.app_full_name.as_deref() == Some(client.app.full_name.as_str());
    if !active || (!own && !client.policy.is_introspect_all_tokens) {
        return Ok(inactive);
    }
    let (user, org) = state
        .store
        .read(|connection| Ok((users::by_id(connection, &record.user_id)?, org::require(connection)?)))?;
    let Some(user) = user else {
        return Ok(inactive);
    };
    let token_client_id = match &record.app_full_name {
        Some(name) if !own => {
            state.store.read(|connection| apps::by_full_name(connection, name))?.map(|app| app.consumer_key)
        }
        _ => Some(client.app.consumer_key.clone()),
    };
    let mut body = json!({
        "active": true,
        "scope": record.scopes.join(" "),
        "client_id": token_client_id,
        "username": user.username,
        "sub": grant::identity_url(state, &org.id, &user.id),
        "token_type": kind,
        "iat": record.issued_at,
        "nbf": record.issued_at,
    });
    if let Some(expires_at) = record.expires_at {
        body["exp"] = json!(expires_at);
    }
    Ok(body)
}
