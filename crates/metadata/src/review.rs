//! What an admin reviews: every setting of the setup guide with its Setup label, metadata
//! element and value, plus the warnings an expert would give.
//!
//! The rows are read from the validated typed model, so they show what the XML really says,
//! admin template edits included. `insights diff` compares the same rows desired vs deployed.

use serde::Serialize;

use crate::config::{AppKind, Settings, oauth_name};
use crate::generate::Generated;
use crate::model::external_client_app as eca;
use crate::model::{ConnectedApp, PermissionSet, rules};

/// One setting of the setup guide.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Row {
    /// The Setup label an admin knows.
    pub setting: &'static str,
    /// The metadata element behind it.
    pub element: &'static str,
    /// The value, in the admin's words with the metadata value where they differ.
    pub value: String,
}

/// A warning an expert would give about these settings.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Warning {
    /// A short key, stable for machines (`refresh-token-idle-limit`).
    pub code: &'static str,
    /// The warning in plain words.
    pub message: String,
}

/// The whole review.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Review {
    /// One row per setting.
    pub rows: Vec<Row>,
    /// Warnings, possibly none.
    pub warnings: Vec<Warning>,
}

/// The review of generated metadata for `settings`.
pub fn review(settings: &Settings, generated: &Generated) -> Review {
    let mut rows = guide_rows_for(
        generated.app_kind,
        &generated.connected_app,
        generated.permission_set.as_ref(),
        generated.permission_set_name(),
    );
    rows.push(Row {
        setting: "Users assigned the permission set",
        element: "PermissionSetAssignment",
        value: if settings.assign_to.is_empty() { "(none)".into() } else { settings.assign_to.join(", ") },
    });
    Review { rows, warnings: warnings(settings, &generated.connected_app) }
}

/// The ECA element behind each row of [`guide_rows`], in the same order.
const ECA_ELEMENTS: [&str; 14] = [
    "ExternalClientApplication/label",
    "ExternalClientApplication (fullName)",
    "ExternalClientApplication/contactEmail",
    "ExtlClntAppGlobalOauthSettings/callbackUrl",
    "ExtlClntAppOauthSettings/commaSeparatedOauthScopes",
    "ExtlClntAppGlobalOauthSettings/isPkceRequired",
    "ExtlClntAppGlobalOauthSettings/isConsumerSecretOptional (inverted)",
    "ExtlClntAppGlobalOauthSettings/isSecretRequiredForRefreshToken",
    "ExtlClntAppOauthConfigurablePolicies/permittedUsersPolicyType",
    "ExtlClntAppOauthConfigurablePolicies/ipRelaxationPolicyType",
    "ExtlClntAppOauthConfigurablePolicies/refreshTokenPolicyType",
    "ExtlClntAppOauthConfigurablePolicies/sessionTimeoutInMinutes",
    "ExtlClntAppOauthConfigurablePolicies/commaSeparatedPermissionSet",
    "PermissionSet/classAccesses",
];

/// [`guide_rows`] for either kind: for an External Client App, the same settings with the ECA
/// element names and the ECA values where they are spelled differently.
pub fn guide_rows_for(
    kind: AppKind,
    app: &ConnectedApp,
    permission_set: Option<&PermissionSet>,
    permission_set_name: &str,
) -> Vec<Row> {
    let mut rows = guide_rows(app, permission_set, permission_set_name);
    if kind == AppKind::ConnectedApp {
        return rows;
    }
    for (row, element) in rows.iter_mut().zip(ECA_ELEMENTS) {
        row.element = element;
    }
    if let Some(first) = rows.first_mut() {
        first.setting = "External Client App Name";
    }
    if let Some(policy) = &app.oauth_policy {
        if let (Some(row), Some(value)) = (rows.get_mut(9), eca::eca_ip_relaxation(&policy.ip_relaxation)) {
            row.value = row.value.replace(&format!("({})", policy.ip_relaxation), &format!("({value})"));
        }
        if let (Some(row), Some(value)) =
            (rows.get_mut(10), eca::eca_refresh_policy(&policy.refresh_token_policy))
        {
            let eca_value = match value.validity {
                Some((period, unit)) => format!("{} {period} {unit}", value.policy_type),
                None => value.policy_type.to_string(),
            };
            row.value =
                row.value.replace(&format!("({})", policy.refresh_token_policy), &format!("({eca_value})"));
        }
    }
    if let Some(row) = rows.get_mut(12) {
        row.setting = "Pre-authorized permission sets";
    }
    rows
}

