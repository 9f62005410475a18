//! What the authorize and token endpoints share: finding the client (with the propagation
//! delay), checking its secret, admitting the user (IP relaxation, admin approval), and issuing
//! tokens in Salesforce's response shape.

use std::collections::HashMap;
use std::net::{IpAddr, Ipv4Addr};

use axum::http::HeaderMap;
use axum::http::header::AUTHORIZATION;
use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use serde_json::{Value, json};

use super::error::OAuthError;
use super::pkce;
use super::policy::{AppPolicy, IpRelaxation, app_policy};
use crate::clock::parse_iso;
use crate::ids;
use crate::state::AppState;
use crate::store::apps::{self, ConnectedAppRecord};
use crate::store::users::{User, constant_time_eq};
use crate::store::{access, digest, org, tokens};

/// A client (connected app) and its policies.
#[derive(Clone, Debug)]
pub struct Client {
    /// The stored app.
    pub app: ConnectedAppRecord,
    /// Its OAuth policies.
    pub policy: AppPolicy,
}

/// Parses an `application/x-www-form-urlencoded` body or query (first value of each name).
pub fn parse_form(bytes: &[u8]) -> HashMap<String, String> {
    let mut fields = HashMap::new();
    for (name, value) in url::form_urlencoded::parse(bytes) {
        fields.entry(name.into_owned()).or_insert_with(|| value.into_owned());
    }
    fields
}

/// A form field, `None` when absent or empty.
pub fn field<'a>(form: &'a HashMap<String, String>, name: &str) -> Option<&'a str> {
    form.get(name).map(String::as_str).filter(|value| !value.is_empty())
}

/// Client credentials from the form, or else from `Authorization: Basic`.
pub fn client_credentials(
    form: &HashMap<String, String>,
    headers: &HeaderMap,
) -> (Option<String>, Option<String>) {
    let basic = headers
        .get(AUTHORIZATION)
        .and_then(|value| value.to_str().ok())
        .and_then(|value| value.strip_prefix("Basic ").or_else(|| value.strip_prefix("basic ")))
        .and_then(|encoded| STANDARD.decode(encoded.trim()).ok())
        .and_then(|decoded| String::from_utf8(decoded).ok())
        .and_then(|pair| {
            let (id, secret) = pair.split_once(':')?;
            let decode = |text: &str| {
                url::form_urlencoded::parse(format!("v={text}").as_bytes())
                    .next()
                    .map(|(_, value)| value.into_owned())
            };
            Some((decode(id)?, decode(secret)?))
        });
    let id =
        field(form, "client_id").map(str::to_string).or_else(|| basic.as_ref().map(|(id, _)| id.clone()));
    let secret = field(form, "client_secret").map(str::to_string).or_else(|| basic.map(|(_, secret)| secret));
    (id, secret)
}

/// The app with this consumer key, unless it is unknown or deployed too recently for OAuth
/// to see it (`oauth_propagation_delay_seconds`).
pub fn find_client(state: &AppState, client_id: Option<&str>) -> Result<Client, OAuthError> {
    let client_id = client_id.filter(|id| !id.is_empty()).ok_or(OAuthError::INVALID_CLIENT_ID)?;
    let app = state
        .store
        .read(|connection| apps::by_consumer_key(connection, client_id))?
        .ok_or(OAuthError::INVALID_CLIENT_ID)?;
    let delay = state.settings.get().oauth_propagation_delay_seconds;
    if delay > 0 {
        let visible_from = parse_iso(&app.last_modified_date)
            .map(|modified| modified.timestamp().saturating_add_unsigned(delay))
            .unwrap_or(i64::MAX);
        if state.clock.now_epoch() < visible_from {
            return Err(OAuthError::INVALID_CLIENT_ID);
        }
    }
    let policy = app_policy(&app.xml);
    Ok(Client { app, policy })
}

/// Checks the client secret: required when `required`, validated whenever sent.
pub fn check_secret(client: &Client, secret: Option<&str>, required: bool) -> Result<(), OAuthError> {
    match secret.filter(|secret| !secret.is_empty()) {
        None if required => Err(OAuthError::INVALID_CLIENT),
        None => Ok(()),
        Some(secret) if constant_time_eq(secret.as_bytes(), client.app.consumer_secret.as_bytes()) => Ok(()),
        Some(_) => Err(OAuthError::INVALID_CLIENT),
    }
}

