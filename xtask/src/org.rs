//! Which org a task works on: the one the flags or `SF_*` variables name, or else the
//! embedded org emulator on its state folder under `target/`.

use std::path::{Path, PathBuf};

use clap::Args;

use crate::embedded::STATE_DIR;
use crate::insights::Insights;

/// Connection flags shared by `provision` and `verify-setup`.
#[derive(Debug, Clone, Args)]
pub struct OrgArgs {
    /// Use the Salesforce CLI's login for this alias or username.
    #[arg(long, value_name = "ALIAS")]
    pub target_org: Option<String>,

    /// The org's instance URL (or $SF_INSTANCE_URL).
    #[arg(long, env = "SF_INSTANCE_URL", value_name = "URL", hide_env_values = true)]
    pub instance_url: Option<String>,

    /// An access token for the org (or $SF_ACCESS_TOKEN).
    #[arg(long, env = "SF_ACCESS_TOKEN", value_name = "TOKEN", hide_env_values = true)]
    pub access_token: Option<String>,

    /// The embedded org's state folder, used when no org is named.
    #[arg(long, value_name = "DIR", default_value = STATE_DIR)]
    pub state_dir: PathBuf,

    /// The config file.
    #[arg(long, env = "INSIGHTS_CONFIG", value_name = "PATH", default_value = "insights.toml")]
    pub config: PathBuf,

    /// More log output from each step.
    #[arg(short, long, action = clap::ArgAction::Count)]
    pub verbose: u8,

    /// Environment added to every `insights` step (tests point the secret store elsewhere).
    #[arg(skip)]
    pub extra_env: Vec<(String, String)>,

    /// A prebuilt `insights` binary; built from the workspace when absent.
    #[arg(skip)]
    pub insights_binary: Option<PathBuf>,
}

/// The org a task works on, and how `insights` reaches it.
pub struct Target {
    /// How to run `insights` against the org.
    pub insights: Insights,
    /// True when the embedded org emulator is the target.
    pub embedded: bool,
    /// A one-line description for the log.
    pub description: String,
}

impl OrgArgs {
    /// The value of a variable for the steps: from `extra_env`, else the environment.
    pub fn env_value(&self, name: &str) -> Option<String> {
        self.extra_env
            .iter()
            .rev()
            .find(|(key, _)| key == name)
            .map(|(_, value)| value.clone())
            .or_else(|| std::env::var(name).ok())
            .filter(|value| !value.trim().is_empty())
    }

    /// True when no org is named: the embedded emulator is used.
    pub fn wants_embedded(&self) -> bool {
        self.target_org.is_none() && self.instance_url.is_none() && self.access_token.is_none()
    }

    /// Builds `insights` and says how it reaches the named org, or the embedded one (which
    /// must already exist unless `start_embedded`).
    pub fn connect(&self, root: &Path, start_embedded: bool) -> anyhow::Result<Target> {
        let binary = match &self.insights_binary {
            Some(binary) => binary.clone(),
            None => crate::insights::build(root)?,
        };
        let mut env = vec![("INSIGHTS_CONFIG".to_string(), root.join(&self.config).display().to_string())];
        env.extend(self.extra_env.iter().cloned());
        let mut insights = Insights {
            binary,
            workdir: root.to_path_buf(),
            env,
            global_flags: match self.verbose {
                0 => Vec::new(),
                n => vec![format!("-{}", "v".repeat(usize::from(n)))],
            },
            org_flags: Vec::new(),
        };
        if let Some(alias) = &self.target_org {
            insights.org_flags = vec!["--target-org".into(), alias.clone()];
            return Ok(Target {
                insights,
                embedded: false,
                description: format!("org {alias} (Salesforce CLI login)"),
            });
        }
        if let (Some(url), Some(token)) = (&self.instance_url, &self.access_token) {
            insights.env.push(("SF_INSTANCE_URL".into(), url.clone()));
            insights.env.push(("SF_ACCESS_TOKEN".into(), token.clone()));
            return Ok(Target { insights, embedded: false, description: format!("org at {url}") });
        }
        if !self.wants_embedded() {
            anyhow::bail!(
                "give both --instance-url and --access-token (or SF_INSTANCE_URL and SF_ACCESS_TOKEN)"
            );
        }
        // Each `insights` step opens the embedded org itself on the same state folder, so the
        // org, its tokens and the consumer secret carry over from step to step and run to run.
        let state_dir = root.join(&self.state_dir);
        if !start_embedded && !state_dir.join("org.sqlite").exists() {
            anyhow::bail!(
                "nothing was provisioned in the embedded org ({} does not exist)",
                self.state_dir.display()
            );
        }
        insights.org_flags = vec!["--state-dir".into(), state_dir.display().to_string()];
        let description = format!("the embedded org emulator (state in {})", self.state_dir.display());
        Ok(Target { insights, embedded: true, description })
    }
}
