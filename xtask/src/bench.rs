//! `cargo xtask bench`: how long the main job takes and how many HTTP requests it makes.
//!
//! (a) `cargo xtask provision` (a fresh embedded org each run) and `cargo xtask verify-setup`
//! (on a provisioned one): median wall time and the requests the embedded org served (each
//! step runs with `-v`, and the emulator logs its count when it stops).
//! (b) `insights deploy` beside `sf project deploy start` of the same metadata into the same
//! `insights emulator serve --test-controls` org, in turns, counting requests with the
//! emulator's `/__emulator/requests` control. Skipped when the sf CLI is not installed.
//! Everything lives under `target/bench/`; the result is a Markdown table on stdout.

use std::io::{Read, Write};
use std::net::TcpStream;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use anyhow::{Context, bail};
use clap::Args;

use crate::embedded::EmbeddedOrg;
use crate::insights::{self, Insights};
use crate::org::OrgArgs;
use crate::provision::{self, ProvisionArgs};
use crate::report::Format;
use crate::sf_cli::{INSTALL_COMMAND, SfCli};
use crate::verify::{self, VerifyArgs};

/// Flags of `cargo xtask bench`.
#[derive(Debug, Clone, Args)]
pub struct BenchArgs {
    /// Runs of provision and of verify-setup.
    #[arg(long, default_value_t = 5, value_parser = clap::value_parser!(u32).range(1..=50))]
    pub runs: u32,

    /// Runs of each deploy tool in the side-by-side comparison.
    #[arg(long, default_value_t = 5, value_parser = clap::value_parser!(u32).range(1..=50))]
    pub deploy_runs: u32,
}

/// One measured task: wall time of each run and the HTTP requests each made.
struct Measured {
    name: String,
    times: Vec<Duration>,
    requests: Vec<u64>,
}

impl Measured {
    fn new(name: &str) -> Self {
        Self { name: name.to_string(), times: Vec::new(), requests: Vec::new() }
    }

    fn median_time(&self) -> Duration {
        let mut times = self.times.clone();
        times.sort();
        match times.len() {
            0 => Duration::ZERO,
            n if n % 2 == 1 => times[n / 2],
            n => (times[n / 2 - 1] + times[n / 2]) / 2,
        }
    }

    fn requests_shown(&self) -> String {
        let (Some(min), Some(max)) = (self.requests.iter().min(), self.requests.iter().max()) else {
            return "-".into();
        };
        if min == max { min.to_string() } else { format!("{min}–{max}") }
    }

    fn row(&self) -> String {
        let seconds = self.median_time().as_secs_f64();
        format!("| {} | {} | {seconds:.2} s | {} |", self.name, self.times.len(), self.requests_shown())
    }
}

/// HTTP requests served by embedded orgs in the `insights` steps run so far by this process.
static EMBEDDED_REQUESTS: AtomicU64 = AtomicU64::new(0);

/// The debug line an embedded org logs when it stops; its `requests=N` field is the count.
const SERVED_LINE: &str = "emulator stopped: HTTP requests served";

/// Adds the counts an `insights` step's `-v` log reports (called for every step's stderr).
pub fn count_embedded_requests(stderr: &str) {
    for line in stderr.lines().filter(|line| line.contains(SERVED_LINE)) {
        if let Some(count) = served_count(line) {
            EMBEDDED_REQUESTS.fetch_add(count, Ordering::Relaxed);
        }
    }
}

/// `requests=N` of a log line, colour codes (`ESC [ … m`) ignored.
fn served_count(line: &str) -> Option<u64> {
    let mut plain = String::with_capacity(line.len());
    let mut in_escape = false;
    for character in line.chars() {
        match (in_escape, character) {
            (false, '\u{1b}') => in_escape = true,
            (true, 'm') => in_escape = false,
            (false, other) => plain.push(other),
            (true, _) => {}
        }
    }
    plain.split("requests=").nth(1)?.split_whitespace().next()?.parse().ok()
}

