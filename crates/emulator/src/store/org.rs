//! The organization row, the seeded Apex class and the long-lived admin session.

use rusqlite::{Connection, OptionalExtension, Transaction, params};

use super::{StoreError, tokens};
use crate::ids::{self, prefix};

/// The Apex class every emulated org holds.
pub const INSIGHTS_CLASS: &str = "Insights_Rest_API";
/// Its `@RestResource` urlMapping.
pub const INSIGHTS_URL_MAPPING: &str = "/insights/v1/*";

const INSIGHTS_CLASS_BODY: &str = "@RestResource(urlMapping='/insights/v1/*')
global with sharing class Insights_Rest_API {
    @HttpGet
    global static Map<String, Object> status() {
        return new Map<String, Object>{ 'status' => 'ok' };
    }
}
";

/// The organization.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Organization {
    /// 18-character id (00D…).
    pub id: String,
    /// Display name.
    pub name: String,
    /// Instance name (as `Organization.InstanceName`).
    pub instance_name: String,
}

/// The organization, if seeded.
pub fn get(connection: &Connection) -> Result<Option<Organization>, StoreError> {
    Ok(connection
        .query_row("SELECT id, name, instance_name FROM organization LIMIT 1", [], |row| {
            Ok(Organization { id: row.get(0)?, name: row.get(1)?, instance_name: row.get(2)? })
        })
        .optional()?)
}

/// The organization; an error if the org was never seeded.
pub fn require(connection: &Connection) -> Result<Organization, StoreError> {
    get(connection)?.ok_or_else(|| StoreError::Corrupt("the organization row is missing".into()))
}

/// Seeds the organization and the Insights Apex class when absent; returns the organization.
pub fn ensure(tx: &Transaction) -> Result<Organization, StoreError> {
    if let Some(org) = get(tx)? {
        ensure_apex_class(tx)?;
        return Ok(org);
    }
    let id = ids::new_id(prefix::ORGANIZATION);
    tx.execute(
        "INSERT INTO organization (id, name, instance_name, admin_access_token) VALUES (?1, ?2, ?3, '')",
        params![id, "Insights Emulator", "EMU1"],
    )?;
    ensure_apex_class(tx)?;
    require(tx)
}

fn ensure_apex_class(tx: &Transaction) -> Result<(), StoreError> {
    tx.execute(
        "INSERT INTO apex_classes (id, name, url_mapping, body) VALUES (?1, ?2, ?3, ?4)
         ON CONFLICT(name) DO NOTHING",
        params![ids::new_id(prefix::APEX_CLASS), INSIGHTS_CLASS, INSIGHTS_URL_MAPPING, INSIGHTS_CLASS_BODY],
    )?;
    Ok(())
}

/// Returns a valid admin session for `admin_user_id`, minting a new one when the stored one was
/// expired (test control), revoked, or belongs to another user.
pub fn ensure_admin_token(tx: &Transaction, admin_user_id: &str, now: i64) -> Result<String, StoreError> {
    let org = require(tx)?;
    let stored: String = tx.query_row("SELECT admin_access_token FROM organization", [], |row| row.get(0))?;
    if !stored.is_empty()
        && let Some(session) = tokens::session(tx, &stored, now)?
        && session.user_id == admin_user_id
    {
        return Ok(stored);
    }
    let token = ids::new_access_token(&org.id);
    tokens::insert_access_token(
        tx,
        &tokens::NewAccessToken {
            token: &token,
            user_id: admin_user_id,
            app_full_name: None,
            scopes: "api web full refresh_token",
            issued_at: now,
            expires_at: None,
            refresh_token_hash: None,
        },
    )?;
    tx.execute("UPDATE organization SET admin_access_token = ?1", params![token])?;
    Ok(token)
}

/// An Apex class.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ApexClass {
    /// 18-character id (01p…).
    pub id: String,
    /// Class name.
    pub name: String,
    /// `@RestResource` urlMapping, if any.
    pub url_mapping: Option<String>,
}

/// Every Apex class of the org.
pub fn apex_classes(connection: &Connection) -> Result<Vec<ApexClass>, StoreError> {
    let mut statement = connection.prepare("SELECT id, name, url_mapping FROM apex_classes ORDER BY name")?;
    let rows = statement.query_map([], |row| {
        Ok(ApexClass { id: row.get(0)?, name: row.get(1)?, url_mapping: row.get(2)? })
    })?;
    Ok(rows.collect::<Result<_, _>>()?)
}

/// The Apex class with this name (case-insensitive, as Apex names are).
pub fn apex_class_by_name(connection: &Connection, name: &str) -> Result<Option<ApexClass>, StoreError> {
    Ok(apex_classes(connection)?.into_iter().find(|class| class.name.eq_ignore_ascii_case(name)))
}
