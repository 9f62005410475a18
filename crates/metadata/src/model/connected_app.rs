//! The ConnectedApp metadata type, as far as the Insights+ setup uses it.

use std::fmt;

use serde::Serialize;

use super::{bool_of, parse_validated, rules, text_of};
use crate::problem::Problems;
use crate::xml::Element;

/// A consumer secret: never printed, never serialized.
#[derive(Clone, PartialEq, Eq)]
pub struct ConsumerSecret(String);

impl ConsumerSecret {
    /// Wraps a secret.
    pub fn new(secret: impl Into<String>) -> Self {
        Self(secret.into())
    }

    /// The secret itself; every use is visible in the code.
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for ConsumerSecret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("ConsumerSecret([redacted])")
    }
}

/// A Connected App: `connectedApps/NAME.connectedApp`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ConnectedApp {
    /// The API name (file base name).
    pub full_name: String,
    /// Contact Email.
    pub contact_email: String,
    /// Description.
    pub description: Option<String>,
    /// Connected App Name.
    pub label: String,
    /// API (Enable OAuth Settings).
    pub oauth_config: Option<OauthConfig>,
    /// OAuth policies.
    pub oauth_policy: Option<OauthPolicy>,
    /// Permission sets whose users are pre-authorized.
    pub permission_set_names: Vec<String>,
    /// Profiles whose users are pre-authorized.
    pub profile_names: Vec<String>,
    /// Session policies.
    pub session_policy: Option<SessionPolicy>,
}

/// `oauthConfig`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct OauthConfig {
    /// Callback URLs (one element, one URL per line).
    pub callback_urls: Vec<String>,
    /// The consumer key, when the file carries one (retrieved files do).
    pub consumer_key: Option<String>,
    /// The consumer secret, when the file carries one (only a create deploy does).
    #[serde(skip)]
    pub consumer_secret: Option<ConsumerSecret>,
    /// Permitted Users = Admin approved users are pre-authorized.
    pub is_admin_approved: bool,
    /// The inverse of "Require Secret for Web Server Flow".
    pub is_consumer_secret_optional: bool,
    /// Require Proof Key for Code Exchange (PKCE).
    pub is_pkce_required: bool,
    /// Require Secret for Refresh Token Flow (defaults to true when absent).
    pub is_secret_required_for_refresh_token: bool,
    /// Selected OAuth scopes, metadata names (`Api`, `RefreshToken`).
    pub scopes: Vec<String>,
}

/// `oauthPolicy`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct OauthPolicy {
    /// `ENFORCE`, `BYPASS`, `BYPASS_2FACTOR` or `ENFORCE_RELAXREFRESH`.
    pub ip_relaxation: String,
    /// `infinite`, `zero`, `specific_lifetime:N:UNIT` or `specific_inactivity:N:UNIT`.
    pub refresh_token_policy: String,
}

/// `sessionPolicy`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct SessionPolicy {
    /// Timeout Value, in minutes.
    pub session_timeout: Option<u32>,
}

impl ConnectedApp {
    /// Parses and validates `connectedApps/<full_name>.connectedApp`.
    pub fn from_xml(full_name: &str, document: &str, file: &str) -> Result<Self, Problems> {
        let root = parse_validated(document, "ConnectedApp", file)?;
        let app = Self::from_element(full_name, &root);
        rules::check_connected_app(&app, &root, file).into_result()?;
        Ok(app)
    }

    /// Reads the typed view from a schema-valid element.
    pub fn from_element(full_name: &str, root: &Element) -> Self {
        let oauth_config = root.child("oauthConfig").map(|c| OauthConfig {
            callback_urls: c
                .child_text("callbackUrl")
                .unwrap_or_default()
                .lines()
                .map(str::trim)
                .filter(|l| !l.is_empty())
                .map(String::from)
                .collect(),
            consumer_key: text_of(c, "consumerKey"),
            consumer_secret: text_of(c, "consumerSecret").map(ConsumerSecret),
            is_admin_approved: bool_of(c, "isAdminApproved").unwrap_or(false),
            is_consumer_secret_optional: bool_of(c, "isConsumerSecretOptional").unwrap_or(false),
            is_pkce_required: bool_of(c, "isPkceRequired").unwrap_or(false),
            is_secret_required_for_refresh_token: bool_of(c, "isSecretRequiredForRefreshToken")
                .unwrap_or(true),
            scopes: c.children_named("scopes").map(|s| s.text.trim().to_string()).collect(),
        });
        let oauth_policy = root.child("oauthPolicy").map(|p| OauthPolicy {
            ip_relaxation: text_of(p, "ipRelaxation").unwrap_or_default(),
            refresh_token_policy: text_of(p, "refreshTokenPolicy").unwrap_or_default(),
        });
        let session_policy = root.child("sessionPolicy").map(|p| SessionPolicy {
            session_timeout: text_of(p, "sessionTimeout").and_then(|t| t.parse().ok()),
        });
        Self {
            full_name: full_name.to_string(),
            contact_email: text_of(root, "contactEmail").unwrap_or_default(),
            description: text_of(root, "description"),
            label: text_of(root, "label").unwrap_or_default(),
            oauth_config,
            oauth_policy,
            permission_set_names: root
                .children_named("permissionSetName")
                .map(|e| e.text.trim().to_string())
                .collect(),
            profile_names: root.children_named("profileName").map(|e| e.text.trim().to_string()).collect(),
            session_policy,
        }
    }
}
