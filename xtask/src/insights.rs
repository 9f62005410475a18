//! Running the `insights` command as a child process: the xtask orchestrates, `insights` works.
//!
//! The binary is built once (`cargo build -p insights-cli`), then each step runs it with the
//! org's connection in `SF_INSTANCE_URL`/`SF_ACCESS_TOKEN` and reads its `--json` output.

use std::io::{BufRead, BufReader, Read};
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

/// Reads a child's output to the end, line by line, handing each line (without its line end)
/// to `forward` as soon as it arrives; returns everything read.
fn collect_lines(pipe: impl Read, mut forward: impl FnMut(&str)) -> std::io::Result<String> {
    let mut reader = BufReader::new(pipe);
    let mut collected = String::new();
    let mut line = Vec::new();
    loop {
        line.clear();
        if reader.read_until(b'\n', &mut line)? == 0 {
            return Ok(collected);
        }
        let text = String::from_utf8_lossy(&line);
        forward(text.trim_end_matches(['\r', '\n']));
        collected.push_str(&text);
    }
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
        self.execute(args, None)
    }

    /// Runs `insights ARGS…`, capturing its output and also showing each stderr line live on
    /// this process's stderr after `prefix` (a login URL must be seen while the step waits).
    pub fn run_live(&self, args: &[&str], prefix: &str) -> anyhow::Result<RunOutput> {
        self.execute(args, Some(prefix))
    }

    /// Runs `insights ARGS… ORG-FLAGS` with stderr shown live, as [`Insights::run_live`].
    pub fn run_on_org_live(&self, args: &[&str], prefix: &str) -> anyhow::Result<RunOutput> {
        let mut all: Vec<&str> = args.to_vec();
        all.extend(self.org_flags.iter().map(String::as_str));
        self.run_live(&all, prefix)
    }

    fn execute(&self, args: &[&str], live: Option<&str>) -> anyhow::Result<RunOutput> {
        let context = || format!("running insights {}", args.join(" "));
        let mut child = self
            .command(args)
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .with_context(context)?;
        let stderr_pipe = child.stderr.take();
        let prefix = live.map(str::to_owned);
        let stderr_reader = std::thread::spawn(move || {
            let Some(pipe) = stderr_pipe else { return Ok(String::new()) };
            collect_lines(pipe, |line| {
                if let Some(prefix) = &prefix {
                    eprintln!("{prefix}{line}");
                }
            })
        });
        let mut stdout = Vec::new();
        if let Some(mut pipe) = child.stdout.take() {
            pipe.read_to_end(&mut stdout).with_context(context)?;
        }
        let status = child.wait().with_context(context)?;
        let stderr = stderr_reader
            .join()
            .map_err(|_| anyhow::anyhow!("the thread reading stderr of insights {} failed", args.join(" ")))?
            .with_context(context)?;
        crate::bench::count_embedded_requests(&stderr);
        let out =
            RunOutput { code: status.code(), stdout: String::from_utf8_lossy(&stdout).into_owned(), stderr };
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

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Write;
    use std::sync::mpsc;
    use std::time::Duration;

    #[test]
    fn each_line_is_forwarded_before_the_output_ends() {
        let (reader, mut writer) = std::io::pipe().expect("pipe");
        let (lines, forwarded) = mpsc::channel::<String>();
        let collector = std::thread::spawn(move || {
            collect_lines(reader, |line| lines.send(line.to_owned()).unwrap_or_default())
        });
        writer.write_all(b"Open this URL: http://127.0.0.1/authorize\n").expect("write");
        // The writer is still open (the step still waits for the login), yet the line is there.
        let first = forwarded.recv_timeout(Duration::from_secs(60)).expect("first line forwarded");
        assert_eq!(first, "Open this URL: http://127.0.0.1/authorize");
        writer.write_all(b"second\r\nno line end").expect("write");
        drop(writer);
        let collected = collector.join().expect("joins").expect("reads");
        assert_eq!(collected, "Open this URL: http://127.0.0.1/authorize\nsecond\r\nno line end");
        let rest: Vec<String> = forwarded.iter().collect();
        assert_eq!(rest, ["second", "no line end"]);
    }

    #[cfg(unix)]
    #[test]
    fn a_live_run_still_captures_stdout_and_stderr() {
        let insights = Insights {
            binary: "/bin/sh".into(),
            workdir: std::env::temp_dir(),
            env: Vec::new(),
            global_flags: Vec::new(),
            org_flags: Vec::new(),
        };
        let script = "echo '{\"ok\":true}'; echo one >&2; echo two >&2; exit 3";
        let out = insights.run_live(&["-c", script], "test | ").expect("runs");
        assert_eq!(out.code, Some(3));
        assert_eq!(out.json(), Some(serde_json::json!({ "ok": true })));
        assert_eq!(out.stderr, "one\ntwo\n");
        assert_eq!(out.reason(), "two");
    }
}
