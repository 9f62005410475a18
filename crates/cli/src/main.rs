//! The `insights` command: generate, review, deploy and verify the Insights+ Connected App.
//!
//! This binary is glue: every protocol and metadata rule lives in the library crates. Each
//! subcommand has its own module under `commands/`; results go to stdout (a table, or JSON with
//! `--json`), logs and progress to stderr.

mod commands;
mod logging;

use std::process::ExitCode;

use clap::{Parser, Subcommand};

/// Provision and verify the Insights+ Connected App in a Salesforce org.
#[derive(Debug, Parser)]
#[command(name = "insights", version, about, long_about = None)]
struct Cli {
    /// More log output on stderr (-v: debug, -vv: trace).
    #[arg(short, long, action = clap::ArgAction::Count, global = true)]
    verbose: u8,

    /// Less log output on stderr (errors only).
    #[arg(short, long, global = true, conflicts_with = "verbose")]
    quiet: bool,

    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Write the ConnectedApp, PermissionSet and package.xml metadata, in source and
    /// Metadata API formats, plus the deploy zip.
    Generate(commands::generate::GenerateArgs),
    /// Show every setting of the setup guide as an admin sees it, with warnings.
    Review(commands::review::ReviewArgs),
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    logging::init(cli.verbose, cli.quiet);

    let result = match cli.command {
        Command::Generate(args) => commands::generate::run(args),
        Command::Review(args) => commands::review::run(args),
    };
    commands::finish(result)
}
