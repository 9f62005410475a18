//! Authorization codes, access tokens (sessions) and refresh tokens. Only digests are stored.

use rusqlite::{Connection, OptionalExtension, Transaction, params};

use super::{Session, StoreError, digest, org, users};

/// Scopes are stored space-separated.
fn split_scopes(scopes: &str) -> Vec<String> {
    scopes.split_whitespace().map(str::to_string).collect()
}

/// The session behind an access token at org time `now`, if valid.
pub fn session(connection: &Connection, token: &str, now: i64) -> Result<Option<Session>, StoreError> {
    let row: Option<(String, Option<String>, String)> = connection
        .query_row(
            "SELECT user_id, app_full_name, scopes FROM access_tokens
             WHERE token_hash = ?1 AND revoked = 0 AND (expires_at IS NULL OR expires_at > ?2)",
            params![digest(token), now],
            |row| Ok((row.get(0)?, row.get(1)?, row.get(2)?)),
        )
        .optional()?;
    let Some((user_id, app_full_name, scopes)) = row else {
        return Ok(None);
    };
    let Some(user) = users::by_id(connection, &user_id)? else {
        return Ok(None);
    };
    if !user.active {
        return Ok(None);
    }
    let org = org::require(connection)?;
    Ok(Some(Session {
        user_id,
        username: user.username,
        org_id: org.id,
        scopes: split_scopes(&scopes),
        app_full_name,
        modify_all_data: user.modify_all_data,
    }))
}

/// What an access token is stored with.
pub struct NewAccessToken<'a> {
    /// The token itself (only its digest is stored).
    pub token: &'a str,
    /// User id (005…).
    pub user_id: &'a str,
    /// The app it was issued for; `None` for the seeded admin session.
    pub app_full_name: Option<&'a str>,
    /// Space-separated OAuth scopes.
    pub scopes: &'a str,
    /// Org time of issue (epoch seconds).
    pub issued_at: i64,
    /// Org time of expiry; `None` for never.
    pub expires_at: Option<i64>,
    /// Digest of the refresh token it came from (revoking that revokes this).
    pub refresh_token_hash: Option<&'a str>,
}

/// Stores an access token.
pub fn insert_access_token(tx: &Transaction, new: &NewAccessToken) -> Result<(), StoreError> {
    tx.execute(
        "INSERT INTO access_tokens (token_hash, user_id, app_full_name, scopes, issued_at, expires_at, refresh_token_hash)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
        params![
            digest(new.token),
            new.user_id,
            new.app_full_name,
            new.scopes,
            new.issued_at,
            new.expires_at,
            new.refresh_token_hash
        ],
    )?;
    Ok(())
}

/// A stored token (access or refresh), for introspection and revocation.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TokenRecord {
    /// Digest of the token.
    pub token_hash: String,
    /// User id.
    pub user_id: String,
    /// The app it was issued for.
    pub app_full_name: Option<String>,
    /// Granted scopes.
    pub scopes: Vec<String>,
    /// Org time of issue.
    pub issued_at: i64,
    /// Org time of expiry (access tokens with a timeout only).
    pub expires_at: Option<i64>,
    /// Org time of last use (refresh tokens only; equals `issued_at` for access tokens).
    pub last_used_at: i64,
    /// Revoked (or expired by the test control).
    pub revoked: bool,
    /// Refresh tokens: the grant (rotation family) id.
    pub grant_id: Option<String>,
}

/// The access token record, whatever its state.
pub fn find_access_token(connection: &Connection, token: &str) -> Result<Option<TokenRecord>, StoreError> {
    Ok(connection
        .query_row(
            "SELECT token_hash, user_id, app_full_name, scopes, issued_at, expires_at, revoked
             FROM access_tokens WHERE token_hash = ?1",
            [digest(token)],
            |row| {
                let scopes: String = row.get(3)?;
                Ok(TokenRecord {
                    token_hash: row.get(0)?,
                    user_id: row.get(1)?,
                    app_full_name: row.get(2)?,
                    scopes: split_scopes(&scopes),
                    issued_at: row.get(4)?,
                    expires_at: row.get(5)?,
                    last_used_at: row.get(4)?,
                    revoked: row.get(6)?,
                    grant_id: None,
                })
            },
        )
        .optional()?)
}

/// The refresh token record, whatever its state.
pub fn find_refresh_token(connection: &Connection, token: &str) -> Result<Option<TokenRecord>, StoreError> {
    Ok(connection
        .query_row(
            "SELECT token_hash, user_id, app_full_name, scopes, issued_at, last_used_at, revoked, grant_id
             FROM refresh_tokens WHERE token_hash = ?1",
            [digest(token)],
            |row| {
                let scopes: String = row.get(3)?;
                Ok(TokenRecord {
                    token_hash: row.get(0)?,
                    user_id: row.get(1)?,
                    app_full_name: row.get(2)?,
                    scopes: split_scopes(&scopes),
                    issued_at: row.get(4)?,
                    expires_at: None,
                    last_used_at: row.get(5)?,
                    revoked: row.get(6)?,
                    grant_id: row.get(7)?,
                })
            },
        )
        .optional()?)
}

