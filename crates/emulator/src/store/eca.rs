//! External Client App components as deployed: the header and its four settings and policies
//! files, by type and full name. The app's OAuth side (ConnectedApp-shaped view, consumer key
//! and secret) lives in [`super::apps`] under the header's full name, so OAuth, REST and the
//! grants treat both kinds alike.

use rusqlite::{Connection, Transaction, params};

use super::StoreError;

/// One stored ECA component.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EcaComponentRow {
    /// Metadata type, e.g. `ExtlClntAppOauthSettings`.
    pub type_name: String,
    /// Its full name.
    pub full_name: String,
    /// The header's full name (the app).
    pub app_full_name: String,
    /// Canonical XML, never the consumer key or secret.
    pub xml: String,
}

fn rows(connection: &Connection, filter: &str, value: &str) -> Result<Vec<EcaComponentRow>, StoreError> {
    let sql = format!(
        "SELECT type_name, full_name, app_full_name, xml FROM eca_components WHERE {filter} = ?1 \
         ORDER BY full_name"
    );
    let mut statement = connection.prepare(&sql)?;
    let found = statement.query_map([value], |row| {
        Ok(EcaComponentRow {
            type_name: row.get(0)?,
            full_name: row.get(1)?,
            app_full_name: row.get(2)?,
            xml: row.get(3)?,
        })
    })?;
    Ok(found.collect::<Result<_, _>>()?)
}

/// Every stored component of one type.
pub fn by_type(connection: &Connection, type_name: &str) -> Result<Vec<EcaComponentRow>, StoreError> {
    rows(connection, "type_name", type_name)
}

/// Every stored component of one app (case-insensitive).
pub fn by_app(connection: &Connection, app_full_name: &str) -> Result<Vec<EcaComponentRow>, StoreError> {
    rows(connection, "app_full_name", app_full_name)
}

/// True when the app with this full name is an External Client App.
pub fn is_eca(connection: &Connection, app_full_name: &str) -> Result<bool, StoreError> {
    Ok(by_app(connection, app_full_name)?.iter().any(|row| row.type_name == "ExternalClientApplication"))
}

/// Creates or replaces one component.
pub fn upsert(tx: &Transaction, row: &EcaComponentRow) -> Result<(), StoreError> {
    tx.execute(
        "INSERT INTO eca_components (type_name, full_name, app_full_name, xml) VALUES (?1, ?2, ?3, ?4)
         ON CONFLICT(type_name, full_name) DO UPDATE SET app_full_name = excluded.app_full_name,
         xml = excluded.xml",
        params![row.type_name, row.full_name, row.app_full_name, row.xml],
    )?;
    Ok(())
}
