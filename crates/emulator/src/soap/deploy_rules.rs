//! The second half of deploy validation: each component's schema and value rules (through
//! the metadata crate), then the org's own rules (consumer key and secret, permission set and
//! Apex class references, whether new connected apps may be created). Produces the changes
//! to apply when the whole deploy is clean.

use std::collections::{BTreeMap, BTreeSet};

use insights_metadata::Problem;
use insights_metadata::model::external_client_app::{self as eca, EcaParts, EcaType, PartFile};
use insights_metadata::model::{ConnectedApp, ConsumerSecret, PermissionSet, parse_validated, rules};
use insights_metadata::xml::{self, Element, METADATA_NS};

use super::deploy_package::{CONNECTED_APP, Component, PERMISSION_SET};
use super::deploy_result::DeployMessage;
use crate::store::StoreError;
use crate::store::eca::EcaComponentRow;

/// Problem text when the org refuses new connected apps (org setting `allow_new_connected_apps`).
pub const NEW_CONNECTED_APPS_BLOCKED: &str = "Cannot create a new connected app: new connected apps \
    cannot be created in this org (from Spring '26 Salesforce Support must enable it); External Client \
    Apps replace connected apps. Existing connected apps can still be updated.";
pub const CONSUMER_KEY_ON_UPDATE: &str = "You cannot provide a Consumer Key";
pub const CONSUMER_SECRET_ON_UPDATE: &str = "You cannot provide a Consumer Secret";
pub const CONSUMER_KEY_TAKEN: &str = "The consumer key is already taken.";
pub const CONSUMER_SECRET_TAKEN: &str = "The consumer secret is already taken.";

/// What the rules need to know about the org.
pub trait OrgLookup {
    /// The stored app with this full name (exact, or differing only in case).
    fn connected_app(&self, full_name: &str) -> Result<Option<ExistingComponent>, StoreError>;
    /// The full name of the app that uses this consumer key.
    fn consumer_key_owner(&self, consumer_key: &str) -> Result<Option<String>, StoreError>;
    /// The full name of the app that uses this consumer secret.
    fn consumer_secret_owner(&self, consumer_secret: &str) -> Result<Option<String>, StoreError>;
    /// The stored permission set with this name.
    fn permission_set(&self, name: &str) -> Result<Option<ExistingComponent>, StoreError>;
    fn apex_class_exists(&self, name: &str) -> Result<bool, StoreError>;
    fn allow_new_connected_apps(&self) -> bool;
    /// The stored components of the External Client App with this name.
    fn eca_components(&self, app_full_name: &str) -> Result<Vec<EcaComponentRow>, StoreError>;
}

/// A component the org holds already.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ExistingComponent {
    pub full_name: String,
    pub xml: Option<String>,
    pub consumer_key: Option<String>,
    /// True when the app is an External Client App.
    pub eca: bool,
}

/// A change to apply when the deploy succeeds.
#[derive(Debug, Clone)]
pub enum Change {
    ConnectedApp {
        full_name: String,
        /// Canonical XML without consumer key and secret (both live in their own columns).
        xml: String,
        consumer_key: String,
        /// `Some` on create (given or generated); `None` on update (kept).
        consumer_secret: Option<ConsumerSecret>,
        permission_set_names: Vec<String>,
        created: bool,
        /// The deployed components of an External Client App (empty for a ConnectedApp).
        eca: Vec<EcaComponentRow>,
    },
    PermissionSet {
        full_name: String,
        label: String,
        xml: String,
        enabled_classes: Vec<String>,
        created: bool,
    },
}

/// The result of checking every component.
#[derive(Debug, Default)]
pub struct RulesCheck {
    pub failures: Vec<DeployMessage>,
    pub successes: Vec<DeployMessage>,
    pub changes: Vec<Change>,
}

/// The text of a metadata-crate problem as a deploy `problem`.
pub fn problem_text(problem: &Problem) -> String {
    let field_name = problem.field.rsplit('/').next().unwrap_or_default();
    if problem.field.is_empty() || problem.message.contains(field_name) {
        problem.message.clone()
    } else {
        format!("{}: {}", problem.field, problem.message)
    }
}

