//! The authorize request (PKCE S256 with a base64url verifier, a random state) and the reading
//! of the redirect that answers it (state compared in constant time, `error=` kept as the org's).

use oauth2::{CsrfToken, PkceCodeChallenge, Scope};
use secrecy::{ExposeSecret, SecretString};
use url::Url;

use crate::error::{OrgError, StepError};
use crate::oauth::{OAuthApp, Secret};

/// Random bytes behind the verifier: 96 bytes give 128 base64url characters, the RFC maximum.
const VERIFIER_BYTES: u32 = 96;

/// One authorize request waiting for its redirect. Debug output is redacted.
#[derive(Debug)]
pub struct PendingAuthorization {
    /// The URL to open (or to post as the emulator's login form).
    pub url: Url,
    state: SecretString,
    verifier: SecretString,
}

/// Extra authorize parameters for one login.
#[derive(Clone, Debug, Default)]
pub struct AuthorizeOptions {
    /// `prompt=login`: ask for credentials even when a browser session exists.
    pub force_login: bool,
    /// `login_hint`: pre-fill the username.
    pub login_hint: Option<String>,
}

impl PendingAuthorization {
    /// Builds a fresh authorize request: new state, new verifier, `code_challenge_method=S256`.
    pub fn new(app: &OAuthApp, scopes: &[String], options: &AuthorizeOptions) -> Result<Self, StepError> {
        if app.redirect_uri.is_none() {
            return Err(StepError::Protocol("an authorize request needs a callback URL".into()));
        }
        let client = app.client(Secret::Omit)?;
        let (challenge, verifier) = PkceCodeChallenge::new_random_sha256_len(VERIFIER_BYTES);
        let mut request = client
            .authorize_url(CsrfToken::new_random)
            .add_scopes(scopes.iter().map(|scope| Scope::new(scope.clone())))
            .set_pkce_challenge(challenge);
        if options.force_login {
            request = request.add_extra_param("prompt", "login");
        }
        if let Some(hint) = &options.login_hint {
            request = request.add_extra_param("login_hint", hint.clone());
        }
        let (url, state) = request.url();
        Ok(Self {
            url,
            state: SecretString::from(state.secret().to_owned()),
            verifier: SecretString::from(verifier.secret().to_owned()),
        })
    }

    /// The PKCE verifier to send with the code exchange.
    pub fn verifier(&self) -> &SecretString {
        &self.verifier
    }

    /// Reads the redirect the org sent back: the code, or the org's error, or a state mismatch.
    pub fn read_redirect(&self, redirect: &str) -> Result<SecretString, StepError> {
        read_redirect(redirect, &self.state)
    }

    /// The state sent (tests forge redirects with it).
    #[doc(hidden)]
    pub fn state_for_tests(&self) -> &SecretString {
        &self.state
    }
}

/// Reads a redirect URL (or just its query) against the expected state.
pub fn read_redirect(redirect: &str, expected_state: &SecretString) -> Result<SecretString, StepError> {
    let redirect = redirect.trim();
    let url = Url::parse(redirect)
        .or_else(|_| Url::parse("http://redirect.invalid/").and_then(|base| base.join(redirect)))
        .map_err(|_| StepError::Redirect("the pasted text is not a URL".into()))?;

    let mut code = None;
    let mut state = None;
    let mut error = None;
    let mut description = None;
    for (name, value) in url.query_pairs() {
        match name.as_ref() {
            "code" => code = Some(SecretString::from(value.into_owned())),
            "state" => state = Some(SecretString::from(value.into_owned())),
            "error" => error = Some(value.into_owned()),
            "error_description" => description = Some(value.into_owned()),
            _ => {}
        }
    }

    let state_matches = state
        .as_ref()
        .is_some_and(|state| constant_time_eq(state.expose_secret(), expected_state.expose_secret()));
    if let Some(error) = error {
        // An error redirect may come without a state; one with a foreign state is not ours.
        if state.is_some() && !state_matches {
            return Err(StepError::StateMismatch);
        }
        return Err(StepError::Org(OrgError::new(error, description)));
    }
    if !state_matches {
        return Err(StepError::StateMismatch);
    }
    code.filter(|code| !code.expose_secret().is_empty()).ok_or(StepError::MissingCode)
}

/// Compares two strings in time that depends only on their lengths.
pub fn constant_time_eq(left: &str, right: &str) -> bool {
    let (left, right) = (left.as_bytes(), right.as_bytes());
    if left.len() != right.len() {
        return false;
    }
    let difference = left.iter().zip(right).fold(0u8, |acc, (a, b)| acc | (a ^ b));
    std::hint::black_box(difference) == 0
}

#[cfg(test)]
mod tests {
    use super::*;

    fn app() -> OAuthApp {
        OAuthApp {
            login_url: Url::parse("https://example.my.salesforce.com").expect("url"),
            client_id: "3MVG9consumerKey".into(),
            client_secret: SecretString::from("not-used-here"),
            redirect_uri: Some("http://localhost:1717/OauthRedirect".into()),
        }
    }

