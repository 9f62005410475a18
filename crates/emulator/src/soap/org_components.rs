//! The org's components as the Metadata API shows them to retrieve, readMetadata and
//! listMetadata: metadata files (with the consumer key, never the secret) and their dates.

use insights_metadata::xml::{self, Element, METADATA_NS};
use rusqlite::Connection;

use super::deploy_rules::set_consumer_key;
use crate::store::StoreError;
use crate::store::{apps, eca, metadata as store};
use insights_metadata::model::external_client_app::{self, EcaType};

/// Types the emulated org can list, retrieve (and, all but ApexClass, read).
pub const LISTABLE_TYPES: [&str; 8] = [
    "ConnectedApp",
    "PermissionSet",
    "ApexClass",
    "ExternalClientApplication",
    "ExtlClntAppOauthSettings",
    "ExtlClntAppGlobalOauthSettings",
    "ExtlClntAppConfigurablePolicies",
    "ExtlClntAppOauthConfigurablePolicies",
];

/// One component of the org.
#[derive(Debug, Clone)]
pub struct OrgComponent {
    pub type_name: &'static str,
    pub full_name: String,
    pub id: String,
    /// Path relative to the package root, e.g. `connectedApps/X.connectedApp`.
    pub file_name: String,
    pub content: Vec<u8>,
    /// Companion files (an Apex class's `-meta.xml`).
    pub extra_files: Vec<(String, Vec<u8>)>,
    /// The metadata document (for readMetadata); `None` for Apex classes.
    pub document: Option<Element>,
    pub created_date: String,
    pub last_modified_date: String,
}

/// Every component of `type_name`; `None` when the type is not one the org knows.
pub fn components(
    connection: &Connection,
    type_name: &str,
    now: &str,
) -> Result<Option<Vec<OrgComponent>>, StoreError> {
    let components = match type_name {
        "ConnectedApp" => apps::all(connection)?
            .into_iter()
            .filter(|app| !eca::is_eca(connection, &app.full_name).unwrap_or(false))
            .map(|app| {
                let mut root = parse_or_empty(&app.xml, "ConnectedApp");
                set_consumer_key(&mut root, &app.consumer_key);
                OrgComponent {
                    type_name: "ConnectedApp",
                    file_name: format!("connectedApps/{}.connectedApp", app.full_name),
                    content: xml::render(&root).into_bytes(),
                    document: Some(root),
                    full_name: app.full_name,
                    id: app.id,
                    extra_files: Vec::new(),
                    created_date: app.created_date,
                    last_modified_date: app.last_modified_date,
                }
            })
            .collect(),
        "PermissionSet" => store::permission_sets(connection)?
            .into_iter()
            .map(|set| permission_set_component(connection, set, now))
            .collect::<Result<_, _>>()?,
        "ApexClass" => store::apex_classes(connection)?
            .into_iter()
            .map(|class| OrgComponent {
                type_name: "ApexClass",
                file_name: format!("classes/{}.cls", class.name),
                extra_files: vec![(
                    format!("classes/{}.cls-meta.xml", class.name),
                    apex_class_meta().into_bytes(),
                )],
                content: class.body.into_bytes(),
                document: None,
                full_name: class.name,
                id: class.id,
                created_date: now.to_string(),
                last_modified_date: now.to_string(),
            })
            .collect(),
        other => match EcaType::by_name(other) {
            Some(eca_type) => eca_components(connection, eca_type)?,
            None => return Ok(None),
        },
    };
    Ok(Some(components))
}

/// The stored components of one ECA type; the global OAuth settings carry the consumer key
/// (never the secret), as the ConnectedApp does.
fn eca_components(connection: &Connection, eca_type: EcaType) -> Result<Vec<OrgComponent>, StoreError> {
    let mut found = Vec::new();
    for row in eca::by_type(connection, eca_type.type_name)? {
        let Some(app) = apps::by_full_name(connection, &row.app_full_name)? else { continue };
        let mut root = parse_or_empty(&row.xml, eca_type.type_name);
        if eca_type == external_client_app::GLOBAL_OAUTH_SETTINGS {
            root.remove_children("consumerKey");
            insights_metadata::insert_in_order(
                &mut root,
                eca_type.type_name,
                Element::with_text("consumerKey", app.consumer_key.clone()),
            );
        }
        found.push(OrgComponent {
            type_name: eca_type.type_name,
            file_name: eca_type.mdapi_path(&row.full_name),
            content: xml::render(&root).into_bytes(),
            document: Some(root),
            full_name: row.full_name,
            id: app.id,
            extra_files: Vec::new(),
            created_date: app.created_date,
            last_modified_date: app.last_modified_date,
        });
    }
    Ok(found)
}

fn permission_set_component(
    connection: &Connection,
    set: store::PermissionSetRow,
    now: &str,
) -> Result<OrgComponent, StoreError> {
    let root = match &set.xml {
        Some(text) => parse_or_empty(text, "PermissionSet"),
        // Seeded sets have no deployed XML: show what the org knows of them.
        None => {
            let mut children: Vec<Element> = store::granted_class_names(connection, &set.id)?
                .into_iter()
                .map(|class| {
                    Element::with_children(
                        "classAccesses",
                        vec![Element::with_text("apexClass", class), Element::with_text("enabled", "true")],
                    )
                })
                .collect();
            children.push(Element::with_text("hasActivationRequired", "false"));
            children.push(Element::with_text("label", set.label.clone()));
            with_namespace(Element::with_children("PermissionSet", children))
        }
    };
    Ok(OrgComponent {
        type_name: "PermissionSet",
        file_name: format!("permissionsets/{}.permissionset", set.name),
        content: xml::render(&root).into_bytes(),
        document: Some(root),
        full_name: set.name,
        id: set.id,
        extra_files: Vec::new(),
        created_date: set.created_date.unwrap_or_else(|| now.to_string()),
        last_modified_date: set.last_modified_date.unwrap_or_else(|| now.to_string()),
    })
}

fn parse_or_empty(text: &str, type_name: &str) -> Element {
    xml::parse(text).unwrap_or_else(|_| with_namespace(Element::with_children(type_name, Vec::new())))
}

fn with_namespace(mut root: Element) -> Element {
    root.attributes = vec![("xmlns".into(), METADATA_NS.into())];
    root
}

fn apex_class_meta() -> String {
    format!(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<ApexClass xmlns=\"{METADATA_NS}\">\n    \
         <apiVersion>66.0</apiVersion>\n    <status>Active</status>\n</ApexClass>\n"
    )
}

/// An element and its descendants as compact XML, names without prefixes (readMetadata records).
pub fn render_compact(element: &Element, out: &mut String) {
    let name = element.local_name();
    out.push('<');
    out.push_str(name);
    out.push('>');
    if element.children.is_empty() {
        out.push_str(&xml::escape(&element.text));
    } else {
        for child in &element.children {
            render_compact(child, out);
        }
    }
    out.push_str("</");
    out.push_str(name);
    out.push('>');
}
