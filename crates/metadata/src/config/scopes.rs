//! OAuth scopes: the names admins and OAuth requests use, and the metadata values behind them.

use crate::schema::schema;

/// `(OAuth name as in Setup or the guide, metadata value)`.
pub const SCOPES: &[(&str, &str)] = &[
    ("api", "Api"),
    ("refresh_token, offline_access", "RefreshToken"),
    ("refresh_token", "RefreshToken"),
    ("offline_access", "RefreshToken"),
    ("web", "Web"),
    ("full", "Full"),
    ("id", "Basic"),
    ("openid", "OpenID"),
    ("profile", "Profile"),
    ("email", "Email"),
    ("address", "Address"),
    ("phone", "Phone"),
    ("chatter_api", "Chatter"),
    ("custom_permissions", "CustomPermissions"),
    ("wave_api", "Wave"),
    ("cdp_api", "CDP"),
    ("lightning", "Lightning"),
    ("content", "Content"),
    ("visualforce", "Web"),
    ("pardot_api", "Pardot"),
];

/// The metadata value of a scope given by its OAuth name, or by its metadata value itself.
pub fn metadata_scope(name: &str) -> Option<&'static str> {
    let trimmed = name.trim();
    if let Some((_, value)) = SCOPES.iter().find(|(oauth, _)| *oauth == trimmed) {
        return Some(value);
    }
    schema()
        .enumeration("ConnectedAppOauthAccessScope")?
        .iter()
        .find(|v| v.as_str() == trimmed)
        .map(String::as_str)
}

/// The OAuth name admins know for a metadata scope value.
pub fn oauth_name(metadata: &str) -> &str {
    SCOPES.iter().find(|(_, value)| *value == metadata).map_or(metadata, |(oauth, _)| oauth)
}
