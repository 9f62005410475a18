//! Desired (generated) against deployed (read from the org), one row per setting of the setup
//! guide. Org-managed fields (consumerKey and the like) are not compared.

use crate::OrgError;
use crate::metadata_api::retrieve::zip_entries;
use crate::xml_tree::{self, Element};
use insights_metadata::config::AppKind;

/// Shown when the org has no such component.
const NOT_IN_ORG: &str = "(not in org)";

/// What the generated package says.
#[derive(Debug, Clone)]
pub struct DesiredState {
    /// Which kind of app the configuration asks for.
    pub app_kind: AppKind,
    /// The ConnectedApp file's root element (for an External Client App, its
    /// ConnectedApp-shaped view).
    pub connected_app: Element,
    /// The PermissionSet file's root element; `None` when an existing one is re-used.
    pub permission_set: Option<Element>,
}

impl DesiredState {
    /// Reads the generated ConnectedApp and PermissionSet.
    pub fn from_generated(generated: &insights_metadata::Generated) -> Result<Self, OrgError> {
        let parse = |what: &str, xml: &str| {
            xml_tree::parse(xml).map_err(|reason| OrgError::UnexpectedResponse {
                operation: "reading the generated metadata".into(),
                reason: format!("{what}: {reason}"),
                body: String::new(),
            })
        };
        Ok(Self {
            app_kind: generated.app_kind,
            connected_app: parse("ConnectedApp", generated.connected_app_xml())?,
            permission_set: generated
                .permission_set_xml()
                .map(|xml| parse("PermissionSet", xml))
                .transpose()?,
        })
    }

    /// Reads the ConnectedApp and PermissionSet out of a deploy zip (package.xml at the root);
    /// the desired kind is a Connected App.
    pub fn from_deploy_zip(zip: &[u8], app_api_name: &str, permission_set: &str) -> Result<Self, OrgError> {
        let entries = zip_entries(zip)?;
        let find = |path: String| -> Result<Option<Element>, OrgError> {
            let Some((_, bytes)) = entries.iter().find(|(name, _)| name.to_string_lossy() == path) else {
                return Ok(None);
            };
            let element = xml_tree::parse(&String::from_utf8_lossy(bytes)).map_err(|reason| {
                OrgError::UnexpectedResponse {
                    operation: "reading the generated package".into(),
                    reason: format!("{path}: {reason}"),
                    body: String::new(),
                }
            })?;
            Ok(Some(element))
        };
        let app_path = format!("connectedApps/{app_api_name}.connectedApp");
        let connected_app = find(app_path.clone())?
            .ok_or_else(|| OrgError::NotFound { what: format!("{app_path} in the generated package") })?;
        Ok(Self {
            app_kind: AppKind::ConnectedApp,
            connected_app,
            permission_set: find(format!("permissionsets/{permission_set}.permissionset"))?,
        })
    }
}

/// What the org has.
#[derive(Debug, Clone, Default)]
pub struct DeployedState {
    /// The kind of the app found in the org (`None`: no app with that name).
    pub app_kind: Option<AppKind>,
    /// The `readMetadata` record of the ConnectedApp (or an External Client App's
    /// ConnectedApp-shaped view), if it exists.
    pub connected_app: Option<Element>,
    /// The `readMetadata` record of the PermissionSet, if it exists.
    pub permission_set: Option<Element>,
    /// Permission sets linked to the app in SetupEntityAccess; `None` when not checked.
    pub linked_permission_sets: Option<Vec<String>>,
}

/// One setting of the guide.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct SettingRow {
    /// The guide's name for it.
    pub setting: String,
    /// The generated value.
    pub desired: String,
    /// The org's value.
    pub deployed: String,
    /// Whether they agree.
    pub matches: bool,
}

/// Every row of a comparison.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Comparison {
    /// One row per setting, in the guide's order.
    pub rows: Vec<SettingRow>,
}

impl Comparison {
    /// True when every setting agrees.
    pub fn is_identical(&self) -> bool {
        self.rows.iter().all(|row| row.matches)
    }

    /// The rows that differ.
    pub fn differences(&self) -> impl Iterator<Item = &SettingRow> {
        self.rows.iter().filter(|row| !row.matches)
    }
}

