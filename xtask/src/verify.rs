//! `cargo xtask verify-setup`: unattended and read-only. Compares what the org has with the
//! config (one row per setting of the setup guide), checks the permission set assignments,
//! runs the auth check and its policy probes, and reports as a table, JSON or JUnit XML.

use std::path::Path;

use clap::Args;

use crate::insights::RunOutput;
use crate::org::OrgArgs;
use crate::report::{Check, Format, render};

/// Exit codes of `verify-setup`.
pub mod exit {
    /// Every check passed.
    pub const OK: u8 = 0;
    /// A check failed or the org drifted from the config.
    pub const FAILED: u8 = 1;
    /// Bad config or usage.
    pub const USAGE: u8 = 2;
    /// The org could not be reached or authenticated.
    pub const UNREACHABLE: u8 = 3;
}

/// Flags of `cargo xtask verify-setup`.
#[derive(Debug, Clone, Args)]
pub struct VerifyArgs {
    #[command(flatten)]
    pub org: OrgArgs,

    /// How to print the results.
    #[arg(long, value_enum, default_value = "table")]
    pub format: Format,

    /// Seconds to keep retrying `invalid_client_id` / `redirect_uri_mismatch`, which a real org
    /// answers for minutes right after a deploy. A drifted callback URL fails after this wait.
    #[arg(long, value_name = "SECONDS", default_value_t = 60)]
    pub propagation_wait: u64,
}

/// The checks and the exit code they add up to.
#[derive(Debug, Clone)]
pub struct Verification {
    /// Every check, in order.
    pub checks: Vec<Check>,
    /// 0, 1, 2 or 3 (see [`exit`]).
    pub exit_code: u8,
}

/// Runs every check; prints the report on stdout.
pub fn run(root: &Path, args: &VerifyArgs) -> anyhow::Result<Verification> {
    if args.org.wants_embedded() && !root.join(&args.org.state_dir).join("org.sqlite").exists() {
        // Not an unreachable org: an empty one, which fails every check.
        eprintln!(
            "verify-setup: nothing was provisioned in the embedded org ({} does not exist): run `cargo xtask provision` first",
            args.org.state_dir.display()
        );
        return Ok(Verification { checks: Vec::new(), exit_code: exit::FAILED });
    }
    let target = args.org.connect(root, false)?;
    eprintln!("verify-setup: checking {}", target.description);
    let insights = &target.insights;
    let mut checks = Vec::new();
    let mut worst = exit::OK;

    let diff = insights.run_on_org(&["diff", "--json"])?;
    worst = worst.max(code_of(&diff));
    match diff.json() {
        Some(json) => checks.extend(json["rows"].as_array().into_iter().flatten().map(|row| Check {
            group: "setting".into(),
            name: text(&row["setting"]),
            expected: text(&row["desired"]),
            observed: text(&row["deployed"]),
            passed: row["matches"] == true,
        })),
        None => checks.push(failed_step("setting", "read the deployed metadata", &diff)),
    }

    let assignments = insights.run_on_org(&["assign", "--check", "--json"])?;
    worst = worst.max(code_of(&assignments));
    match assignments.json() {
        Some(json) => checks.extend(json.as_array().into_iter().flatten().map(|a| Check {
            group: "assignment".into(),
            name: format!("{} has the permission set", text(&a["username"])),
            expected: "assigned".into(),
            observed: text(&a["status"]).replace('_', " "),
            passed: matches!(a["status"].as_str(), Some("assigned" | "already_assigned")),
        })),
        None => checks.push(failed_step("assignment", "read the permission set assignments", &assignments)),
    }

    // A refresh token in the environment means the unattended check (what CI runs against a
    // real org); against the embedded org without one, the check logs in as the seeded user.
    let unattended = !target.embedded || args.org.env_value("INSIGHTS_REFRESH_TOKEN").is_some();
    let wait = args.propagation_wait.to_string();
    let mut auth_args = vec!["auth-check", "--json", "--propagation-wait", wait.as_str()];
    if unattended {
        auth_args.push("--unattended");
    }
    let auth = insights.run_on_org(&auth_args)?;
    worst = worst.max(code_of(&auth));
    match auth.json() {
        Some(json) => checks.extend(json["checks"].as_array().into_iter().flatten().map(|c| Check {
            group: "auth".into(),
            name: text(&c["check"]),
            expected: text(&c["expected"]),
            observed: text(&c["observed"]),
            passed: c["passed"] == true,
        })),
        None => checks.push(failed_step("auth", "run the auth check", &auth)),
    }

    if checks.iter().any(|c| !c.passed) {
        worst = worst.max(exit::FAILED);
    }
    println!("{}", render(&checks, args.format, "verify-setup"));
    let failed = checks.iter().filter(|c| !c.passed).count();
    eprintln!("verify-setup: {} checks, {failed} failed", checks.len());
    Ok(Verification { checks, exit_code: worst })
}

/// Maps a step's exit code onto ours: unreachable and usage errors keep their meaning.
fn code_of(out: &RunOutput) -> u8 {
    match out.code {
        Some(0) => exit::OK,
        Some(2) => exit::USAGE,
        Some(3) => exit::UNREACHABLE,
        _ => exit::FAILED,
    }
}

fn failed_step(group: &str, what: &str, out: &RunOutput) -> Check {
    Check {
        group: group.into(),
        name: what.into(),
        expected: "done".into(),
        observed: out.reason(),
        passed: false,
    }
}

fn text(value: &serde_json::Value) -> String {
    match value {
        serde_json::Value::String(s) => s.clone(),
        serde_json::Value::Null => String::new(),
        other => other.to_string(),
    }
}
