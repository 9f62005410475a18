//! The state every request handler shares: the org database, the org clock, org settings,
//! request counters and the test-control knobs (faults, injected deploy failures).

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex, MutexGuard};

use serde::Serialize;

use crate::clock::Clock;
use crate::settings::Settings;
use crate::store::{Session, Store, StoreError};

/// Shared by every handler (cheap to clone).
#[derive(Clone, Debug)]
pub struct AppState {
    /// The org database.
    pub store: Store,
    /// The org clock.
    pub clock: Clock,
    /// Org settings (`org-settings.toml`).
    pub settings: Settings,
    /// Requests served, by path.
    pub counters: RequestCounters,
    /// Injected latency and failures.
    pub faults: Faults,
    /// Component failures injected into the next deploy.
    pub deploy_failures: DeployFailures,
    /// `http://127.0.0.1:PORT`, without a trailing slash.
    pub instance_url: Arc<str>,
    /// Whether `/__emulator/*` is served.
    pub test_controls: bool,
    /// The seeded admin's user id (whose session `admin_access_token` hands out).
    pub admin_user_id: Arc<str>,
}

impl AppState {
    /// The valid session behind `access_token` at the org's current time.
    pub fn session(&self, access_token: &str) -> Result<Option<Session>, StoreError> {
        self.store.session(access_token, self.clock.now_epoch())
    }

    /// A valid admin session, minted anew when the last one was expired or revoked.
    pub fn admin_access_token(&self) -> Result<String, StoreError> {
        let now = self.clock.now_epoch();
        self.store.with_tx(|tx| crate::store::org::ensure_admin_token(tx, &self.admin_user_id, now))
    }
}

fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    match mutex.lock() {
        Ok(guard) => guard,
        Err(poisoned) => poisoned.into_inner(),
    }
}

/// Counts of requests served since start or the last reset.
#[derive(Clone, Debug, Default)]
pub struct RequestCounters {
    inner: Arc<Mutex<RequestCounts>>,
}

/// A snapshot of the counters (the body of `GET /__emulator/requests`).
#[derive(Clone, Debug, Default, Serialize, PartialEq, Eq)]
pub struct RequestCounts {
    /// All requests.
    pub total: u64,
    /// Requests by path (no query string).
    pub by_path: BTreeMap<String, u64>,
}

impl RequestCounters {
    /// Counts one request to `path`.
    pub fn record(&self, path: &str) {
        let mut counts = lock(&self.inner);
        counts.total += 1;
        *counts.by_path.entry(path.to_string()).or_default() += 1;
    }

    /// The counts so far.
    pub fn snapshot(&self) -> RequestCounts {
        lock(&self.inner).clone()
    }

    /// Starts counting again from zero.
    pub fn reset(&self) {
        *lock(&self.inner) = RequestCounts::default();
    }
}

/// Injected latency and transient failures.
#[derive(Clone, Debug, Default)]
pub struct Faults {
    inner: Arc<Mutex<FaultSettings>>,
}

/// The fault knobs.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize)]
pub struct FaultSettings {
    /// Delay added to every request, in milliseconds.
    pub latency_ms: u64,
    /// How many of the next requests fail.
    pub fail_next: u64,
    /// The HTTP status those requests answer.
    pub status: u16,
}

impl Faults {
    /// Replaces the fault settings.
    pub fn set(&self, settings: FaultSettings) {
        *lock(&self.inner) = settings;
    }

    /// The current settings.
    pub fn get(&self) -> FaultSettings {
        *lock(&self.inner)
    }

    /// For one request: the latency to add and, if this request must fail, its status.
    pub fn take(&self) -> (u64, Option<u16>) {
        let mut settings = lock(&self.inner);
        let fail = if settings.fail_next > 0 {
            settings.fail_next -= 1;
            Some(settings.status)
        } else {
            None
        };
        (settings.latency_ms, fail)
    }
}

/// A component failure to inject into the next deploy.
#[derive(Clone, Debug, PartialEq, Eq, serde::Deserialize, Serialize)]
pub struct InjectedDeployFailure {
    /// The component's fullName.
    #[serde(rename = "fullName")]
    pub full_name: String,
    /// The problem text.
    pub problem: String,
}

/// Deploy failures waiting for the next deploy.
#[derive(Clone, Debug, Default)]
pub struct DeployFailures {
    inner: Arc<Mutex<Vec<InjectedDeployFailure>>>,
}

impl DeployFailures {
    /// Queues a failure for the next deploy.
    pub fn push(&self, failure: InjectedDeployFailure) {
        lock(&self.inner).push(failure);
    }

    /// Takes every queued failure (the deploy that consumes them calls this once).
    pub fn take_all(&self) -> Vec<InjectedDeployFailure> {
        std::mem::take(&mut *lock(&self.inner))
    }
}
