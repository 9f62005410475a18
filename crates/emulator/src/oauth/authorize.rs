//! `/services/oauth2/authorize`: GET answers the login form, POST checks the credentials and
//! redirects to `redirect_uri?code=…&state=…`. Errors that cannot go to a verified
//! redirect_uri go to Salesforce's error page path, `RemoteAccessErrorPage.apexp`, with
//! `error` and `error_description` in the query, as real orgs do.

use std::collections::HashMap;

use axum::body::Bytes;
use axum::extract::{RawQuery, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{Html, IntoResponse, Response};

use super::error::OAuthError;
use super::grant::{self, Client, field};
use super::pkce;
use super::scopes;
use crate::ids;
use crate::state::AppState;
use crate::store::{tokens, users};

/// Path of the error page.
pub const ERROR_PAGE: &str = "/setup/secur/RemoteAccessErrorPage.apexp";

/// A checked authorize request.
struct Checked {
    client: Client,
    redirect_uri: String,
    scopes: Vec<String>,
    challenge: Option<String>,
    method: Option<String>,
}

fn check(state: &AppState, params: &HashMap<String, String>) -> Result<Checked, OAuthError> {
    let client = grant::find_client(state, field(params, "client_id"))?;
    let redirect_uri = field(params, "redirect_uri").ok_or(OAuthError::REDIRECT_MISMATCH)?;
    if !client.policy.callback_urls.iter().any(|url| url == redirect_uri) {
        return Err(OAuthError::REDIRECT_MISMATCH);
    }
    if field(params, "response_type") != Some("code") {
        return Err(OAuthError::UNSUPPORTED_RESPONSE_TYPE);
    }
    let scopes = scopes::grant(field(params, "scope"), &client.policy)?;
    let challenge = field(params, "code_challenge").map(str::to_string);
    let method = field(params, "code_challenge_method").map(str::to_string);
    if challenge.is_none() && client.policy.is_pkce_required {
        return Err(OAuthError::MISSING_CHALLENGE);
    }
    if challenge.is_some() && !pkce::supported_method(method.as_deref()) {
        return Err(OAuthError::UNSUPPORTED_METHOD);
    }
    Ok(Checked { redirect_uri: redirect_uri.to_string(), client, scopes, challenge, method })
}

/// `GET /services/oauth2/authorize`.
pub async fn authorize_form(State(state): State<AppState>, RawQuery(query): RawQuery) -> Response {
    let params = grant::parse_form(query.unwrap_or_default().as_bytes());
    match check(&state, &params) {
        Ok(_) => login_page(&params, None),
        Err(error) => error_redirect(&state, error),
    }
}

/// `POST /services/oauth2/authorize`: the login form (every authorize parameter plus
/// `username` and `password`).
pub async fn authorize_login(State(state): State<AppState>, body: Bytes) -> Response {
    let form = grant::parse_form(&body);
    let checked = match check(&state, &form) {
        Ok(checked) => checked,
        Err(error) => return error_redirect(&state, error),
    };
    let username = field(&form, "username").unwrap_or_default();
    let password = field(&form, "password").unwrap_or_default();
    let user = match state.store.read(|connection| users::login(connection, username, password)) {
        Ok(Some(user)) => user,
        Ok(None) => {
            tracing::info!(%username, "emulator login refused");
            return login_page(&form, Some(LOGIN_FAILED));
        }
        Err(error) => return OAuthError::from(error).into_response(),
    };
    let code = ids::new_authorization_code();
    let record = tokens::AuthorizationCode {
        code_hash: String::new(),
        app_full_name: checked.client.app.full_name.clone(),
        user_id: user.id.clone(),
        redirect_uri: checked.redirect_uri.clone(),
        scopes: checked.scopes.join(" "),
        code_challenge: checked.challenge,
        code_challenge_method: checked.method,
        created_at: state.clock.now_epoch(),
        used: false,
    };
    if let Err(error) = state.store.with_tx(|tx| tokens::insert_code(tx, &code, &record)) {
        return OAuthError::from(error).into_response();
    }
    let mut pairs = vec![("code", code.as_str())];
    if let Some(state_param) = form.get("state") {
        pairs.push(("state", state_param));
    }
    redirect(&with_query(&checked.redirect_uri, &pairs))
}

const LOGIN_FAILED: &str = "Please check your username and password. If you still can't log in, contact your Salesforce administrator.";

fn error_redirect(state: &AppState, error: OAuthError) -> Response {
    let target = format!("{}{ERROR_PAGE}", state.instance_url);
    redirect(&with_query(&target, &[("error", error.error), ("error_description", error.description)]))
}

fn with_query(base: &str, pairs: &[(&str, &str)]) -> String {
    match url::Url::parse(base) {
        Ok(mut url) => {
            url.query_pairs_mut().extend_pairs(pairs);
            url.to_string()
        }
        Err(_) => {
            let query: String =
                url::form_urlencoded::Serializer::new(String::new()).extend_pairs(pairs).finish();
            let separator = if base.contains('?') { '&' } else { '?' };
            format!("{base}{separator}{query}")
        }
    }
}

fn redirect(location: &str) -> Response {
    match HeaderValue::from_str(location) {
        Ok(value) => (StatusCode::FOUND, [(header::LOCATION, value)]).into_response(),
        Err(_) => OAuthError::REDIRECT_MISMATCH.into_response(),
    }
}

/// `GET /setup/secur/RemoteAccessErrorPage.apexp`.
pub async fn error_page(RawQuery(query): RawQuery) -> Response {
    let params = grant::parse_form(query.unwrap_or_default().as_bytes());
    let error = params.get("error").map(String::as_str).unwrap_or("unknown");
    let description = params.get("error_description").map(String::as_str).unwrap_or("");
    Html(format!(
        "<!DOCTYPE html><html><head><title>OAuth Error</title></head><body>\
         <p>We can't authorize you because of an OAuth error. For more information, contact your \
         Salesforce administrator.</p><p id=\"error\">{}</p><p id=\"error_description\">{}</p></body></html>",
        escape(error),
        escape(description)
    ))
    .into_response()
}

fn login_page(params: &HashMap<String, String>, message: Option<&str>) -> Response {
    let mut hidden = String::new();
    let mut names: Vec<&String> =
        params.keys().filter(|name| !matches!(name.as_str(), "username" | "password")).collect();
    names.sort();
    for name in names {
        hidden.push_str(&format!(
            "<input type=\"hidden\" name=\"{}\" value=\"{}\">",
            escape(name),
            escape(&params[name])
        ));
    }
    let notice = message
        .map(|text| format!("<p id=\"error\" role=\"alert\">{}</p>", escape(text)))
        .unwrap_or_default();
    let username = params.get("username").or(params.get("login_hint")).map(String::as_str).unwrap_or("");
    Html(format!(
        "<!DOCTYPE html><html><head><title>Login | Insights Emulator</title></head><body>\
         <h1>Log in to the emulated org</h1>{notice}\
         <form method=\"post\" action=\"/services/oauth2/authorize\">{hidden}\
         <label>Username <input name=\"username\" value=\"{}\"></label>\
         <label>Password <input name=\"password\" type=\"password\"></label>\
         <button type=\"submit\">Log In</button></form></body></html>",
        escape(username)
    ))
    .into_response()
}

/// Escapes text for HTML content and attribute values.
fn escape(text: &str) -> String {
    let mut escaped = String::with_capacity(text.len());
    for character in text.chars() {
        match character {
            '&' => escaped.push_str("&amp;"),
            '<' => escaped.push_str("&lt;"),
            '>' => escaped.push_str("&gt;"),
            '"' => escaped.push_str("&quot;"),
            '\'' => escaped.push_str("&#39;"),
            other => escaped.push(other),
        }
    }
    escaped
}
