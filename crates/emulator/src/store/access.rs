//! Permission sets, their assignments, and SetupEntityAccess: which permission sets grant
//! which connected app or Apex class. OAuth (admin-approved apps) and Apex REST read these;
//! REST creates and deletes assignments; the Metadata API deploy keeps the grants in step with
//! `ConnectedApp.permissionSetName` and `PermissionSet.classAccesses` through
//! [`sync_entity_grants`].

use rusqlite::{Connection, OptionalExtension, Transaction, params};

use super::StoreError;
use crate::ids::{self, prefix};

/// `SetupEntityType` of a connected app grant.
pub const CONNECTED_APPLICATION: &str = "ConnectedApplication";
/// `SetupEntityType` of an Apex class grant.
pub const APEX_CLASS: &str = "ApexClass";

/// A permission set.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PermissionSet {
    /// 18-character id (0PS…).
    pub id: String,
    /// API name.
    pub name: String,
    /// Label.
    pub label: String,
}

/// Every permission set.
pub fn permission_sets(connection: &Connection) -> Result<Vec<PermissionSet>, StoreError> {
    let mut statement = connection.prepare("SELECT id, name, label FROM permission_sets ORDER BY name")?;
    let rows = statement
        .query_map([], |row| Ok(PermissionSet { id: row.get(0)?, name: row.get(1)?, label: row.get(2)? }))?;
    Ok(rows.collect::<Result<_, _>>()?)
}

/// The permission set with this API name (case-insensitive).
pub fn permission_set_by_name(
    connection: &Connection,
    name: &str,
) -> Result<Option<PermissionSet>, StoreError> {
    Ok(permission_sets(connection)?.into_iter().find(|set| set.name.eq_ignore_ascii_case(name)))
}

/// Creates or replaces a permission set by name (a deploy); returns its id.
pub fn upsert_permission_set(
    tx: &Transaction,
    name: &str,
    label: &str,
    xml: Option<&str>,
    now_iso: &str,
) -> Result<String, StoreError> {
    tx.execute(
        "INSERT INTO permission_sets (id, name, label, xml, created_date, last_modified_date)
         VALUES (?1, ?2, ?3, ?4, ?5, ?5)
         ON CONFLICT(name) DO UPDATE SET label = excluded.label, xml = excluded.xml,
             last_modified_date = excluded.last_modified_date",
        params![ids::new_id(prefix::PERMISSION_SET), name, label, xml, now_iso],
    )?;
    Ok(tx.query_row("SELECT id FROM permission_sets WHERE name = ?1", [name], |row| row.get(0))?)
}

/// A SetupEntityAccess row.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SetupEntityAccess {
    /// 18-character id (0J0…).
    pub id: String,
    /// Permission set id (0PS…).
    pub parent_id: String,
    /// Granted entity id (0H4… or 01p…).
    pub setup_entity_id: String,
    /// `ConnectedApplication` or `ApexClass`.
    pub setup_entity_type: String,
}

/// Every SetupEntityAccess row.
pub fn setup_entity_access(connection: &Connection) -> Result<Vec<SetupEntityAccess>, StoreError> {
    let mut statement = connection.prepare(
        "SELECT id, parent_id, setup_entity_id, setup_entity_type FROM setup_entity_access ORDER BY id",
    )?;
    let rows = statement.query_map([], |row| {
        Ok(SetupEntityAccess {
            id: row.get(0)?,
            parent_id: row.get(1)?,
            setup_entity_id: row.get(2)?,
            setup_entity_type: row.get(3)?,
        })
    })?;
    Ok(rows.collect::<Result<_, _>>()?)
}

/// Makes the set of permission sets granting `entity_id` exactly `permission_set_ids`
/// (used for `ConnectedApp.permissionSetName` on deploy).
pub fn sync_entity_grants(
    tx: &Transaction,
    entity_id: &str,
    entity_type: &str,
    permission_set_ids: &[String],
) -> Result<(), StoreError> {
    tx.execute("DELETE FROM setup_entity_access WHERE setup_entity_id = ?1", [entity_id])?;
    for parent_id in permission_set_ids {
        grant(tx, parent_id, entity_id, entity_type)?;
    }
    Ok(())
}

