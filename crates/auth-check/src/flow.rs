//! The full check with a login: web server flow with PKCE, the Insights+ call, refresh, the
//! policy probes, and an optional revoke.

use std::time::Duration;

use secrecy::SecretString;
use url::Url;

use crate::authorize::{AuthorizeOptions, PendingAuthorization};
use crate::error::{AuthCheckError, StepError};
use crate::insights_call::{call_insights, insights_url};
use crate::login::{Login, LoginPrompt, LoginUser, browser_login, emulator_login, preflight_authorize};
use crate::oauth::{OAuthApp, Secret, Tokens};
use crate::propagation::{PropagationWait, retry_while_propagating};
use crate::report::{Check, Mode, Report};
use crate::transport::{http_client, is_secure_url};

/// Names of the checks, as they appear in reports.
pub use crate::check_names as names;

/// Everything the check with a login needs.
#[derive(Clone, Debug)]
pub struct FlowConfig {
    /// The app and the org's OAuth host.
    pub app: OAuthApp,
    /// Scopes to request, e.g. `api refresh_token`.
    pub scopes: Vec<String>,
    /// The Insights+ path, e.g. `/services/apexrest/insights/v1/status`.
    pub insights_endpoint: String,
    /// How logins are completed.
    pub login: Login,
    /// A user who lacks the permission set; the denied-user probe runs when set.
    pub denied_user: Option<LoginUser>,
    /// Revoke the refresh token at the end (and check it is then refused).
    pub revoke: bool,
    /// Retry window for a freshly deployed app.
    pub propagation: PropagationWait,
    /// Timeout of every HTTP request.
    pub http_timeout: Duration,
}

/// The default scopes: the API, and a refresh token.
pub fn default_scopes() -> Vec<String> {
    vec!["api".into(), "refresh_token".into()]
}

/// Expected outcomes, as shown in reports.
const EXPECT_CODE: &str = "a code with the state sent";
const EXPECT_TOKENS: &str = "access token and refresh token";
const EXPECT_2XX: &str = "HTTP 2xx";
const EXPECT_REFRESHED: &str = "a new access token";

/// What the probes that need a login report when they did not run.
pub const MAIN_LOGIN_FAILED: &str = "skipped: the main login failed";

/// The probes that log in as the main user: name, what the exchange leaves out, the codes
/// of the expected refusal.
const CODE_PROBES: [(&str, Exchange, &[&str]); 2] = [
    (names::PROBE_NO_VERIFIER, Exchange::WithoutVerifier, &["invalid_grant", "invalid_request"]),
    (names::PROBE_NO_SECRET, Exchange::WithoutSecret, &["invalid_client"]),
];

/// The expected refusal of the denied-user probe.
const DENIED_USER_CODES: &[&str] = &["invalid_app_access"];