type Extract = fn(&Element) -> String;

/// The ConnectedApp settings of the guide: (name, how to read it).
const APP_SETTINGS: &[(&str, Extract)] = &[
    (APP_NAME, |app| leaf(app, "label")),
    ("Contact email", |app| leaf(app, "contactEmail")),
    ("Callback URL", callback_urls),
    ("OAuth scopes", scopes),
    ("Require PKCE", |app| boolean(app, "oauthConfig/isPkceRequired", false)),
    ("Require secret for web server flow", |app| {
        let optional = boolean(app, "oauthConfig/isConsumerSecretOptional", false);
        (optional == "false").to_string()
    }),
    ("Require secret for refresh token flow", |app| {
        boolean(app, "oauthConfig/isSecretRequiredForRefreshToken", true)
    }),
    ("Admin approved users are pre-authorized", |app| boolean(app, "oauthConfig/isAdminApproved", false)),
    ("IP relaxation", |app| leaf(app, "oauthPolicy/ipRelaxation")),
    ("Refresh token policy", |app| leaf(app, "oauthPolicy/refreshTokenPolicy")),
    ("Session timeout (minutes)", |app| leaf(app, "sessionPolicy/sessionTimeout")),
];

/// The name of the app kind row, shown first when the org's app is of the other kind.
pub const APP_KIND: &str = "App kind";
/// The name of the label row (both kinds).
pub const APP_NAME: &str = "App name (label)";
/// The name of the permission set link row.
pub const PERMISSION_SET_LINK: &str = "Permission set link (pre-authorization)";
/// The name of the Apex class access row.
pub const APEX_CLASS_ACCESS: &str = "Apex class access";

/// Compares desired and deployed, setting by setting.
pub fn compare(desired: &DesiredState, deployed: &DeployedState) -> Comparison {
    let mut rows = Vec::new();
    // An app of the other kind with the same name is not the app the configuration asks for.
    if let Some(found) = deployed.app_kind.filter(|found| *found != desired.app_kind) {
        rows.push(row(APP_KIND, desired.app_kind.display_name().to_owned(), found.display_name().to_owned()));
    }
    for (setting, extract) in APP_SETTINGS {
        let deployed_value = deployed.connected_app.as_ref().map_or_else(|| NOT_IN_ORG.to_owned(), extract);
        rows.push(row(setting, extract(&desired.connected_app), deployed_value));
    }
    rows.push(permission_set_link_row(desired, deployed));
    let deployed_classes =
        deployed.permission_set.as_ref().map_or_else(|| NOT_IN_ORG.to_owned(), apex_classes);
    match &desired.permission_set {
        Some(permission_set) => {
            rows.push(row(APEX_CLASS_ACCESS, apex_classes(permission_set), deployed_classes));
        }
        // An existing permission set is linked, not managed: show it without judging it.
        None => rows.push(SettingRow {
            setting: APEX_CLASS_ACCESS.to_owned(),
            desired: "(existing permission set, not managed)".into(),
            deployed: deployed_classes,
            matches: true,
        }),
    }
    Comparison { rows }
}

fn row(setting: &str, desired: String, deployed: String) -> SettingRow {
    SettingRow { setting: setting.to_owned(), matches: desired == deployed, desired, deployed }
}

fn permission_set_link_row(desired: &DesiredState, deployed: &DeployedState) -> SettingRow {
    let wanted = sorted(permission_set_names(&desired.connected_app));
    let Some(app) = &deployed.connected_app else {
        return row(PERMISSION_SET_LINK, wanted.join(", "), NOT_IN_ORG.to_owned());
    };
    let listed = sorted(permission_set_names(app));
    // A name in the metadata without a SetupEntityAccess row is a dropped pre-authorization.
    let (linked, unlinked): (Vec<String>, Vec<String>) = listed.into_iter().partition(|name| {
        deployed.linked_permission_sets.as_ref().is_none_or(|linked| linked.contains(name))
    });
    let mut shown = if linked.is_empty() { "(none)".to_owned() } else { linked.join(", ") };
    if !unlinked.is_empty() {
        shown.push_str(&format!(" ({} not in SetupEntityAccess)", unlinked.join(", ")));
    }
    row(PERMISSION_SET_LINK, wanted.join(", "), shown)
}

