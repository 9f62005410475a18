//! `insights.toml`: the one declarative file, with `INSIGHTS_*` environment variables and
//! command-line flags layered over it (file < environment < flags).
//!
//! Every value defaults to the setup guide except the contact email and the callback URLs,
//! which have no sensible default. Loading checks everything and reports every problem at once.

mod keys;
mod scopes;
mod values;

pub use keys::{KEYS, Kind, env_name};
pub use scopes::{metadata_scope, oauth_name};

use std::path::{Path, PathBuf};

use serde::Serialize;

use crate::problem::{Problem, Problems};

/// The default config file name, looked up in the current directory.
pub const DEFAULT_CONFIG_FILE: &str = "insights.toml";

/// Validated settings: what the rest of the workspace takes.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Settings {
    /// Where the settings came from (for messages).
    pub source: String,
    /// Metadata API version, e.g. `66.0`.
    pub api_version: String,
    /// Which kind of app to generate and deploy (`app_kind`).
    pub app_kind: AppKind,
    /// The Connected App.
    pub app: AppSettings,
    /// The permission set linked to the app.
    pub permission_set: PermissionSetSettings,
    /// Usernames the permission set is assigned to.
    pub assign_to: Vec<String>,
    /// Path of the Insights+ Apex REST endpoint the auth check calls.
    pub insights_endpoint: String,
    /// A folder of admin-edited templates replacing the built-in ones.
    pub templates_dir: Option<PathBuf>,
}

/// The kind of app the settings describe: a classic Connected App, or an External Client App
/// (the replacement for orgs that refuse new Connected Apps from Spring '26).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum AppKind {
    /// `connected-app` (the default): one `ConnectedApp` component.
    #[default]
    ConnectedApp,
    /// `external-client-app`: `ExternalClientApplication` and its four settings and policies
    /// components.
    ExternalClientApp,
}

impl AppKind {
    /// The value written in `insights.toml`.
    pub fn config_value(self) -> &'static str {
        match self {
            Self::ConnectedApp => "connected-app",
            Self::ExternalClientApp => "external-client-app",
        }
    }

    /// What an admin calls it.
    pub fn display_name(self) -> &'static str {
        match self {
            Self::ConnectedApp => "Connected App",
            Self::ExternalClientApp => "External Client App",
        }
    }

    /// The metadata type whose full name is the app's API name.
    pub fn header_type(self) -> &'static str {
        match self {
            Self::ConnectedApp => "ConnectedApp",
            Self::ExternalClientApp => "ExternalClientApplication",
        }
    }
}

/// The config line that switches to an External Client App.
pub const SWITCH_TO_ECA_LINE: &str = "app_kind = \"external-client-app\"";

/// The Connected App's settings, named as in the setup guide.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct AppSettings {
    /// Connected App Name.
    pub label: String,
    /// API Name (the metadata fullName).
    pub api_name: String,
    /// Contact Email.
    pub contact_email: String,
    /// Description.
    pub description: Option<String>,
    /// Callback URLs.
    pub callback_urls: Vec<String>,
    /// Accept plain-http callback URLs on hosts other than loopback.
    pub allow_insecure_callback: bool,
    /// Selected OAuth scopes as written in the config.
    pub scopes: Vec<String>,
    /// The metadata values of the scopes, deduplicated, in config order.
    pub metadata_scopes: Vec<String>,
    /// Require Proof Key for Code Exchange (PKCE).
    pub require_pkce: bool,
    /// Require Secret for Web Server Flow.
    pub require_secret_for_web_server_flow: bool,
    /// Require Secret for Refresh Token Flow.
    pub require_secret_for_refresh_token_flow: bool,
    /// Permitted Users: admin approved users are pre-authorized.
    pub admin_approved: bool,
    /// IP Relaxation metadata value (`BYPASS` = Relax IP restrictions).
    pub ip_relaxation: String,
    /// Refresh Token Policy metadata value (`infinite` = valid until revoked).
    pub refresh_token_policy: String,
    /// Session Timeout Value, in minutes.
    pub session_timeout_minutes: u32,
}

/// The permission set's settings.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct PermissionSetSettings {
    /// API name (the metadata fullName).
    pub api_name: String,
    /// Label.
    pub label: String,
    /// Description.
    pub description: Option<String>,
    /// True when the permission set already exists in the org: it is linked, not generated.
    pub existing: bool,
    /// Apex classes it grants access to.
    pub apex_classes: Vec<String>,
}

/// Values that replace what the file says: environment variables, then flags.
#[derive(Debug, Clone, Default)]
pub struct Overrides {
    entries: Vec<(String, String, String)>,
    unknown_env: Vec<String>,
}