/// Checks every component; `now` is the org's dateTime for the messages.
pub fn check_components(
    components: &[Component],
    org: &dyn OrgLookup,
    now: &str,
) -> Result<RulesCheck, StoreError> {
    let mut check = RulesCheck::default();
    let mut apps = Vec::new();
    let mut permission_sets = Vec::new();
    let mut ecas: BTreeMap<String, Vec<(&Component, EcaType, Element)>> = BTreeMap::new();
    for component in components {
        let parsed = if component.kind == CONNECTED_APP {
            ConnectedApp::from_xml(&component.full_name, &component.content, &component.file_name)
                .map(|app| apps.push((component, app)))
        } else if component.kind == PERMISSION_SET {
            PermissionSet::from_xml(&component.full_name, &component.content, &component.file_name)
                .map(|set| permission_sets.push((component, set)))
        } else {
            parse_eca_component(component).map(|(app, eca_type, root)| {
                ecas.entry(app).or_default().push((component, eca_type, root));
            })
        };
        if let Err(problems) = parsed {
            for problem in problems.iter() {
                check.failures.push(
                    failure(component, problem_text(problem), now)
                        .at_line(problem.line.and_then(|line| i64::try_from(line).ok())),
                );
            }
        }
    }

    let deployed_sets: BTreeSet<&str> =
        permission_sets.iter().map(|(_, set)| set.full_name.as_str()).collect();
    for (component, permission_set) in &permission_sets {
        check_permission_set(component, permission_set, org, now, &mut check)?;
    }
    let mut names_seen = BTreeSet::new();
    let mut keys_seen = BTreeSet::new();
    for (component, app) in &apps {
        let context = AppContext { org, now, deployed_sets: &deployed_sets };
        let lower = app.full_name.to_ascii_lowercase();
        if !names_seen.insert(lower) {
            check.failures.push(failure(
                component,
                format!("Duplicate name '{}' for ConnectedApp: API names must be unique", app.full_name),
                now,
            ));
            continue;
        }
        let key = app.oauth_config.as_ref().and_then(|c| c.consumer_key.clone());
        if let Some(key) = key
            && !keys_seen.insert(key)
        {
            check.failures.push(failure(component, CONSUMER_KEY_TAKEN, now));
            continue;
        }
        let deployed = DeployedApp {
            components: vec![component],
            xml: canonical_xml(&component.content, |_| {}),
            eca: Vec::new(),
        };
        check_connected_app(&deployed, app, &context, &mut check)?;
    }
    for (app_name, parts) in &ecas {
        if !names_seen.insert(app_name.to_ascii_lowercase()) {
            for (component, _, _) in parts {
                check.failures.push(failure(
                    component,
                    format!("Duplicate name '{app_name}' for an app: API names must be unique"),
                    now,
                ));
            }
            continue;
        }
        let context = AppContext { org, now, deployed_sets: &deployed_sets };
        check_external_client_app(app_name, parts, &context, &mut check)?;
    }
    Ok(check)
}

/// Parses and validates one ECA component; returns the app it belongs to.
fn parse_eca_component(
    component: &Component,
) -> Result<(String, EcaType, Element), insights_metadata::Problems> {
    let root = parse_validated(&component.content, component.kind.name, &component.file_name)?;
    let eca_type = EcaType::by_name(component.kind.name).unwrap_or(eca::HEADER);
    let app = if eca_type == eca::HEADER {
        component.full_name.clone()
    } else {
        root.child_text("externalClientApplication").map(str::trim).unwrap_or_default().to_string()
    };
    eca::check_parts(&app, &[PartFile { eca_type, file: &component.file_name, root: &root }])
        .into_result()?;
    Ok((app, eca_type, root))
}

/// The components of one app in a deploy, and what the org stores for it.
struct DeployedApp<'a> {
    /// Its files in this deploy (one ConnectedApp, or the ECA components deployed).
    components: Vec<&'a Component>,
    /// The ConnectedApp(-shaped) XML to store, canonical, without key and secret.
    xml: String,
    /// ECA components to store.
    eca: Vec<EcaComponentRow>,
}

/// An External Client App: the deployed components over the stored ones, read as one
/// ConnectedApp-shaped view, then the same rules as a ConnectedApp.
fn check_external_client_app(
    app_name: &str,
    deployed: &[(&Component, EcaType, Element)],
    context: &AppContext<'_>,
    check: &mut RulesCheck,
) -> Result<(), StoreError> {
    let stored: Vec<(EcaType, Element)> = context
        .org
        .eca_components(app_name)?
        .into_iter()
        .filter_map(|row| Some((EcaType::by_name(&row.type_name)?, xml::parse(&row.xml).ok()?)))
        .collect();
    let mut parts = EcaParts::default();
    for (eca_type, root) in &stored {
        parts.set(*eca_type, root);
    }
    for (_, eca_type, root) in deployed {
        parts.set(*eca_type, root);
    }
    let first = deployed[0].0;
    let mut missing = Vec::new();
    if parts.header.is_none() {
        missing.push(format!("no ExternalClientApplication named {app_name} found"));
    }
    if parts.global_oauth_settings.is_none() && parts.oauth_settings.is_some() {
        missing.push(format!("no ExtlClntAppGlobalOauthSettings for {app_name} found"));
    }
    if !missing.is_empty() {
        check.failures.extend(
            missing
                .into_iter()
                .map(|p| failure(first, format!("In field: externalClientApplication - {p}"), context.now)),
        );
        return Ok(());
    }
    let view = eca::connected_app_view(&parts);
    let app = ConnectedApp::from_element(app_name, &view);
    let header = deployed.iter().find(|(_, t, _)| *t == eca::HEADER).map_or(first, |(c, _, _)| *c);
    let problems = rules::check_connected_app(&app, &view, &header.file_name);
    if !problems.is_empty() {
        check.failures.extend(problems.iter().map(|p| failure(header, problem_text(p), context.now)));
        return Ok(());
    }
    let strip = |root: &mut Element| {
        root.remove_children("consumerKey");
        root.remove_children("consumerSecret");
    };
    let target = DeployedApp {
        components: deployed.iter().map(|(c, _, _)| *c).collect(),
        xml: canonical_xml(&xml::render(&view), |_| {}),
        eca: deployed
            .iter()
            .map(|(component, eca_type, _)| EcaComponentRow {
                type_name: eca_type.type_name.to_string(),
                full_name: component.full_name.clone(),
                app_full_name: app_name.to_string(),
                xml: canonical_xml(&component.content, strip),
            })
            .collect(),
    };
    check_connected_app(&target, &app, context, check)
}

