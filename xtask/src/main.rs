//! `cargo xtask <command>`: see `cargo xtask --help`.

use std::process::ExitCode;

use clap::{Parser, Subcommand};
use xtask::{bench, provision, schema, sf_cli, test, verify, workspace_root};

#[derive(Debug, Parser)]
#[command(name = "cargo xtask", about = "Project automation for insights-provision")]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// The main job: generate, validate, deploy, assign, fetch the consumer key and secret, and
    /// prove authentication works. Uses the embedded org emulator when no org is configured.
    Provision(provision::ProvisionArgs),
    /// Read-only CI check: org vs config, assignments, auth check and policy probes.
    /// Exit codes: 0 pass, 1 check failed or drift, 2 bad config or usage, 3 org unreachable.
    VerifySetup(verify::VerifyArgs),
    /// Run the whole test suite (installs xmllint first when it is missing and we are root).
    Test {
        /// Extra arguments for `cargo test`.
        #[arg(trailing_var_arg = true, allow_hyphen_values = true)]
        args: Vec<String>,
    },
    /// Install a pinned Node.js and Salesforce CLI into target/sf-cli (for the interop tests
    /// and the benchmark); does nothing when they are there already.
    SfCli,
    /// Measure provision and verify-setup on the embedded org, and `insights deploy` beside
    /// `sf project deploy start`; prints a Markdown table.
    Bench(bench::BenchArgs),
    /// Extract the metadata types from ../shared/salesforce/metadata.wsdl into
    /// crates/metadata/schema/metadata-types.json.
    Schema {
        /// Only check that the committed file is current.
        #[arg(long)]
        check: bool,
    },
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let root = workspace_root();
    let result = match cli.command {
        Command::Provision(args) => provision::run(&root, &args).map(|report| u8::from(!report.passed)),
        Command::VerifySetup(args) => match verify::run(&root, &args) {
            Ok(verification) => Ok(verification.exit_code),
            Err(error) => {
                eprintln!("error: the org could not be reached: {error:#}");
                Ok(verify::exit::UNREACHABLE)
            }
        },
        Command::Test { args } => test::run(&args).map(|()| 0),
        Command::SfCli => sf_cli::install(&root).map(|_| 0),
        Command::Bench(args) => bench::run(&root, &args).map(|()| 0),
        Command::Schema { check } => schema::run(&root, check).map(|()| 0),
    };
    match result {
        Ok(code) => ExitCode::from(code),
        Err(error) => {
            eprintln!("error: {error:#}");
            ExitCode::from(2)
        }
    }
}