/// The guide's settings as rows, read from a ConnectedApp and its permission set.
pub fn guide_rows(
    app: &ConnectedApp,
    permission_set: Option<&PermissionSet>,
    permission_set_name: &str,
) -> Vec<Row> {
    let config = app.oauth_config.as_ref();
    let policy = app.oauth_policy.as_ref();
    let yes_no = |value: Option<bool>| match value {
        Some(true) => "checked".to_string(),
        Some(false) => "unchecked".to_string(),
        None => "(OAuth not enabled)".to_string(),
    };
    let scopes = config.map_or_else(String::new, |c| {
        c.scopes.iter().map(|s| format!("{} ({s})", oauth_name(s))).collect::<Vec<_>>().join(", ")
    });
    let ip = policy.map_or_else(String::new, |p| {
        let label = rules::IP_RELAXATION.iter().find(|(v, _)| *v == p.ip_relaxation).map_or("?", |(_, l)| l);
        format!("{label} ({})", p.ip_relaxation)
    });
    let refresh = policy.map_or_else(String::new, |p| {
        let words = match p.refresh_token_policy.as_str() {
            "infinite" => "Refresh token is valid until revoked".to_string(),
            "zero" => "Expire refresh token immediately".to_string(),
            other => other.replace(':', " "),
        };
        format!("{words} ({})", p.refresh_token_policy)
    });
    let timeout = app
        .session_policy
        .as_ref()
        .and_then(|p| p.session_timeout)
        .map_or_else(|| "(profile default)".to_string(), |t| format!("{t} minutes"));
    let permitted = config.map_or_else(String::new, |c| {
        if c.is_admin_approved {
            "Admin approved users are pre-authorized".into()
        } else {
            "All users may self-authorize".into()
        }
    });
    let classes = permission_set.map_or_else(
        || format!("(existing permission set {permission_set_name}, not generated)"),
        |ps| ps.enabled_classes().collect::<Vec<_>>().join(", "),
    );
    vec![
        row("Connected App Name", "ConnectedApp/label", app.label.clone()),
        row("API Name", "ConnectedApp (fullName)", app.full_name.clone()),
        row("Contact Email", "ConnectedApp/contactEmail", app.contact_email.clone()),
        row(
            "Callback URL",
            "oauthConfig/callbackUrl",
            config.map_or_else(String::new, |c| c.callback_urls.join("\n")),
        ),
        row("Selected OAuth Scopes", "oauthConfig/scopes", scopes),
        row(
            "Require Proof Key for Code Exchange (PKCE)",
            "oauthConfig/isPkceRequired",
            yes_no(config.map(|c| c.is_pkce_required)),
        ),
        row(
            "Require Secret for Web Server Flow",
            "oauthConfig/isConsumerSecretOptional (inverted)",
            yes_no(config.map(|c| !c.is_consumer_secret_optional)),
        ),
        row(
            "Require Secret for Refresh Token Flow",
            "oauthConfig/isSecretRequiredForRefreshToken",
            yes_no(config.map(|c| c.is_secret_required_for_refresh_token)),
        ),
        row("Permitted Users", "oauthConfig/isAdminApproved", permitted),
        row("IP Relaxation", "oauthPolicy/ipRelaxation", ip),
        row("Refresh Token Policy", "oauthPolicy/refreshTokenPolicy", refresh),
        row("Timeout Value", "sessionPolicy/sessionTimeout", timeout),
        row(
            "Assigned Connected Apps (permission set)",
            "ConnectedApp/permissionSetName",
            app.permission_set_names.join(", "),
        ),
        row("Apex Class Access", "PermissionSet/classAccesses", classes),
    ]
}

fn row(setting: &'static str, element: &'static str, value: String) -> Row {
    Row { setting, element, value }
}

