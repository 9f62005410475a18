//! Running the `insights` command as a child process: the xtask orchestrates, `insights` works.
//!
//! The binary is built once (`cargo build -p insights-cli`), then each step runs it with the
//! org's connection in `SF_INSTANCE_URL`/`SF_ACCESS_TOKEN` and reads its `--json` output.

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use anyhow::{Context, bail};

/// How to run `insights` against one org.
#[derive(Debug, Clone)]
pub struct Insights {
    /// The binary.
    pub binary: PathBuf,
    /// The working directory (the workspace root).
    pub workdir: PathBuf,
    /// Environment variables added to every run (the org's connection, the config path).
    pub env: Vec<(String, String)>,
    /// Extra global flags, e.g. `-v`.
    pub global_flags: Vec<String>,
    /// Flags that name the org, added to the commands that talk to one.
    pub org_flags: Vec<String>,
}

/// What one run printed and how it ended.
#[derive(Debug, Clone)]
pub struct RunOutput {
    /// The exit code (`None` when killed by a signal).
    pub code: Option<i32>,
    /// Everything on stdout.
    pub stdout: String,
    /// Everything on stderr.
    pub stderr: String,
}

impl RunOutput {
    /// True when the command exited 0.
    pub fn success(&self) -> bool {
        self.code == Some(0)
    }

    /// stdout parsed as one JSON document.
    pub fn json(&self) -> Option<serde_json::Value> {
        serde_json::from_str(self.stdout.trim()).ok()
    }

    /// The last non-empty line of stderr, for a one-line reason.
    pub fn reason(&self) -> String {
        let from =
            |text: &str| text.lines().rev().find(|l| !l.trim().is_empty()).map(|l| l.trim().to_string());
        from(&self.stderr).or_else(|| from(&self.stdout)).unwrap_or_else(|| "no output".into())
    }
}

/// Copies of every run's output, kept while [`record_outputs`] is on (process-wide).
static RECORDED: std::sync::Mutex<Option<Vec<RunOutput>>> = std::sync::Mutex::new(None);

fn recorded() -> std::sync::MutexGuard<'static, Option<Vec<RunOutput>>> {
    RECORDED.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
}

/// From now on, keeps a copy of every `insights` run's output in this process, for tests that
/// search everything printed (e.g. for secrets).
pub fn record_outputs() {
    *recorded() = Some(Vec::new());
}

/// The outputs kept since [`record_outputs`], in order; stops keeping them.
pub fn take_recorded() -> Vec<RunOutput> {
    recorded().take().unwrap_or_default()
}

/// Builds the `insights` binary in the workspace and returns its path.
pub fn build(root: &Path) -> anyhow::Result<PathBuf> {
    let status = Command::new(env!("CARGO"))
        .args(["build", "--quiet", "--package", "insights-cli"])
        .current_dir(root)
        .status()
        .context("building the insights command")?;
    if !status.success() {
        bail!("building the insights command failed");
    }
    let target = std::env::var_os("CARGO_TARGET_DIR").map_or_else(|| root.join("target"), PathBuf::from);
    let binary = target.join("debug").join(format!("insights{}", std::env::consts::EXE_SUFFIX));
    if !binary.exists() {
        bail!("built insights but found no binary at {}", binary.display());
    }
    Ok(binary)
}

impl Insights {
    /// Runs `insights ARGS…`, capturing its output.
    pub fn run(&self, args: &[&str]) -> anyhow::Result<RunOutput> {
        let output = self
            .command(args)
            .stdin(Stdio::null())
            .output()
            .with_context(|| format!("running insights {}", args.join(" ")))?;
        let stderr = String::from_utf8_lossy(&output.stderr).into_owned();
        crate::bench::count_embedded_requests(&stderr);
        let out = RunOutput {
            code: output.status.code(),
            stdout: String::from_utf8_lossy(&output.stdout).into_owned(),
            stderr,
        };
        if let Some(kept) = recorded().as_mut() {
            kept.push(out.clone());
        }
        Ok(out)
    }

    /// Runs `insights ARGS… ORG-FLAGS`: a command that talks to the org.
    pub fn run_on_org(&self, args: &[&str]) -> anyhow::Result<RunOutput> {
        let mut all: Vec<&str> = args.to_vec();
        all.extend(self.org_flags.iter().map(String::as_str));
        self.run(&all)
    }

    /// The command for `insights ARGS…`, ready to spawn.
    pub fn command(&self, args: &[&str]) -> Command {
        let mut command = Command::new(&self.binary);
        command.current_dir(&self.workdir).args(&self.global_flags).args(args);
        for (key, value) in &self.env {
            command.env(key, value);
        }
        command
    }
}
