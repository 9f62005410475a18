//! `cargo xtask provision`: generate → validate → deploy → assign → consumer key and secret →
//! end-to-end auth check, one line per step and a summary table at the end.
//!
//! Every step is idempotent (the deploy compares with the org first and deploys nothing when
//! they match), so after a failure the rerun picks up where the last run stopped.

use std::path::Path;

use anyhow::bail;
use clap::Args;

use crate::insights::{Insights, RunOutput};
use crate::org::OrgArgs;
use crate::report::{Check, Format, render};

/// What each line a step writes on stderr is shown after, live, while the step runs.
const STEP_LOG_PREFIX: &str = "provision:   | ";

/// Where the generated files go: beside the embedded org's state folder (by default
/// `target/insights-generated`).
pub fn generated_dir(org: &OrgArgs) -> std::path::PathBuf {
    org.state_dir
        .parent()
        .map_or_else(|| "insights-generated".into(), |parent| parent.join("insights-generated"))
}

/// Flags of `cargo xtask provision`.
#[derive(Debug, Clone, Args)]
pub struct ProvisionArgs {
    #[command(flatten)]
    pub org: OrgArgs,

    /// Show what would change in the org, and change nothing.
    #[arg(long)]
    pub dry_run: bool,

    /// Skip the end-to-end auth check (for orgs where nobody can log in interactively).
    #[arg(long)]
    pub skip_auth_check: bool,

    /// How long the auth check waits for each browser login (passed to
    /// `insights auth-check --login-timeout`; its own default when absent).
    #[arg(long, value_name = "SECONDS")]
    pub login_timeout: Option<u64>,
}

/// What a whole run did, step by step.
#[derive(Debug, Clone)]
pub struct ProvisionReport {
    /// One entry per step that ran.
    pub steps: Vec<Check>,
    /// True when every step succeeded.
    pub passed: bool,
}

/// Runs the job; prints progress on stderr and the summary on stdout.
pub fn run(root: &Path, args: &ProvisionArgs) -> anyhow::Result<ProvisionReport> {
    let target = args.org.connect(root, true)?;
    eprintln!("provision: working on {}", target.description);
    if target.embedded {
        eprintln!(
            "provision: no org configured (no --target-org, --instance-url or SF_* variables): using the embedded org"
        );
    }
    let insights = &target.insights;
    let mut steps = Vec::new();
    let outcome = if args.dry_run {
        dry_run(insights, &mut steps)
    } else {
        all_steps(insights, args, target.embedded, &mut steps)
    };
    let passed = outcome.is_ok() && steps.iter().all(|s| s.passed);
    println!("{}", render(&steps, Format::Table, "provision"));
    if let Err(error) = outcome {
        eprintln!("provision: {error:#}");
        eprintln!(
            "provision: nothing done so far is undone; fix the cause and run `cargo xtask provision` again to resume."
        );
    } else if args.dry_run {
        eprintln!("provision: dry run, nothing was changed");
    } else {
        eprintln!("provision: done");
    }
    Ok(ProvisionReport { steps, passed })
}

fn all_steps(
    insights: &Insights,
    args: &ProvisionArgs,
    embedded: bool,
    steps: &mut Vec<Check>,
) -> anyhow::Result<()> {
    let generated = generated_dir(&args.org).display().to_string();
    step(steps, "generate", "metadata written for review", || {
        let out = insights.run_live(&["generate", "--out", generated.as_str(), "--json"], STEP_LOG_PREFIX)?;
        let count = out.json().and_then(|j| j["files"].as_array().map(Vec::len)).unwrap_or(0);
        Ok((out, format!("{count} files in {generated}")))
    })?;
    step(steps, "review", "the guide's settings", || {
        let out = insights.run_live(&["review", "--json"], STEP_LOG_PREFIX)?;
        let json = out.json().unwrap_or_default();
        let warnings: Vec<String> = json["warnings"]
            .as_array()
            .into_iter()
            .flatten()
            .filter_map(|w| w["message"].as_str().map(String::from))
            .collect();
        for warning in &warnings {
            eprintln!("provision:   warning: {warning}");
        }
        let rows = json["rows"].as_array().map_or(0, Vec::len);
        Ok((
            out,
            format!("{rows} settings, {} warnings (cargo run -p insights-cli -- review)", warnings.len()),
        ))
    })?;
    step(steps, "validate", "the org accepts the package (check-only deploy)", || {
        let out = insights.run_on_org_live(&["deploy", "--check-only"], STEP_LOG_PREFIX)?;
        let detail = last_line(&out);
        Ok((out, detail))
    })?;
    step(steps, "deploy", "app and permission set deployed and read back", || {
        let out = insights.run_on_org_live(&["deploy"], STEP_LOG_PREFIX)?;
        let detail = last_line(&out);
        Ok((out, detail))
    })?;
    step(steps, "assign", "permission set assigned to assign_to", || {
        let out = insights.run_on_org_live(&["assign", "--json"], STEP_LOG_PREFIX)?;
        let detail = out.json().map_or_else(|| last_line(&out), |json| describe_assignments(&json));
        Ok((out, detail))
    })?;
    step(steps, "consumer", "consumer key from the org, secret known", || {
        let out = insights.run_on_org_live(&["consumer", "--json"], STEP_LOG_PREFIX)?;
        let json = out.json().unwrap_or_default();
        let key =
            json["consumer_key"].as_str().map(|k| format!("key {}…", k.chars().take(8).collect::<String>()));
        let source = json["secret_source"]
            .as_str()
            .map_or("secret unknown".to_string(), |s| format!("secret from {s}"));
        Ok((out, format!("{}, {source}", key.unwrap_or_else(|| "no key".into()))))
    })?;
    if args.skip_auth_check {
        steps.push(Check {
            group: "step".into(),
            name: "auth-check".into(),
            expected: "login, refresh, Insights+ call, policy probes".into(),
            observed: "skipped (--skip-auth-check)".into(),
            passed: true,
        });
        return Ok(());
    }
    if !embedded {
        let wait = args.login_timeout.map_or_else(
            || "up to 300 s per login, --login-timeout SECONDS changes it".to_string(),
            |seconds| format!("up to {seconds} s per login"),
        );
        eprintln!(
            "provision: the auth check needs an interactive login: open the URL it shows below in a \
             browser and log in as the API user ({wait}); where nobody can log in, rerun with \
             --skip-auth-check"
        );
    }
    let auth_args = auth_check_args(args.login_timeout);
    let auth_args: Vec<&str> = auth_args.iter().map(String::as_str).collect();
    step(steps, "auth-check", "login, refresh, Insights+ call, policy probes", || {
        let out = insights.run_on_org_live(&auth_args, STEP_LOG_PREFIX)?;
        let json = out.json().unwrap_or_default();
        let checks = json["checks"].as_array().cloned().unwrap_or_default();
        let failed: Vec<String> = checks
            .iter()
            .filter(|c| c["passed"] == false)
            .filter_map(|c| c["check"].as_str().map(String::from))
            .collect();
        let detail = if failed.is_empty() && out.success() {
            format!("{} checks passed", checks.len())
        } else if failed.is_empty() {
            out.reason()
        } else {
            format!("failed: {}", failed.join(", "))
        };
        Ok((out, detail))
    })
}