struct AppContext<'a> {
    org: &'a dyn OrgLookup,
    now: &'a str,
    deployed_sets: &'a BTreeSet<&'a str>,
}

fn check_permission_set(
    component: &Component,
    permission_set: &PermissionSet,
    org: &dyn OrgLookup,
    now: &str,
    check: &mut RulesCheck,
) -> Result<(), StoreError> {
    let mut problems = Vec::new();
    for access in &permission_set.class_accesses {
        if !org.apex_class_exists(&access.apex_class)? {
            problems.push(format!("In field: apexClass - no ApexClass named {} found", access.apex_class));
        }
    }
    if !problems.is_empty() {
        check.failures.extend(problems.into_iter().map(|p| failure(component, p, now)));
        return Ok(());
    }
    let existing = org.permission_set(&permission_set.full_name)?;
    let xml = canonical_xml(&component.content, |_| {});
    check.successes.push(success(component, existing.as_ref().map(|e| e.xml.as_deref()), &xml, now));
    check.changes.push(Change::PermissionSet {
        full_name: permission_set.full_name.clone(),
        label: permission_set.label.clone(),
        xml,
        enabled_classes: permission_set.enabled_classes().map(String::from).collect(),
        created: existing.is_none(),
    });
    Ok(())
}

fn check_connected_app(
    deployed: &DeployedApp<'_>,
    app: &ConnectedApp,
    context: &AppContext<'_>,
    check: &mut RulesCheck,
) -> Result<(), StoreError> {
    let org = context.org;
    let is_eca = !deployed.eca.is_empty();
    let Some(component) = deployed.components.first().copied() else { return Ok(()) };
    let existing = org.connected_app(&app.full_name)?;
    let given_key = app.oauth_config.as_ref().and_then(|c| c.consumer_key.clone());
    let given_secret = app.oauth_config.as_ref().and_then(|c| c.consumer_secret.clone());
    let mut problems = Vec::new();

    match &existing {
        Some(existing) if existing.full_name != app.full_name || existing.eca != is_eca => {
            problems.push(format!(
                "{} named '{}' already exists; API names are unique regardless of case",
                if existing.eca { "An External Client App" } else { "A ConnectedApp" },
                existing.full_name
            ))
        }
        Some(_) => {
            if given_key.is_some() {
                problems.push(CONSUMER_KEY_ON_UPDATE.to_string());
            }
            if given_secret.is_some() {
                problems.push(CONSUMER_SECRET_ON_UPDATE.to_string());
            }
        }
        None => {
            if !is_eca && !org.allow_new_connected_apps() {
                problems.push(NEW_CONNECTED_APPS_BLOCKED.to_string());
            }
            if let Some(key) = &given_key
                && org.consumer_key_owner(key)?.is_some()
            {
                problems.push(CONSUMER_KEY_TAKEN.to_string());
            }
            if let Some(secret) = &given_secret
                && org.consumer_secret_owner(secret.expose())?.is_some()
            {
                problems.push(CONSUMER_SECRET_TAKEN.to_string());
            }
        }
    }
    for name in &app.permission_set_names {
        let in_deploy = context.deployed_sets.contains(name.as_str());
        if !in_deploy && org.permission_set(name)?.is_none() {
            problems.push(format!("In field: permissionSetName - no PermissionSet named {name} found"));
        }
    }
    if !problems.is_empty() {
        check.failures.extend(problems.into_iter().map(|p| failure(component, p, context.now)));
        return Ok(());
    }

    let (consumer_key, consumer_secret) = match &existing {
        Some(existing) => (existing.consumer_key.clone().unwrap_or_default(), None),
        None => (
            given_key.unwrap_or_else(crate::ids::new_consumer_key),
            Some(given_secret.unwrap_or_else(|| ConsumerSecret::new(crate::ids::new_consumer_secret()))),
        ),
    };
    let xml = deployed.xml.clone();
    if is_eca {
        let stored = org.eca_components(&app.full_name)?;
        for (component, row) in deployed.components.iter().zip(&deployed.eca) {
            let before = stored.iter().find(|s| s.type_name == row.type_name).map(|s| Some(s.xml.as_str()));
            check.successes.push(success(component, before, &row.xml, context.now));
        }
    } else {
        check.successes.push(success(
            component,
            existing.as_ref().map(|e| e.xml.as_deref()),
            &xml,
            context.now,
        ));
    }
    check.changes.push(Change::ConnectedApp {
        full_name: app.full_name.clone(),
        xml,
        consumer_key,
        consumer_secret,
        permission_set_names: app.permission_set_names.clone(),
        created: existing.is_none(),
        eca: deployed.eca.clone(),
    });
    Ok(())
}

