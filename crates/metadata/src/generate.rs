//! Settings + templates ⇒ validated metadata, in source format, Metadata API format, and a zip.
//!
//! The output is byte-for-byte the same for the same input: canonical XML rendering, files in
//! a fixed order, zip entries with a fixed timestamp. A consumer secret is only ever added to
//! the in-memory deploy zip of a create, never to files.

use std::collections::BTreeMap;
use std::io::{Cursor, Write as _};

use crate::config::{AppKind, Settings};
use crate::model::external_client_app::{self as eca, EcaParts, EcaType, PartFile};
use crate::model::{ConnectedApp, ConsumerSecret, Package, PermissionSet, rules};
use crate::problem::Problems;
use crate::schema::{self, schema};
use crate::template::{self, Templates, Value};
use crate::xml::{self, Element};

/// One generated file: a relative path and its bytes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GeneratedFile {
    /// Path relative to the output folder, with `/` separators.
    pub path: String,
    /// The file's contents.
    pub contents: Vec<u8>,
}

/// One generated External Client App component.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EcaComponent {
    /// Its metadata type, folder and suffix.
    pub eca_type: EcaType,
    /// Its full name (file base name).
    pub full_name: String,
    /// The canonical XML (no consumer key or secret).
    pub xml: String,
}

/// The validated metadata for one config.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Generated {
    /// Connected App or External Client App.
    pub app_kind: AppKind,
    /// The app's typed view. For an External Client App this is the ConnectedApp-shaped view
    /// of its components (`model::external_client_app::connected_app_view`).
    pub connected_app: ConnectedApp,
    /// The permission set's typed view; `None` when an existing one is re-used.
    pub permission_set: Option<PermissionSet>,
    /// The manifest's typed view.
    pub package: Package,
    connected_app_xml: String,
    permission_set_xml: Option<String>,
    package_xml: String,
    api_version: String,
    permission_set_name: String,
    eca_components: Vec<EcaComponent>,
}

/// The name of the deploy zip written next to the metadata folders.
pub const DEPLOY_ZIP: &str = "insights-deploy.zip";

/// Fills the templates, validates the result, and renders it canonically.
pub fn generate(settings: &Settings, templates: &Templates) -> Result<Generated, Problems> {
    let values = placeholder_values(settings);
    let mut problems = Problems::default();

    let app_name = &settings.app.api_name;
    let mut eca_components = Vec::new();
    let connected_app = match settings.app_kind {
        AppKind::ConnectedApp => {
            let app_file = format!("connectedApps/{app_name}.connectedApp");
            build(&templates.connected_app, &values, "ConnectedApp", &mut problems, |root| {
                let app = ConnectedApp::from_element(app_name, root);
                rules::check_connected_app(&app, root, &app_file)
            })
        }
        AppKind::ExternalClientApp => {
            let roots = build_eca(settings, templates, &values, &mut problems);
            let mut parts = EcaParts::default();
            for (eca_type, _, root) in &roots {
                parts.set(*eca_type, root);
            }
            let view = (roots.len() == eca::ECA_TYPES.len()).then(|| eca::connected_app_view(&parts));
            eca_components = roots
                .iter()
                .map(|(eca_type, full_name, root)| EcaComponent {
                    eca_type: *eca_type,
                    full_name: full_name.clone(),
                    xml: xml::render(root),
                })
                .collect();
            view
        }
    };

    let ps_name = &settings.permission_set.api_name;
    let ps_file = format!("permissionsets/{ps_name}.permissionset");
    let permission_set = if settings.permission_set.existing {
        None
    } else {
        build(&templates.permission_set, &values, "PermissionSet", &mut problems, |root| {
            let permission_set = PermissionSet::from_element(ps_name, root);
            rules::check_permission_set(&permission_set, root, &ps_file)
        })
    };
    let package_template = match settings.app_kind {
        AppKind::ConnectedApp => &templates.package,
        AppKind::ExternalClientApp => &templates.eca_package,
    };
    let package = build(package_template, &values, "Package", &mut problems, |_| Problems::default());
    let (Some(connected_app), Some(package), true) = (connected_app, package, problems.is_empty()) else {
        return Err(problems);
    };
    let package_xml = xml::render(&package);
    Ok(Generated {
        app_kind: settings.app_kind,
        connected_app: ConnectedApp::from_element(app_name, &connected_app),
        permission_set: permission_set.as_ref().map(|root| PermissionSet::from_element(ps_name, root)),
        package: Package::from_xml(&package_xml, "package.xml")?,
        connected_app_xml: xml::render(&connected_app),
        permission_set_xml: permission_set.as_ref().map(xml::render),
        package_xml,
        api_version: settings.api_version.clone(),
        permission_set_name: ps_name.clone(),
        eca_components,
    })
}

