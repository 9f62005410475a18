//! `insights auth-check`: proves that an API user gets in through the provisioned app, and only
//! the way the app intends (PKCE, secret, permission set). Interactive (browser), emulator
//! (seeded user, no person) or unattended (CI, refresh token from the environment).
//!
//! The protocol lives in `insights-auth-check`; this module gathers the inputs, shows the
//! authorize URL, reads a pasted redirect, and prints the report (table or JSON).

use std::io::Write as _;
use std::sync::Arc;
use std::time::Duration;

use anyhow::{Context as _, anyhow};
use clap::Args;
use insights_auth_check::login::BoxFuture;
use insights_auth_check::unattended::{ENV_CLIENT_ID, ENV_CLIENT_SECRET, ENV_REFRESH_TOKEN};
use insights_auth_check::{
    AuthCheckError, FlowConfig, Login, LoginPrompt, LoginUi, LoginUser, OAuthApp, PropagationWait, Report,
    UnattendedConfig, Url, default_scopes,
};
use insights_metadata::config::Settings;
use secrecy::SecretString;
use tabled::{Table, Tabled, settings::Style};

use insights_org_client::connection::ENV_INSTANCE_URL;
use insights_org_client::{ConnectionSource, OrgError};

use super::connect::{ConnectionArgs, OrgSession, block_on, connect};
use super::{Outcome, UsageError, exit};

/// Seeded emulator users (ARCHITECTURE.md): the API user logs in, the admin has no permission
/// set and is the denied user unless flags say otherwise.
const EMULATOR_API_USER: (&str, &str) = ("api@insights-emulator.test", "Api-User-Pass-1");
const EMULATOR_DENIED_USER: (&str, &str) = ("admin@insights-emulator.test", "Admin-Pass-1");

/// Flags of `insights auth-check`.
#[derive(Debug, Args)]
pub struct AuthCheckArgs {
    #[command(flatten)]
    settings: super::settings_args::SettingsArgs,

    /// The consumer key; read from the org when omitted.
    #[arg(long, value_name = "KEY")]
    client_id: Option<String>,

    /// Environment variable holding the consumer secret (else the secret store).
    #[arg(long, value_name = "VAR", default_value = ENV_CLIENT_SECRET)]
    client_secret_env: String,

    /// Emulator mode: post the emulator's login form as this user (no browser).
    #[arg(long, value_name = "USERNAME")]
    username: Option<String>,

    /// Environment variable holding the password for --username.
    #[arg(long, value_name = "VAR", requires = "username")]
    password_env: Option<String>,

    /// A user without the permission set, for the denied-user probe.
    #[arg(long, value_name = "USERNAME")]
    denied_user: Option<String>,

    /// Environment variable holding the denied user's password (emulator mode).
    #[arg(long, value_name = "VAR", requires = "denied_user")]
    denied_password_env: Option<String>,

    /// CI mode: INSIGHTS_CLIENT_ID, INSIGHTS_CLIENT_SECRET and INSIGHTS_REFRESH_TOKEN from the
    /// environment; refresh, call, introspect, and the probes that need no login.
    #[arg(long)]
    unattended: bool,

    /// Revoke the refresh token at the end.
    #[arg(long)]
    revoke: bool,

    /// Print the report as JSON.
    #[arg(long)]
    json: bool,

    /// Seconds to keep retrying `invalid_client_id` / `redirect_uri_mismatch` after a deploy.
    #[arg(long, value_name = "SECONDS", default_value_t = 600)]
    propagation_wait: u64,

    /// Seconds to wait for each browser redirect.
    #[arg(long, value_name = "SECONDS", default_value_t = 300)]
    login_timeout: u64,

    #[command(flatten)]
    connection: ConnectionArgs,
}

/// Runs the check and prints the report.
pub fn run(args: AuthCheckArgs) -> Outcome {
    block_on(run_async(args))?
}