fn failure(component: &Component, problem: impl Into<String>, now: &str) -> DeployMessage {
    DeployMessage::failure(component.kind.name, &component.full_name, &component.file_name, problem, now)
}

/// A success message: created when new, changed when the stored XML differs.
fn success(component: &Component, existing: Option<Option<&str>>, xml: &str, now: &str) -> DeployMessage {
    let created = existing.is_none();
    let changed = existing.is_some_and(|stored| stored != Some(xml));
    DeployMessage {
        changed,
        component_type: component.kind.name.to_string(),
        created,
        created_date: now.to_string(),
        file_name: component.file_name.clone(),
        full_name: component.full_name.clone(),
        success: true,
        ..DeployMessage::default()
    }
}

/// The document as the org keeps it: local names, the metadata namespace as the default,
/// 4-space indentation, no consumer key or secret; `edit` adjusts the tree first.
pub fn canonical_xml(document: &str, edit: impl FnOnce(&mut Element)) -> String {
    let Ok(mut root) = xml::parse(document) else {
        return document.to_string();
    };
    strip_prefixes(&mut root);
    root.attributes = vec![("xmlns".to_string(), METADATA_NS.to_string())];
    if let Some(config) = root.child_mut("oauthConfig") {
        config.remove_children("consumerSecret");
        config.remove_children("consumerKey");
    }
    edit(&mut root);
    xml::render(&root)
}

fn strip_prefixes(element: &mut Element) {
    element.name = element.local_name().to_string();
    element.attributes.clear();
    for child in &mut element.children {
        strip_prefixes(child);
    }
}

/// Writes `consumerKey` into `oauthConfig` at its WSDL position (what retrieve and read return).
pub fn set_consumer_key(root: &mut Element, consumer_key: &str) {
    let Some(config) = root.child_mut("oauthConfig") else {
        return;
    };
    config.remove_children("consumerKey");
    insights_metadata::insert_in_order(
        config,
        "ConnectedAppOauthConfig",
        Element::with_text("consumerKey", consumer_key),
    );
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn canonical_xml_drops_prefixes_key_and_secret_and_set_consumer_key_restores_the_key() {
        let document = r#"<?xml version="1.0" encoding="UTF-8"?>
<md:ConnectedApp xmlns:md="http://soap.sforce.com/2006/04/metadata">
  <md:contactEmail>a@example.com</md:contactEmail>
  <md:label>A</md:label>
  <md:oauthConfig>
    <md:callbackUrl>https://example.com/cb</md:callbackUrl>
    <md:consumerKey>KeyKeyKey1</md:consumerKey>
    <md:consumerSecret>SecretSecret1</md:consumerSecret>
    <md:scopes>Api</md:scopes>
  </md:oauthConfig>
</md:ConnectedApp>"#;
        let canonical = canonical_xml(document, |_| {});
        assert!(canonical.starts_with(&format!(
            "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<ConnectedApp xmlns=\"{METADATA_NS}\">\n    <contactEmail>"
        )));
        assert!(
            !canonical.contains("Secret") && !canonical.contains("consumerKey") && !canonical.contains("md:")
        );

        let mut root = xml::parse(&canonical).expect("parses");
        set_consumer_key(&mut root, "NewKey123");
        let with_key = xml::render(&root);
        let callback = with_key.find("<callbackUrl>").expect("callback");
        let key = with_key.find("<consumerKey>NewKey123</consumerKey>").expect("key");
        let scopes = with_key.find("<scopes>").expect("scopes");
        assert!(callback < key && key < scopes, "{with_key}");
    }
}
