//! The OAuth policies of a deployed ConnectedApp, read from its stored metadata XML.
//!
//! Reads only what OAuth enforces; the XML was validated when it was deployed. Defaults follow
//! the Metadata API reference: secret required for the web server flow and for refresh,
//! PKCE optional, not admin approved, `ENFORCE`, `infinite`.

use insights_metadata::model::ConnectedApp;
use quick_xml::Reader;
use quick_xml::events::Event;

/// `oauthPolicy.ipRelaxation`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum IpRelaxation {
    /// Profile login IP ranges apply.
    Enforce,
    /// Relaxed only with a second factor; the emulator has none, so it enforces.
    Bypass2Factor,
    /// Profile login IP ranges do not apply.
    Bypass,
    /// Enforced, except when refresh tokens are exchanged.
    EnforceRelaxRefresh,
}

/// `oauthPolicy.refreshTokenPolicy`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum RefreshTokenPolicy {
    /// Valid until revoked.
    Infinite,
    /// Invalid immediately.
    Zero,
    /// Valid for this many seconds after issue.
    SpecificLifetime(i64),
    /// Valid while used at least once every this many seconds.
    SpecificInactivity(i64),
}

/// Everything OAuth enforces for an app.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AppPolicy {
    /// `oauthConfig.callbackUrl`, one URL per line.
    pub callback_urls: Vec<String>,
    /// `oauthConfig.isAdminApproved`.
    pub is_admin_approved: bool,
    /// `oauthConfig.isConsumerSecretOptional` (false: the web server flow needs the secret).
    pub is_consumer_secret_optional: bool,
    /// `oauthConfig.isPkceRequired`.
    pub is_pkce_required: bool,
    /// `oauthConfig.isSecretRequiredForRefreshToken` (default true).
    pub is_secret_required_for_refresh_token: bool,
    /// `oauthConfig.isRefreshTokenRotationEnabled`.
    pub is_refresh_token_rotation_enabled: bool,
    /// `oauthConfig.isIntrospectAllTokens`.
    pub is_introspect_all_tokens: bool,
    /// `oauthConfig.scopes` (metadata names: `Api`, `RefreshToken`, …).
    pub scopes: Vec<String>,
    /// `oauthPolicy.ipRelaxation`.
    pub ip_relaxation: IpRelaxation,
    /// `oauthPolicy.refreshTokenPolicy`.
    pub refresh_token_policy: RefreshTokenPolicy,
    /// `sessionPolicy.sessionTimeout` in minutes.
    pub session_timeout_minutes: Option<i64>,
    /// `profileName`: profiles whose users are admitted when admin approved.
    pub profile_names: Vec<String>,
    /// `permissionSetName`.
    pub permission_set_names: Vec<String>,
}

/// Access token lifetime when the app sets no session timeout (the org default, 2 hours).
pub const DEFAULT_SESSION_TIMEOUT_MINUTES: i64 = 120;

impl AppPolicy {
    /// Access token lifetime in seconds.
    pub fn session_lifetime_seconds(&self) -> i64 {
        self.session_timeout_minutes.unwrap_or(DEFAULT_SESSION_TIMEOUT_MINUTES).saturating_mul(60)
    }

    /// Whether the app has this metadata scope (`Full` covers everything but `RefreshToken`).
    pub fn has_scope(&self, metadata_scope: &str) -> bool {
        self.scopes.iter().any(|scope| {
            scope.eq_ignore_ascii_case(metadata_scope)
                || (scope.eq_ignore_ascii_case("Full") && metadata_scope != "RefreshToken")
        })
    }
}

/// Reads the policies from a ConnectedApp's XML through the metadata crate's typed view
/// (`insights_metadata::model::ConnectedApp`). Unknown or malformed values fall back to the
/// strictest reading (an unknown ipRelaxation enforces, an unknown refresh policy is `zero`).
pub fn app_policy(xml: &str) -> AppPolicy {
    let root = match insights_metadata::xml::parse(xml) {
        Ok(root) => root,
        Err(error) => {
            tracing::warn!(%error, "stored ConnectedApp XML does not parse; reading it leniently");
            return lenient_policy(xml);
        }
    };
    let app = ConnectedApp::from_element("", &root);
    let config = root.child("oauthConfig");
    let extra = |name: &str| {
        config.and_then(|config| config.child_text(name)).is_some_and(|value| value.trim() == "true")
    };
    let oauth = app.oauth_config;
    let policy = app.oauth_policy;
    AppPolicy {
        callback_urls: oauth.as_ref().map(|c| c.callback_urls.clone()).unwrap_or_default(),
        is_admin_approved: oauth.as_ref().is_some_and(|c| c.is_admin_approved),
        is_consumer_secret_optional: oauth.as_ref().is_some_and(|c| c.is_consumer_secret_optional),
        is_pkce_required: oauth.as_ref().is_some_and(|c| c.is_pkce_required),
        is_secret_required_for_refresh_token: oauth
            .as_ref()
            .is_none_or(|c| c.is_secret_required_for_refresh_token),
        is_refresh_token_rotation_enabled: extra("isRefreshTokenRotationEnabled"),
        is_introspect_all_tokens: extra("isIntrospectAllTokens"),
        scopes: oauth.map(|c| c.scopes).unwrap_or_default(),
        ip_relaxation: ip_relaxation(policy.as_ref().map_or("", |p| p.ip_relaxation.trim())),
        refresh_token_policy: policy
            .as_ref()
            .map_or(RefreshTokenPolicy::Infinite, |p| refresh_token_policy(p.refresh_token_policy.trim())),
        session_timeout_minutes: app.session_policy.and_then(|p| p.session_timeout).map(i64::from),
        profile_names: app.profile_names.into_iter().filter(|name| !name.is_empty()).collect(),
        permission_set_names: app.permission_set_names.into_iter().filter(|name| !name.is_empty()).collect(),
    }
}