fn leaf(element: &Element, path: &str) -> String {
    element.path(path).map(|found| found.text.trim().to_owned()).unwrap_or_else(|| "(unset)".into())
}

fn boolean(element: &Element, path: &str, default: bool) -> String {
    match element.path(path).map(|found| found.text.trim()) {
        Some("true") => "true".into(),
        Some("false") => "false".into(),
        Some(other) => other.to_owned(),
        None => default.to_string(),
    }
}

fn callback_urls(app: &Element) -> String {
    let urls = app
        .path("oauthConfig/callbackUrl")
        .map(|found| {
            found.text.lines().map(str::trim).filter(|line| !line.is_empty()).map(str::to_owned).collect()
        })
        .unwrap_or_default();
    sorted(urls).join(", ")
}

fn scopes(app: &Element) -> String {
    let names = app
        .child("oauthConfig")
        .map(|config| {
            config
                .children_named("scopes")
                .map(|scope| match scope.text.trim() {
                    // Salesforce stores OfflineAccess as RefreshToken.
                    "OfflineAccess" => "RefreshToken".to_owned(),
                    other => other.to_owned(),
                })
                .collect()
        })
        .unwrap_or_default();
    sorted(names).join(", ")
}

fn permission_set_names(app: &Element) -> Vec<String> {
    app.children_named("permissionSetName")
        .map(|name| name.text.trim().to_owned())
        .filter(|name| !name.is_empty())
        .collect()
}

fn apex_classes(permission_set: &Element) -> String {
    let classes = permission_set
        .children_named("classAccesses")
        .filter(|access| access.child_text("enabled") == Some("true"))
        .filter_map(|access| access.child_text("apexClass").map(str::to_owned))
        .collect();
    let joined = sorted(classes).join(", ");
    if joined.is_empty() { "(none)".into() } else { joined }
}

fn sorted(mut values: Vec<String>) -> Vec<String> {
    values.sort();
    values.dedup();
    values
}

#[cfg(test)]
mod tests {
    use super::*;

    const APP: &str = r#"<ConnectedApp xmlns="http://soap.sforce.com/2006/04/metadata">
        <contactEmail>admin@example.com</contactEmail><label>Insights</label>
        <oauthConfig><callbackUrl>https://b.example/cb
https://a.example/cb</callbackUrl><isAdminApproved>true</isAdminApproved>
        <isConsumerSecretOptional>false</isConsumerSecretOptional><isPkceRequired>true</isPkceRequired>
        <isSecretRequiredForRefreshToken>true</isSecretRequiredForRefreshToken>
        <scopes>Api</scopes><scopes>RefreshToken</scopes></oauthConfig>
        <oauthPolicy><ipRelaxation>BYPASS</ipRelaxation><refreshTokenPolicy>infinite</refreshTokenPolicy></oauthPolicy>
        <permissionSetName>Insights_PS</permissionSetName>
        <sessionPolicy><sessionTimeout>30</sessionTimeout></sessionPolicy></ConnectedApp>"#;
    const PERMISSION_SET: &str = "<PermissionSet><classAccesses><apexClass>Insights_Rest_API</apexClass>\
        <enabled>true</enabled></classAccesses><label>Insights_PS</label></PermissionSet>";

    fn desired() -> DesiredState {
        DesiredState {
            app_kind: AppKind::ConnectedApp,
            connected_app: xml_tree::parse(APP).unwrap(),
            permission_set: Some(xml_tree::parse(PERMISSION_SET).unwrap()),
        }
    }

    fn deployed_from(app: &str) -> DeployedState {
        // The org adds a consumer key and lists scopes in another order: neither is drift.
        DeployedState {
            app_kind: Some(AppKind::ConnectedApp),
            connected_app: Some(xml_tree::parse(app).unwrap()),
            permission_set: Some(xml_tree::parse(PERMISSION_SET).unwrap()),
            linked_permission_sets: Some(vec!["Insights_PS".into()]),
        }
    }

