//! The unattended check for CI: no login; a refresh token from the environment is refreshed,
//! the Insights+ endpoint called, the token introspected, and the probes that need no login run.

use std::time::Duration;

use secrecy::SecretString;

use crate::error::AuthCheckError;
use crate::flow::unreachable_to_error_probe;
use crate::flow::{
    api_base, ensure_secure_login, names, no_token_check, revoke_checks, unreachable_to_error,
};
use crate::insights_call::{call_insights, insights_url};
use crate::oauth::{OAuthApp, Secret};
use crate::propagation::{PropagationWait, retry_while_propagating};
use crate::report::{Check, Mode, Report};
use crate::transport::http_client;

/// Environment variable holding the consumer key in unattended mode.
pub const ENV_CLIENT_ID: &str = "INSIGHTS_CLIENT_ID";
/// Environment variable holding the consumer secret.
pub const ENV_CLIENT_SECRET: &str = "INSIGHTS_CLIENT_SECRET";
/// Environment variable holding the refresh token.
pub const ENV_REFRESH_TOKEN: &str = "INSIGHTS_REFRESH_TOKEN";

/// Everything the unattended check needs.
#[derive(Clone, Debug)]
pub struct UnattendedConfig {
    /// The app and the org's OAuth host (no callback needed).
    pub app: OAuthApp,
    /// The refresh token to start from.
    pub refresh_token: SecretString,
    /// The Insights+ path.
    pub insights_endpoint: String,
    /// Revoke the refresh token at the end (CI then needs a new one).
    pub revoke: bool,
    /// Retry window for a freshly deployed app.
    pub propagation: PropagationWait,
    /// Timeout of every HTTP request.
    pub http_timeout: Duration,
}

/// Runs the unattended check.
pub async fn run_unattended(config: &UnattendedConfig) -> Result<Report, AuthCheckError> {
    ensure_secure_login(&config.app)?;
    let http = http_client(config.http_timeout)?;
    let app = &config.app;
    let mut checks = Vec::new();

    let (refreshed, retries) = retry_while_propagating(&config.propagation, "refresh", || {
        app.refresh(&http, &config.refresh_token, Secret::Send)
    })
    .await;
    match refreshed {
        Ok(tokens) => {
            let waited =
                if retries > 0 { format!(" after {retries} propagation retries") } else { String::new() };
            checks.push(Check::passed(names::REFRESH, "a new access token", format!("issued{waited}")));

            let outcome = match api_base(app, &tokens)
                .and_then(|base| insights_url(&base, &config.insights_endpoint))
            {
                Ok(url) => call_insights(&http, &url, Some(&tokens.access_token)).await,
                Err(error) => Err(error),
            };
            checks.push(match outcome {
                Ok(answer) => Check::passed(names::CALL, "HTTP 2xx", format!("HTTP {}", answer.status)),
                Err(error) => {
                    unreachable_to_error(&error, names::CALL)?;
                    Check::failed(names::CALL, "HTTP 2xx", &error)
                }
            });

            let expected = "active, for this app's user";
            checks.push(match app.introspect(&http, &tokens.access_token).await {
                Ok(result) if result.active => {
                    let user = result.username.as_deref().unwrap_or("unknown user");
                    Check::passed(names::INTROSPECT, expected, format!("active ({user})"))
                }
                Ok(_) => Check { passed: false, ..Check::passed(names::INTROSPECT, expected, "inactive") },
                Err(error) => {
                    unreachable_to_error(&error, names::INTROSPECT)?;
                    Check::failed(names::INTROSPECT, expected, &error)
                }
            });
        }
        Err(error) => {
            unreachable_to_error(&error, names::REFRESH)?;
            checks.push(Check::failed(names::REFRESH, "a new access token", &error));
            checks.push(Check::skipped(names::CALL, "HTTP 2xx", "no access token"));
            checks.push(Check::skipped(names::INTROSPECT, "active", "no access token"));
        }
    }

    let outcome = app.refresh(&http, &config.refresh_token, Secret::Omit).await;
    unreachable_to_error_probe(&outcome, names::PROBE_REFRESH_NO_SECRET)?;
    checks.push(Check::probe(names::PROBE_REFRESH_NO_SECRET, &["invalid_client"], &outcome));

    let outcome = match insights_url(&app.login_url, &config.insights_endpoint) {
        Ok(url) => call_insights(&http, &url, None).await,
        Err(error) => Err(error),
    };
    unreachable_to_error_probe(&outcome, names::PROBE_NO_TOKEN)?;
    checks.push(no_token_check(&outcome));

    if config.revoke {
        checks.extend(revoke_checks(app, &http, &config.refresh_token).await?);
    }
    Ok(Report::new(Mode::Unattended, checks))
}
