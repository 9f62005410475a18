//! The org's state in SQLite (`<state_dir>/org.sqlite`, WAL journal). Every write runs inside a
//! transaction through [`Store::with_tx`], so a crash never leaves half a change.
//!
//! Submodules hold the queries for one area each; they take a `&rusqlite::Transaction` (or
//! `&rusqlite::Connection`) so callers can combine them in one transaction.

pub mod access;
pub mod apps;
pub mod eca;
pub mod metadata;
pub mod org;
mod schema;
pub mod tokens;
pub mod users;

use std::path::Path;
use std::sync::{Arc, Mutex, MutexGuard};

use rusqlite::{Connection, Transaction};
use sha2::{Digest, Sha256};

/// The database file name inside the state directory.
pub const FILE_NAME: &str = "org.sqlite";

/// Errors of the org database.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// SQLite failed.
    #[error("org database: {0}")]
    Sqlite(#[from] rusqlite::Error),
    /// The stored data breaks an invariant (a bug or a hand-edited database).
    #[error("org database holds unexpected data: {0}")]
    Corrupt(String),
}

/// A handle to the org database; clones share one connection.
#[derive(Clone)]
pub struct Store {
    connection: Arc<Mutex<Connection>>,
}

impl std::fmt::Debug for Store {
    fn fmt(&self, formatter: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        formatter.write_str("Store")
    }
}

impl Store {
    /// Opens (creating if needed) `org.sqlite` in the state directory and applies the schema.
    pub fn open(state_dir: &Path) -> Result<Self, StoreError> {
        let connection = Connection::open(state_dir.join(FILE_NAME))?;
        Self::configure(connection)
    }

    /// An in-memory database with the schema applied (unit tests).
    pub fn open_in_memory() -> Result<Self, StoreError> {
        Self::configure(Connection::open_in_memory()?)
    }

    fn configure(connection: Connection) -> Result<Self, StoreError> {
        connection.busy_timeout(std::time::Duration::from_secs(5))?;
        // journal_mode answers a row, so it is read rather than executed.
        let _mode: String = connection.query_row("PRAGMA journal_mode = WAL", [], |row| row.get(0))?;
        connection.execute_batch("PRAGMA synchronous = NORMAL; PRAGMA foreign_keys = ON;")?;
        let store = Self { connection: Arc::new(Mutex::new(connection)) };
        store.with_tx(|tx| {
            tx.execute_batch(schema::SCRIPT)?;
            Ok(())
        })?;
        Ok(store)
    }

    fn lock(&self) -> MutexGuard<'_, Connection> {
        // A panic while holding the lock cannot leave a half transaction: SQLite rolls back
        // an unfinished transaction when it is dropped.
        match self.connection.lock() {
            Ok(guard) => guard,
            Err(poisoned) => poisoned.into_inner(),
        }
    }

    /// Runs `f` in one transaction: committed when it returns `Ok`, rolled back otherwise.
    pub fn with_tx<T>(&self, f: impl FnOnce(&Transaction) -> Result<T, StoreError>) -> Result<T, StoreError> {
        let mut connection = self.lock();
        let tx = connection.transaction()?;
        let value = f(&tx)?;
        tx.commit()?;
        Ok(value)
    }

    /// Runs a read-only `f` on the connection (no transaction needed for a single query).
    pub fn read<T>(&self, f: impl FnOnce(&Connection) -> Result<T, StoreError>) -> Result<T, StoreError> {
        let connection = self.lock();
        f(&connection)
    }

    /// The session behind an access token at org time `now` (epoch seconds), if it is valid.
    pub fn session(&self, access_token: &str, now: i64) -> Result<Option<Session>, StoreError> {
        self.read(|connection| tokens::session(connection, access_token, now))
    }
}

/// A valid session (an access token that is neither revoked nor expired).
#[derive(Clone, PartialEq, Eq)]
pub struct Session {
    /// The user's 18-character id (005…).
    pub user_id: String,
    /// The user's username.
    pub username: String,
    /// The org's 18-character id (00D…).
    pub org_id: String,
    /// The OAuth scopes granted (`api`, `refresh_token`, `web`, `full`, …).
    pub scopes: Vec<String>,
    /// The ConnectedApp full name the token was issued for; `None` for the seeded admin token.
    pub app_full_name: Option<String>,
    /// Whether the user's profile has "Modify All Data" (System Administrator).
    pub modify_all_data: bool,
}

impl Session {
    /// Whether the session may use the APIs (REST, Apex REST, SOAP): scope `api` or `full`.
    pub fn has_api_scope(&self) -> bool {
        self.scopes.iter().any(|scope| scope == "api" || scope == "full")
    }
}

impl std::fmt::Debug for Session {
    fn fmt(&self, formatter: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        formatter
            .debug_struct("Session")
            .field("user_id", &self.user_id)
            .field("username", &self.username)
            .field("scopes", &self.scopes)
            .field("app_full_name", &self.app_full_name)
            .finish_non_exhaustive()
    }
}

/// The SHA-256 hex digest under which a token or code is stored.
pub fn digest(secret: &str) -> String {
    let hash = Sha256::digest(secret.as_bytes());
    hash.iter().map(|byte| format!("{byte:02x}")).collect()
}