/// Fills, validates and parses the five ECA templates; only the valid ones are returned.
fn build_eca(
    settings: &Settings,
    templates: &Templates,
    values: &BTreeMap<&str, Value>,
    problems: &mut Problems,
) -> Vec<(EcaType, String, Element)> {
    let app_name = &settings.app.api_name;
    let slots = [
        (eca::HEADER, &templates.eca_header),
        (eca::OAUTH_SETTINGS, &templates.eca_oauth_settings),
        (eca::GLOBAL_OAUTH_SETTINGS, &templates.eca_global_oauth_settings),
        (eca::POLICIES, &templates.eca_policies),
        (eca::OAUTH_POLICIES, &templates.eca_oauth_policies),
    ];
    let mut roots = Vec::new();
    for (eca_type, template) in slots {
        let full_name = eca_type.component_name(app_name);
        let file = eca_type.mdapi_path(&full_name);
        let root = build(template, values, eca_type.type_name, problems, |root| {
            eca::check_parts(app_name, &[PartFile { eca_type, file: &file, root }])
        });
        if let Some(root) = root {
            roots.push((eca_type, full_name, root));
        }
    }
    roots
}

fn build(
    template: &template::Template,
    values: &BTreeMap<&str, Value>,
    type_name: &str,
    problems: &mut Problems,
    rules: impl FnOnce(&Element) -> Problems,
) -> Option<Element> {
    let filled = match template::fill(template, values) {
        Ok(filled) => filled,
        Err(found) => {
            problems.extend(found.0);
            return None;
        }
    };
    let root = match xml::parse(&filled.text) {
        Ok(root) => root,
        Err(error) => {
            let problem = crate::Problem::new(
                "",
                type_name,
                format!("not well-formed XML: {}", error.message),
                "fix the XML syntax",
            )
            .at_line(error.line);
            problems.extend(filled.remap(problem.into()).0);
            return None;
        }
    };
    let mut found = schema::validate_document(&root, type_name, "");
    if found.is_empty() {
        found = rules(&root);
    }
    found.extend(org_managed_credentials(&root, ""));
    let remapped = filled.remap(found);
    if remapped.is_empty() {
        Some(root)
    } else {
        problems.extend(remapped.0);
        None
    }
}

/// Consumer keys and secrets in a template: the org owns the key, and the secret must never be
/// written to a file meant for a repository (the tool generates it on create, in memory).
fn org_managed_credentials(element: &Element, path: &str) -> Vec<crate::Problem> {
    let mut found = Vec::new();
    for child in &element.children {
        let name = child.local_name();
        let child_path = if path.is_empty() { name.to_string() } else { format!("{path}/{name}") };
        let fix = match name {
            "consumerSecret" => {
                "remove it: the tool generates the secret on create and keeps it in the secret store"
            }
            "consumerKey" => "remove it: the org generates the consumer key; `insights consumer` reads it",
            _ => {
                found.extend(org_managed_credentials(child, &child_path));
                continue;
            }
        };
        found.push(
            crate::Problem::new("", child_path, format!("a template must not hold <{name}>"), fix)
                .at_line(child.line),
        );
    }
    found
}

