//! Profiles and users: seeding from `users.toml`, lookups and password checks.

use rusqlite::{Connection, OptionalExtension, Row, Transaction, params};

use super::StoreError;
use crate::ids::{self, prefix};

/// A profile as the seed file describes it.
#[derive(Clone, Debug)]
pub struct ProfileSpec<'a> {
    /// Profile name (unique).
    pub name: &'a str,
    /// First address of the login IP range, if the profile restricts logins.
    pub login_ip_start: Option<&'a str>,
    /// Last address of the login IP range.
    pub login_ip_end: Option<&'a str>,
    /// "API Enabled".
    pub api_enabled: bool,
    /// "Modify All Data" (System Administrator).
    pub modify_all_data: bool,
}

/// A user as the seed file describes it.
pub struct UserSpec<'a> {
    /// Username (unique, case-insensitive).
    pub username: &'a str,
    /// Password.
    pub password: &'a str,
    /// Email address.
    pub email: &'a str,
    /// First name.
    pub first_name: &'a str,
    /// Last name.
    pub last_name: &'a str,
    /// Whether the user may log in.
    pub active: bool,
}

/// Creates or updates a profile by name; returns its id.
pub fn upsert_profile(tx: &Transaction, spec: &ProfileSpec) -> Result<String, StoreError> {
    tx.execute(
        "INSERT INTO profiles (id, name, login_ip_start, login_ip_end, api_enabled, modify_all_data)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6)
         ON CONFLICT(name) DO UPDATE SET login_ip_start = excluded.login_ip_start,
             login_ip_end = excluded.login_ip_end, api_enabled = excluded.api_enabled,
             modify_all_data = excluded.modify_all_data",
        params![
            ids::new_id(prefix::PROFILE),
            spec.name,
            spec.login_ip_start,
            spec.login_ip_end,
            spec.api_enabled,
            spec.modify_all_data
        ],
    )?;
    Ok(tx.query_row("SELECT id FROM profiles WHERE name = ?1", [spec.name], |row| row.get(0))?)
}

/// Creates or updates a user by username; returns its id.
pub fn upsert_user(tx: &Transaction, spec: &UserSpec, profile_id: &str) -> Result<String, StoreError> {
    tx.execute(
        "INSERT INTO users (id, username, password, profile_id, email, first_name, last_name, active)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)
         ON CONFLICT(username) DO UPDATE SET password = excluded.password,
             profile_id = excluded.profile_id, email = excluded.email,
             first_name = excluded.first_name, last_name = excluded.last_name,
             active = excluded.active",
        params![
            ids::new_id(prefix::USER),
            spec.username,
            spec.password,
            profile_id,
            spec.email,
            spec.first_name,
            spec.last_name,
            spec.active
        ],
    )?;
    Ok(tx.query_row("SELECT id FROM users WHERE username = ?1", [spec.username], |row| row.get(0))?)
}

/// A user joined with its profile (no password).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct User {
    /// 18-character id (005…).
    pub id: String,
    /// Username.
    pub username: String,
    /// Email.
    pub email: String,
    /// First name.
    pub first_name: String,
    /// Last name.
    pub last_name: String,
    /// Whether the user may log in.
    pub active: bool,
    /// Profile id (00e…).
    pub profile_id: String,
    /// Profile name.
    pub profile_name: String,
    /// Login IP range of the profile, if any: (start, end).
    pub login_ip_range: Option<(String, String)>,
    /// "API Enabled" on the profile.
    pub api_enabled: bool,
    /// "Modify All Data" on the profile.
    pub modify_all_data: bool,
}

impl User {
    /// "First Last", as `User.Name`.
    pub fn name(&self) -> String {
        format!("{} {}", self.first_name, self.last_name).trim().to_string()
    }
}

const SELECT_USER: &str = "SELECT u.id, u.username, u.email, u.first_name, u.last_name, u.active,
    p.id, p.name, p.login_ip_start, p.login_ip_end, p.api_enabled, p.modify_all_data
    FROM users u JOIN profiles p ON p.id = u.profile_id";

fn user_from_row(row: &Row) -> rusqlite::Result<User> {
    let start: Option<String> = row.get(8)?;
    let end: Option<String> = row.get(9)?;
    Ok(User {
        id: row.get(0)?,
        username: row.get(1)?,
        email: row.get(2)?,
        first_name: row.get(3)?,
        last_name: row.get(4)?,
        active: row.get(5)?,
        profile_id: row.get(6)?,
        profile_name: row.get(7)?,
        login_ip_range: start.zip(end),
        api_enabled: row.get(10)?,
        modify_all_data: row.get(11)?,
    })
}

/// The user with this id.
pub fn by_id(connection: &Connection, id: &str) -> Result<Option<User>, StoreError> {
    let sql = format!("{SELECT_USER} WHERE u.id = ?1");
    Ok(connection.query_row(&sql, [id], user_from_row).optional()?)
}

/// The user with this username (case-insensitive).
pub fn by_username(connection: &Connection, username: &str) -> Result<Option<User>, StoreError> {
    let sql = format!("{SELECT_USER} WHERE u.username = ?1");
    Ok(connection.query_row(&sql, [username], user_from_row).optional()?)
}

/// Every user, by username.
pub fn all(connection: &Connection) -> Result<Vec<User>, StoreError> {
    let sql = format!("{SELECT_USER} ORDER BY u.username");
    let mut statement = connection.prepare(&sql)?;
    let rows = statement.query_map([], user_from_row)?;
    Ok(rows.collect::<Result<_, _>>()?)
}

/// The active user with this username and password, if they match.
pub fn login(connection: &Connection, username: &str, password: &str) -> Result<Option<User>, StoreError> {
    let stored: Option<(String, bool)> = connection
        .query_row("SELECT password, active FROM users WHERE username = ?1", [username], |row| {
            Ok((row.get(0)?, row.get(1)?))
        })
        .optional()?;
    match stored {
        Some((expected, true)) if constant_time_eq(expected.as_bytes(), password.as_bytes()) => {
            by_username(connection, username)
        }
        _ => Ok(None),
    }
}

/// Compares two byte strings without stopping at the first difference.
pub fn constant_time_eq(left: &[u8], right: &[u8]) -> bool {
    if left.len() != right.len() {
        return false;
    }
    left.iter().zip(right).fold(0u8, |difference, (a, b)| difference | (a ^ b)) == 0
}

/// A profile.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Profile {
    /// 18-character id (00e…).
    pub id: String,
    /// Name.
    pub name: String,
}

/// Every profile.
pub fn profiles(connection: &Connection) -> Result<Vec<Profile>, StoreError> {
    let mut statement = connection.prepare("SELECT id, name FROM profiles ORDER BY name")?;
    let rows = statement.query_map([], |row| Ok(Profile { id: row.get(0)?, name: row.get(1)? }))?;
    Ok(rows.collect::<Result<_, _>>()?)
}
