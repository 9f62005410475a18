//! The External Client App (ECA) metadata set and its ConnectedApp-shaped view.
//!
//! An ECA is five components (docs/eca.md lists each with its Salesforce source): the
//! `ExternalClientApplication` header and, linked to it by `externalClientApplication`,
//! OAuth settings, global OAuth settings, plugin policies and OAuth policies. Every setting of
//! the setup guide has an ECA field; [`connected_app_view`] maps them back onto the
//! `ConnectedApp` shape so review, diff, the emulator's OAuth policies and the read-back check
//! handle both kinds with one code path.

use super::rules::{self, SESSION_TIMEOUTS};
use crate::problem::{Problem, Problems};
use crate::xml::{Element, METADATA_NS};

/// One ECA metadata type with its Metadata API folder and file suffix.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct EcaType {
    /// The metadata type name (`package.xml` `<name>`).
    pub type_name: &'static str,
    /// Folder in both formats.
    pub folder: &'static str,
    /// File suffix without the dot (source format adds `-meta.xml`).
    pub suffix: &'static str,
    /// What the generator appends to the app's API name for this component's full name.
    pub name_suffix: &'static str,
}

/// `ExternalClientApplication`: `externalClientApps/NAME.eca`.
pub const HEADER: EcaType = EcaType {
    type_name: "ExternalClientApplication",
    folder: "externalClientApps",
    suffix: "eca",
    name_suffix: "",
};
/// `ExtlClntAppOauthSettings`: `extlClntAppOauthSettings/NAME.ecaOauth`.
pub const OAUTH_SETTINGS: EcaType = EcaType {
    type_name: "ExtlClntAppOauthSettings",
    folder: "extlClntAppOauthSettings",
    suffix: "ecaOauth",
    name_suffix: "_oauth",
};
/// `ExtlClntAppGlobalOauthSettings`: `extlClntAppGlobalOauthSets/NAME.ecaGlblOauth`.
pub const GLOBAL_OAUTH_SETTINGS: EcaType = EcaType {
    type_name: "ExtlClntAppGlobalOauthSettings",
    folder: "extlClntAppGlobalOauthSets",
    suffix: "ecaGlblOauth",
    name_suffix: "_glbloauth",
};
/// `ExtlClntAppConfigurablePolicies`: `extlClntAppPolicies/NAME.ecaPlcy`.
pub const POLICIES: EcaType = EcaType {
    type_name: "ExtlClntAppConfigurablePolicies",
    folder: "extlClntAppPolicies",
    suffix: "ecaPlcy",
    name_suffix: "_plcy",
};
/// `ExtlClntAppOauthConfigurablePolicies`: `extlClntAppOauthPolicies/NAME.ecaOauthPlcy`.
pub const OAUTH_POLICIES: EcaType = EcaType {
    type_name: "ExtlClntAppOauthConfigurablePolicies",
    folder: "extlClntAppOauthPolicies",
    suffix: "ecaOauthPlcy",
    name_suffix: "_oauthPlcy",
};

/// All five, header first, then in the order the generator writes them.
pub const ECA_TYPES: [EcaType; 5] = [HEADER, OAUTH_SETTINGS, GLOBAL_OAUTH_SETTINGS, POLICIES, OAUTH_POLICIES];

impl EcaType {
    /// The type with this metadata type name.
    pub fn by_name(type_name: &str) -> Option<EcaType> {
        ECA_TYPES.into_iter().find(|t| t.type_name == type_name)
    }

    /// The full name the generator gives this component of app `app_api_name`.
    pub fn component_name(&self, app_api_name: &str) -> String {
        format!("{app_api_name}{}", self.name_suffix)
    }

    /// Metadata API path: `folder/NAME.suffix`.
    pub fn mdapi_path(&self, full_name: &str) -> String {
        format!("{}/{full_name}.{}", self.folder, self.suffix)
    }

    /// Source format path under a package directory: `folder/NAME.suffix-meta.xml`.
    pub fn source_path(&self, full_name: &str) -> String {
        format!("{}/{full_name}.{}-meta.xml", self.folder, self.suffix)
    }
}

