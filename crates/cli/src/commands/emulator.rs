//! `insights emulator serve`: runs the embedded Salesforce org emulator on 127.0.0.1 until
//! Ctrl-C (or SIGTERM), so scripts, the Salesforce CLI and an admin trying the tool offline have an org.

use std::path::PathBuf;

use anyhow::Context;
use clap::{Args, Subcommand};

use super::Outcome;
use super::connect::block_on;
use super::exit;

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
    let emulator = insights_emulator::Emulator::start(insights_emulator::EmulatorOptions {
        state_dir: args.state_dir.clone(),
        port: args.port,
        test_controls: args.test_controls,
    })
    .await
    .with_context(|| format!("starting the emulator in {}", args.state_dir.display()))?;

    let username = emulator.admin_username();
    if args.json {
        let line = serde_json::json!({
            "instance_url": emulator.instance_url(),
            "username": username,
            "access_token": emulator.admin_access_token(),
        });
        println!("{line}");
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