    #[test]
    fn identical_apart_from_org_managed_fields() {
        let org_app = APP
            .replace(
                "<scopes>Api</scopes><scopes>RefreshToken</scopes>",
                "<scopes>RefreshToken</scopes><scopes>Api</scopes>",
            )
            .replace("<callbackUrl>", "<consumerKey>3MVG9abc</consumerKey><callbackUrl>");
        let comparison = compare(&desired(), &deployed_from(&org_app));
        assert!(comparison.is_identical(), "{comparison:#?}");
        assert_eq!(comparison.rows.len(), 13);
    }

    #[test]
    fn each_changed_setting_is_one_differing_row() {
        let cases = [
            ("<label>Insights</label>", "<label>Other</label>", APP_NAME),
            ("admin@example.com", "x@example.com", "Contact email"),
            ("https://a.example/cb", "https://c.example/cb", "Callback URL"),
            ("<scopes>RefreshToken</scopes>", "", "OAuth scopes"),
            ("<isPkceRequired>true", "<isPkceRequired>false", "Require PKCE"),
            (
                "<isConsumerSecretOptional>false",
                "<isConsumerSecretOptional>true",
                "Require secret for web server flow",
            ),
            (
                "<isSecretRequiredForRefreshToken>true",
                "<isSecretRequiredForRefreshToken>false",
                "Require secret for refresh token flow",
            ),
            ("<isAdminApproved>true", "<isAdminApproved>false", "Admin approved users are pre-authorized"),
            ("BYPASS", "ENFORCE", "IP relaxation"),
            ("infinite", "zero", "Refresh token policy"),
            ("<sessionTimeout>30", "<sessionTimeout>60", "Session timeout (minutes)"),
            ("<permissionSetName>Insights_PS</permissionSetName>", "", PERMISSION_SET_LINK),
        ];
        for (from, to, setting) in cases {
            let comparison = compare(&desired(), &deployed_from(&APP.replace(from, to)));
            let differing: Vec<&str> = comparison.differences().map(|row| row.setting.as_str()).collect();
            assert_eq!(differing, vec![setting], "changing {from:?}");
        }
    }

    #[test]
    fn a_link_missing_from_setup_entity_access_is_drift() {
        let mut deployed = deployed_from(APP);
        deployed.linked_permission_sets = Some(Vec::new());
        let comparison = compare(&desired(), &deployed);
        let differing: Vec<&SettingRow> = comparison.differences().collect();
        assert_eq!(differing.len(), 1);
        assert_eq!(differing[0].setting, PERMISSION_SET_LINK);
        assert_eq!(differing[0].deployed, "(none) (Insights_PS not in SetupEntityAccess)");
    }

    #[test]
    fn apex_class_access_and_absent_components() {
        let mut deployed = deployed_from(APP);
        deployed.permission_set =
            Some(xml_tree::parse("<PermissionSet><label>Insights_PS</label></PermissionSet>").unwrap());
        let comparison = compare(&desired(), &deployed);
        let differing: Vec<&str> = comparison.differences().map(|row| row.setting.as_str()).collect();
        assert_eq!(differing, vec![APEX_CLASS_ACCESS]);

        let nothing = compare(&desired(), &DeployedState::default());
        assert!(nothing.rows.iter().all(|row| !row.matches && row.deployed == NOT_IN_ORG));
    }

    #[test]
    fn an_app_of_the_other_kind_is_a_first_differing_row() {
        for (wanted, found) in [
            (AppKind::ExternalClientApp, AppKind::ConnectedApp),
            (AppKind::ConnectedApp, AppKind::ExternalClientApp),
        ] {
            let desired = DesiredState { app_kind: wanted, ..desired() };
            let deployed = DeployedState { app_kind: Some(found), ..deployed_from(APP) };
            let comparison = compare(&desired, &deployed);
            assert!(!comparison.is_identical());
            let differing: Vec<&SettingRow> = comparison.differences().collect();
            assert_eq!(differing.len(), 1, "{differing:?}");
            assert_eq!(comparison.rows[0], *differing[0]);
            assert_eq!(differing[0].setting, APP_KIND);
            assert_eq!(differing[0].desired, wanted.display_name());
            assert_eq!(differing[0].deployed, found.display_name());
        }
    }
}