/// `ipRelaxationPolicyType` values (ECA casing) and their ConnectedApp equivalents.
pub const ECA_IP_RELAXATION: &[(&str, &str)] = &[
    ("Enforce", "ENFORCE"),
    ("Bypass_2factor", "BYPASS_2FACTOR"),
    ("Bypass", "BYPASS"),
    ("Enforce_RelaxRefresh", "ENFORCE_RELAXREFRESH"),
];

/// `refreshTokenValidityUnit` values and the ConnectedApp policy units.
pub const ECA_REFRESH_UNITS: &[(&str, &str)] = &[("Hours", "HOURS"), ("Days", "DAYS"), ("Months", "MONTHS")];

/// The ECA `ipRelaxationPolicyType` for a ConnectedApp `ipRelaxation` value.
pub fn eca_ip_relaxation(connected_app_value: &str) -> Option<&'static str> {
    ECA_IP_RELAXATION.iter().find(|(_, c)| *c == connected_app_value).map(|(e, _)| *e)
}

/// An ECA refresh token policy: type, and period and unit for the specific policies.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EcaRefreshPolicy {
    /// `Infinite`, `Zero`, `SpecificLifetime` or `SpecificInactivity`.
    pub policy_type: &'static str,
    /// `refreshTokenValidityPeriod` and `refreshTokenValidityUnit`.
    pub validity: Option<(u32, &'static str)>,
}

/// The ECA form of a ConnectedApp `refreshTokenPolicy` (`specific_lifetime:1:DAYS` ⇒
/// `SpecificLifetime`, 1, `Days`).
pub fn eca_refresh_policy(connected_app_value: &str) -> Option<EcaRefreshPolicy> {
    match connected_app_value {
        "infinite" => return Some(EcaRefreshPolicy { policy_type: "Infinite", validity: None }),
        "zero" => return Some(EcaRefreshPolicy { policy_type: "Zero", validity: None }),
        _ => {}
    }
    let mut parts = connected_app_value.split(':');
    let policy_type = match parts.next()? {
        "specific_lifetime" => "SpecificLifetime",
        "specific_inactivity" => "SpecificInactivity",
        _ => return None,
    };
    let amount = parts.next()?.parse::<u32>().ok()?;
    let unit = parts.next()?;
    let eca_unit = ECA_REFRESH_UNITS.iter().find(|(_, c)| *c == unit).map(|(e, _)| *e)?;
    parts.next().is_none().then_some(EcaRefreshPolicy { policy_type, validity: Some((amount, eca_unit)) })
}

/// The five components of one ECA as parsed elements; any may be missing.
#[derive(Debug, Clone, Copy, Default)]
pub struct EcaParts<'a> {
    /// `ExternalClientApplication`.
    pub header: Option<&'a Element>,
    /// `ExtlClntAppOauthSettings`.
    pub oauth_settings: Option<&'a Element>,
    /// `ExtlClntAppGlobalOauthSettings`.
    pub global_oauth_settings: Option<&'a Element>,
    /// `ExtlClntAppConfigurablePolicies`.
    pub policies: Option<&'a Element>,
    /// `ExtlClntAppOauthConfigurablePolicies`.
    pub oauth_policies: Option<&'a Element>,
}

impl<'a> EcaParts<'a> {
    /// Puts `element` in the slot of its type.
    pub fn set(&mut self, eca_type: EcaType, element: &'a Element) {
        match eca_type.type_name {
            "ExternalClientApplication" => self.header = Some(element),
            "ExtlClntAppOauthSettings" => self.oauth_settings = Some(element),
            "ExtlClntAppGlobalOauthSettings" => self.global_oauth_settings = Some(element),
            "ExtlClntAppConfigurablePolicies" => self.policies = Some(element),
            _ => self.oauth_policies = Some(element),
        }
    }
}

fn empty(name: &str) -> Element {
    Element::with_children(name, Vec::new())
}

