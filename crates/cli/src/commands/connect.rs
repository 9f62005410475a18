//! Connecting to an org for the commands that need one: `--instance-url`/`--access-token`,
//! `SF_INSTANCE_URL`/`SF_ACCESS_TOKEN`, `--target-org` (the Salesforce CLI), or else the
//! embedded emulator in `target/insights-org` (or `--state-dir`).

use std::path::PathBuf;

use anyhow::Context;
use clap::Args;
use insights_emulator::{Emulator, EmulatorOptions};
use insights_org_client::{ClientOptions, Connection, ConnectionRequest, ConnectionSource, OrgClient};
use secrecy::SecretString;

/// Where the embedded emulator keeps its org when no other org is named.
const DEFAULT_STATE_DIR: &str = "target/insights-org";

/// The connection flags every org command shares.
#[derive(Debug, Clone, Args)]
pub struct ConnectionArgs {
    /// The org's instance URL (default: $SF_INSTANCE_URL).
    #[arg(long, value_name = "URL")]
    pub instance_url: Option<String>,

    /// An access token (session id) for the org (default: $SF_ACCESS_TOKEN).
    #[arg(long, value_name = "TOKEN")]
    pub access_token: Option<String>,

    /// Use the login the Salesforce CLI has for this alias or username (`sf org display`).
    #[arg(long, value_name = "ALIAS")]
    pub target_org: Option<String>,

    /// The embedded emulator's state folder, used when no org is named.
    #[arg(long, value_name = "DIR")]
    pub state_dir: Option<PathBuf>,
}

/// A connected client, plus the emulator it talks to when one was started.
pub struct OrgSession {
    /// The client.
    pub client: OrgClient,
    /// Kept alive for the command's duration.
    emulator: Option<Emulator>,
}

impl OrgSession {
    /// Logs the request count and stops the emulator, if any.
    pub async fn close(self, command: &str) {
        tracing::debug!(command, requests = self.client.request_count(), "HTTP requests sent");
        if let Some(emulator) = self.emulator {
            emulator.shutdown().await;
        }
    }
}

/// Connects as the flags and environment say; starts the embedded emulator when nothing names
/// an org.
pub async fn connect(args: &ConnectionArgs, api_version: &str) -> anyhow::Result<OrgSession> {
    let request = ConnectionRequest {
        instance_url: args.instance_url.clone(),
        access_token: args.access_token.clone().map(SecretString::from),
        target_org: args.target_org.clone(),
    };
    let (connection, emulator) = match insights_org_client::connection::resolve(&request)? {
        Some(connection) => (connection, None),
        None => {
            let state_dir = args.state_dir.clone().unwrap_or_else(|| PathBuf::from(DEFAULT_STATE_DIR));
            super::emulator::check_state_dir(&state_dir)?;
            let emulator = Emulator::start(EmulatorOptions {
                state_dir: state_dir.clone(),
                port: 0,
                test_controls: false,
            })
            .await
            .map_err(|error| super::emulator::start_error(error, &state_dir))?;
            eprintln!("No org named: using the embedded emulator (state in {}).", state_dir.display());
            let connection = Connection::new(
                emulator.instance_url(),
                SecretString::from(emulator.admin_access_token()),
                ConnectionSource::EmbeddedEmulator,
            )?;
            (connection, Some(emulator))
        }
    };
    let client = OrgClient::connect(connection, api_version, ClientOptions::default()).await?;
    Ok(OrgSession { client, emulator })
}

/// A runtime for the async org commands (the CLI's entry point is synchronous).
pub fn block_on<F: std::future::Future>(future: F) -> anyhow::Result<F::Output> {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .context("starting the async runtime")?;
    Ok(runtime.block_on(future))
}
