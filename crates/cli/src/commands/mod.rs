//! One module per `insights` subcommand, plus the exit-code policy they share.

pub mod assign;
pub mod auth_check;
pub mod connect;
pub mod consumer;
pub mod deploy;
pub mod diff;
pub mod emulator;
pub mod generate;
pub mod output;
pub mod retrieve;
pub mod review;
pub mod settings_args;

use std::process::ExitCode;

/// Exit codes shared by every subcommand.
pub mod exit {
    /// Everything worked and every check passed.
    pub const OK: u8 = 0;
    /// A check failed or drift was found.
    pub const CHECK_FAILED: u8 = 1;
    /// Bad configuration or usage.
    pub const USAGE: u8 = 2;
    /// The org could not be reached or authenticated.
    pub const ORG_UNREACHABLE: u8 = 3;
}

/// A subcommand's outcome: an exit code, or an error to print with its context.
pub type Outcome = anyhow::Result<u8>;

/// Prints an error (with its chain of causes) on stderr and turns the outcome into an exit code.
pub fn finish(outcome: Outcome) -> ExitCode {
    match outcome {
        Ok(code) => ExitCode::from(code),
        Err(error) => {
            eprintln!("error: {error}");
            for cause in error.chain().skip(1) {
                eprintln!("  caused by: {cause}");
            }
            let org_error = error.downcast_ref::<insights_org_client::OrgError>();
            let code = if error.downcast_ref::<UsageError>().is_some()
                || org_error.is_some_and(insights_org_client::OrgError::is_usage_problem)
            {
                exit::USAGE
            } else if error
                .downcast_ref::<insights_org_client::OrgError>()
                .is_some_and(insights_org_client::OrgError::is_connection_problem)
            {
                exit::ORG_UNREACHABLE
            } else {
                exit::CHECK_FAILED
            };
            ExitCode::from(code)
        }
    }
}

/// Marks an error as the user's input (config, flags): exit code 2.
#[derive(Debug)]
pub struct UsageError(pub String);

impl std::fmt::Display for UsageError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.0.trim_end())
    }
}

impl std::error::Error for UsageError {}