/// `INSIGHTS_*` variables that are not config keys but are read elsewhere.
const OTHER_ENV: &[&str] = &[
    "INSIGHTS_CONFIG",
    "INSIGHTS_CLIENT_ID",
    "INSIGHTS_CLIENT_SECRET",
    "INSIGHTS_REFRESH_TOKEN",
    "INSIGHTS_SECRET_STORE_DIR",
];

impl Overrides {
    /// Takes every `INSIGHTS_*` variable that names a config key (others are ignored).
    pub fn from_env(vars: impl IntoIterator<Item = (String, String)>) -> Self {
        let mut overrides = Self::default();
        for (name, value) in vars {
            if let Some(key) = keys::key_for_env(&name) {
                overrides.entries.push((key.to_string(), value, format!("environment variable {name}")));
            } else if name.starts_with("INSIGHTS_") && !OTHER_ENV.contains(&name.as_str()) {
                overrides.unknown_env.push(name);
            }
        }
        overrides.unknown_env.sort();
        overrides.entries.sort();
        overrides
    }

    /// `INSIGHTS_*` variables that name no config key, each with a hint: likely typos, which
    /// the caller should warn about (they are otherwise ignored).
    pub fn unknown_env(&self) -> Vec<String> {
        self.unknown_env
            .iter()
            .map(|name| match keys::closest_env(name) {
                Some(key) => format!("{name} is not a setting (did you mean {}?)", env_name(key)),
                None => format!("{name} is not a setting; see the example insights.toml for the keys"),
            })
            .collect()
    }

    /// Adds a flag's value for a dotted key (`app.contact_email`); later ones win.
    pub fn set(mut self, key: &str, value: impl Into<String>, origin: impl Into<String>) -> Self {
        self.entries.push((key.to_string(), value.into(), origin.into()));
        self
    }

    /// Adds `key=value` given with `--set`.
    pub fn set_pair(self, pair: &str) -> Result<Self, Problem> {
        let (key, value) =
            pair.split_once('=').filter(|(key, _)| !key.trim().is_empty()).ok_or_else(|| {
                let expected =
                    if pair.contains('=') { "expected KEY=VALUE with a key" } else { "expected KEY=VALUE" };
                Problem::new("--set", pair, expected, "write e.g. --set app.contact_email=admin@example.com")
            })?;
        Ok(self.set(key.trim(), value.trim(), format!("--set {}", key.trim())))
    }
}

impl Settings {
    /// Loads `path` (or `insights.toml` in the current directory) with the overrides applied.
    pub fn load(path: Option<&Path>, overrides: &Overrides) -> Result<Settings, Problems> {
        let path = path.unwrap_or(Path::new(DEFAULT_CONFIG_FILE));
        let source = path.display().to_string();
        let text = std::fs::read_to_string(path).map_err(|error| {
            Problems::from(Problem::new(
                &source,
                "config file",
                format!("cannot read it: {error}"),
                "create it from the example insights.toml at the repository root, or pass --config PATH",
            ))
        })?;
        Self::from_toml(&text, &source, overrides)
    }

    /// Parses settings from TOML text; `source` names the file in messages.
    pub fn from_toml(text: &str, source: &str, overrides: &Overrides) -> Result<Settings, Problems> {
        let mut table: toml::Table = text.parse().map_err(|error: toml::de::Error| {
            let line = error.span().map(|span| text[..span.start].lines().count().max(1));
            let problem = Problem::new(
                source,
                "config file",
                format!("not valid TOML: {}", error.message()),
                "fix the TOML syntax",
            );
            Problems::from(match line {
                Some(line) => problem.at_line(line),
                None => problem,
            })
        })?;
        let mut problems = Problems::default();
        values::check_unknown_keys(&table, text, source, &mut problems);
        for (key, value, origin) in &overrides.entries {
            if let Err(problem) = values::apply_override(&mut table, key, value, origin) {
                problems.push(problem);
            }
        }
        let overridden: Vec<(String, String)> =
            overrides.entries.iter().map(|(key, _, origin)| (key.clone(), origin.clone())).collect();
        let settings = values::build(&table, text, source, &overridden, &mut problems);
        problems.into_result()?;
        Ok(settings)
    }
}

/// Derives an API name from a label: `Insights API Authorization` ⇒ `Insights_API_Authorization`.
pub fn api_name_from_label(label: &str) -> String {
    let mut name = String::new();
    for character in label.chars() {
        if character.is_ascii_alphanumeric() {
            name.push(character);
        } else if !name.ends_with('_') && !name.is_empty() {
            name.push('_');
        }
    }
    let trimmed = name.trim_end_matches('_');
    let mut name = trimmed.to_string();
    if name.chars().next().is_some_and(|c| c.is_ascii_digit()) {
        name.insert_str(0, "App_");
    }
    name.truncate(80);
    name.trim_end_matches('_').to_string()
}

#[cfg(test)]
mod tests;
