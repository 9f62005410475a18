//! The org database schema. Every statement is idempotent, so opening an existing state
//! directory runs the same script again safely.
//!
//! Conventions shared by every writer (REST, OAuth, the SOAP Metadata API):
//! - ids are 18-character Salesforce ids (`crate::ids::new_id`);
//! - dateTime columns (`*_date`) hold `crate::clock::format_iso` text of the org clock;
//! - epoch columns (`*_at`) hold whole seconds of the org clock;
//! - tokens and codes are stored only as their SHA-256 hex digest (`crate::store::digest`).

/// The schema, applied at every open.
pub const SCRIPT: &str = r#"
CREATE TABLE IF NOT EXISTS organization (
    id TEXT PRIMARY KEY,
    name TEXT NOT NULL,
    instance_name TEXT NOT NULL,
    admin_access_token TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS profiles (
    id TEXT PRIMARY KEY,
    name TEXT NOT NULL UNIQUE,
    login_ip_start TEXT,
    login_ip_end TEXT,
    api_enabled INTEGER NOT NULL DEFAULT 1,
    modify_all_data INTEGER NOT NULL DEFAULT 0
);
CREATE TABLE IF NOT EXISTS users (
    id TEXT PRIMARY KEY,
    username TEXT NOT NULL UNIQUE COLLATE NOCASE,
    password TEXT NOT NULL,
    profile_id TEXT NOT NULL REFERENCES profiles(id),
    email TEXT NOT NULL,
    first_name TEXT NOT NULL DEFAULT '',
    last_name TEXT NOT NULL DEFAULT '',
    active INTEGER NOT NULL DEFAULT 1
);
CREATE TABLE IF NOT EXISTS apex_classes (
    id TEXT PRIMARY KEY,
    name TEXT NOT NULL UNIQUE,
    url_mapping TEXT,
    body TEXT NOT NULL
);
-- xml: the canonical metadata as deployed, never the consumer secret.
CREATE TABLE IF NOT EXISTS connected_apps (
    full_name TEXT PRIMARY KEY,
    id TEXT NOT NULL UNIQUE,
    xml TEXT NOT NULL,
    consumer_key TEXT NOT NULL UNIQUE,
    consumer_secret TEXT NOT NULL,
    created_date TEXT NOT NULL,
    last_modified_date TEXT NOT NULL
);
-- The components of External Client Apps (ExternalClientApplication and its settings and
-- policies), canonical XML without consumer key or secret. The app itself (its OAuth view,
-- key and secret) is a row of connected_apps with the same full_name as the header.
CREATE TABLE IF NOT EXISTS eca_components (
    type_name TEXT NOT NULL,
    full_name TEXT NOT NULL COLLATE NOCASE,
    app_full_name TEXT NOT NULL COLLATE NOCASE,
    xml TEXT NOT NULL,
    PRIMARY KEY (type_name, full_name)
);
-- xml is NULL for seeded or org-created permission sets.
CREATE TABLE IF NOT EXISTS permission_sets (
    id TEXT PRIMARY KEY,
    name TEXT NOT NULL UNIQUE,
    label TEXT NOT NULL,
    xml TEXT,
    created_date TEXT,
    last_modified_date TEXT
);
-- Which permission set grants which connected app ('ConnectedApplication', 0H4…) or Apex
-- class ('ApexClass', 01p…).
CREATE TABLE IF NOT EXISTS setup_entity_access (
    id TEXT PRIMARY KEY,
    parent_id TEXT NOT NULL REFERENCES permission_sets(id) ON DELETE CASCADE,
    setup_entity_id TEXT NOT NULL,
    setup_entity_type TEXT NOT NULL,
    UNIQUE (parent_id, setup_entity_id)
);
CREATE TABLE IF NOT EXISTS permission_set_assignments (
    id TEXT PRIMARY KEY,
    assignee_id TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    permission_set_id TEXT NOT NULL REFERENCES permission_sets(id) ON DELETE CASCADE,
    UNIQUE (assignee_id, permission_set_id)
);
-- Semantics owned by the SOAP Metadata API (crate::soap).
CREATE TABLE IF NOT EXISTS deploys (
    id TEXT PRIMARY KEY,
    status TEXT NOT NULL,
    check_only INTEGER NOT NULL DEFAULT 0,
    created_date TEXT NOT NULL,
    polls INTEGER NOT NULL DEFAULT 0,
    result_json TEXT,
    zip BLOB,
    options_json TEXT
);
CREATE TABLE IF NOT EXISTS retrieves (
    id TEXT PRIMARY KEY,
    status TEXT NOT NULL,
    zip BLOB,
    result_json TEXT,
    polls INTEGER NOT NULL DEFAULT 0,
    created_date TEXT
);
CREATE TABLE IF NOT EXISTS oauth_codes (
    code_hash TEXT PRIMARY KEY,
    app_full_name TEXT NOT NULL,
    user_id TEXT NOT NULL,
    redirect_uri TEXT NOT NULL,
    scopes TEXT NOT NULL,
    code_challenge TEXT,
    code_challenge_method TEXT,
    created_at INTEGER NOT NULL,
    used INTEGER NOT NULL DEFAULT 0
);
CREATE TABLE IF NOT EXISTS refresh_tokens (
    token_hash TEXT PRIMARY KEY,
    grant_id TEXT NOT NULL,
    user_id TEXT NOT NULL,
    app_full_name TEXT NOT NULL,
    scopes TEXT NOT NULL,
    issued_at INTEGER NOT NULL,
    last_used_at INTEGER NOT NULL,
    revoked INTEGER NOT NULL DEFAULT 0
);
-- app_full_name is NULL for the seeded admin session; expires_at NULL means no expiry.
CREATE TABLE IF NOT EXISTS access_tokens (
    token_hash TEXT PRIMARY KEY,
    user_id TEXT NOT NULL,
    app_full_name TEXT,
    scopes TEXT NOT NULL,
    issued_at INTEGER NOT NULL,
    expires_at INTEGER,
    refresh_token_hash TEXT,
    revoked INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX IF NOT EXISTS access_tokens_by_refresh ON access_tokens(refresh_token_hash);
CREATE INDEX IF NOT EXISTS refresh_tokens_by_grant ON refresh_tokens(grant_id);
"#;
