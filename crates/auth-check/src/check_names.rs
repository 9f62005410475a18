//! Names of the checks, as they appear in reports (and as tests look them up).

/// The main login.
pub const AUTHORIZE: &str = "authorize (PKCE S256, state)";
/// Code exchange with the secret and the verifier.
pub const EXCHANGE: &str = "token exchange (secret + verifier)";
/// The Insights+ call with the first access token.
pub const CALL: &str = "Insights+ call";
/// Refresh with the secret.
pub const REFRESH: &str = "refresh (secret)";
/// The Insights+ call with the refreshed token.
pub const CALL_AFTER_REFRESH: &str = "Insights+ call after refresh";
/// Introspection of the access token.
pub const INTROSPECT: &str = "introspect access token";
/// Probe: exchange without `code_verifier`.
pub const PROBE_NO_VERIFIER: &str = "probe: token exchange without code_verifier";
/// Probe: exchange without `client_secret`.
pub const PROBE_NO_SECRET: &str = "probe: token exchange without client_secret";
/// Probe: refresh without `client_secret`.
pub const PROBE_REFRESH_NO_SECRET: &str = "probe: refresh without client_secret";
/// Probe: a user without the permission set.
pub const PROBE_DENIED_USER: &str = "probe: login by a user without the permission set";
/// Probe: the Insights+ call without a token.
pub const PROBE_NO_TOKEN: &str = "probe: Insights+ call without a token";
/// Revoking the refresh token.
pub const REVOKE: &str = "revoke refresh token";
/// Probe: the revoked refresh token.
pub const PROBE_REVOKED: &str = "probe: refresh with the revoked token";
