//! Queries of the Metadata SOAP API: deploy and retrieve requests, and the component lookups
//! deploy validation, retrieve, readMetadata and listMetadata need. Connected apps, permission
//! sets and grants are written through [`super::apps`] and [`super::access`].

use rusqlite::{Connection, OptionalExtension, Transaction, params};

use super::StoreError;

/// A stored deploy request.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DeployRow {
    pub id: String,
    pub status: String,
    pub check_only: bool,
    pub created_date: String,
    pub polls: i64,
    /// `soap::deploy_result::DeployOutcome` as JSON, once finished.
    pub result_json: Option<String>,
    pub zip: Vec<u8>,
    /// `soap::deploy::DeployRequest` as JSON.
    pub options_json: String,
}

/// Records a new deploy request.
pub fn insert_deploy(tx: &Transaction, row: &DeployRow) -> Result<(), StoreError> {
    tx.execute(
        "INSERT INTO deploys (id, status, check_only, created_date, polls, result_json, zip, options_json)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
        params![
            row.id,
            row.status,
            row.check_only,
            row.created_date,
            row.polls,
            row.result_json,
            row.zip,
            row.options_json
        ],
    )?;
    Ok(())
}

/// The deploy with this id (15 or 18 characters; ids are compared on their first 15).
pub fn deploy(connection: &Connection, id: &str) -> Result<Option<DeployRow>, StoreError> {
    let row = connection
        .query_row(
            "SELECT id, status, check_only, created_date, polls, result_json, zip, options_json
             FROM deploys WHERE substr(id, 1, 15) = substr(?1, 1, 15)",
            [id],
            |row| {
                Ok(DeployRow {
                    id: row.get(0)?,
                    status: row.get(1)?,
                    check_only: row.get(2)?,
                    created_date: row.get(3)?,
                    polls: row.get(4)?,
                    result_json: row.get(5)?,
                    zip: row.get::<_, Option<Vec<u8>>>(6)?.unwrap_or_default(),
                    options_json: row.get::<_, Option<String>>(7)?.unwrap_or_default(),
                })
            },
        )
        .optional()?;
    Ok(row)
}

/// Saves a deploy's progress.
pub fn update_deploy(
    tx: &Transaction,
    id: &str,
    status: &str,
    polls: i64,
    result_json: Option<&str>,
    options_json: &str,
) -> Result<(), StoreError> {
    tx.execute(
        "UPDATE deploys SET status = ?2, polls = ?3, result_json = ?4, options_json = ?5 WHERE id = ?1",
        params![id, status, polls, result_json, options_json],
    )?;
    Ok(())
}

/// Drops a deploy's zip once nothing can use it again (it may hold a consumer secret).
pub fn clear_deploy_zip(tx: &Transaction, id: &str) -> Result<(), StoreError> {
    tx.execute("UPDATE deploys SET zip = NULL WHERE id = ?1", [id])?;
    Ok(())
}

/// A stored retrieve request.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RetrieveRow {
    pub id: String,
    pub status: String,
    pub zip: Option<Vec<u8>>,
    /// The request before it ran, `soap::retrieve::RetrieveOutcome` after.
    pub result_json: String,
    pub polls: i64,
    pub created_date: String,
}

pub fn insert_retrieve(tx: &Transaction, row: &RetrieveRow) -> Result<(), StoreError> {
    tx.execute(
        "INSERT INTO retrieves (id, status, zip, result_json, polls, created_date) VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
        params![row.id, row.status, row.zip, row.result_json, row.polls, row.created_date],
    )?;
    Ok(())
}

pub fn retrieve(connection: &Connection, id: &str) -> Result<Option<RetrieveRow>, StoreError> {
    let row = connection
        .query_row(
            "SELECT id, status, zip, result_json, polls, created_date FROM retrieves
             WHERE substr(id, 1, 15) = substr(?1, 1, 15)",
            [id],
            |row| {
                Ok(RetrieveRow {
                    id: row.get(0)?,
                    status: row.get(1)?,
                    zip: row.get(2)?,
                    result_json: row.get::<_, Option<String>>(3)?.unwrap_or_default(),
                    polls: row.get(4)?,
                    created_date: row.get::<_, Option<String>>(5)?.unwrap_or_default(),
                })
            },
        )
        .optional()?;
    Ok(row)
}

