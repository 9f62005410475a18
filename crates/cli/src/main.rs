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
    /// Deploy the generated metadata to the org (validate, then quick-deploy).
    Deploy(commands::deploy::DeployArgs),
    /// Retrieve what the org has for the app and permission set into a folder.
    Retrieve(commands::retrieve::RetrieveArgs),
    /// Compare the generated metadata with the org, setting by setting.
    Diff(commands::diff::DiffArgs),
    /// Assign the permission set to users (idempotent).
    Assign(commands::assign::AssignArgs),
    /// Show the app's consumer key and where its secret is.
    Consumer(commands::consumer::ConsumerArgs),
    /// Prove the OAuth web server flow with PKCE works end to end, and that the app's policies
    /// (PKCE, secret, permission set) refuse what they should.
    AuthCheck(commands::auth_check::AuthCheckArgs),
    /// Run the embedded Salesforce org emulator (`insights emulator serve`).
    Emulator(commands::emulator::EmulatorArgs),
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    logging::init(cli.verbose, cli.quiet);

    let result = match cli.command {
        Command::Generate(args) => commands::generate::run(args),
        Command::Review(args) => commands::review::run(args),
        Command::Deploy(args) => commands::deploy::run(args),
        Command::Retrieve(args) => commands::retrieve::run(args),
        Command::Diff(args) => commands::diff::run(args),
        Command::Assign(args) => commands::assign::run(args),
        Command::Consumer(args) => commands::consumer::run(args),
        Command::AuthCheck(args) => commands::auth_check::run(args),
        Command::Emulator(args) => commands::emulator::run(args),
    };
    commands::finish(result)
}