async fn run_async(args: AuthCheckArgs) -> Outcome {
    // The login uses the first callback URL; `--callback-url` replaces the configured ones.
    let settings = args.settings.load()?;
    let propagation =
        PropagationWait { window: Duration::from_secs(args.propagation_wait), ..PropagationWait::default() };
    let http_timeout = Duration::from_secs(60);

    let outcome = if args.unattended {
        // With no URL given, the unattended check runs against the embedded org (or the
        // Salesforce CLI's login), which `connect` opens.
        let named = args.connection.instance_url.is_some() || non_empty_env(ENV_INSTANCE_URL).is_some();
        let org = if named { None } else { Some(connect(&args.connection, &settings.api_version).await?) };
        let instance = org.as_ref().map(|org| org.client.instance_url().to_owned());
        let config = unattended_config(&args, &settings, instance, propagation, http_timeout);
        let outcome = match config {
            Ok(config) => insights_auth_check::run_unattended(&config).await,
            Err(error) => {
                if let Some(org) = org {
                    org.close("auth-check").await;
                }
                return Err(error);
            }
        };
        if let Some(org) = org {
            org.close("auth-check").await;
        }
        outcome
    } else {
        let org = match connect(&args.connection, &settings.api_version).await {
            Ok(org) => org,
            Err(error) if is_unreachable(&error) => {
                eprintln!("error: the org cannot be reached: {error:#}");
                return Ok(exit::ORG_UNREACHABLE);
            }
            Err(error) => return Err(error),
        };
        let config = flow_config(&args, &settings, &org).await;
        let outcome = match config {
            Ok(config) => {
                let config = FlowConfig { propagation, http_timeout, ..config };
                Ok(insights_auth_check::run_flow(&config).await)
            }
            Err(error) => Err(error),
        };
        org.close("auth-check").await;
        outcome?
    };
    match outcome {
        Ok(report) => {
            print_report(&report, args.json)?;
            Ok(if report.passed { exit::OK } else { exit::CHECK_FAILED })
        }
        Err(AuthCheckError::Unreachable { step, reason }) => {
            eprintln!("error: the org cannot be reached ({step}): {reason}");
            Ok(exit::ORG_UNREACHABLE)
        }
        Err(error @ AuthCheckError::Config(_)) => Err(UsageError(error.to_string()).into()),
    }
}

fn unattended_config(
    args: &AuthCheckArgs,
    settings: &Settings,
    connected_instance: Option<String>,
    propagation: PropagationWait,
    http_timeout: Duration,
) -> anyhow::Result<UnattendedConfig> {
    let client_id = match &args.client_id {
        Some(id) => id.clone(),
        None => required_env(ENV_CLIENT_ID)?,
    };
    let client_secret = SecretString::from(required_env(&args.client_secret_env)?);
    let refresh_token = SecretString::from(required_env(ENV_REFRESH_TOKEN)?);
    let instance = args
        .connection
        .instance_url
        .clone()
        .or_else(|| non_empty_env(ENV_INSTANCE_URL))
        .or(connected_instance)
        .ok_or_else(|| {
            UsageError(format!("--unattended needs the org's URL: --instance-url or {ENV_INSTANCE_URL}"))
        })?;
    Ok(UnattendedConfig {
        app: OAuthApp { login_url: parse_url(&instance)?, client_id, client_secret, redirect_uri: None },
        refresh_token,
        insights_endpoint: settings.insights_endpoint.clone(),
        revoke: args.revoke,
        propagation,
        http_timeout,
    })
}

async fn flow_config(
    args: &AuthCheckArgs,
    settings: &Settings,
    org: &OrgSession,
) -> anyhow::Result<FlowConfig> {
    let embedded = is_embedded_emulator(org);
    let from_env = non_empty_env(&args.client_secret_env).map(SecretString::from);
    let (client_id, client_secret) = match (&args.client_id, from_env) {
        (Some(id), Some(secret)) => (id.clone(), secret),
        (client_id, from_env) => {
            let credentials =
                insights_org_client::consumer::consumer_credentials(&org.client, &settings.app.api_name)
                    .await
                    .context("reading the app's consumer key from the org")?;
            let secret = from_env.or(credentials.consumer_secret).ok_or_else(|| {
                UsageError(format!(
                    "no consumer secret: set {} or deploy the app with this tool (secret store)",
                    args.client_secret_env
                ))
            })?;
            (client_id.clone().unwrap_or(credentials.consumer_key), secret)
        }
    };
    let callback = settings
        .app
        .callback_urls
        .first()
        .cloned()
        .ok_or_else(|| UsageError("no callback URL: set app.callback_urls or --callback-url".into()))?;

    let login = match &args.username {
        Some(username) => Login::EmulatorForm {
            user: LoginUser {
                username: username.clone(),
                password: Some(password_from(args.password_env.as_deref(), username, org)?),
            },
        },
        None if embedded => Login::EmulatorForm {
            user: LoginUser {
                username: EMULATOR_API_USER.0.into(),
                password: Some(SecretString::from(EMULATOR_API_USER.1)),
            },
        },
        None => Login::Browser {
            ui: Arc::new(TerminalLogin),
            redirect_timeout: Duration::from_secs(args.login_timeout),
        },
    };
    let denied_user = match (&args.denied_user, &login) {
        (Some(username), Login::EmulatorForm { .. }) => Some(LoginUser {
            username: username.clone(),
            password: Some(password_from(args.denied_password_env.as_deref(), username, org)?),
        }),
        (Some(username), Login::Browser { .. }) => {
            Some(LoginUser { username: username.clone(), password: None })
        }
        (None, Login::EmulatorForm { .. }) if embedded => Some(LoginUser {
            username: EMULATOR_DENIED_USER.0.into(),
            password: Some(SecretString::from(EMULATOR_DENIED_USER.1)),
        }),
        (None, _) => None,
    };
    if denied_user.is_none() {
        tracing::warn!("no --denied-user: the denied-user probe is skipped");
    }

    Ok(FlowConfig {
        app: OAuthApp {
            login_url: parse_url(org.client.instance_url())?,
            client_id,
            client_secret,
            redirect_uri: Some(callback),
        },
        scopes: default_scopes(),
        insights_endpoint: settings.insights_endpoint.clone(),
        login,
        denied_user,
        revoke: args.revoke,
        propagation: PropagationWait::default(),
        http_timeout: Duration::from_secs(60),
    })
}

