//! Connected apps as deployed: canonical XML (never the secret), consumer key and secret.
//!
//! The Metadata API deploy writes here ([`insert`], [`update_xml`]); OAuth and REST read.

use rusqlite::{Connection, OptionalExtension, Row, Transaction, params};

use super::StoreError;
use crate::ids::{self, prefix};

/// A deployed connected app.
#[derive(Clone, PartialEq, Eq)]
pub struct ConnectedAppRecord {
    /// ConnectedApp fullName (API name).
    pub full_name: String,
    /// 18-character id (0H4…).
    pub id: String,
    /// Canonical metadata XML as deployed, without `consumerKey`/`consumerSecret`.
    pub xml: String,
    /// Consumer key (OAuth client_id).
    pub consumer_key: String,
    /// Consumer secret (OAuth client_secret).
    pub consumer_secret: String,
    /// Org dateTime of creation.
    pub created_date: String,
    /// Org dateTime of the last deploy that changed it.
    pub last_modified_date: String,
}

impl std::fmt::Debug for ConnectedAppRecord {
    fn fmt(&self, formatter: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        formatter
            .debug_struct("ConnectedAppRecord")
            .field("full_name", &self.full_name)
            .field("id", &self.id)
            .field("consumer_key", &self.consumer_key)
            .field("consumer_secret", &"[redacted]")
            .field("last_modified_date", &self.last_modified_date)
            .finish_non_exhaustive()
    }
}

const SELECT_APP: &str = "SELECT full_name, id, xml, consumer_key, consumer_secret, created_date,
    last_modified_date FROM connected_apps";

fn app_from_row(row: &Row) -> rusqlite::Result<ConnectedAppRecord> {
    Ok(ConnectedAppRecord {
        full_name: row.get(0)?,
        id: row.get(1)?,
        xml: row.get(2)?,
        consumer_key: row.get(3)?,
        consumer_secret: row.get(4)?,
        created_date: row.get(5)?,
        last_modified_date: row.get(6)?,
    })
}

/// The app whose consumer key is `key` (exact match, as Salesforce compares client ids).
pub fn by_consumer_key(connection: &Connection, key: &str) -> Result<Option<ConnectedAppRecord>, StoreError> {
    let sql = format!("{SELECT_APP} WHERE consumer_key = ?1");
    Ok(connection.query_row(&sql, [key], app_from_row).optional()?)
}

/// The app with this fullName (case-insensitive, as metadata names are).
pub fn by_full_name(
    connection: &Connection,
    full_name: &str,
) -> Result<Option<ConnectedAppRecord>, StoreError> {
    let sql = format!("{SELECT_APP} WHERE full_name = ?1 COLLATE NOCASE");
    Ok(connection.query_row(&sql, [full_name], app_from_row).optional()?)
}

/// The app with this id (0H4…, 18 characters).
pub fn by_id(connection: &Connection, id: &str) -> Result<Option<ConnectedAppRecord>, StoreError> {
    let sql = format!("{SELECT_APP} WHERE id = ?1");
    Ok(connection.query_row(&sql, [id], app_from_row).optional()?)
}

/// Every app, by name.
pub fn all(connection: &Connection) -> Result<Vec<ConnectedAppRecord>, StoreError> {
    let sql = format!("{SELECT_APP} ORDER BY full_name");
    let mut statement = connection.prepare(&sql)?;
    let rows = statement.query_map([], app_from_row)?;
    Ok(rows.collect::<Result<_, _>>()?)
}

/// Creates an app; returns its new id. The caller has checked key uniqueness and the rules.
pub fn insert(
    tx: &Transaction,
    full_name: &str,
    xml: &str,
    consumer_key: &str,
    consumer_secret: &str,
    now_iso: &str,
) -> Result<String, StoreError> {
    let id = ids::new_id(prefix::CONNECTED_APP);
    tx.execute(
        "INSERT INTO connected_apps (full_name, id, xml, consumer_key, consumer_secret, created_date, last_modified_date)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?6)",
        params![full_name, id, xml, consumer_key, consumer_secret, now_iso],
    )?;
    Ok(id)
}

/// Replaces an existing app's XML (an update deploy); key and secret stay.
pub fn update_xml(tx: &Transaction, full_name: &str, xml: &str, now_iso: &str) -> Result<(), StoreError> {
    tx.execute(
        "UPDATE connected_apps SET xml = ?2, last_modified_date = ?3 WHERE full_name = ?1 COLLATE NOCASE",
        params![full_name, xml, now_iso],
    )?;
    Ok(())
}