pub fn update_retrieve(tx: &Transaction, row: &RetrieveRow) -> Result<(), StoreError> {
    tx.execute(
        "UPDATE retrieves SET status = ?2, zip = ?3, result_json = ?4, polls = ?5 WHERE id = ?1",
        params![row.id, row.status, row.zip, row.result_json, row.polls],
    )?;
    Ok(())
}

/// A permission set with its stored XML (`None` for seeded ones) and dates.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PermissionSetRow {
    pub id: String,
    pub name: String,
    pub label: String,
    pub xml: Option<String>,
    pub created_date: Option<String>,
    pub last_modified_date: Option<String>,
}

/// Every permission set, by name.
pub fn permission_sets(connection: &Connection) -> Result<Vec<PermissionSetRow>, StoreError> {
    let mut statement = connection.prepare(
        "SELECT id, name, label, xml, created_date, last_modified_date FROM permission_sets ORDER BY name",
    )?;
    let rows = statement.query_map([], |row| {
        Ok(PermissionSetRow {
            id: row.get(0)?,
            name: row.get(1)?,
            label: row.get(2)?,
            xml: row.get(3)?,
            created_date: row.get(4)?,
            last_modified_date: row.get(5)?,
        })
    })?;
    Ok(rows.collect::<Result<_, _>>()?)
}

/// The permission set with this name (case-insensitive).
pub fn permission_set(connection: &Connection, name: &str) -> Result<Option<PermissionSetRow>, StoreError> {
    Ok(permission_sets(connection)?.into_iter().find(|set| set.name.eq_ignore_ascii_case(name)))
}

/// The name of the app holding this consumer secret, if any.
pub fn consumer_secret_owner(connection: &Connection, secret: &str) -> Result<Option<String>, StoreError> {
    Ok(connection
        .query_row("SELECT full_name FROM connected_apps WHERE consumer_secret = ?1", [secret], |row| {
            row.get(0)
        })
        .optional()?)
}

/// Names of the Apex classes granted by a permission set (`classAccesses` of seeded sets).
pub fn granted_class_names(
    connection: &Connection,
    permission_set_id: &str,
) -> Result<Vec<String>, StoreError> {
    let mut statement = connection.prepare(
        "SELECT c.name FROM setup_entity_access a JOIN apex_classes c ON c.id = a.setup_entity_id
         WHERE a.parent_id = ?1 AND a.setup_entity_type = 'ApexClass' ORDER BY c.name",
    )?;
    let rows = statement.query_map([permission_set_id], |row| row.get(0))?;
    Ok(rows.collect::<Result<_, _>>()?)
}

/// An Apex class with its source.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ApexClassRow {
    pub id: String,
    pub name: String,
    pub body: String,
}

/// Every Apex class with its body, by name.
pub fn apex_classes(connection: &Connection) -> Result<Vec<ApexClassRow>, StoreError> {
    let mut statement = connection.prepare("SELECT id, name, body FROM apex_classes ORDER BY name")?;
    let rows = statement
        .query_map([], |row| Ok(ApexClassRow { id: row.get(0)?, name: row.get(1)?, body: row.get(2)? }))?;
    Ok(rows.collect::<Result<_, _>>()?)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::Store;

    #[test]
    fn deploy_rows_round_trip_and_match_15_character_ids() {
        let store = Store::open_in_memory().expect("store");
        let row = DeployRow {
            id: "0AfHn0000abcdefGHI".into(),
            status: "Pending".into(),
            check_only: true,
            created_date: "2026-01-01T00:00:00.000Z".into(),
            polls: 0,
            result_json: None,
            zip: vec![1, 2, 3],
            options_json: "{}".into(),
        };
        store.with_tx(|tx| insert_deploy(tx, &row)).expect("insert");
        store.with_tx(|tx| update_deploy(tx, &row.id, "InProgress", 1, None, "{}")).expect("update");
        let found =
            store.read(|connection| deploy(connection, "0AfHn0000abcdef")).expect("read").expect("found");
        assert_eq!(found.status, "InProgress");
        assert_eq!(found.zip, vec![1, 2, 3]);
        assert!(store.read(|c| deploy(c, "0AfHn0000zzzzzzAAA")).expect("read").is_none());
    }
}