fn text<'e>(element: Option<&'e Element>, name: &str) -> Option<&'e str> {
    element.and_then(|e| e.child_text(name)).map(str::trim)
}

/// Splits a `commaSeparated…` value.
pub fn split_comma_list(value: &str) -> Vec<String> {
    value.split(',').map(str::trim).filter(|v| !v.is_empty()).map(String::from).collect()
}

/// The settings of an ECA in the ConnectedApp shape (element names and values of a
/// `ConnectedApp` file), so the guide's settings read the same for both kinds. The OAuth
/// parts appear only when the OAuth plugin is there (global settings present).
pub fn connected_app_view(parts: &EcaParts<'_>) -> Element {
    let mut root = empty("ConnectedApp");
    root.attributes.push(("xmlns".into(), METADATA_NS.into()));
    let push_text = |parent: &mut Element, name: &str, value: Option<&str>| {
        if let Some(value) = value {
            parent.children.push(Element::with_text(name, value));
        }
    };
    push_text(&mut root, "contactEmail", text(parts.header, "contactEmail"));
    push_text(&mut root, "description", text(parts.header, "description"));
    push_text(&mut root, "label", text(parts.header, "label"));
    if let Some(global) = parts.global_oauth_settings {
        let mut config = empty("oauthConfig");
        let get = |name: &str| text(Some(global), name);
        push_text(&mut config, "callbackUrl", global.child_text("callbackUrl"));
        push_text(&mut config, "consumerKey", get("consumerKey"));
        push_text(&mut config, "consumerSecret", get("consumerSecret"));
        let admin_approved = text(parts.oauth_policies, "permittedUsersPolicyType")
            .map(|value| (value == "AdminApprovedPreAuthorized").to_string());
        push_text(&mut config, "isAdminApproved", admin_approved.as_deref());
        push_text(&mut config, "isConsumerSecretOptional", get("isConsumerSecretOptional"));
        push_text(&mut config, "isIntrospectAllTokens", get("isIntrospectAllTokens"));
        // ECAs require PKCE unless told otherwise (facts §1.12).
        push_text(&mut config, "isPkceRequired", Some(get("isPkceRequired").unwrap_or("true")));
        push_text(&mut config, "isRefreshTokenRotationEnabled", get("isRefreshTokenRotationEnabled"));
        push_text(&mut config, "isSecretRequiredForRefreshToken", get("isSecretRequiredForRefreshToken"));
        for scope in split_comma_list(text(parts.oauth_settings, "commaSeparatedOauthScopes").unwrap_or("")) {
            config.children.push(Element::with_text("scopes", &scope));
        }
        root.children.push(config);
    }
    if let Some(policies) = parts.oauth_policies {
        let mut policy = empty("oauthPolicy");
        let ip = text(Some(policies), "ipRelaxationPolicyType").map(|value| {
            ECA_IP_RELAXATION
                .iter()
                .find(|(e, _)| *e == value)
                .map_or(value.to_string(), |(_, c)| c.to_string())
        });
        push_text(&mut policy, "ipRelaxation", ip.as_deref());
        push_text(&mut policy, "refreshTokenPolicy", refresh_token_policy(policies).as_deref());
        if !policy.children.is_empty() {
            root.children.push(policy);
        }
        for name in split_comma_list(text(Some(policies), "commaSeparatedPermissionSet").unwrap_or("")) {
            root.children.push(Element::with_text("permissionSetName", &name));
        }
        for name in split_comma_list(text(Some(policies), "commaSeparatedProfile").unwrap_or("")) {
            root.children.push(Element::with_text("profileName", &name));
        }
        if let Some(timeout) = text(Some(policies), "sessionTimeoutInMinutes") {
            let mut session = empty("sessionPolicy");
            session.children.push(Element::with_text("sessionTimeout", timeout));
            root.children.push(session);
        }
    }
    root
}