fn warnings(settings: &Settings, app: &ConnectedApp) -> Vec<Warning> {
    let mut warnings = Vec::new();
    match settings.app_kind {
        AppKind::ConnectedApp => warnings.push(Warning {
            code: "connected-app-creation",
            message: format!(
                "Orgs on Spring '26 (API 66.0) or later refuse to create new Connected Apps unless \
                 Salesforce Support enabled it; existing apps keep working. If the deploy is refused, \
                 open a Support case or set {} in insights.toml.",
                crate::config::SWITCH_TO_ECA_LINE
            ),
        }),
        AppKind::ExternalClientApp => warnings.push(Warning {
            code: "eca-permission-set-names",
            message: "commaSeparatedPermissionSet holds the permission set's API name, as public \
                      examples do (Salesforce's reference speaks of IDs); the read-back after deploy \
                      checks that the org linked it."
                .into(),
        }),
    }
    if settings.app.refresh_token_policy == "infinite" {
        warnings.push(Warning {
            code: "refresh-token-idle-limit",
            message: "\"Refresh token is valid until revoked\" is overridden when the org enforces the \
                      30-day idle limit on refresh tokens: tokens unused for 30 days then expire anyway, \
                      and the metadata still says infinite."
                .into(),
        });
    }
    for callback in &settings.app.callback_urls {
        let insecure =
            url::Url::parse(callback).is_ok_and(|u| u.scheme() == "http" && !rules::is_loopback_url(&u));
        if insecure {
            warnings.push(Warning {
                code: "plain-http-callback",
                message: format!(
                    "Callback URL {callback} is plain http on a host that is not loopback: \
                                  authorization codes would travel unencrypted."
                ),
            });
        }
    }
    // Read from the generated model, not the config: an admin's template edit counts too.
    let config = app.oauth_config.as_ref();
    let policy = app.oauth_policy.as_ref();
    let scopes = config.map(|c| c.scopes.clone()).unwrap_or_default();
    let deviations = [
        (config.is_none(), "OAuth is not enabled"),
        (!config.is_some_and(|c| c.is_pkce_required), "PKCE is not required"),
        (
            config.is_some_and(|c| c.is_consumer_secret_optional),
            "the web server flow does not require the secret",
        ),
        (
            config.is_some_and(|c| !c.is_secret_required_for_refresh_token),
            "the refresh token flow does not require the secret",
        ),
        (
            config.is_some_and(|c| !c.is_admin_approved),
            "all users may self-authorize (the guide pre-authorizes admin-approved users only)",
        ),
        (
            !(scopes.iter().any(|s| s == "Api") && scopes.iter().any(|s| s == "RefreshToken")),
            "the scopes are not api and refresh_token, offline_access",
        ),
        (policy.is_some_and(|p| p.ip_relaxation != "BYPASS"), "IP restrictions are not relaxed"),
        (
            policy.is_some_and(|p| p.refresh_token_policy != "infinite"),
            "the refresh token is not valid until revoked",
        ),
        (
            app.session_policy.as_ref().and_then(|p| p.session_timeout) != Some(30),
            "the session timeout is not 30 minutes",
        ),
    ];
    for (deviates, what) in deviations {
        if deviates {
            warnings.push(Warning {
                code: "differs-from-guide",
                message: format!("Differs from the setup guide: {what}."),
            });
        }
    }
    if settings.assign_to.is_empty() {
        warnings.push(Warning {
            code: "no-users",
            message: "No user is listed in assign_to: nobody will be able to call the Insights+ API.".into(),
        });
    }
    if settings.permission_set.existing {
        warnings.push(Warning {
            code: "existing-permission-set",
            message: format!(
                "The existing permission set {} is linked to the app but not generated: it must already grant \
                 access to {}.",
                settings.permission_set.api_name,
                settings.permission_set.apex_classes.join(", ")
            ),
        });
    }
    if app.oauth_config.as_ref().is_some_and(|c| !c.is_admin_approved) && !app.permission_set_names.is_empty()
    {
        warnings.push(Warning {
            code: "permission-set-ignored",
            message: "permissionSetName only pre-authorizes users when Permitted Users is admin approved."
                .into(),
        });
    }
    warnings
}
