//! Salesforce's dialect of OAuth 2.0 on top of the `oauth2` crate: its token fields
//! (`instance_url`, `id`, `issued_at`, `signature`, no `expires_in`), its error body (`error`,
//! `error_description`), and the token, refresh, introspect and revoke calls.

use std::fmt;

use oauth2::basic::BasicTokenType;
use oauth2::{
    AuthUrl, AuthorizationCode, ClientId, ClientSecret, EndpointNotSet, EndpointSet, ExtraTokenFields,
    IntrospectionUrl, PkceCodeVerifier, RedirectUrl, RefreshToken, RequestTokenError, RevocationUrl,
    StandardRevocableToken, StandardTokenIntrospectionResponse, StandardTokenResponse,
    TokenIntrospectionResponse, TokenResponse, TokenUrl,
};
use secrecy::{ExposeSecret, SecretString};
use serde::{Deserialize, Serialize};
use url::Url;

use crate::error::{OrgError, StepError};
use crate::transport::{SendError, ensure_secure, send_oauth, step_error_from_send};

/// The fields Salesforce adds to a token response.
#[derive(Clone, Debug, Default, Deserialize, Serialize)]
pub struct SalesforceTokenFields {
    /// Where the org's APIs live, e.g. `https://mydomain.my.salesforce.com`.
    #[serde(default)]
    pub instance_url: Option<String>,
    /// Identity URL `…/id/<orgId>/<userId>`.
    #[serde(default)]
    pub id: Option<String>,
    /// Issue time in epoch milliseconds, as a string.
    #[serde(default)]
    pub issued_at: Option<String>,
    /// Base64 HMAC-SHA256 of `id` + `issued_at` keyed with the client secret.
    #[serde(default)]
    pub signature: Option<String>,
}

impl ExtraTokenFields for SalesforceTokenFields {}

/// A Salesforce token response.
pub type SalesforceTokenResponse = StandardTokenResponse<SalesforceTokenFields, BasicTokenType>;

/// A Salesforce OAuth error body: `{"error": "...", "error_description": "..."}`.
#[derive(Clone, Debug, Deserialize, Serialize)]
pub struct SalesforceErrorResponse {
    /// The error code, e.g. `invalid_grant`.
    pub error: String,
    /// The description, e.g. `expired access/refresh token`.
    #[serde(default)]
    pub error_description: Option<String>,
}

impl fmt::Display for SalesforceErrorResponse {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.error)?;
        if let Some(description) = &self.error_description {
            write!(f, ": {description}")?;
        }
        Ok(())
    }
}

impl oauth2::ErrorResponse for SalesforceErrorResponse {}

impl From<SalesforceErrorResponse> for OrgError {
    fn from(response: SalesforceErrorResponse) -> Self {
        OrgError::new(response.error, response.error_description)
    }
}

type Introspection = StandardTokenIntrospectionResponse<oauth2::EmptyExtraTokenFields, BasicTokenType>;

type SalesforceClient = oauth2::Client<
    SalesforceErrorResponse,
    SalesforceTokenResponse,
    Introspection,
    StandardRevocableToken,
    SalesforceErrorResponse,
    EndpointSet,
    EndpointNotSet,
    EndpointSet,
    EndpointSet,
    EndpointSet,
>;

/// Tokens from one token response. Debug output is redacted.
#[derive(Clone, Debug)]
pub struct Tokens {
    /// The access token (session id).
    pub access_token: SecretString,
    /// The refresh token, when the org issued one.
    pub refresh_token: Option<SecretString>,
    /// The `instance_url` the org named, if any.
    pub instance_url: Option<String>,
    /// Granted scopes, space separated.
    pub scope: Option<String>,
    /// Identity URL.
    pub id: Option<String>,
}

impl Tokens {
    fn from_response(response: &SalesforceTokenResponse) -> Self {
        let extra = response.extra_fields();
        Self {
            access_token: SecretString::from(response.access_token().secret().to_owned()),
            refresh_token: response
                .refresh_token()
                .map(|token| SecretString::from(token.secret().to_owned())),
            instance_url: extra.instance_url.clone(),
            scope: response
                .scopes()
                .map(|scopes| scopes.iter().map(|scope| scope.as_str()).collect::<Vec<_>>().join(" ")),
            id: extra.id.clone(),
        }
    }
}