/// Runs the benchmark and prints the tables.
pub fn run(root: &Path, args: &BenchArgs) -> anyhow::Result<()> {
    let dir = root.join("target").join("bench");
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).with_context(|| format!("creating {}", dir.display()))?;
    let binary = insights::build(root)?;
    let job = main_job(root, &dir, &binary, args.runs)?;
    let side = match SfCli::locate(root) {
        Ok(sf) => Some(side_by_side(root, &dir, &binary, &sf, args.deploy_runs)?),
        Err(reason) => {
            eprintln!("bench: side-by-side deploy skipped: {reason}");
            None
        }
    };
    println!("\n## Benchmark (embedded org on 127.0.0.1, debug build)\n");
    println!("| task | runs | median wall time | HTTP requests per run |\n|---|---|---|---|");
    for measured in &job {
        println!("{}", measured.row());
    }
    match side {
        Some((ours, theirs)) => {
            println!(
                "\n| deploy of the same metadata, in turns | runs | median wall time | HTTP requests per run |"
            );
            println!("|---|---|---|---|\n{}\n{}", ours.row(), theirs.row());
            let ratio = theirs.median_time().as_secs_f64() / ours.median_time().as_secs_f64().max(1e-9);
            println!("\n`sf project deploy start` / `insights deploy` (median wall time): {ratio:.2}×");
        }
        None => println!("\nSide-by-side deploy skipped: the sf CLI is not installed (`{INSTALL_COMMAND}`)."),
    }
    Ok(())
}

fn org_args(dir: &Path, state_dir: PathBuf, binary: &Path) -> OrgArgs {
    OrgArgs {
        target_org: None,
        instance_url: None,
        access_token: None,
        state_dir,
        config: PathBuf::from("insights.toml"),
        verbose: 1,
        extra_env: vec![("INSIGHTS_SECRET_STORE_DIR".into(), dir.join("secrets").display().to_string())],
        insights_binary: Some(binary.to_path_buf()),
    }
}

/// Counts the embedded org's requests and the wall time of `task`.
fn measure(into: &mut Measured, task: impl FnOnce() -> anyhow::Result<bool>) -> anyhow::Result<()> {
    let before = EMBEDDED_REQUESTS.load(Ordering::Relaxed);
    let started = Instant::now();
    let passed = task()?;
    into.times.push(started.elapsed());
    into.requests.push(EMBEDDED_REQUESTS.load(Ordering::Relaxed) - before);
    if !passed {
        bail!("{} failed during the benchmark", into.name);
    }
    Ok(())
}

/// (a) provision on a fresh embedded org each run, then verify-setup on the last one.
fn main_job(root: &Path, dir: &Path, binary: &Path, runs: u32) -> anyhow::Result<Vec<Measured>> {
    let mut provisioned = Measured::new("`cargo xtask provision` (fresh embedded org)");
    let mut state_dir = PathBuf::new();
    for run in 0..runs {
        state_dir = dir.join(format!("provision-{run}"));
        let _ = std::fs::remove_dir_all(dir.join("secrets"));
        let args = ProvisionArgs {
            org: org_args(dir, state_dir.clone(), binary),
            dry_run: false,
            skip_auth_check: false,
            login_timeout: None,
        };
        eprintln!("bench: provision, run {} of {runs}", run + 1);
        measure(&mut provisioned, || Ok(provision::run(root, &args)?.passed))?;
    }
    let mut verified = Measured::new("`cargo xtask verify-setup` (provisioned embedded org)");
    for run in 0..runs {
        let args = VerifyArgs {
            org: org_args(dir, state_dir.clone(), binary),
            format: Format::Table,
            propagation_wait: 0,
        };
        eprintln!("bench: verify-setup, run {} of {runs}", run + 1);
        measure(&mut verified, || Ok(verify::run(root, &args)?.exit_code == verify::exit::OK))?;
    }
    Ok(vec![provisioned, verified])
}

/// A test control of the emulator (`/__emulator/…`), over plain HTTP/1.1 on loopback.
fn control(instance_url: &str, method: &str, path: &str) -> anyhow::Result<serde_json::Value> {
    let address = instance_url.strip_prefix("http://").context("the emulator's URL is not http://")?;
    let mut stream = TcpStream::connect(address).with_context(|| format!("connecting to {address}"))?;
    stream.set_read_timeout(Some(Duration::from_secs(10)))?;
    stream.set_write_timeout(Some(Duration::from_secs(10)))?;
    write!(
        stream,
        "{method} {path} HTTP/1.1\r\nHost: {address}\r\nContent-Length: 0\r\nConnection: close\r\n\r\n"
    )?;
    let mut response = String::new();
    stream.read_to_string(&mut response).context("reading the control's answer")?;
    let (head, body) = response.split_once("\r\n\r\n").context("a malformed HTTP answer")?;
    if !head.starts_with("HTTP/1.1 200") {
        bail!("{method} {path} answered {}", head.lines().next().unwrap_or_default());
    }
    serde_json::from_str(body).context("the control's JSON")
}