/// Runs the check with a login and returns every result. Fails only when the org cannot be
/// reached or the configuration cannot work.
pub async fn run_flow(config: &FlowConfig) -> Result<Report, AuthCheckError> {
    ensure_secure_login(&config.app)?;
    let http = http_client(config.http_timeout)?;
    let flow = Flow { config, http: &http };
    let mode = match config.login {
        Login::Browser { .. } => Mode::Interactive,
        Login::EmulatorForm { .. } => Mode::Emulator,
    };
    let mut checks = Vec::new();

    // The main login, retried while a fresh app propagates.
    let main_user = match &config.login {
        Login::EmulatorForm { user } => Some(user.clone()),
        Login::Browser { .. } => None,
    };
    let (login, retries) = retry_while_propagating(&config.propagation, "authorize", || {
        flow.authorize_and_exchange(main_user.as_ref(), "main login", false, Exchange::Full)
    })
    .await;
    let mut main_login_failed = false;
    let tokens = match login {
        Ok(tokens) => {
            let waited =
                if retries > 0 { format!(" after {retries} propagation retries") } else { String::new() };
            checks.push(Check::passed(names::AUTHORIZE, EXPECT_CODE, format!("code received{waited}")));
            checks.push(Check::passed(names::EXCHANGE, EXPECT_TOKENS, describe_tokens(&tokens)));
            Some(tokens)
        }
        Err(FlowFailure { stage, error }) => {
            unreachable_to_error(&error, stage.name())?;
            match stage {
                Stage::Authorize => {
                    main_login_failed = true;
                    checks.push(Check::failed(names::AUTHORIZE, EXPECT_CODE, &error));
                    checks.push(Check::skipped(names::EXCHANGE, EXPECT_TOKENS, "no code"));
                }
                Stage::Exchange => {
                    checks.push(Check::passed(names::AUTHORIZE, EXPECT_CODE, "code received"));
                    checks.push(Check::failed(names::EXCHANGE, EXPECT_TOKENS, &error));
                }
            }
            None
        }
    };

    let refresh_token = tokens.as_ref().and_then(|tokens| tokens.refresh_token.clone());
    if let Some(tokens) = &tokens {
        checks.push(flow.call_check(names::CALL, tokens).await?);
        match &refresh_token {
            Some(refresh_token) => {
                let refreshed = config.app.refresh(&http, refresh_token, Secret::Send).await;
                match refreshed {
                    Ok(refreshed) => {
                        checks.push(Check::passed(names::REFRESH, EXPECT_REFRESHED, "issued"));
                        checks.push(flow.call_check(names::CALL_AFTER_REFRESH, &refreshed).await?);
                    }
                    Err(error) => {
                        unreachable_to_error(&error, names::REFRESH)?;
                        checks.push(Check::failed(names::REFRESH, EXPECT_REFRESHED, &error));
                        checks.push(Check::skipped(
                            names::CALL_AFTER_REFRESH,
                            EXPECT_2XX,
                            "no refreshed token",
                        ));
                    }
                }
            }
            None => {
                checks.push(Check::skipped(
                    names::REFRESH,
                    EXPECT_REFRESHED,
                    "no refresh token was issued (the app needs the RefreshToken scope)",
                ));
            }
        }
    } else {
        checks.push(Check::skipped(names::CALL, EXPECT_2XX, "no access token"));
        checks.push(Check::skipped(names::REFRESH, EXPECT_REFRESHED, "no refresh token"));
        checks.push(Check::skipped(names::CALL_AFTER_REFRESH, EXPECT_2XX, "no access token"));
    }

    if main_login_failed {
        // Each of these needs another login: after a timeout, an error redirect or a state
        // mismatch, asking again would only wait again.
        checks.extend(flow.skipped_code_probes());
    } else {
        checks.extend(flow.code_probes(main_user.as_ref()).await?);
    }
    if let Some(refresh_token) = &refresh_token {
        let outcome = config.app.refresh(&http, refresh_token, Secret::Omit).await;
        unreachable_to_error_probe(&outcome, names::PROBE_REFRESH_NO_SECRET)?;
        checks.push(Check::probe(names::PROBE_REFRESH_NO_SECRET, &["invalid_client"], &outcome));
    }
    checks.push(flow.no_token_probe().await?);

    if config.revoke {
        match &refresh_token {
            Some(refresh_token) => checks.extend(revoke_checks(&config.app, &http, refresh_token).await?),
            None => checks.push(Check::skipped(names::REVOKE, "HTTP 200", "no refresh token")),
        }
    }
    Ok(Report::new(mode, checks))
}

/// Revokes the refresh token and checks that it is refused afterwards.
pub(crate) async fn revoke_checks(
    app: &OAuthApp,
    http: &reqwest::Client,
    refresh_token: &SecretString,
) -> Result<Vec<Check>, AuthCheckError> {
    let mut checks = Vec::new();
    match app.revoke_refresh_token(http, refresh_token).await {
        Ok(()) => checks.push(Check::passed(names::REVOKE, "HTTP 200", "revoked")),
        Err(error) => {
            unreachable_to_error(&error, names::REVOKE)?;
            checks.push(Check::failed(names::REVOKE, "HTTP 200", &error));
            return Ok(checks);
        }
    }
    let outcome = app.refresh(http, refresh_token, Secret::Send).await;
    unreachable_to_error_probe(&outcome, names::PROBE_REVOKED)?;
    checks.push(Check::probe(names::PROBE_REVOKED, &["invalid_grant"], &outcome));
    Ok(checks)
}

/// Which part of login + exchange failed.
#[derive(Clone, Copy, Debug)]
enum Stage {
    Authorize,
    Exchange,
}

impl Stage {
    fn name(self) -> &'static str {
        match self {
            Self::Authorize => names::AUTHORIZE,
            Self::Exchange => names::EXCHANGE,
        }
    }
}