fn placeholder_values(settings: &Settings) -> BTreeMap<&'static str, Value> {
    let app = &settings.app;
    let ps = &settings.permission_set;
    let one = |s: &str| Value::One(s.to_string());
    let flag = |b: bool| Value::One(b.to_string());
    let refresh = eca::eca_refresh_policy(&app.refresh_token_policy);
    let validity = refresh.as_ref().and_then(|r| r.validity);
    BTreeMap::from([
        ("app_label", one(&app.label)),
        ("app_api_name", one(&app.api_name)),
        ("contact_email", one(&app.contact_email)),
        ("app_description", one(app.description.as_deref().unwrap_or(""))),
        ("callback_urls", one(&app.callback_urls.join("\n"))),
        ("is_admin_approved", flag(app.admin_approved)),
        ("is_consumer_secret_optional", flag(!app.require_secret_for_web_server_flow)),
        ("is_pkce_required", flag(app.require_pkce)),
        ("is_secret_required_for_refresh_token", flag(app.require_secret_for_refresh_token_flow)),
        ("scopes", Value::Many(app.metadata_scopes.clone())),
        ("ip_relaxation", one(&app.ip_relaxation)),
        ("refresh_token_policy", one(&app.refresh_token_policy)),
        ("permission_set_names", Value::Many(vec![ps.api_name.clone()])),
        ("session_timeout", one(&app.session_timeout_minutes.to_string())),
        ("permission_set_label", one(&ps.label)),
        ("permission_set_api_name", one(&ps.api_name)),
        ("permission_set_description", one(ps.description.as_deref().unwrap_or(""))),
        ("apex_classes", Value::Many(ps.apex_classes.clone())),
        ("connected_app_name", one(&app.api_name)),
        (
            "permission_set_members",
            Value::Many(if ps.existing { Vec::new() } else { vec![ps.api_name.clone()] }),
        ),
        ("api_version", one(&settings.api_version)),
        ("eca_scopes", one(&app.metadata_scopes.join(", "))),
        ("eca_permission_sets", one(&ps.api_name)),
        (
            "eca_permitted_users",
            one(if app.admin_approved { "AdminApprovedPreAuthorized" } else { "AllSelfAuthorized" }),
        ),
        ("eca_ip_relaxation", one(eca::eca_ip_relaxation(&app.ip_relaxation).unwrap_or(&app.ip_relaxation))),
        ("eca_refresh_token_policy", one(refresh.as_ref().map_or("", |r| r.policy_type))),
        ("eca_refresh_token_validity_period", one(&validity.map_or(String::new(), |(n, _)| n.to_string()))),
        ("eca_refresh_token_validity_unit", one(validity.map_or("", |(_, unit)| unit))),
        ("eca_oauth_settings_name", one(&eca::OAUTH_SETTINGS.component_name(&app.api_name))),
        ("eca_global_oauth_settings_name", one(&eca::GLOBAL_OAUTH_SETTINGS.component_name(&app.api_name))),
        ("eca_policies_name", one(&eca::POLICIES.component_name(&app.api_name))),
        ("eca_oauth_policies_name", one(&eca::OAUTH_POLICIES.component_name(&app.api_name))),
    ])
}

impl Generated {
    /// The External Client App components (empty for a Connected App).
    pub fn eca_components(&self) -> &[EcaComponent] {
        &self.eca_components
    }

    /// The canonical ConnectedApp XML (no consumer key or secret). For an External Client App,
    /// the ConnectedApp-shaped view of its settings: not a file that is deployed.
    pub fn connected_app_xml(&self) -> &str {
        &self.connected_app_xml
    }

    /// The canonical PermissionSet XML, unless an existing permission set is re-used.
    pub fn permission_set_xml(&self) -> Option<&str> {
        self.permission_set_xml.as_deref()
    }

    /// The canonical package.xml.
    pub fn package_xml(&self) -> &str {
        &self.package_xml
    }

    /// The permission set linked to the app (generated or existing).
    pub fn permission_set_name(&self) -> &str {
        &self.permission_set_name
    }

    /// The app's files as (Metadata API path, source path below `force-app/main/default/`,
    /// XML): one ConnectedApp, or the five ECA components.
    fn app_files(&self) -> Vec<(String, String, &str)> {
        match self.app_kind {
            AppKind::ConnectedApp => {
                let name = &self.connected_app.full_name;
                vec![(
                    format!("connectedApps/{name}.connectedApp"),
                    format!("connectedApps/{name}.connectedApp-meta.xml"),
                    self.connected_app_xml.as_str(),
                )]
            }
            AppKind::ExternalClientApp => self
                .eca_components
                .iter()
                .map(|c| {
                    (
                        c.eca_type.mdapi_path(&c.full_name),
                        c.eca_type.source_path(&c.full_name),
                        c.xml.as_str(),
                    )
                })
                .collect(),
        }
    }

    /// Metadata API format: `package.xml`, the app's folders (`connectedApps/…`, or
    /// `externalClientApps/…` and the four ECA settings and policies folders), `permissionsets/…`.
    pub fn mdapi_files(&self) -> Vec<GeneratedFile> {
        let mut files = vec![GeneratedFile {
            path: "package.xml".into(),
            contents: self.package_xml.clone().into_bytes(),
        }];
        for (path, _, xml) in self.app_files() {
            files.push(GeneratedFile { path, contents: xml.as_bytes().to_vec() });
        }
        if let Some(xml) = &self.permission_set_xml {
            files.push(GeneratedFile {
                path: format!("permissionsets/{}.permissionset", self.permission_set_name),
                contents: xml.clone().into_bytes(),
            });
        }
        files
    }

    /// Salesforce DX source format: `sfdx-project.json` and `force-app/main/default/…`.
    pub fn source_files(&self) -> Vec<GeneratedFile> {
        let project = serde_json::json!({
            "packageDirectories": [{ "path": "force-app", "default": true }],
            "name": "insights-provision",
            "namespace": "",
            "sourceApiVersion": self.api_version,
        });
        let mut project_json = serde_json::to_string_pretty(&project).unwrap_or_default();
        project_json.push('\n');
        let mut files =
            vec![GeneratedFile { path: "sfdx-project.json".into(), contents: project_json.into_bytes() }];
        for (_, path, xml) in self.app_files() {
            files.push(GeneratedFile {
                path: format!("force-app/main/default/{path}"),
                contents: xml.as_bytes().to_vec(),
            });
        }
        if let Some(xml) = &self.permission_set_xml {
            files.push(GeneratedFile {
                path: format!(
                    "force-app/main/default/permissionsets/{}.permissionset-meta.xml",
                    self.permission_set_name
                ),
                contents: xml.clone().into_bytes(),
            });
        }
        files
    }