fn is_embedded_emulator(org: &OrgSession) -> bool {
    *org.client.source() == ConnectionSource::EmbeddedEmulator
}

/// True when connecting failed because the org did not answer.
fn is_unreachable(error: &anyhow::Error) -> bool {
    error.chain().any(|cause| matches!(cause.downcast_ref::<OrgError>(), Some(OrgError::Unreachable { .. })))
}

/// A password from the named variable; the embedded emulator's seeded users need none.
fn password_from(env: Option<&str>, username: &str, org: &OrgSession) -> anyhow::Result<SecretString> {
    if let Some(env) = env {
        return Ok(SecretString::from(required_env(env)?));
    }
    let seeded = [EMULATOR_API_USER, EMULATOR_DENIED_USER];
    match seeded.iter().find(|(name, _)| *name == username) {
        Some((_, password)) if is_embedded_emulator(org) => Ok(SecretString::from(*password)),
        _ => Err(UsageError(format!("no password for {username}: pass --password-env VAR")).into()),
    }
}

fn parse_url(text: &str) -> anyhow::Result<Url> {
    Url::parse(text).map_err(|error| UsageError(format!("{text:?} is not a URL: {error}")).into())
}

fn non_empty_env(name: &str) -> Option<String> {
    std::env::var(name).ok().filter(|value| !value.trim().is_empty())
}

fn required_env(name: &str) -> anyhow::Result<String> {
    non_empty_env(name).ok_or_else(|| anyhow!(UsageError(format!("{name} is not set"))))
}

/// The terminal side of a browser login: open the URL, or show it; read a pasted redirect.
struct TerminalLogin;

impl LoginUi for TerminalLogin {
    fn open_authorize_url(&self, url: &Url, prompt: &LoginPrompt) {
        let who = prompt.username.as_deref().map(|user| format!(" as {user}")).unwrap_or_default();
        eprintln!("auth-check: {}: log in{who} in the browser.", prompt.purpose);
        if prompt.paste_redirect || !open_browser(url.as_str()) {
            eprintln!("Open this URL:\n  {url}");
        }
        if prompt.paste_redirect {
            eprint!("Then paste the URL the browser ended on (with ?code=…): ");
            let _ = std::io::stderr().flush();
        }
    }

    fn read_pasted_redirect(&self) -> BoxFuture<'_, std::io::Result<String>> {
        Box::pin(async {
            tokio::task::spawn_blocking(|| {
                let mut line = String::new();
                std::io::stdin().read_line(&mut line).map(|_| line)
            })
            .await
            .map_err(std::io::Error::other)?
        })
    }
}

/// Tries `$BROWSER`, then the platform's opener; false when none started.
fn open_browser(url: &str) -> bool {
    let mut candidates: Vec<String> = Vec::new();
    if let Some(browser) = non_empty_env("BROWSER") {
        candidates.push(browser);
    }
    candidates.extend(if cfg!(target_os = "macos") { ["open"] } else { ["xdg-open"] }.map(String::from));
    candidates.iter().any(|program| {
        std::process::Command::new(program)
            .arg(url)
            .stdin(std::process::Stdio::null())
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .spawn()
            .is_ok()
    })
}

#[derive(Tabled)]
struct Row<'a> {
    #[tabled(rename = "check")]
    check: &'a str,
    #[tabled(rename = "expected")]
    expected: &'a str,
    #[tabled(rename = "observed")]
    observed: &'a str,
    #[tabled(rename = "result")]
    result: &'static str,
    #[tabled(rename = "likely cause")]
    cause: &'a str,
}

fn print_report(report: &Report, json: bool) -> anyhow::Result<()> {
    let mut stdout = std::io::stdout().lock();
    if json {
        serde_json::to_writer_pretty(&mut stdout, report).context("writing the JSON report")?;
        writeln!(stdout)?;
        return Ok(());
    }
    let rows = report.checks.iter().map(|check| Row {
        check: &check.check,
        expected: &check.expected,
        observed: &check.observed,
        result: if check.passed { "pass" } else { "FAIL" },
        cause: check.likely_cause.as_deref().unwrap_or(""),
    });
    let mut table = Table::new(rows);
    table.with(Style::sharp());
    writeln!(stdout, "{table}")?;
    let failed = report.checks.iter().filter(|check| !check.passed).count();
    if failed == 0 {
        writeln!(stdout, "auth-check: all {} checks passed", report.checks.len())?;
    } else {
        writeln!(stdout, "auth-check: {failed} of {} checks failed", report.checks.len())?;
    }
    Ok(())
}
