//! The embedded org: `insights emulator serve` on a state folder under `target/`, started when
//! no org is configured and stopped when the task ends.

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Stdio};

use anyhow::{Context, bail};

use crate::insights::Insights;

/// Where the embedded org keeps its state, so that `cargo clean` resets it.
pub const STATE_DIR: &str = "target/insights-org";

/// A running embedded org.
pub struct EmbeddedOrg {
    child: Child,
    /// `http://127.0.0.1:PORT`.
    pub instance_url: String,
    /// The seeded admin's session.
    pub access_token: String,
    /// The state folder.
    pub state_dir: PathBuf,
}

impl EmbeddedOrg {
    /// Starts `insights emulator serve --json` and waits for its one JSON line.
    pub fn start(insights: &Insights, state_dir: &Path, test_controls: bool) -> anyhow::Result<Self> {
        let state = state_dir.display().to_string();
        let mut args = vec!["emulator", "serve", "--state-dir", state.as_str(), "--port", "0", "--json"];
        if test_controls {
            args.push("--test-controls");
        }
        let mut child = insights
            .command(&args)
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .context("starting the embedded org emulator")?;
        let stdout = child.stdout.take().context("the emulator's stdout")?;
        let mut line = String::new();
        BufReader::new(stdout).read_line(&mut line).context("reading the emulator's first line")?;
        let ready: serde_json::Value = match serde_json::from_str(line.trim()) {
            Ok(value) => value,
            Err(_) => {
                let _ = child.kill();
                bail!("the embedded org did not start (it printed {:?})", line.trim());
            }
        };
        let field = |name: &str| ready.get(name).and_then(|v| v.as_str()).map(String::from);
        let (Some(instance_url), Some(access_token)) = (field("instance_url"), field("access_token")) else {
            let _ = child.kill();
            bail!("the embedded org's ready line lacks instance_url or access_token");
        };
        Ok(Self { child, instance_url, access_token, state_dir: state_dir.to_path_buf() })
    }

    /// The environment that points `insights` at this org.
    pub fn env(&self) -> Vec<(String, String)> {
        vec![
            ("SF_INSTANCE_URL".into(), self.instance_url.clone()),
            ("SF_ACCESS_TOKEN".into(), self.access_token.clone()),
        ]
    }
}

impl Drop for EmbeddedOrg {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