    fn scopes() -> Vec<String> {
        vec!["api".into(), "refresh_token".into()]
    }

    #[test]
    fn authorize_url_has_pkce_s256_state_and_scopes() {
        let pending =
            PendingAuthorization::new(&app(), &scopes(), &AuthorizeOptions::default()).expect("builds");
        let url = &pending.url;
        assert_eq!(url.path(), "/services/oauth2/authorize");
        let query: std::collections::HashMap<_, _> = url.query_pairs().into_owned().collect();
        assert_eq!(query["response_type"], "code");
        assert_eq!(query["client_id"], "3MVG9consumerKey");
        assert_eq!(query["redirect_uri"], "http://localhost:1717/OauthRedirect");
        assert_eq!(query["scope"], "api refresh_token");
        assert_eq!(query["code_challenge_method"], "S256");
        assert_eq!(query["state"], pending.state.expose_secret());
        assert!(!query.contains_key("prompt"));
        assert!(!url.as_str().contains(pending.verifier.expose_secret()));
        assert!(!url.as_str().contains("not-used-here"));
    }

    #[test]
    fn verifier_uses_only_base64url_characters_and_rfc_length() {
        for _ in 0..50 {
            let pending =
                PendingAuthorization::new(&app(), &scopes(), &AuthorizeOptions::default()).expect("builds");
            let verifier = pending.verifier.expose_secret();
            assert_eq!(verifier.len(), 128);
            assert!(
                verifier.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_'),
                "unexpected character in verifier"
            );
        }
    }

    #[test]
    fn challenge_is_sha256_of_verifier() {
        use base64::Engine as _;
        use sha2::Digest as _;
        let pending =
            PendingAuthorization::new(&app(), &scopes(), &AuthorizeOptions::default()).expect("builds");
        let challenge = pending
            .url
            .query_pairs()
            .find(|(name, _)| name == "code_challenge")
            .map(|(_, value)| value.into_owned())
            .expect("challenge sent");
        let digest = sha2::Sha256::digest(pending.verifier.expose_secret().as_bytes());
        assert_eq!(challenge, base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(digest));
    }

    #[test]
    fn force_login_and_hint_are_sent() {
        let options = AuthorizeOptions { force_login: true, login_hint: Some("denied@example.com".into()) };
        let pending = PendingAuthorization::new(&app(), &scopes(), &options).expect("builds");
        let query: std::collections::HashMap<_, _> = pending.url.query_pairs().into_owned().collect();
        assert_eq!(query["prompt"], "login");
        assert_eq!(query["login_hint"], "denied@example.com");
    }

    #[test]
    fn each_request_gets_a_fresh_state_and_verifier() {
        let first =
            PendingAuthorization::new(&app(), &scopes(), &AuthorizeOptions::default()).expect("builds");
        let second =
            PendingAuthorization::new(&app(), &scopes(), &AuthorizeOptions::default()).expect("builds");
        assert_ne!(first.state.expose_secret(), second.state.expose_secret());
        assert_ne!(first.verifier.expose_secret(), second.verifier.expose_secret());
    }

    #[test]
    fn redirect_reading() {
        let state = SecretString::from("abc123");
        let code = read_redirect("http://localhost:1717/cb?code=aPrx.1&state=abc123", &state).expect("code");
        assert_eq!(code.expose_secret(), "aPrx.1");
        // Only the query pasted.
        let code = read_redirect("?state=abc123&code=zz", &state).expect("code");
        assert_eq!(code.expose_secret(), "zz");

        let wrong = read_redirect("http://localhost:1717/cb?code=x&state=abc124", &state);
        assert!(matches!(wrong, Err(StepError::StateMismatch)));
        let missing_state = read_redirect("http://localhost:1717/cb?code=x", &state);
        assert!(matches!(missing_state, Err(StepError::StateMismatch)));
        let no_code = read_redirect("http://localhost:1717/cb?state=abc123", &state);
        assert!(matches!(no_code, Err(StepError::MissingCode)));

        let denied = read_redirect(
            "http://localhost:1717/cb?error=invalid_app_access&error_description=user+is+not+admin+approved+to+access+this+app&state=abc123",
            &state,
        );
        let Err(StepError::Org(org)) = denied else { panic!("expected the org's error") };
        assert_eq!(org.code, "invalid_app_access");
        assert_eq!(org.description.as_deref(), Some("user is not admin approved to access this app"));

        let stateless_error = read_redirect("http://x/cb?error=access_denied", &state);
        assert!(matches!(stateless_error, Err(StepError::Org(_))));
        let forged_error = read_redirect("http://x/cb?error=access_denied&state=other", &state);
        assert!(matches!(forged_error, Err(StepError::StateMismatch)));
    }

    #[test]
    fn constant_time_comparison() {
        assert!(constant_time_eq("same", "same"));
        assert!(!constant_time_eq("same", "samf"));
        assert!(!constant_time_eq("same", "same-longer"));
        assert!(constant_time_eq("", ""));
    }
}
