//! `insights review`: the setup guide's settings as an admin reads them, with warnings.

use clap::Args;
use tabled::settings::Style;
use tabled::{Table, Tabled};

use super::output::outln;
use super::settings_args::SettingsArgs;
use super::{Outcome, exit};

/// Flags of `insights review`.
#[derive(Debug, Args)]
pub struct ReviewArgs {
    #[command(flatten)]
    pub settings: SettingsArgs,

    /// Print the review as JSON on stdout.
    #[arg(long)]
    pub json: bool,
}

#[derive(Tabled)]
struct ReviewRow<'a> {
    #[tabled(rename = "Setting (Setup)")]
    setting: &'a str,
    #[tabled(rename = "Metadata element")]
    element: &'a str,
    #[tabled(rename = "Value")]
    value: &'a str,
}

/// Prints the review table (or JSON) and the warnings.
pub fn run(args: ReviewArgs) -> Outcome {
    let (settings, generated) = args.settings.generate()?;
    let review = insights_metadata::review::review(&settings, &generated);
    if args.json {
        outln!("{}", serde_json::to_string_pretty(&review)?);
        return Ok(exit::OK);
    }
    let rows = review.rows.iter().map(|row| ReviewRow {
        setting: row.setting,
        element: row.element,
        value: &row.value,
    });
    outln!("{}", Table::new(rows).with(Style::sharp()));
    if !review.warnings.is_empty() {
        outln!("\nWarnings:");
        for warning in &review.warnings {
            outln!("  ! {}", warning.message);
        }
    }
    Ok(exit::OK)
}
