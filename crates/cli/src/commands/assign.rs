//! `insights assign [--user USERNAME]…`: assigns the permission set, idempotently.

use clap::Args;
use insights_org_client::assign::{AssignmentStatus, assign_permission_set, check_permission_set};
use tabled::settings::Style;
use tabled::{Table, Tabled};

use super::connect::{ConnectionArgs, block_on, connect};
use super::output::outln;
use super::settings_args::SettingsArgs;
use super::{Outcome, UsageError, exit};

/// Flags of `insights assign`.
#[derive(Debug, Args)]
pub struct AssignArgs {
    #[command(flatten)]
    pub settings: SettingsArgs,

    #[command(flatten)]
    pub connection: ConnectionArgs,

    /// A username to assign the permission set to (repeatable; default: assign_to in the config).
    #[arg(long = "user", value_name = "USERNAME")]
    pub users: Vec<String>,

    /// Only check (read-only) that every user has the permission set; exit 1 when one lacks it.
    #[arg(long)]
    pub check: bool,

    /// Print the outcome as JSON.
    #[arg(long)]
    pub json: bool,
}

#[derive(Tabled)]
struct Row {
    username: String,
    #[tabled(rename = "permission set")]
    permission_set: String,
    status: &'static str,
}

/// Runs the command.
pub fn run(args: AssignArgs) -> Outcome {
    let settings = args.settings.load()?;
    let users = if args.users.is_empty() { settings.assign_to.clone() } else { args.users.clone() };
    if users.is_empty() {
        return Err(UsageError(
            "no user to assign: pass --user USERNAME or set assign_to in the config".into(),
        )
        .into());
    }
    let permission_set = settings.permission_set.api_name.clone();
    block_on(async move {
        let session = connect(&args.connection, &settings.api_version).await?;
        let assignments = if args.check {
            check_permission_set(&session.client, &permission_set, &users).await
        } else {
            assign_permission_set(&session.client, &permission_set, &users).await
        };
        session.close("assign").await;
        let assignments = assignments?;
        let code = if assignments.iter().any(|a| a.status == AssignmentStatus::NotAssigned) {
            exit::CHECK_FAILED
        } else {
            exit::OK
        };
        if args.json {
            outln!("{}", serde_json::to_string_pretty(&assignments)?);
            return Ok(code);
        }
        let rows = assignments.iter().map(|assignment| Row {
            username: assignment.username.clone(),
            permission_set: permission_set.clone(),
            status: match assignment.status {
                AssignmentStatus::Assigned => "assigned",
                AssignmentStatus::AlreadyAssigned => "already assigned",
                AssignmentStatus::NotAssigned => "NOT assigned",
            },
        });
        outln!("{}", Table::new(rows).with(Style::markdown()));
        Ok(code)
    })?
}
