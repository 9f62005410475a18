//! Settings + templates ⇒ validated metadata, in source format, Metadata API format, and a zip.
//!
//! The output is byte-for-byte the same for the same input: canonical XML rendering, files in
//! a fixed order, zip entries with a fixed timestamp. A consumer secret is only ever added to
//! the in-memory deploy zip of a create, never to files.

use std::collections::BTreeMap;
use std::io::{Cursor, Write as _};

use crate::config::Settings;
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

/// The validated metadata for one config.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Generated {
    /// The Connected App's typed view.
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
}

/// The name of the deploy zip written next to the metadata folders.
pub const DEPLOY_ZIP: &str = "insights-deploy.zip";

/// Fills the templates, validates the result, and renders it canonically.
pub fn generate(settings: &Settings, templates: &Templates) -> Result<Generated, Problems> {
    let values = placeholder_values(settings);
    let mut problems = Problems::default();

    let app_name = &settings.app.api_name;
    let app_file = format!("connectedApps/{app_name}.connectedApp");
    let connected_app = build(&templates.connected_app, &values, "ConnectedApp", &mut problems, |root| {
        let app = ConnectedApp::from_element(app_name, root);
        rules::check_connected_app(&app, root, &app_file)
    });

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
    let package = build(&templates.package, &values, "Package", &mut problems, |_| Problems::default());
    let (Some(connected_app), Some(package), true) = (connected_app, package, problems.is_empty()) else {
        return Err(problems);
    };
    let package_xml = xml::render(&package);
    Ok(Generated {
        connected_app: ConnectedApp::from_element(app_name, &connected_app),
        permission_set: permission_set.as_ref().map(|root| PermissionSet::from_element(ps_name, root)),
        package: Package::from_xml(&package_xml, "package.xml")?,
        connected_app_xml: xml::render(&connected_app),
        permission_set_xml: permission_set.as_ref().map(xml::render),
        package_xml,
        api_version: settings.api_version.clone(),
        permission_set_name: ps_name.clone(),
    })
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
    let remapped = filled.remap(found);
    if remapped.is_empty() {
        Some(root)
    } else {
        problems.extend(remapped.0);
        None
    }
}

fn placeholder_values(settings: &Settings) -> BTreeMap<&'static str, Value> {
    let app = &settings.app;
    let ps = &settings.permission_set;
    let one = |s: &str| Value::One(s.to_string());
    let flag = |b: bool| Value::One(b.to_string());
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
    ])
}

impl Generated {
    /// The canonical ConnectedApp XML (no consumer key or secret).
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

    /// Metadata API format: `package.xml`, `connectedApps/…`, `permissionsets/…`.
    pub fn mdapi_files(&self) -> Vec<GeneratedFile> {
        let mut files = vec![GeneratedFile {
            path: "package.xml".into(),
            contents: self.package_xml.clone().into_bytes(),
        }];
        files.push(GeneratedFile {
            path: format!("connectedApps/{}.connectedApp", self.connected_app.full_name),
            contents: self.connected_app_xml.clone().into_bytes(),
        });
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
        files.push(GeneratedFile {
            path: format!(
                "force-app/main/default/connectedApps/{}.connectedApp-meta.xml",
                self.connected_app.full_name
            ),
            contents: self.connected_app_xml.clone().into_bytes(),
        });
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
    /// secret, the ConnectedApp carries `<consumerSecret>`: only for the create deploy, built
    /// in memory and never written to disk by this crate.
    pub fn deploy_zip(&self, consumer_secret: Option<&ConsumerSecret>) -> Vec<u8> {
        let mut files = self.mdapi_files();
        if let Some(secret) = consumer_secret {
            files[1].contents = with_consumer_secret(&self.connected_app_xml, secret).into_bytes();
        }
        zip_files(&files)
    }
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
