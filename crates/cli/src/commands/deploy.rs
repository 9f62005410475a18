//! `insights deploy`: generates in memory, compares with the org, then validates and
//! quick-deploys (or `--check-only`), showing progress and a table of failures.

use std::io::IsTerminal;
use std::sync::Mutex;
use std::time::Duration;

use clap::Args;
use indicatif::{ProgressBar, ProgressStyle};
use insights_metadata::config::AppKind;
use insights_org_client::diff::{DesiredState, compare};
use insights_org_client::provision::{
    DeployPlan, DeployReport, deploy_app, read_deployed_state, verify_deployed,
};
use insights_org_client::secret_store::SecretStore;
use insights_org_client::{DeployMessage, DeployObserver, DeployOutcome, DeployResult, OrgClient};
use tabled::settings::Style;
use tabled::{Table, Tabled};

use super::connect::{ConnectionArgs, block_on, connect};
use super::output::outln;
use super::settings_args::SettingsArgs;
use super::{Outcome, exit};

/// Flags of `insights deploy`.
#[derive(Debug, Args)]
pub struct DeployArgs {
    #[command(flatten)]
    pub settings: SettingsArgs,

    #[command(flatten)]
    pub connection: ConnectionArgs,

    /// Validate only: the org checks the package and saves nothing.
    #[arg(long)]
    pub check_only: bool,

    /// Minutes to wait for each deploy step before reporting it as still running.
    #[arg(long, value_name = "MIN", default_value_t = 33)]
    pub wait: u64,

    /// Wait for (and check) a deploy started earlier, by its id.
    #[arg(long, value_name = "ID")]
    pub resume: Option<String>,

    /// Deploy even when the org already matches.
    #[arg(long)]
    pub force: bool,
}

/// Runs the command.
pub fn run(args: DeployArgs) -> Outcome {
    let (settings, generated) = args.settings.generate()?;
    block_on(async move {
        let session = connect(&args.connection, &settings.api_version).await?;
        let observer = Progress::new();
        let wait = Duration::from_secs(args.wait.saturating_mul(60));
        let app = &settings.app.api_name;
        let permission_set = generated.permission_set_name().to_owned();
        let outcome = match &args.resume {
            Some(id) => {
                let target = (generated.app_kind, app.as_str(), permission_set.as_str());
                resume(&session.client, id, wait, &observer, target).await
            }
            None => {
                let desired = DesiredState::from_generated(&generated)?;
                let deployed =
                    read_deployed_state(&session.client, generated.app_kind, app, &permission_set).await?;
                if compare(&desired, &deployed).is_identical() && !args.force {
                    outln!(
                        "Nothing to deploy: {app} and {permission_set} in the org match the configuration."
                    );
                    session.close("deploy").await;
                    return Ok(exit::OK);
                }
                let plan = DeployPlan {
                    app_api_name: app.clone(),
                    permission_set: permission_set.clone(),
                    check_only: args.check_only,
                    wait,
                    // An app of the other kind with this name is not an app to update.
                    app_exists: Some(deployed.app_kind == Some(generated.app_kind)),
                    secret_store: SecretStore::from_env()?,
                };
                tokio::select! {
                    report = deploy_app(&session.client, &generated, &plan, &observer) => {
                        observer.finish();
                        print_report(&report?, args.check_only)
                    }
                    _ = tokio::signal::ctrl_c() => cancel(&session.client, &observer).await,
                }
            }
        };
        session.close("deploy").await;
        outcome
    })?
}

async fn resume(
    client: &OrgClient,
    id: &str,
    wait: Duration,
    observer: &Progress,
    (kind, app, permission_set): (AppKind, &str, &str),
) -> Outcome {
    observer.started(id, false);
    let outcome = client.wait_for_deploy(id, wait, observer).await?;
    observer.finish();
    let verification_problems = match &outcome {
        DeployOutcome::Finished(result) if result.success && !result.check_only => {
            verify_deployed(client, kind, app, permission_set).await?
        }
        _ => Vec::new(),
    };
    let check_only = matches!(&outcome, DeployOutcome::Finished(result) if result.check_only);
    let report = DeployReport {
        outcome,
        creates_app: false,
        validation_id: None,
        quick_deployed: false,
        secret_stored_at: None,
        verification_problems,
        explanation: None,
    };
    print_report(&report, check_only)
}

async fn cancel(client: &OrgClient, observer: &Progress) -> Outcome {
    observer.finish();
    let current = observer.current.lock().ok().and_then(|id| id.clone());
    let Some(id) = current else {
        eprintln!("Interrupted before the org accepted a deploy; nothing to cancel.");
        return Ok(exit::CHECK_FAILED);
    };
    eprintln!("Interrupted: asking the org to cancel deploy {id}…");
    match client.cancel_deploy(&id).await {
        Ok(_) => eprintln!("Cancel requested for {id}; the org changes nothing for a canceled deploy."),
        Err(error) => eprintln!("The org did not cancel {id}: {error}"),
    }
    Ok(exit::CHECK_FAILED)
}

