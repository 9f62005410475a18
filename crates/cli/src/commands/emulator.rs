//! `insights emulator serve`: runs the embedded Salesforce org emulator on 127.0.0.1 until
//! Ctrl-C (or SIGTERM), so scripts, the Salesforce CLI and an admin trying the tool offline have an org.

use std::io::ErrorKind;
use std::path::{Path, PathBuf};

use anyhow::Context;
use clap::{Args, Subcommand};

use insights_emulator::EmulatorError;

use super::connect::block_on;
use super::exit;
use super::output::outln;
use super::{Outcome, UsageError};

/// `insights emulator …`.
#[derive(Debug, Args)]
pub struct EmulatorArgs {
    #[command(subcommand)]
    command: EmulatorCommand,
}

#[derive(Debug, Subcommand)]
enum EmulatorCommand {
    /// Serve an emulated org (Metadata SOAP API, OAuth 2.0, REST, Apex REST) on 127.0.0.1.
    Serve(ServeArgs),
}

/// `insights emulator serve`.
#[derive(Debug, Args)]
pub struct ServeArgs {
    /// Directory holding the org (SQLite database, users.toml, org-settings.toml); a second
    /// run on the same directory resumes the same org.
    #[arg(long, default_value = "target/insights-org")]
    state_dir: PathBuf,

    /// TCP port on 127.0.0.1; 0 picks a free one.
    #[arg(long, default_value_t = 0)]
    port: u16,

    /// Serve the test controls under /__emulator/ (clock, faults, expired sessions, …).
    #[arg(long)]
    test_controls: bool,

    /// Print one JSON line {"instance_url","username","access_token"} on stdout once listening.
    #[arg(long)]
    json: bool,
}

/// Runs the subcommand.
pub fn run(args: EmulatorArgs) -> Outcome {
    match args.command {
        EmulatorCommand::Serve(args) => block_on(serve(args))?,
    }
}

async fn serve(args: ServeArgs) -> Outcome {
    check_state_dir(&args.state_dir)?;
    let emulator = insights_emulator::Emulator::start(insights_emulator::EmulatorOptions {
        state_dir: args.state_dir.clone(),
        port: args.port,
        test_controls: args.test_controls,
    })
    .await
    .map_err(|error| start_error(error, &args.state_dir))?;

    let username = emulator.admin_username();
    if args.json {
        let line = serde_json::json!({
            "instance_url": emulator.instance_url(),
            "username": username,
            "access_token": emulator.admin_access_token(),
        });
        outln!("{line}");
    } else {
        eprintln!(
            "Emulated org listening on {} (state in {}, admin {username}{}). Ctrl-C stops it.",
            emulator.instance_url(),
            args.state_dir.display(),
            if args.test_controls { ", test controls on" } else { "" },
        );
    }

    stop_signal().await?;
    emulator.shutdown().await;
    Ok(exit::OK)
}

/// Checks that the state folder is a folder this user can write in (created when missing); a
/// usage error (exit code 2) that says what to do otherwise.
pub fn check_state_dir(state_dir: &Path) -> Result<(), UsageError> {
    let shown = state_dir.display();
    if state_dir.is_file() {
        return Err(UsageError(format!("--state-dir {shown} is a file, not a folder")));
    }
    let cannot_write =
        || UsageError(format!("cannot write in {shown}: check its permissions or pick another --state-dir"));
    std::fs::create_dir_all(state_dir).map_err(|_| cannot_write())?;
    let probe = state_dir.join(".insights-write-check");
    std::fs::write(&probe, b"").map_err(|_| cannot_write())?;
    // The probe is only a check; a leftover empty file is harmless.
    let _ = std::fs::remove_file(&probe);
    Ok(())
}

/// Turns an emulator start failure into an error that says what to do: a port in use and an
/// unwritable state folder are usage errors (exit code 2).
pub fn start_error(error: EmulatorError, state_dir: &Path) -> anyhow::Error {
    match &error {
        EmulatorError::Bind { port, source } if source.kind() == ErrorKind::AddrInUse => UsageError(format!(
            "cannot listen on 127.0.0.1:{port}: the port is in use: pick another with --port, or --port 0 for a free one"
        ))
        .into(),
        EmulatorError::Io { source, .. } if source.kind() == ErrorKind::PermissionDenied => UsageError(format!(
            "cannot write in {}: check its permissions or pick another --state-dir",
            state_dir.display()
        ))
        .into(),
        _ => anyhow::Error::new(error).context(format!("starting the emulator in {}", state_dir.display())),
    }
}

/// Waits for Ctrl-C (SIGINT) or, on Unix, SIGTERM (what service managers and `kill` send).
async fn stop_signal() -> anyhow::Result<()> {
    #[cfg(unix)]
    {
        let mut terminate = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate())
            .context("listening for SIGTERM")?;
        tokio::select! {
            result = tokio::signal::ctrl_c() => result.context("waiting for Ctrl-C")?,
            _ = terminate.recv() => {}
        }
    }
    #[cfg(not(unix))]
    tokio::signal::ctrl_c().await.context("waiting for Ctrl-C")?;
    Ok(())
}
