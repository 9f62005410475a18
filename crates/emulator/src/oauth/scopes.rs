//! OAuth scope names (`api`, `refresh_token`, …) and the ConnectedApp metadata scopes they
//! need (`Api`, `RefreshToken`, …).

use super::error::OAuthError;
use super::policy::AppPolicy;

/// (OAuth scope, metadata scope). The first OAuth name of a metadata scope is the one granted
/// when the request omits `scope`.
const SCOPES: &[(&str, &str)] = &[
    ("api", "Api"),
    ("refresh_token", "RefreshToken"),
    ("offline_access", "RefreshToken"),
    ("web", "Web"),
    ("full", "Full"),
    ("id", "Basic"),
    ("profile", "Basic"),
    ("email", "Basic"),
    ("address", "Basic"),
    ("phone", "Basic"),
    ("openid", "OpenID"),
    ("chatter_api", "Chatter"),
    ("custom_permissions", "CustomPermissions"),
    ("visualforce", "CustomApplications"),
    ("wave_api", "Wave"),
    ("eclair_api", "Eclair"),
    ("pardot_api", "Pardot"),
    ("lightning", "Lightning"),
    ("content", "Content"),
    ("cdp_api", "CDP"),
    ("sfap_api", "SFAP"),
    ("einstein_gpt_api", "EinsteinGPT"),
    ("mcp_api", "MCP"),
];

fn metadata_scope(oauth_scope: &str) -> Option<&'static str> {
    SCOPES.iter().find(|(oauth, _)| *oauth == oauth_scope).map(|(_, metadata)| *metadata)
}

/// The OAuth scopes to grant for an authorize request: the requested ones when each is allowed
/// by the app, or all of the app's scopes when `scope` is absent.
pub fn grant(requested: Option<&str>, policy: &AppPolicy) -> Result<Vec<String>, OAuthError> {
    let requested: Vec<&str> = requested.unwrap_or_default().split_whitespace().collect();
    if requested.is_empty() {
        let mut granted: Vec<String> = Vec::new();
        for metadata in &policy.scopes {
            let oauth = SCOPES
                .iter()
                .find(|(_, candidate)| candidate.eq_ignore_ascii_case(metadata))
                .map(|(oauth, _)| (*oauth).to_string());
            if let Some(oauth) = oauth
                && !granted.contains(&oauth)
            {
                granted.push(oauth);
            }
        }
        return Ok(granted);
    }
    let mut granted = Vec::new();
    for scope in requested {
        let metadata = metadata_scope(scope).ok_or(OAuthError::INVALID_SCOPE)?;
        if !policy.has_scope(metadata) {
            return Err(OAuthError::INVALID_SCOPE);
        }
        if !granted.iter().any(|existing| existing == scope) {
            granted.push(scope.to_string());
        }
    }
    Ok(granted)
}

/// Whether the granted scopes let the client have a refresh token.
pub fn allows_refresh_token(granted: &[String]) -> bool {
    granted.iter().any(|scope| scope == "refresh_token" || scope == "offline_access")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::oauth::policy::app_policy;

    fn policy(scopes: &[&str]) -> AppPolicy {
        let xml: String = scopes.iter().map(|scope| format!("<scopes>{scope}</scopes>")).collect();
        app_policy(&format!("<ConnectedApp><oauthConfig>{xml}</oauthConfig></ConnectedApp>"))
    }

    #[test]
    fn absent_scope_grants_all_of_the_apps() {
        let granted = grant(None, &policy(&["Api", "RefreshToken"])).unwrap();
        assert_eq!(granted, vec!["api", "refresh_token"]);
    }

    #[test]
    fn a_scope_the_app_lacks_is_refused() {
        let app = policy(&["Api", "RefreshToken"]);
        assert_eq!(grant(Some("api web"), &app), Err(OAuthError::INVALID_SCOPE));
        assert_eq!(grant(Some("nonsense"), &app), Err(OAuthError::INVALID_SCOPE));
        assert_eq!(grant(Some("api refresh_token"), &app).unwrap(), vec!["api", "refresh_token"]);
    }

    #[test]
    fn full_covers_everything_but_refresh() {
        let app = policy(&["Full"]);
        assert!(grant(Some("api web"), &app).is_ok());
        assert_eq!(grant(Some("refresh_token"), &app), Err(OAuthError::INVALID_SCOPE));
    }
}