fn print_report(report: &DeployReport, check_only: bool) -> Outcome {
    let result = match &report.outcome {
        DeployOutcome::StillRunning { id, .. } => {
            outln!("Deploy {id} is still running in the org (the --wait limit passed).");
            outln!("Resume waiting with: insights deploy --resume {id}");
            return Ok(exit::OK);
        }
        DeployOutcome::Finished(result) => result,
    };
    if !result.success {
        outln!(
            "Deploy {} {}: {} of {} components failed.",
            result.id,
            result.status,
            result.number_component_errors.max(1),
            result.number_components_total
        );
        outln!("{}", failure_table(&result.failures()));
        if let Some(explanation) = &report.explanation {
            outln!("\n{explanation}");
            // The last line on stderr is what `cargo xtask provision` shows for the step.
            let switch = insights_metadata::config::SWITCH_TO_ECA_LINE;
            if explanation.contains(switch) {
                eprintln!(
                    "This org no longer allows new Connected Apps: set {switch} in insights.toml to provision an External Client App instead."
                );
            } else {
                eprintln!("{explanation}");
            }
        }
        return Ok(exit::CHECK_FAILED);
    }
    print_success(report, result, check_only);
    if !report.verification_problems.is_empty() {
        outln!("But reading the app back found problems:");
        for problem in &report.verification_problems {
            outln!("  ✗ {problem}");
        }
        return Ok(exit::CHECK_FAILED);
    }
    Ok(exit::OK)
}

fn print_success(report: &DeployReport, result: &DeployResult, check_only: bool) {
    let verb = if check_only {
        "Validated"
    } else if report.creates_app {
        "Created"
    } else {
        "Updated"
    };
    let how = if report.quick_deployed { " (validated, then quick-deployed)" } else { "" };
    outln!("{verb}: deploy {} succeeded, {} components{how}.", result.id, result.number_components_total);
    for component in &result.component_successes {
        outln!("  ✓ {} {}", component.component_type, component.full_name);
    }
    if let Some(path) = &report.secret_stored_at {
        outln!(
            "The new consumer secret is in the secret store ({}); `insights consumer` reads it.",
            path.display()
        );
    }
}

#[derive(Tabled)]
struct FailureRow {
    component: String,
    file: String,
    line: String,
    problem: String,
}

/// The failure table: component | file | line | problem.
pub fn failure_table(failures: &[DeployMessage]) -> String {
    let rows = failures.iter().map(|failure| FailureRow {
        component: format!("{} {}", failure.component_type, failure.full_name).trim().to_owned(),
        file: failure.file_name.clone(),
        line: failure.line_number.map(|line| line.to_string()).unwrap_or_default(),
        problem: failure.problem.clone().unwrap_or_default(),
    });
    Table::new(rows).with(Style::markdown()).to_string()
}

/// Progress on stderr: a bar on a terminal, plain lines otherwise.
struct Progress {
    bar: Option<ProgressBar>,
    current: Mutex<Option<String>>,
    last_line: Mutex<String>,
}

impl Progress {
    fn new() -> Self {
        let bar = std::io::stderr().is_terminal().then(|| {
            let bar = ProgressBar::new(0);
            let style = ProgressStyle::with_template("{spinner} {msg} [{bar:30}] {pos}/{len} components")
                .unwrap_or_else(|_| ProgressStyle::default_bar());
            bar.set_style(style);
            bar.enable_steady_tick(Duration::from_millis(120));
            bar
        });
        Self { bar, current: Mutex::new(None), last_line: Mutex::new(String::new()) }
    }

    fn finish(&self) {
        if let Some(bar) = &self.bar {
            bar.finish_and_clear();
        }
    }
}

impl DeployObserver for Progress {
    fn started(&self, id: &str, check_only: bool) {
        if let Ok(mut current) = self.current.lock() {
            *current = Some(id.to_owned());
        }
        let what = if check_only { "Validating" } else { "Deploying" };
        match &self.bar {
            Some(bar) => bar.set_message(format!("{what} {id}")),
            None => eprintln!("{what}: deploy {id} accepted by the org."),
        }
    }

    fn progress(&self, result: &DeployResult) {
        let Some(bar) = &self.bar else {
            let line = format!(
                "Deploy {}: {} ({}/{} components)",
                result.id, result.status, result.number_components_deployed, result.number_components_total
            );
            if let Ok(mut last) = self.last_line.lock()
                && *last != line
            {
                eprintln!("{line}");
                *last = line;
            }
            return;
        };
        bar.set_length(u64::from(result.number_components_total));
        bar.set_position(u64::from(result.number_components_deployed));
    }
}
