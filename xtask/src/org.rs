//! Which org a task works on: the one the flags or `SF_*` variables name, or else the
//! embedded org emulator on its state folder under `target/`.

use std::path::{Path, PathBuf};

use clap::Args;

use crate::embedded::{EmbeddedOrg, STATE_DIR};
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
}

/// The org a task works on, and how `insights` reaches it.
pub struct Target {
    /// How to run `insights` against the org.
    pub insights: Insights,
    /// The embedded org, when one was started (stopped on drop).
    pub embedded: Option<EmbeddedOrg>,
    /// A one-line description for the log.
    pub description: String,
}

impl OrgArgs {
    /// True when no org is named: the embedded emulator is used.
    pub fn wants_embedded(&self) -> bool {
        self.target_org.is_none() && self.instance_url.is_none() && self.access_token.is_none()
    }

    /// Builds `insights`, then connects to the named org or starts the embedded one.
    pub fn connect(&self, root: &Path, start_embedded: bool) -> anyhow::Result<Target> {
        let binary = crate::insights::build(root)?;
        let mut insights = Insights {
            binary,
            workdir: root.to_path_buf(),
            env: vec![("INSIGHTS_CONFIG".into(), self.config.display().to_string())],
            global_flags: match self.verbose {
                0 => Vec::new(),
                n => vec![format!("-{}", "v".repeat(usize::from(n)))],
            },
            org_flags: Vec::new(),
        };
        if let Some(alias) = &self.target_org {
            insights.org_flags = vec!["--target-org".into(), alias.clone()];
            return Ok(Target { insights, embedded: None, description: format!("org {alias} (Salesforce CLI login)") });
        }
        if let (Some(url), Some(token)) = (&self.instance_url, &self.access_token) {
            insights.env.push(("SF_INSTANCE_URL".into(), url.clone()));
            insights.env.push(("SF_ACCESS_TOKEN".into(), token.clone()));
            return Ok(Target { insights, embedded: None, description: format!("org at {url}") });
        }
        if !self.wants_embedded() {
            anyhow::bail!("give both --instance-url and --access-token (or SF_INSTANCE_URL and SF_ACCESS_TOKEN)");
        }
        let state_dir = root.join(&self.state_dir);
        if !start_embedded {
            anyhow::bail!("no org configured");
        }
        let embedded = EmbeddedOrg::start(&insights, &state_dir, false)?;
        insights.env.extend(embedded.env());
        let description = format!(
            "the embedded org emulator at {} (state in {})",
            embedded.instance_url,
            self.state_dir.display()
        );
        Ok(Target { insights, embedded: Some(embedded), description })
    }
}