/// Admits a user to the app: active, API enabled, login IP (unless relaxed), admin approval.
pub fn admit_user(
    state: &AppState,
    client: &Client,
    user: &User,
    peer: IpAddr,
    refreshing: bool,
) -> Result<(), OAuthError> {
    if !user.active {
        return Err(OAuthError::EXPIRED_TOKEN);
    }
    if !user.api_enabled {
        return Err(OAuthError::API_DISABLED);
    }
    if let Some((start, end)) = &user.login_ip_range
        && !ip_in_range(peer, start, end)
    {
        let relaxed = match client.policy.ip_relaxation {
            IpRelaxation::Bypass => true,
            IpRelaxation::EnforceRelaxRefresh => refreshing,
            IpRelaxation::Enforce | IpRelaxation::Bypass2Factor => false,
        };
        if !relaxed {
            return Err(OAuthError::IP_RESTRICTED);
        }
    }
    if client.policy.is_admin_approved {
        let by_profile =
            client.policy.profile_names.iter().any(|name| name.eq_ignore_ascii_case(&user.profile_name));
        let by_permission_set =
            state.store.read(|connection| access::user_granted(connection, &user.id, &client.app.id))?;
        if !by_profile && !by_permission_set {
            return Err(OAuthError::NOT_APPROVED);
        }
    }
    Ok(())
}

fn ip_in_range(peer: IpAddr, start: &str, end: &str) -> bool {
    let peer = match peer {
        IpAddr::V4(v4) => v4,
        IpAddr::V6(v6) => match v6.to_ipv4_mapped() {
            Some(v4) => v4,
            None => return false,
        },
    };
    match (start.parse::<Ipv4Addr>(), end.parse::<Ipv4Addr>()) {
        (Ok(start), Ok(end)) => (start..=end).contains(&peer),
        _ => false,
    }
}

/// A refresh token to hand out with an access token.
pub enum RefreshGrant<'a> {
    /// None (scope not granted, or a plain refresh).
    None,
    /// A new grant: a new refresh token in a new family.
    New,
    /// A rotated token in an existing family.
    Rotated(&'a str),
}

/// Issues an access token (and maybe a refresh token) and builds the token response.
///
/// `from_refresh` is the digest of the refresh token being exchanged, if any: revoking that
/// token revokes the new access token too.
pub fn issue(
    state: &AppState,
    client: &Client,
    user_id: &str,
    scopes: &[String],
    refresh: RefreshGrant,
    from_refresh: Option<&str>,
) -> Result<Value, OAuthError> {
    let now = state.clock.now();
    let now_epoch = now.timestamp();
    let scope_text = scopes.join(" ");
    let app_name = client.app.full_name.as_str();
    let lifetime = client.policy.session_lifetime_seconds();
    let (org, access_token, refresh_token) = state.store.with_tx(|tx| {
        let org = org::require(tx)?;
        let refresh_token = match refresh {
            RefreshGrant::None => None,
            RefreshGrant::New | RefreshGrant::Rotated(_) => {
                let token = ids::new_refresh_token();
                let grant_id = match refresh {
                    RefreshGrant::Rotated(grant_id) => grant_id.to_string(),
                    _ => ids::random_base62(24),
                };
                tokens::insert_refresh_token(
                    tx,
                    &token,
                    &grant_id,
                    user_id,
                    app_name,
                    &scope_text,
                    now_epoch,
                )?;
                Some(token)
            }
        };
        let parent = refresh_token.as_deref().map(digest).or(from_refresh.map(str::to_string));
        let access_token = ids::new_access_token(&org.id);
        tokens::insert_access_token(
            tx,
            &tokens::NewAccessToken {
                token: &access_token,
                user_id,
                app_full_name: Some(app_name),
                scopes: &scope_text,
                issued_at: now_epoch,
                expires_at: Some(now_epoch.saturating_add(lifetime)),
                refresh_token_hash: parent.as_deref(),
            },
        )?;
        Ok((org, access_token, refresh_token))
    })?;
    let id_url = identity_url(state, &org.id, user_id);
    let issued_at = now.timestamp_millis().to_string();
    let mut body = json!({ "access_token": access_token });
    if let Some(refresh_token) = refresh_token {
        body["refresh_token"] = json!(refresh_token);
    }
    body["signature"] = json!(pkce::signature(&client.app.consumer_secret, &id_url, &issued_at));
    body["scope"] = json!(scope_text);
    body["instance_url"] = json!(&*state.instance_url);
    body["id"] = json!(id_url);
    body["token_type"] = json!("Bearer");
    body["issued_at"] = json!(issued_at);
    Ok(body)
}

/// The identity URL of a user: `{instance}/id/{orgId}/{userId}`.
pub fn identity_url(state: &AppState, org_id: &str, user_id: &str) -> String {
    format!("{}/id/{org_id}/{user_id}", state.instance_url)
}