fn dry_run(insights: &Insights, steps: &mut Vec<Check>) -> anyhow::Result<()> {
    step(steps, "review", "the guide's settings", || {
        let out = insights.run_live(&["review", "--json"], STEP_LOG_PREFIX)?;
        Ok((out, "configuration and templates are valid".into()))
    })?;
    let out = insights.run_on_org_live(&["diff", "--json"], STEP_LOG_PREFIX)?;
    let json = out.json().unwrap_or_default();
    let rows = json["rows"].as_array().cloned().unwrap_or_default();
    if rows.is_empty() {
        bail!("comparing with the org failed: {}", out.reason());
    }
    let changes: Vec<&serde_json::Value> = rows.iter().filter(|r| r["matches"] == false).collect();
    for row in &changes {
        eprintln!(
            "provision:   would change {}: {} -> {}",
            row["setting"].as_str().unwrap_or("?"),
            row["deployed"].as_str().unwrap_or(""),
            row["desired"].as_str().unwrap_or("")
        );
    }
    steps.push(Check {
        group: "step".into(),
        name: "deploy".into(),
        expected: "what a deploy would change".into(),
        observed: if changes.is_empty() {
            "nothing: the org matches".into()
        } else {
            format!("{} settings would change", changes.len())
        },
        passed: true,
    });
    Ok(())
}

fn step(
    steps: &mut Vec<Check>,
    name: &str,
    expected: &str,
    action: impl FnOnce() -> anyhow::Result<(RunOutput, String)>,
) -> anyhow::Result<()> {
    eprintln!("provision: {name} …");
    let (out, detail) = action()?;
    let passed = out.success();
    eprintln!("provision: {name}: {}", if passed { &detail } else { "failed" });
    steps.push(Check {
        group: "step".into(),
        name: name.into(),
        expected: expected.into(),
        // A failed step that still answered in JSON (the auth check's report) is summed up by
        // `detail`; otherwise its last line of output says why.
        observed: if passed || (out.json().is_some() && !detail.is_empty()) { detail } else { out.reason() },
        passed,
    });
    if !passed {
        if !out.stdout.trim().is_empty() && out.json().is_none() {
            eprintln!("{}", out.stdout.trim_end());
        }
        // stderr was shown live while the step ran.
        match out.code {
            Some(code) => bail!("step {name} failed (exit code {code})"),
            None => bail!("step {name} was stopped by a signal before it finished"),
        }
    }
    Ok(())
}

/// The arguments of the auth-check step.
fn auth_check_args(login_timeout: Option<u64>) -> Vec<String> {
    let mut args = vec!["auth-check".to_string(), "--json".into()];
    if let Some(seconds) = login_timeout {
        args.extend(["--login-timeout".into(), seconds.to_string()]);
    }
    args
}

fn last_line(out: &RunOutput) -> String {
    out.stdout.lines().rev().find(|l| !l.trim().is_empty()).unwrap_or("done").trim().to_string()
}

fn describe_assignments(json: &serde_json::Value) -> String {
    let items = json.as_array().cloned().unwrap_or_default();
    let parts: Vec<String> = items
        .iter()
        .map(|a| {
            format!("{} ({})", a["username"].as_str().unwrap_or("?"), a["status"].as_str().unwrap_or("?"))
        })
        .collect();
    if parts.is_empty() { "no users".into() } else { parts.join(", ") }
}

#[cfg(test)]
mod tests {
    use clap::Parser;

    use super::*;

    #[derive(Parser)]
    struct Cli {
        #[command(flatten)]
        provision: ProvisionArgs,
    }

    #[test]
    fn the_login_timeout_is_passed_to_the_auth_check() {
        let cli = Cli::try_parse_from(["provision", "--login-timeout", "90"]).expect("parses");
        assert_eq!(cli.provision.login_timeout, Some(90));
        assert_eq!(
            auth_check_args(cli.provision.login_timeout),
            ["auth-check", "--json", "--login-timeout", "90"]
        );
        let cli = Cli::try_parse_from(["provision"]).expect("parses");
        assert_eq!(auth_check_args(cli.provision.login_timeout), ["auth-check", "--json"]);
    }
}
