//! `insights diff`: the generated metadata against what the org has, one row per setting of
//! the setup guide; exit code 1 when they differ.

use clap::Args;
use insights_org_client::diff::{Comparison, DesiredState, compare};
use insights_org_client::provision::read_deployed_state;
use tabled::settings::Style;
use tabled::{Table, Tabled};

use super::connect::{ConnectionArgs, block_on, connect};
use super::output::outln;
use super::settings_args::SettingsArgs;
use super::{Outcome, exit};

/// Flags of `insights diff`.
#[derive(Debug, Args)]
pub struct DiffArgs {
    #[command(flatten)]
    pub settings: SettingsArgs,

    #[command(flatten)]
    pub connection: ConnectionArgs,

    /// Print the rows as JSON.
    #[arg(long)]
    pub json: bool,
}

/// Runs the command.
pub fn run(args: DiffArgs) -> Outcome {
    let (settings, generated) = args.settings.generate()?;
    block_on(async move {
        let session = connect(&args.connection, &settings.api_version).await?;
        let deployed = read_deployed_state(
            &session.client,
            generated.app_kind,
            &settings.app.api_name,
            generated.permission_set_name(),
        )
        .await;
        session.close("diff").await;
        let comparison = compare(&DesiredState::from_generated(&generated)?, &deployed?);
        if args.json {
            let json = serde_json::json!({ "identical": comparison.is_identical(), "rows": comparison.rows });
            outln!("{}", serde_json::to_string_pretty(&json)?);
        } else {
            outln!("{}", comparison_table(&comparison));
        }
        Ok(if comparison.is_identical() { exit::OK } else { exit::CHECK_FAILED })
    })?
}

#[derive(Tabled)]
struct Row {
    #[tabled(rename = "")]
    mark: &'static str,
    setting: String,
    desired: String,
    deployed: String,
}

/// The ✓/✗ table.
pub fn comparison_table(comparison: &Comparison) -> String {
    let rows = comparison.rows.iter().map(|row| Row {
        mark: if row.matches { "✓" } else { "✗" },
        setting: row.setting.clone(),
        desired: row.desired.clone(),
        deployed: row.deployed.clone(),
    });
    Table::new(rows).with(Style::markdown()).to_string()
}