/// The ConnectedApp `refreshTokenPolicy` string of ECA OAuth policies.
fn refresh_token_policy(policies: &Element) -> Option<String> {
    let policy_type = text(Some(policies), "refreshTokenPolicyType")?;
    let period = text(Some(policies), "refreshTokenValidityPeriod").unwrap_or("");
    let unit = text(Some(policies), "refreshTokenValidityUnit").unwrap_or("");
    let unit = ECA_REFRESH_UNITS.iter().find(|(e, _)| *e == unit).map_or(unit, |(_, c)| c);
    Some(match policy_type {
        "Infinite" => "infinite".into(),
        "Zero" => "zero".into(),
        "SpecificLifetime" => format!("specific_lifetime:{period}:{unit}"),
        "SpecificInactivity" => format!("specific_inactivity:{period}:{unit}"),
        other => other.to_string(),
    })
}

/// Where a component's problems are reported: its file and type.
pub struct PartFile<'a> {
    /// The component type.
    pub eca_type: EcaType,
    /// Its file name, for messages.
    pub file: &'a str,
    /// Its root element.
    pub root: &'a Element,
}

/// The org's rules for one ECA beyond the schema: every part names the header, the header
/// and global OAuth settings exist, and the values ECA fields take as plain strings.
pub fn check_parts(app_name: &str, parts: &[PartFile<'_>]) -> Problems {
    let mut problems = Problems::default();
    let find = |t: EcaType| parts.iter().find(|p| p.eca_type == t);
    for part in parts {
        if part.eca_type == HEADER {
            continue;
        }
        let named = part.root.child_text("externalClientApplication").map(str::trim).unwrap_or("");
        if named != app_name {
            problems.push(
                Problem::new(
                    part.file,
                    "externalClientApplication",
                    format!("names the External Client App '{named}', expected '{app_name}'"),
                    format!("set <externalClientApplication>{app_name}</externalClientApplication>"),
                )
                .at_line(part.root.child("externalClientApplication").map_or(part.root.line, |e| e.line)),
            );
        }
    }
    if let Some(header) = find(HEADER) {
        if let Some(message) = rules::api_name_problem(app_name) {
            problems.push(Problem::new(
                header.file,
                "fullName",
                message,
                "use letters, digits and single underscores",
            ));
        }
        if text(Some(header.root), "label").is_none_or(str::is_empty) {
            problems.push(
                Problem::new(
                    header.file,
                    "label",
                    "Required field is missing: label",
                    "give the app a label",
                )
                .at_line(header.root.line),
            );
        }
        if let Some(email) = text(Some(header.root), "contactEmail")
            && let Some(message) = rules::email_problem(email)
        {
            problems.push(Problem::new(header.file, "contactEmail", message, "give a valid email address"));
        }
    }
    if let Some(global) = find(GLOBAL_OAUTH_SETTINGS) {
        check_global(global, &mut problems);
    }
    if let Some(oauth) = find(OAUTH_SETTINGS) {
        check_scopes(oauth, &mut problems);
    }
    if let Some(policies) = find(OAUTH_POLICIES) {
        check_oauth_policies(policies, &mut problems);
    }
    problems
}

fn at(part: &PartFile<'_>, field: &str) -> usize {
    part.root.child(field).map_or(part.root.line, |e| e.line)
}

fn check_global(global: &PartFile<'_>, problems: &mut Problems) {
    let callbacks: Vec<&str> = global
        .root
        .child_text("callbackUrl")
        .unwrap_or_default()
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .collect();
    if callbacks.is_empty() {
        problems.push(
            Problem::new(
                global.file,
                "callbackUrl",
                "Required field is missing: callbackUrl",
                "give the callback URL",
            )
            .at_line(at(global, "callbackUrl")),
        );
    }
    for callback in callbacks {
        if let Some(message) = rules::callback_url_problem(callback) {
            problems.push(
                Problem::new(global.file, "callbackUrl", message, "use an absolute https URL")
                    .at_line(at(global, "callbackUrl")),
            );
        }
    }
    for (field, what) in [("consumerKey", "consumer key"), ("consumerSecret", "consumer secret")] {
        if let Some(value) = text(Some(global.root), field)
            && let Some(message) = rules::credential_problem(what, value)
        {
            problems.push(Problem::new(global.file, field, message, "leave it out; the org generates it"));
        }
    }
}

fn check_scopes(oauth: &PartFile<'_>, problems: &mut Problems) {
    let allowed = crate::schema::schema().enumeration("ConnectedAppOauthAccessScope").unwrap_or_default();
    let scopes = split_comma_list(text(Some(oauth.root), "commaSeparatedOauthScopes").unwrap_or(""));
    if scopes.is_empty() {
        problems.push(
            Problem::new(
                oauth.file,
                "commaSeparatedOauthScopes",
                "no OAuth scope selected",
                "list e.g. Api, RefreshToken",
            )
            .at_line(at(oauth, "commaSeparatedOauthScopes")),
        );
    }
    for scope in &scopes {
        if !allowed.iter().any(|a| a == scope) {
            problems.push(
                Problem::new(
                    oauth.file,
                    "commaSeparatedOauthScopes",
                    format!("'{scope}' is not an OAuth scope"),
                    "use metadata scope names such as Api, RefreshToken, Web, Full, OpenID",
                )
                .at_line(at(oauth, "commaSeparatedOauthScopes")),
            );
        }
    }
    for duplicate in rules::duplicates(&scopes) {
        problems.push(
            Problem::new(
                oauth.file,
                "commaSeparatedOauthScopes",
                format!("scope {duplicate} is listed twice"),
                "list each scope once",
            )
            .at_line(at(oauth, "commaSeparatedOauthScopes")),
        );
    }
}

fn check_oauth_policies(policies: &PartFile<'_>, problems: &mut Problems) {
    let root = policies.root;
    let mut fail = |field: &str, message: String, fix: &str| {
        problems.push(Problem::new(policies.file, field, message, fix).at_line(at(policies, field)));
    };
    if let Some(ip) = text(Some(root), "ipRelaxationPolicyType")
        && !ECA_IP_RELAXATION.iter().any(|(e, _)| *e == ip)
    {
        fail(
            "ipRelaxationPolicyType",
            format!("'{ip}' is not an IP relaxation value"),
            "use Enforce, Bypass (Relax IP restrictions), Bypass_2factor or Enforce_RelaxRefresh",
        );
    }
    let specific =
        matches!(text(Some(root), "refreshTokenPolicyType"), Some("SpecificLifetime" | "SpecificInactivity"));
    let period = text(Some(root), "refreshTokenValidityPeriod");
    let unit = text(Some(root), "refreshTokenValidityUnit");
    if specific {
        if !period.is_some_and(|p| p.parse::<u32>().is_ok_and(|n| n >= 1)) {
            fail(
                "refreshTokenValidityPeriod",
                "a specific refresh token policy needs a validity period of 1 or more".into(),
                "set refreshTokenValidityPeriod",
            );
        }
        if !unit.is_some_and(|u| ECA_REFRESH_UNITS.iter().any(|(e, _)| *e == u)) {
            fail(
                "refreshTokenValidityUnit",
                format!("'{}' is not a refresh token validity unit", unit.unwrap_or("")),
                "use Hours, Days or Months",
            );
        }
    } else if period.is_some() || unit.is_some() {
        fail(
            "refreshTokenValidityPeriod",
            "a validity period or unit is set but the refresh token policy is not specific".into(),
            "remove them, or use SpecificLifetime or SpecificInactivity",
        );
    }
    if let Some(timeout) = text(Some(root), "sessionTimeoutInMinutes")
        && !timeout.parse::<u32>().is_ok_and(|t| SESSION_TIMEOUTS.contains(&t))
    {
        fail(
            "sessionTimeoutInMinutes",
            format!("{timeout} is not a session timeout Salesforce offers"),
            "use 15, 30, 60, 120, 240, 480, 720 or 1440",
        );
    }
    let names = split_comma_list(text(Some(root), "commaSeparatedPermissionSet").unwrap_or(""));
    for name in &names {
        if let Some(message) = rules::api_name_problem(name) {
            fail("commaSeparatedPermissionSet", message, "give permission set API names separated by commas");
        }
    }
}