/// The same reading without the metadata crate's parser, for XML it refuses.
fn lenient_policy(xml: &str) -> AppPolicy {
    let mut policy = AppPolicy {
        callback_urls: Vec::new(),
        is_admin_approved: false,
        is_consumer_secret_optional: false,
        is_pkce_required: false,
        is_secret_required_for_refresh_token: true,
        is_refresh_token_rotation_enabled: false,
        is_introspect_all_tokens: false,
        scopes: Vec::new(),
        ip_relaxation: IpRelaxation::Enforce,
        refresh_token_policy: RefreshTokenPolicy::Infinite,
        session_timeout_minutes: None,
        profile_names: Vec::new(),
        permission_set_names: Vec::new(),
    };
    for (path, value) in leaf_values(xml) {
        let value = value.trim();
        match path.as_str() {
            "oauthConfig/callbackUrl" => policy
                .callback_urls
                .extend(value.lines().map(str::trim).filter(|url| !url.is_empty()).map(str::to_string)),
            "oauthConfig/isAdminApproved" => policy.is_admin_approved = value == "true",
            "oauthConfig/isConsumerSecretOptional" => {
                policy.is_consumer_secret_optional = value == "true";
            }
            "oauthConfig/isPkceRequired" => policy.is_pkce_required = value == "true",
            "oauthConfig/isSecretRequiredForRefreshToken" => {
                policy.is_secret_required_for_refresh_token = value != "false";
            }
            "oauthConfig/isRefreshTokenRotationEnabled" => {
                policy.is_refresh_token_rotation_enabled = value == "true";
            }
            "oauthConfig/isIntrospectAllTokens" => policy.is_introspect_all_tokens = value == "true",
            "oauthConfig/scopes" => policy.scopes.push(value.to_string()),
            "oauthPolicy/ipRelaxation" => policy.ip_relaxation = ip_relaxation(value),
            "oauthPolicy/refreshTokenPolicy" => {
                policy.refresh_token_policy = refresh_token_policy(value);
            }
            "sessionPolicy/sessionTimeout" => policy.session_timeout_minutes = value.parse().ok(),
            "profileName" if !value.is_empty() => policy.profile_names.push(value.to_string()),
            "permissionSetName" if !value.is_empty() => {
                policy.permission_set_names.push(value.to_string());
            }
            _ => {}
        }
    }
    policy
}

fn ip_relaxation(value: &str) -> IpRelaxation {
    match value {
        "BYPASS" => IpRelaxation::Bypass,
        "BYPASS_2FACTOR" => IpRelaxation::Bypass2Factor,
        "ENFORCE_RELAXREFRESH" => IpRelaxation::EnforceRelaxRefresh,
        _ => IpRelaxation::Enforce,
    }
}

/// Parses `infinite`, `zero`, `specific_lifetime:N:UNIT`, `specific_inactivity:N:UNIT`.
pub fn refresh_token_policy(value: &str) -> RefreshTokenPolicy {
    let mut parts = value.split(':');
    let kind = parts.next().unwrap_or_default();
    let amount: Option<i64> = parts.next().and_then(|amount| amount.parse().ok());
    let unit_seconds = match parts.next() {
        Some("HOURS") => Some(3600),
        Some("DAYS") => Some(86_400),
        // Salesforce counts a month as 30 days for these policies.
        Some("MONTHS") => Some(30 * 86_400),
        _ => None,
    };
    let seconds = amount.zip(unit_seconds).map(|(amount, unit)| amount.saturating_mul(unit));
    match (kind, seconds) {
        ("infinite", _) => RefreshTokenPolicy::Infinite,
        ("specific_lifetime", Some(seconds)) => RefreshTokenPolicy::SpecificLifetime(seconds),
        ("specific_inactivity", Some(seconds)) => RefreshTokenPolicy::SpecificInactivity(seconds),
        _ => RefreshTokenPolicy::Zero,
    }
}