/// What the code exchange sends.
#[derive(Clone, Copy, Debug)]
enum Exchange {
    Full,
    WithoutVerifier,
    WithoutSecret,
}

#[derive(Debug, thiserror::Error)]
#[error("{error}")]
struct FlowFailure {
    stage: Stage,
    error: StepError,
}

impl FlowFailure {
    fn into_step_error(self) -> StepError {
        self.error
    }
}

impl From<FlowFailure> for StepError {
    fn from(failure: FlowFailure) -> Self {
        failure.into_step_error()
    }
}

impl crate::propagation::HasStepError for FlowFailure {
    fn step_error(&self) -> &StepError {
        &self.error
    }
}

struct Flow<'a> {
    config: &'a FlowConfig,
    http: &'a reqwest::Client,
}

impl Flow<'_> {
    /// One fresh authorization (new state and verifier), then the code exchange.
    async fn authorize_and_exchange(
        &self,
        user: Option<&LoginUser>,
        purpose: &str,
        force_login: bool,
        exchange: Exchange,
    ) -> Result<Tokens, FlowFailure> {
        let at = |stage| move |error| FlowFailure { stage, error };
        let options = AuthorizeOptions {
            force_login,
            login_hint: if force_login { user.map(|user| user.username.clone()) } else { None },
        };
        let app = &self.config.app;
        let pending =
            PendingAuthorization::new(app, &self.config.scopes, &options).map_err(at(Stage::Authorize))?;
        let code = self.complete_login(&pending, user, purpose).await.map_err(at(Stage::Authorize))?;
        let (verifier, secret) = match exchange {
            Exchange::Full => (Some(pending.verifier()), Secret::Send),
            Exchange::WithoutVerifier => (None, Secret::Send),
            Exchange::WithoutSecret => (Some(pending.verifier()), Secret::Omit),
        };
        app.exchange_code(self.http, &code, verifier, secret).await.map_err(at(Stage::Exchange))
    }

    async fn complete_login(
        &self,
        pending: &PendingAuthorization,
        user: Option<&LoginUser>,
        purpose: &str,
    ) -> Result<SecretString, StepError> {
        match &self.config.login {
            Login::EmulatorForm { .. } => {
                let user = user.ok_or_else(|| StepError::LoginRejected("no user to log in as".into()))?;
                let password = user
                    .password
                    .as_ref()
                    .ok_or_else(|| StepError::LoginRejected(format!("no password for {}", user.username)))?;
                emulator_login(self.http, pending, &user.username, password).await
            }
            Login::Browser { ui, redirect_timeout } => {
                preflight_authorize(self.http, pending).await?;
                let callback = self
                    .config
                    .app
                    .redirect_uri
                    .as_deref()
                    .and_then(|uri| Url::parse(uri).ok())
                    .ok_or_else(|| StepError::Protocol("the callback URL is not a URL".into()))?;
                let prompt = LoginPrompt {
                    purpose: purpose.to_owned(),
                    username: user.map(|user| user.username.clone()),
                    paste_redirect: false,
                };
                browser_login(ui.as_ref(), *redirect_timeout, &callback, pending, prompt).await
            }
        }
    }

    /// The probes that need a code, each with its own authorization.
    async fn code_probes(&self, main_user: Option<&LoginUser>) -> Result<Vec<Check>, AuthCheckError> {
        let mut checks = Vec::new();
        for (name, exchange, codes) in CODE_PROBES {
            let outcome = self.authorize_and_exchange(main_user, name, false, exchange).await;
            checks.push(self.probe_check(name, codes, outcome)?);
        }
        if let Some(denied) = &self.config.denied_user {
            let name = names::PROBE_DENIED_USER;
            let outcome = self.authorize_and_exchange(Some(denied), name, true, Exchange::Full).await;
            checks.push(self.probe_check(name, DENIED_USER_CODES, outcome)?);
        }
        Ok(checks)
    }

    /// The probes that need a code, reported as not run because the main login failed.
    fn skipped_code_probes(&self) -> Vec<Check> {
        let denied = self.config.denied_user.as_ref().map(|_| (names::PROBE_DENIED_USER, DENIED_USER_CODES));
        CODE_PROBES
            .iter()
            .map(|(name, _, codes)| (*name, *codes))
            .chain(denied)
            .map(|(name, codes)| {
                let expected = format!("refused ({})", codes.join(" or "));
                Check { observed: MAIN_LOGIN_FAILED.into(), ..Check::skipped(name, &expected, "") }
            })
            .collect()
    }

    fn probe_check(
        &self,
        name: &str,
        codes: &[&str],
        outcome: Result<Tokens, FlowFailure>,
    ) -> Result<Check, AuthCheckError> {
        let outcome = outcome.map_err(StepError::from);
        unreachable_to_error_probe(&outcome, name)?;
        Ok(Check::probe(name, codes, &outcome))
    }

    async fn call_check(&self, name: &str, tokens: &Tokens) -> Result<Check, AuthCheckError> {
        let outcome = match self
            .api_base(tokens)
            .and_then(|base| insights_url(&base, &self.config.insights_endpoint))
        {
            Ok(url) => call_insights(self.http, &url, Some(&tokens.access_token)).await,
            Err(error) => Err(error),
        };
        Ok(match outcome {
            Ok(answer) => Check::passed(name, EXPECT_2XX, format!("HTTP {}", answer.status)),
            Err(error) => {
                unreachable_to_error(&error, name)?;
                Check::failed(name, EXPECT_2XX, &error)
            }
        })
    }

    async fn no_token_probe(&self) -> Result<Check, AuthCheckError> {
        let name = names::PROBE_NO_TOKEN;
        let outcome = match insights_url(&self.config.app.login_url, &self.config.insights_endpoint) {
            Ok(url) => call_insights(self.http, &url, None).await,
            Err(error) => Err(error),
        };
        unreachable_to_error_probe(&outcome, name)?;
        Ok(no_token_check(&outcome))
    }

    /// Where the APIs live: the token's `instance_url` when it is safe, else the login host.
    fn api_base(&self, tokens: &Tokens) -> Result<Url, StepError> {
        api_base(&self.config.app, tokens)
    }
}

