//! An embedded Salesforce org emulator: Metadata SOAP API, OAuth 2.0, REST and Apex REST on
//! loopback, with the org's state in SQLite in a state directory.
//!
//! ```no_run
//! # async fn run() -> Result<(), insights_emulator::EmulatorError> {
//! let emulator = insights_emulator::Emulator::start(insights_emulator::EmulatorOptions {
//!     state_dir: "target/insights-org".into(),
//!     port: 0,
//!     test_controls: false,
//! })
//! .await?;
//! println!("{}", emulator.instance_url());
//! emulator.shutdown().await;
//! # Ok(())
//! # }
//! ```

pub mod apexrest;
pub mod clock;
pub mod controls;
pub mod error;
pub mod ids;
pub mod oauth;
pub mod rest;
pub mod server;
pub mod settings;
pub mod soap;
pub mod state;
pub mod store;
pub mod users;

use std::net::{Ipv4Addr, SocketAddr};
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use tokio::sync::oneshot;
use tokio::task::JoinHandle;

pub use crate::error::EmulatorError;
use crate::state::AppState;
use crate::store::Store;

/// How to start an emulator.
#[derive(Clone, Debug)]
pub struct EmulatorOptions {
    /// Directory for `org.sqlite`, `users.toml` and `org-settings.toml` (created if missing).
    pub state_dir: PathBuf,
    /// TCP port on 127.0.0.1; 0 picks a free one.
    pub port: u16,
    /// Serve the test controls under `/__emulator/`.
    pub test_controls: bool,
}

/// A running emulator; it stops when shut down or dropped.
pub struct Emulator {
    state: AppState,
    address: SocketAddr,
    stop: Option<oneshot::Sender<()>>,
    task: Option<JoinHandle<()>>,
}

impl std::fmt::Debug for Emulator {
    fn fmt(&self, formatter: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        formatter.debug_struct("Emulator").field("address", &self.address).finish_non_exhaustive()
    }
}

impl Emulator {
    /// Opens (or creates and seeds) the org in `state_dir` and starts listening on 127.0.0.1.
    pub async fn start(options: EmulatorOptions) -> Result<Self, EmulatorError> {
        let state_dir = options.state_dir;
        std::fs::create_dir_all(&state_dir).map_err(|source| EmulatorError::Io {
            action: "creating",
            path: state_dir.clone(),
            source,
        })?;
        let users = users::UsersFile::load_or_create(&state_dir)?;
        let settings = settings::Settings::load(&state_dir)?;
        let store = Store::open(&state_dir)?;
        let clock = clock::Clock::default();
        let admin_user_id = server::seed(&store, &users, &clock)?;

        let listener = tokio::net::TcpListener::bind((Ipv4Addr::LOCALHOST, options.port))
            .await
            .map_err(|source| EmulatorError::Bind { port: options.port, source })?;
        let address =
            listener.local_addr().map_err(|source| EmulatorError::Bind { port: options.port, source })?;
        let state = AppState {
            store,
            clock,
            settings,
            counters: Default::default(),
            faults: Default::default(),
            deploy_failures: Default::default(),
            instance_url: Arc::from(format!("http://{address}")),
            test_controls: options.test_controls,
            admin_user_id: Arc::from(admin_user_id),
        };
        let app = server::app(state.clone());
        let (stop, stopped) = oneshot::channel::<()>();
        let task = tokio::spawn(async move {
            let service = app.into_make_service_with_connect_info::<SocketAddr>();
            let result = axum::serve(listener, service)
                .with_graceful_shutdown(async {
                    let _ = stopped.await;
                })
                .await;
            if let Err(error) = result {
                tracing::error!(%error, "emulator server stopped");
            }
        });
        tracing::info!(%address, test_controls = options.test_controls, "emulator listening");
        Ok(Self { state, address, stop: Some(stop), task: Some(task) })
    }

    /// `http://127.0.0.1:PORT`.
    pub fn instance_url(&self) -> &str {
        &self.state.instance_url
    }

    /// The address the emulator listens on.
    pub fn local_addr(&self) -> SocketAddr {
        self.address
    }

    /// A valid session id of the seeded admin (a new one after `sessions/expire`).
    pub fn admin_access_token(&self) -> String {
        self.state.admin_access_token().unwrap_or_else(|error| {
            tracing::error!(%error, "cannot read the admin session");
            String::new()
        })
    }

    /// The admin's username.
    pub fn admin_username(&self) -> String {
        self.state
            .store
            .read(|connection| store::users::by_id(connection, &self.state.admin_user_id))
            .ok()
            .flatten()
            .map(|user| user.username)
            .unwrap_or_default()
    }

    /// The org database, for tools and tests that need to look at or prepare org state.
    pub fn store(&self) -> &Store {
        &self.state.store
    }

    /// The org clock.
    pub fn clock(&self) -> &clock::Clock {
        &self.state.clock
    }

    /// HTTP requests served since start (or since the `requests/reset` control); requests to
    /// `/__emulator/` are not counted. Also logged at debug level when the emulator stops.
    pub fn requests_served(&self) -> u64 {
        self.state.counters.snapshot().total
    }

    fn log_requests_served(&self) {
        tracing::debug!(requests = self.requests_served(), "emulator stopped: HTTP requests served");
    }

    /// Stops listening and waits (briefly) for in-flight requests to finish.
    pub async fn shutdown(mut self) {
        self.log_requests_served();
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        if let Some(mut task) = self.task.take()
            && tokio::time::timeout(Duration::from_secs(5), &mut task).await.is_err()
        {
            task.abort();
        }
    }
}

impl Drop for Emulator {
    fn drop(&mut self) {
        if let Some(stop) = self.stop.take() {
            self.log_requests_served();
            let _ = stop.send(());
        }
        if let Some(task) = self.task.take() {
            task.abort();
        }
    }
}