/// Every leaf element's text with its path below the root (`oauthConfig/scopes`), in order.
fn leaf_values(xml: &str) -> Vec<(String, String)> {
    let mut reader = Reader::from_str(xml);
    let mut stack: Vec<String> = Vec::new();
    let mut text = String::new();
    let mut values = Vec::new();
    loop {
        match reader.read_event() {
            Ok(Event::Start(start)) => {
                stack.push(start.local_name().as_ref().to_string());
                text.clear();
            }
            Ok(Event::Text(chunk)) => text.push_str(&chunk.xml10_content()),
            Ok(Event::CData(chunk)) => text.push_str(&chunk),
            Ok(Event::GeneralRef(reference)) => {
                if let Ok(Some(character)) = reference.resolve_char_ref() {
                    text.push(character);
                } else {
                    text.push_str(match &*reference {
                        "amp" => "&",
                        "lt" => "<",
                        "gt" => ">",
                        "quot" => "\"",
                        "apos" => "'",
                        _ => "",
                    });
                }
            }
            Ok(Event::End(_)) => {
                if stack.len() > 1 {
                    values.push((stack[1..].join("/"), std::mem::take(&mut text)));
                }
                stack.pop();
                text.clear();
            }
            Ok(Event::Eof) | Err(_) => break,
            Ok(_) => {}
        }
    }
    values
}

#[cfg(test)]
mod tests {
    use super::*;

    const APP: &str = r#"<?xml version="1.0" encoding="UTF-8"?>
<ConnectedApp xmlns="http://soap.sforce.com/2006/04/metadata">
    <contactEmail>owner@example.com</contactEmail>
    <label>Insights Plus</label>
    <oauthConfig>
        <callbackUrl>https://localhost:8443/oauth/callback
http://localhost:1717/OauthRedirect?a=1&amp;b=2</callbackUrl>
        <isAdminApproved>true</isAdminApproved>
        <isConsumerSecretOptional>false</isConsumerSecretOptional>
        <isPkceRequired>true</isPkceRequired>
        <isSecretRequiredForRefreshToken>false</isSecretRequiredForRefreshToken>
        <scopes>Api</scopes>
        <scopes>RefreshToken</scopes>
    </oauthConfig>
    <oauthPolicy>
        <ipRelaxation>BYPASS</ipRelaxation>
        <refreshTokenPolicy>specific_inactivity:7:DAYS</refreshTokenPolicy>
    </oauthPolicy>
    <permissionSetName>Insights_Plus_API</permissionSetName>
    <sessionPolicy>
        <sessionTimeout>30</sessionTimeout>
    </sessionPolicy>
</ConnectedApp>"#;

    #[test]
    fn reads_every_enforced_field() {
        let policy = app_policy(APP);
        assert_eq!(
            policy.callback_urls,
            vec![
                "https://localhost:8443/oauth/callback".to_string(),
                "http://localhost:1717/OauthRedirect?a=1&b=2".to_string()
            ]
        );
        assert!(policy.is_admin_approved);
        assert!(!policy.is_consumer_secret_optional);
        assert!(policy.is_pkce_required);
        assert!(!policy.is_secret_required_for_refresh_token);
        assert_eq!(policy.scopes, vec!["Api", "RefreshToken"]);
        assert_eq!(policy.ip_relaxation, IpRelaxation::Bypass);
        assert_eq!(policy.refresh_token_policy, RefreshTokenPolicy::SpecificInactivity(7 * 86_400));
        assert_eq!(policy.session_lifetime_seconds(), 30 * 60);
        assert_eq!(policy.permission_set_names, vec!["Insights_Plus_API"]);
    }

    #[test]
    fn defaults_when_elements_are_absent() {
        let policy = app_policy("<ConnectedApp><label>x</label></ConnectedApp>");
        assert!(policy.is_secret_required_for_refresh_token);
        assert!(!policy.is_admin_approved);
        assert_eq!(policy.ip_relaxation, IpRelaxation::Enforce);
        assert_eq!(policy.refresh_token_policy, RefreshTokenPolicy::Infinite);
        assert_eq!(policy.session_lifetime_seconds(), 120 * 60);
    }

    #[test]
    fn lenient_reading_agrees_with_the_typed_view() {
        assert_eq!(lenient_policy(APP), app_policy(APP));
        let broken = "<ConnectedApp><oauthConfig><isPkceRequired>true</isPkceRequired></oauthConfig>";
        assert!(app_policy(broken).is_pkce_required);
    }

    #[test]
    fn refresh_token_policies_parse() {
        assert_eq!(refresh_token_policy("zero"), RefreshTokenPolicy::Zero);
        assert_eq!(
            refresh_token_policy("specific_lifetime:1:HOURS"),
            RefreshTokenPolicy::SpecificLifetime(3600)
        );
        assert_eq!(
            refresh_token_policy("specific_lifetime:2:MONTHS"),
            RefreshTokenPolicy::SpecificLifetime(60 * 86_400)
        );
        assert_eq!(refresh_token_policy("specific_lifetime:x:DAYS"), RefreshTokenPolicy::Zero);
    }
}