/// What introspection said about a token.
#[derive(Clone, Debug, Serialize)]
pub struct IntrospectionResult {
    /// Whether the token is active.
    pub active: bool,
    /// The username the token belongs to.
    pub username: Option<String>,
    /// Expiry, epoch seconds.
    pub exp: Option<i64>,
    /// Granted scopes, space separated.
    pub scope: Option<String>,
}

/// The org's OAuth endpoints and the app's identity: what every token call needs.
#[derive(Clone, Debug)]
pub struct OAuthApp {
    /// Base URL of the org's login host (My Domain, or the emulator).
    pub login_url: Url,
    /// The app's consumer key.
    pub client_id: String,
    /// The app's consumer secret.
    pub client_secret: SecretString,
    /// The callback URL used as `redirect_uri` (not needed to refresh).
    pub redirect_uri: Option<String>,
}

/// Whether a call sends the client secret: probes leave it out on purpose.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Secret {
    /// Send `client_secret`.
    Send,
    /// Leave `client_secret` out (a probe).
    Omit,
}

impl OAuthApp {
    /// The URL of an endpoint under `/services/oauth2/`.
    pub fn endpoint(&self, name: &str) -> Result<Url, StepError> {
        let url = self
            .login_url
            .join(&format!("/services/oauth2/{name}"))
            .map_err(|error| StepError::Protocol(format!("bad login URL: {error}")))?;
        ensure_secure(&url)?;
        Ok(url)
    }

    pub(crate) fn client(&self, secret: Secret) -> Result<SalesforceClient, StepError> {
        let bad = |error: url::ParseError| StepError::Protocol(format!("bad URL: {error}"));
        let mut client = oauth2::Client::new(ClientId::new(self.client_id.clone()))
            .set_auth_type(oauth2::AuthType::RequestBody)
            .set_auth_uri(AuthUrl::from_url(self.endpoint("authorize")?))
            .set_token_uri(TokenUrl::from_url(self.endpoint("token")?))
            .set_introspection_url(IntrospectionUrl::from_url(self.endpoint("introspect")?))
            .set_revocation_url(RevocationUrl::from_url(self.endpoint("revoke")?));
        if let Some(redirect_uri) = &self.redirect_uri {
            client = client.set_redirect_uri(RedirectUrl::new(redirect_uri.clone()).map_err(bad)?);
        }
        Ok(match secret {
            Secret::Send => {
                client.set_client_secret(ClientSecret::new(self.client_secret.expose_secret().to_owned()))
            }
            Secret::Omit => client,
        })
    }

    /// Exchanges an authorization code; `verifier` None and `Secret::Omit` are the probes.
    pub async fn exchange_code(
        &self,
        http: &reqwest::Client,
        code: &SecretString,
        verifier: Option<&SecretString>,
        secret: Secret,
    ) -> Result<Tokens, StepError> {
        let client = self.client(secret)?;
        let send = |request| send_oauth(http, request);
        let mut request = client.exchange_code(AuthorizationCode::new(code.expose_secret().to_owned()));
        if let Some(verifier) = verifier {
            request = request.set_pkce_verifier(PkceCodeVerifier::new(verifier.expose_secret().to_owned()));
        }
        let response = request.request_async(&send).await.map_err(token_error)?;
        Ok(Tokens::from_response(&response))
    }

    /// Gets a new access token from a refresh token; `Secret::Omit` is the probe.
    pub async fn refresh(
        &self,
        http: &reqwest::Client,
        refresh_token: &SecretString,
        secret: Secret,
    ) -> Result<Tokens, StepError> {
        let client = self.client(secret)?;
        let send = |request| send_oauth(http, request);
        let token = RefreshToken::new(refresh_token.expose_secret().to_owned());
        let response =
            client.exchange_refresh_token(&token).request_async(&send).await.map_err(token_error)?;
        Ok(Tokens::from_response(&response))
    }