/// Refuses, before any request, a login host that would receive credentials over plain http.
pub(crate) fn ensure_secure_login(app: &OAuthApp) -> Result<(), AuthCheckError> {
    if is_secure_url(&app.login_url) {
        Ok(())
    } else {
        Err(AuthCheckError::Config(format!(
            "{} is not https: tokens and secrets go only over https (http only on loopback)",
            app.login_url.origin().ascii_serialization()
        )))
    }
}

/// Where the APIs live: the token's `instance_url` when given (it must be https or loopback).
pub(crate) fn api_base(app: &OAuthApp, tokens: &Tokens) -> Result<Url, StepError> {
    match &tokens.instance_url {
        Some(instance) => {
            let url = Url::parse(instance)
                .map_err(|error| StepError::Protocol(format!("bad instance_url: {error}")))?;
            if is_secure_url(&url) {
                Ok(url)
            } else {
                Err(StepError::Insecure(url.origin().ascii_serialization()))
            }
        }
        None => Ok(app.login_url.clone()),
    }
}

/// The "no token" probe: any 401 is the expected refusal.
pub(crate) fn no_token_check<T>(outcome: &Result<T, StepError>) -> Check {
    let mut check = Check::probe(names::PROBE_NO_TOKEN, &["INVALID_SESSION_ID"], outcome);
    if let Err(StepError::Org(org)) = outcome
        && org.http_status == Some(401)
    {
        check.passed = true;
        check.observed = format!("refused: {org}");
    }
    check.expected = "refused (HTTP 401)".into();
    check
}

fn describe_tokens(tokens: &Tokens) -> String {
    let refresh = if tokens.refresh_token.is_some() { "with" } else { "without" };
    match &tokens.scope {
        Some(scope) => format!("issued {refresh} a refresh token (scope: {scope})"),
        None => format!("issued {refresh} a refresh token"),
    }
}

/// Stops the whole check when the org cannot be reached at all.
pub(crate) fn unreachable_to_error(error: &StepError, step: &str) -> Result<(), AuthCheckError> {
    match error {
        StepError::Transport(source) if error.is_unreachable() => {
            Err(AuthCheckError::Unreachable { step: step.to_owned(), reason: source.to_string() })
        }
        _ => Ok(()),
    }
}

pub(crate) fn unreachable_to_error_probe<T>(
    outcome: &Result<T, StepError>,
    step: &str,
) -> Result<(), AuthCheckError> {
    match outcome {
        Err(error) => unreachable_to_error(error, step),
        Ok(_) => Ok(()),
    }
}