/// Stores a refresh token of a grant (`grant_id` groups rotated tokens).
pub fn insert_refresh_token(
    tx: &Transaction,
    token: &str,
    grant_id: &str,
    user_id: &str,
    app_full_name: &str,
    scopes: &str,
    now: i64,
) -> Result<(), StoreError> {
    tx.execute(
        "INSERT INTO refresh_tokens (token_hash, grant_id, user_id, app_full_name, scopes, issued_at, last_used_at)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?6)",
        params![digest(token), grant_id, user_id, app_full_name, scopes, now],
    )?;
    Ok(())
}

/// Records a use of a refresh token (for the inactivity policy).
pub fn touch_refresh_token(tx: &Transaction, token_hash: &str, now: i64) -> Result<(), StoreError> {
    tx.execute(
        "UPDATE refresh_tokens SET last_used_at = ?2 WHERE token_hash = ?1",
        params![token_hash, now],
    )?;
    Ok(())
}

/// Revokes a refresh token and the access tokens issued from it.
pub fn revoke_refresh_token(tx: &Transaction, token_hash: &str) -> Result<(), StoreError> {
    tx.execute("UPDATE refresh_tokens SET revoked = 1 WHERE token_hash = ?1", [token_hash])?;
    tx.execute("UPDATE access_tokens SET revoked = 1 WHERE refresh_token_hash = ?1", [token_hash])?;
    Ok(())
}

/// Revokes every refresh token of a grant (a replayed rotated token) and their access tokens.
pub fn revoke_grant(tx: &Transaction, grant_id: &str) -> Result<(), StoreError> {
    tx.execute(
        "UPDATE access_tokens SET revoked = 1 WHERE refresh_token_hash IN
             (SELECT token_hash FROM refresh_tokens WHERE grant_id = ?1)",
        [grant_id],
    )?;
    tx.execute("UPDATE refresh_tokens SET revoked = 1 WHERE grant_id = ?1", [grant_id])?;
    Ok(())
}

/// Revokes one access token.
pub fn revoke_access_token(tx: &Transaction, token_hash: &str) -> Result<(), StoreError> {
    tx.execute("UPDATE access_tokens SET revoked = 1 WHERE token_hash = ?1", [token_hash])?;
    Ok(())
}

/// Makes every access token issued so far invalid (test control); returns how many were live.
pub fn expire_all_access_tokens(tx: &Transaction) -> Result<usize, StoreError> {
    Ok(tx.execute("UPDATE access_tokens SET revoked = 1 WHERE revoked = 0", [])?)
}

/// An authorization code waiting to be exchanged.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AuthorizationCode {
    /// Digest of the code.
    pub code_hash: String,
    /// The app it was issued for.
    pub app_full_name: String,
    /// The user who logged in.
    pub user_id: String,
    /// The redirect_uri of the authorize request.
    pub redirect_uri: String,
    /// Granted scopes, space-separated.
    pub scopes: String,
    /// PKCE challenge, if one was sent.
    pub code_challenge: Option<String>,
    /// PKCE method (`S256` or `plain`).
    pub code_challenge_method: Option<String>,
    /// Org time of issue.
    pub created_at: i64,
    /// Already exchanged (or burnt by a failed exchange).
    pub used: bool,
}

/// Stores a new code (given in the clear; its digest is kept).
pub fn insert_code(tx: &Transaction, code: &str, record: &AuthorizationCode) -> Result<(), StoreError> {
    tx.execute(
        "INSERT INTO oauth_codes (code_hash, app_full_name, user_id, redirect_uri, scopes,
             code_challenge, code_challenge_method, created_at)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
        params![
            digest(code),
            record.app_full_name,
            record.user_id,
            record.redirect_uri,
            record.scopes,
            record.code_challenge,
            record.code_challenge_method,
            record.created_at
        ],
    )?;
    Ok(())
}

/// The code record, whatever its state.
pub fn find_code(connection: &Connection, code: &str) -> Result<Option<AuthorizationCode>, StoreError> {
    Ok(connection
        .query_row(
            "SELECT code_hash, app_full_name, user_id, redirect_uri, scopes, code_challenge,
                 code_challenge_method, created_at, used
             FROM oauth_codes WHERE code_hash = ?1",
            [digest(code)],
            |row| {
                Ok(AuthorizationCode {
                    code_hash: row.get(0)?,
                    app_full_name: row.get(1)?,
                    user_id: row.get(2)?,
                    redirect_uri: row.get(3)?,
                    scopes: row.get(4)?,
                    code_challenge: row.get(5)?,
                    code_challenge_method: row.get(6)?,
                    created_at: row.get(7)?,
                    used: row.get(8)?,
                })
            },
        )
        .optional()?)
}

/// Marks a code used; `false` when it already was (a concurrent exchange won).
pub fn mark_code_used(tx: &Transaction, code_hash: &str) -> Result<bool, StoreError> {
    let changed =
        tx.execute("UPDATE oauth_codes SET used = 1 WHERE code_hash = ?1 AND used = 0", [code_hash])?;
    Ok(changed == 1)
}

/// Retires a rotated refresh token (its access tokens stay valid); a later replay of it is
/// detected because it is revoked.
pub fn retire_refresh_token(tx: &Transaction, token_hash: &str) -> Result<(), StoreError> {
    tx.execute("UPDATE refresh_tokens SET revoked = 1 WHERE token_hash = ?1", [token_hash])?;
    Ok(())
}
