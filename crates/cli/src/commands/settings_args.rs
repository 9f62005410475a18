//! The flags every command that reads `insights.toml` shares, and loading them into settings.

use std::path::PathBuf;

use clap::Args;
use insights_metadata::config::{Overrides, Settings};
use insights_metadata::template::Templates;
use insights_metadata::{Generated, Problems};

use super::UsageError;

/// Where the settings come from: the config file, then `INSIGHTS_*`, then these flags.
#[derive(Debug, Clone, Args)]
pub struct SettingsArgs {
    /// The config file.
    #[arg(long, env = "INSIGHTS_CONFIG", default_value = "insights.toml", value_name = "PATH")]
    pub config: PathBuf,

    /// Override a config key, e.g. --set app.contact_email=admin@example.com (repeatable).
    #[arg(long = "set", value_name = "KEY=VALUE")]
    pub set: Vec<String>,

    /// Override app.contact_email.
    #[arg(long, value_name = "EMAIL")]
    pub contact_email: Option<String>,

    /// Override app.callback_urls (repeatable).
    #[arg(long = "callback-url", value_name = "URL")]
    pub callback_urls: Vec<String>,
}

impl SettingsArgs {
    /// Loads and validates the settings; every problem becomes one usage error.
    pub fn load(&self) -> anyhow::Result<Settings> {
        let mut overrides = Overrides::from_env(std::env::vars());
        for warning in overrides.unknown_env() {
            tracing::warn!("{warning}; it is ignored");
        }
        for pair in &self.set {
            overrides = overrides
                .set_pair(pair)
                .map_err(|problem| UsageError(Problems::from(problem).to_string()))?;
        }
        if let Some(email) = &self.contact_email {
            overrides = overrides.set("app.contact_email", email, "--contact-email");
        }
        if !self.callback_urls.is_empty() {
            overrides = overrides.set("app.callback_urls", self.callback_urls.join(","), "--callback-url");
        }
        Settings::load(Some(&self.config), &overrides)
            .map_err(|problems| UsageError(problems.to_string()).into())
    }

    /// Loads the settings and generates the validated metadata.
    pub fn generate(&self) -> anyhow::Result<(Settings, Generated)> {
        let settings = self.load()?;
        let templates = match &settings.templates_dir {
            Some(dir) => Templates::load(dir).map_err(|problems| UsageError(problems.to_string()))?,
            None => Templates::builtin(),
        };
        let generated = insights_metadata::generate(&settings, &templates)
            .map_err(|problems| UsageError(problems.to_string()))?;
        Ok((settings, generated))
    }
}