/// Makes the Apex classes granted by a permission set exactly `class_ids`
/// (used for `PermissionSet.classAccesses` with `enabled` true on deploy).
pub fn sync_class_accesses(
    tx: &Transaction,
    permission_set_id: &str,
    class_ids: &[String],
) -> Result<(), StoreError> {
    tx.execute(
        "DELETE FROM setup_entity_access WHERE parent_id = ?1 AND setup_entity_type = ?2",
        params![permission_set_id, APEX_CLASS],
    )?;
    for class_id in class_ids {
        grant(tx, permission_set_id, class_id, APEX_CLASS)?;
    }
    Ok(())
}

/// Grants one entity through one permission set (no-op when already granted).
pub fn grant(
    tx: &Transaction,
    permission_set_id: &str,
    entity_id: &str,
    entity_type: &str,
) -> Result<(), StoreError> {
    tx.execute(
        "INSERT INTO setup_entity_access (id, parent_id, setup_entity_id, setup_entity_type)
         VALUES (?1, ?2, ?3, ?4) ON CONFLICT(parent_id, setup_entity_id) DO NOTHING",
        params![ids::new_id(prefix::SETUP_ENTITY_ACCESS), permission_set_id, entity_id, entity_type],
    )?;
    Ok(())
}

/// Whether one of the user's assigned permission sets grants `entity_id`.
pub fn user_granted(connection: &Connection, user_id: &str, entity_id: &str) -> Result<bool, StoreError> {
    let found: Option<i64> = connection
        .query_row(
            "SELECT 1 FROM permission_set_assignments a
             JOIN setup_entity_access s ON s.parent_id = a.permission_set_id
             WHERE a.assignee_id = ?1 AND s.setup_entity_id = ?2 LIMIT 1",
            params![user_id, entity_id],
            |row| row.get(0),
        )
        .optional()?;
    Ok(found.is_some())
}

/// A permission set assignment.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Assignment {
    /// 18-character id (0Pa…).
    pub id: String,
    /// User id (005…).
    pub assignee_id: String,
    /// Permission set id (0PS…).
    pub permission_set_id: String,
}

/// Every assignment.
pub fn assignments(connection: &Connection) -> Result<Vec<Assignment>, StoreError> {
    let mut statement = connection
        .prepare("SELECT id, assignee_id, permission_set_id FROM permission_set_assignments ORDER BY id")?;
    let rows = statement.query_map([], |row| {
        Ok(Assignment { id: row.get(0)?, assignee_id: row.get(1)?, permission_set_id: row.get(2)? })
    })?;
    Ok(rows.collect::<Result<_, _>>()?)
}

/// What [`assign`] did.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum AssignOutcome {
    /// A new assignment with this id.
    Created(String),
    /// The user already had the permission set.
    Duplicate,
}

/// Assigns a permission set to a user (both ids must exist).
pub fn assign(
    tx: &Transaction,
    assignee_id: &str,
    permission_set_id: &str,
) -> Result<AssignOutcome, StoreError> {
    let id = ids::new_id(prefix::PERMISSION_SET_ASSIGNMENT);
    let changed = tx.execute(
        "INSERT INTO permission_set_assignments (id, assignee_id, permission_set_id) VALUES (?1, ?2, ?3)
         ON CONFLICT(assignee_id, permission_set_id) DO NOTHING",
        params![id, assignee_id, permission_set_id],
    )?;
    Ok(if changed == 1 { AssignOutcome::Created(id) } else { AssignOutcome::Duplicate })
}

/// Deletes an assignment; `false` when there was none with this id.
pub fn unassign(tx: &Transaction, id: &str) -> Result<bool, StoreError> {
    Ok(tx.execute("DELETE FROM permission_set_assignments WHERE id = ?1", [id])? == 1)
}