/// Requests the org served since the last call (reads, then resets the counter).
fn requests_since_reset(instance_url: &str) -> anyhow::Result<u64> {
    let counts = control(instance_url, "GET", "/__emulator/requests")?;
    control(instance_url, "POST", "/__emulator/requests/reset")?;
    counts["total"].as_u64().context("the request count")
}

/// (b) `insights deploy --force` and `sf project deploy start`, in turns, into one org.
fn side_by_side(
    root: &Path,
    dir: &Path,
    binary: &Path,
    sf: &SfCli,
    runs: u32,
) -> anyhow::Result<(Measured, Measured)> {
    let quiet = Insights {
        binary: binary.to_path_buf(),
        workdir: root.to_path_buf(),
        env: vec![("INSIGHTS_SECRET_STORE_DIR".into(), dir.join("side-secrets").display().to_string())],
        global_flags: vec!["-q".into()],
        org_flags: Vec::new(),
    };
    let org = EmbeddedOrg::start(&quiet, &dir.join("side-org"), true)?;
    let project = dir.join("project");
    let out = quiet.run(&["generate", "--out", &project.display().to_string()])?;
    if !out.success() {
        bail!("insights generate failed: {}", out.reason());
    }
    let deployer = Insights { env: [quiet.env.clone(), org.env()].concat(), ..quiet };
    let home = dir.join("sf-home");
    let login = sf
        .command(
            &home,
            &["org", "login", "access-token", "--no-prompt", "--alias", "bench", "--instance-url"],
        )
        .arg(&org.instance_url)
        .env("SF_ACCESS_TOKEN", &org.access_token)
        .output()
        .context("running sf org login access-token")?;
    if !login.status.success() {
        bail!("sf org login access-token failed: {}", String::from_utf8_lossy(&login.stderr).trim());
    }
    let ours_once = || -> anyhow::Result<bool> { Ok(deployer.run(&["deploy", "--force"])?.success()) };
    let theirs_once = || -> anyhow::Result<bool> {
        let deploy = [
            "project",
            "deploy",
            "start",
            "--source-dir",
            "force-app",
            "--wait",
            "10",
            "--target-org",
            "bench",
        ];
        Ok(sf.command(&home, &deploy).current_dir(&project).output().context("running sf")?.status.success())
    };
    // Warm-up: the first deploy creates the app (and its secret); the measured ones update it.
    if !ours_once()? || !theirs_once()? {
        bail!("the warm-up deploys failed");
    }
    let mut ours = Measured::new("`insights deploy --force`");
    let mut theirs = Measured::new("`sf project deploy start`");
    for run in 0..runs {
        eprintln!("bench: side-by-side deploy, round {} of {runs}", run + 1);
        for (measured, once) in
            [(&mut ours, &ours_once as &dyn Fn() -> anyhow::Result<bool>), (&mut theirs, &theirs_once)]
        {
            requests_since_reset(&org.instance_url)?;
            let started = Instant::now();
            let passed = once()?;
            measured.times.push(started.elapsed());
            measured.requests.push(requests_since_reset(&org.instance_url)?);
            if !passed {
                bail!("{} failed during the benchmark", measured.name);
            }
        }
    }
    Ok((ours, theirs))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_the_served_count_with_or_without_colour() {
        let coloured = "\u{1b}[2m2026-12-04T16:22:33Z\u{1b}[0m \u{1b}[34mDEBUG\u{1b}[0m emulator stopped: HTTP requests served \u{1b}[3mrequests\u{1b}[0m\u{1b}[2m=\u{1b}[0m37";
        assert_eq!(served_count(coloured), Some(37));
        assert_eq!(served_count("DEBUG emulator stopped: HTTP requests served requests=5 extra=1"), Some(5));
        assert_eq!(served_count("DEBUG emulator stopped: HTTP requests served"), None);
    }

    #[test]
    fn median_of_odd_and_even_runs() {
        let mut measured = Measured::new("x");
        measured.times = [3, 1, 2].map(Duration::from_secs).to_vec();
        assert_eq!(measured.median_time(), Duration::from_secs(2));
        measured.times.push(Duration::from_secs(10));
        assert_eq!(measured.median_time(), Duration::from_millis(2500));
        measured.requests = vec![4, 6];
        assert_eq!(measured.requests_shown(), "4–6");
    }
}