    /// Every file `insights generate --out DIR` writes: source format at the root, Metadata
    /// API format under `mdapi/`, and the deploy zip (never with a secret).
    pub fn files(&self) -> Vec<GeneratedFile> {
        let mut files = self.source_files();
        files.extend(
            self.mdapi_files().into_iter().map(|f| GeneratedFile { path: format!("mdapi/{}", f.path), ..f }),
        );
        files.push(GeneratedFile { path: DEPLOY_ZIP.into(), contents: self.deploy_zip(None) });
        files
    }

    /// The Metadata API deploy zip (package.xml at the root, for `singlePackage`). With a
    /// secret, the ConnectedApp (or the ECA's global OAuth settings) carries
    /// `<consumerSecret>`: only for the create deploy, built in memory and never written to
    /// disk by this crate.
    pub fn deploy_zip(&self, consumer_secret: Option<&ConsumerSecret>) -> Vec<u8> {
        let mut files = self.mdapi_files();
        if let Some(secret) = consumer_secret {
            let (suffix, with_secret) = match self.app_kind {
                AppKind::ConnectedApp => {
                    (".connectedApp", with_consumer_secret(&self.connected_app_xml, secret))
                }
                AppKind::ExternalClientApp => {
                    let global =
                        self.eca_components.iter().find(|c| c.eca_type == eca::GLOBAL_OAUTH_SETTINGS);
                    let xml = global.map(|c| c.xml.as_str()).unwrap_or_default();
                    (".ecaGlblOauth", with_eca_consumer_secret(xml, secret))
                }
            };
            if let Some(file) = files.iter_mut().find(|f| f.path.ends_with(suffix)) {
                file.contents = with_secret.into_bytes();
            }
        }
        zip_files(&files)
    }
}

/// The ECA global OAuth settings XML with `<consumerSecret>` inserted in WSDL order.
fn with_eca_consumer_secret(xml: &str, secret: &ConsumerSecret) -> String {
    let Ok(mut root) = xml::parse(xml) else {
        return xml.to_string();
    };
    root.remove_children("consumerSecret");
    insert_in_order(
        &mut root,
        eca::GLOBAL_OAUTH_SETTINGS.type_name,
        Element::with_text("consumerSecret", secret.expose()),
    );
    xml::render(&root)
}

/// The ConnectedApp XML with `<consumerSecret>` inserted in WSDL order.
fn with_consumer_secret(connected_app_xml: &str, secret: &ConsumerSecret) -> String {
    let Ok(mut root) = xml::parse(connected_app_xml) else {
        return connected_app_xml.to_string();
    };
    if let Some(config) = root.child_mut("oauthConfig") {
        config.remove_children("consumerSecret");
        insert_in_order(
            config,
            "ConnectedAppOauthConfig",
            Element::with_text("consumerSecret", secret.expose()),
        );
    }
    xml::render(&root)
}

/// Inserts `child` among `parent`'s children where the schema's sequence puts it.
pub fn insert_in_order(parent: &mut Element, type_name: &str, child: Element) {
    let schema = schema();
    let target = schema.position(type_name, child.local_name()).unwrap_or(usize::MAX);
    let index = parent
        .children
        .iter()
        .position(|c| schema.position(type_name, c.local_name()).unwrap_or(usize::MAX) > target)
        .unwrap_or(parent.children.len());
    parent.children.insert(index, child);
}

/// A zip of `files` in the given order, with fixed timestamps and permissions.
pub fn zip_files(files: &[GeneratedFile]) -> Vec<u8> {
    let options = zip::write::SimpleFileOptions::default()
        .compression_method(zip::CompressionMethod::Deflated)
        .last_modified_time(zip::DateTime::default())
        .unix_permissions(0o644);
    let mut writer = zip::ZipWriter::new(Cursor::new(Vec::new()));
    for file in files {
        // Writing to memory cannot fail for I/O reasons; the zip crate only refuses duplicate
        // names, which the fixed layout above never produces.
        if writer.start_file(file.path.as_str(), options).is_ok() {
            let _ = writer.write_all(&file.contents);
        }
    }
    writer.finish().map(Cursor::into_inner).unwrap_or_default()
}