    /// Asks the org about an access token (`POST /services/oauth2/introspect`).
    pub async fn introspect(
        &self,
        http: &reqwest::Client,
        access_token: &SecretString,
    ) -> Result<IntrospectionResult, StepError> {
        let client = self.client(Secret::Send)?;
        let send = |request| send_oauth(http, request);
        let token = oauth2::AccessToken::new(access_token.expose_secret().to_owned());
        let response = client
            .introspect(&token)
            .set_token_type_hint("access_token")
            .request_async(&send)
            .await
            .map_err(token_error)?;
        Ok(IntrospectionResult {
            active: response.active(),
            username: response.username().map(str::to_owned),
            exp: response.exp().map(|time| time.timestamp()),
            scope: response
                .scopes()
                .map(|scopes| scopes.iter().map(|scope| scope.as_str()).collect::<Vec<_>>().join(" ")),
        })
    }

    /// Revokes a refresh token (and with it the access tokens it issued).
    ///
    /// Sent directly rather than through `oauth2`, which insists on https even for the
    /// loopback emulator; the same https-or-loopback rule applies here.
    pub async fn revoke_refresh_token(
        &self,
        http: &reqwest::Client,
        refresh_token: &SecretString,
    ) -> Result<(), StepError> {
        let url = self.endpoint("revoke")?;
        let form = [
            ("token", refresh_token.expose_secret()),
            ("token_type_hint", "refresh_token"),
            ("client_id", self.client_id.as_str()),
            ("client_secret", self.client_secret.expose_secret()),
        ];
        tracing::debug!(endpoint = %url.path(), "OAuth revoke");
        let response = http
            .post(url)
            .form(&form)
            .send()
            .await
            .map_err(|error| StepError::Transport(error.without_url()))?;
        let status = response.status();
        if status.is_success() {
            return Ok(());
        }
        let body = response.bytes().await.map_err(|error| StepError::Transport(error.without_url()))?;
        let mut error = serde_json::from_slice::<SalesforceErrorResponse>(&body)
            .map(OrgError::from)
            .unwrap_or_else(|_| OrgError::new(format!("HTTP {}", status.as_u16()), None));
        error.http_status = Some(status.as_u16());
        Err(StepError::Org(error))
    }
}

/// Maps an `oauth2` failure to a step error, dropping any raw body (it may hold a token).
fn token_error(error: RequestTokenError<SendError, SalesforceErrorResponse>) -> StepError {
    match error {
        RequestTokenError::ServerResponse(response) => StepError::Org(response.into()),
        RequestTokenError::Request(error) => step_error_from_send(error),
        RequestTokenError::Parse(error, _body) => {
            StepError::Protocol(format!("cannot parse the answer (at `{}`)", error.path()))
        }
        RequestTokenError::Other(message) => StepError::Protocol(message),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn token_response_with_salesforce_fields_parses_and_debug_is_redacted() {
        let body = r#"{"access_token":"00Dxx!AQ-very-secret","refresh_token":"5Aep-refresh-secret",
            "signature":"c2ln","scope":"api refresh_token","instance_url":"https://x.my.salesforce.com",
            "id":"https://login.salesforce.com/id/00D/005","token_type":"Bearer","issued_at":"1700000000000"}"#;
        let response: SalesforceTokenResponse = serde_json::from_str(body).expect("parses");
        let tokens = Tokens::from_response(&response);
        assert_eq!(tokens.instance_url.as_deref(), Some("https://x.my.salesforce.com"));
        assert_eq!(tokens.scope.as_deref(), Some("api refresh_token"));
        assert_eq!(tokens.access_token.expose_secret(), "00Dxx!AQ-very-secret");
        let debug = format!("{tokens:?} {response:?}");
        assert!(!debug.contains("very-secret"), "{debug}");
        assert!(!debug.contains("refresh-secret"), "{debug}");
    }

    #[test]
    fn error_body_keeps_code_and_description() {
        let body = r#"{"error":"invalid_app_access","error_description":"user is not admin approved to access this app"}"#;
        let response: SalesforceErrorResponse = serde_json::from_str(body).expect("parses");
        let org: OrgError = response.into();
        assert_eq!(org.code, "invalid_app_access");
        assert_eq!(org.summary(), "invalid_app_access: user is not admin approved to access this app");
    }

    #[test]
    fn endpoints_refuse_plain_http_to_other_hosts() {
        let app = OAuthApp {
            login_url: Url::parse("http://example.com").expect("url"),
            client_id: "key".into(),
            client_secret: SecretString::from("secret"),
            redirect_uri: Some("http://localhost:1717/callback".into()),
        };
        assert!(matches!(app.endpoint("token"), Err(StepError::Insecure(_))));
    }
}
