//! The first half of deploy validation: finding `package.xml`, and matching its members with
//! the component files in the zip, as a real org does before it looks inside any file.

use std::collections::{BTreeMap, BTreeSet};

use insights_metadata::model::Package;
use insights_metadata::model::external_client_app as eca;

use super::deploy_result::DeployMessage;
use super::zip_package::{ZipEntries, package_root};

/// A metadata type the emulated org deploys: its name, folder and file suffix.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DeployableType {
    pub name: &'static str,
    pub folder: &'static str,
    pub suffix: &'static str,
}

pub const CONNECTED_APP: DeployableType =
    DeployableType { name: "ConnectedApp", folder: "connectedApps", suffix: "connectedApp" };

pub const PERMISSION_SET: DeployableType =
    DeployableType { name: "PermissionSet", folder: "permissionsets", suffix: "permissionset" };

/// The External Client App types (folders and suffixes as in `insights_metadata::model::
/// external_client_app`, from Salesforce's Metadata API reference).
pub const ECA_TYPES: [DeployableType; 5] = [
    eca_type(eca::HEADER),
    eca_type(eca::OAUTH_SETTINGS),
    eca_type(eca::GLOBAL_OAUTH_SETTINGS),
    eca_type(eca::POLICIES),
    eca_type(eca::OAUTH_POLICIES),
];

const fn eca_type(t: eca::EcaType) -> DeployableType {
    DeployableType { name: t.type_name, folder: t.folder, suffix: t.suffix }
}

pub const DEPLOYABLE_TYPES: [DeployableType; 7] =
    [CONNECTED_APP, PERMISSION_SET, ECA_TYPES[0], ECA_TYPES[1], ECA_TYPES[2], ECA_TYPES[3], ECA_TYPES[4]];

/// One component file of the deploy, listed in package.xml.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Component {
    pub kind: DeployableType,
    pub full_name: String,
    /// The path in the zip, root folder included (echoed in `fileName`).
    pub file_name: String,
    pub content: String,
}

/// The components to validate further, and the failures found so far.
#[derive(Debug, Default)]
pub struct PackageCheck {
    pub components: Vec<Component>,
    pub failures: Vec<DeployMessage>,
    /// The path of package.xml in the zip (`package.xml`, `zip/package.xml`).
    pub package_file: String,
    /// Files counted as components, including ones that failed here.
    pub component_count: i64,
}

/// Matches package.xml with the zip's files.
pub fn check_package(entries: &ZipEntries, single_package: bool, now: &str) -> PackageCheck {
    let mut check = PackageCheck::default();
    let Some(root) = package_root(entries, single_package) else {
        check.package_file = "package.xml".into();
        check.failures.push(package_failure("package.xml", "No package.xml found", now));
        return check;
    };
    check.package_file = format!("{root}package.xml");
    let package_text = entries
        .get(&check.package_file)
        .map(|bytes| String::from_utf8_lossy(bytes).into_owned())
        .unwrap_or_default();
    let package = match Package::from_xml(&package_text, &check.package_file) {
        Ok(package) => package,
        Err(problems) => {
            for problem in problems.iter() {
                check.failures.push(
                    package_failure(&check.package_file, &super::deploy_rules::problem_text(problem), now)
                        .at_line(problem.line.and_then(|line| i64::try_from(line).ok())),
                );
            }
            return check;
        }
    };

    let mut listed: BTreeMap<&'static str, BTreeSet<String>> = BTreeMap::new();
    for types in &package.types {
        match DEPLOYABLE_TYPES.iter().find(|kind| kind.name == types.name) {
            Some(kind) => listed.entry(kind.name).or_default().extend(types.members.iter().cloned()),
            None => check.failures.push(package_failure(
                &check.package_file,
                &format!("Unknown type name '{}' specified in package.xml", types.name),
                now,
            )),
        }
    }

    let mut found: BTreeMap<&'static str, BTreeSet<String>> = BTreeMap::new();
    for (path, bytes) in entries {
        if *path == check.package_file {
            continue;
        }
        check.component_count += 1;
        let Some(relative) = path.strip_prefix(&root) else {
            check.failures.push(DeployMessage::failure(
                "",
                path,
                path,
                format!("The file {path} is outside the package folder {root}"),
                now,
            ));
            continue;
        };
        let Some((kind, full_name)) = classify(relative) else {
            check.failures.push(DeployMessage::failure(
                "",
                relative,
                path,
                format!(
                    "Unknown metadata file {relative}: this org deploys only connectedApps/*.connectedApp \
                     (ConnectedApp) and permissionsets/*.permissionset (PermissionSet)"
                ),
                now,
            ));
            continue;
        };
        let members = listed.get(kind.name);
        let is_listed = members.is_some_and(|m| m.contains("*") || m.contains(&full_name));
        if !is_listed {
            check.failures.push(DeployMessage::failure(
                kind.name,
                &full_name,
                path,
                format!("{} '{full_name}' is in the zip ({path}) but is not named in package.xml", kind.name),
                now,
            ));
            continue;
        }
        found.entry(kind.name).or_default().insert(full_name.clone());
        check.components.push(Component {
            kind,
            full_name,
            file_name: path.clone(),
            content: String::from_utf8_lossy(bytes).into_owned(),
        });
    }

    for (type_name, members) in &listed {
        for member in members.iter().filter(|m| *m != "*") {
            if !found.get(type_name).is_some_and(|names| names.contains(member)) {
                check.component_count += 1;
                check.failures.push(DeployMessage::failure(
                    type_name,
                    member,
                    &check.package_file,
                    format!(
                        "An object '{member}' of type {type_name} was named in package.xml, \
                         but was not found in zipped directory"
                    ),
                    now,
                ));
            }
        }
    }
    check
}

/// `connectedApps/X.connectedApp` ⇒ (ConnectedApp, `X`).
fn classify(relative: &str) -> Option<(DeployableType, String)> {
    let (folder, file) = relative.split_once('/')?;
    let kind = DEPLOYABLE_TYPES.iter().find(|kind| kind.folder == folder)?;
    let full_name = file.strip_suffix(&format!(".{}", kind.suffix))?;
    (!full_name.is_empty() && !full_name.contains('/')).then(|| (*kind, full_name.to_string()))
}

fn package_failure(file: &str, problem: &str, now: &str) -> DeployMessage {
    DeployMessage::failure("", "package.xml", file, problem, now)
}

#[cfg(test)]
mod tests {
    use super::*;

    const NOW: &str = "2026-01-01T00:00:00.000Z";

    fn package(types: &str) -> Vec<u8> {
        format!(
            "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<Package xmlns=\"http://soap.sforce.com/2006/04/metadata\">\n{types}\n    <version>66.0</version>\n</Package>\n"
        )
        .into_bytes()
    }

    fn entries(files: &[(&str, Vec<u8>)]) -> ZipEntries {
        files.iter().map(|(path, bytes)| (path.to_string(), bytes.clone())).collect()
    }

    #[test]
    fn matches_members_with_files_under_a_root_folder() {
        let zip = entries(&[
            ("zip/package.xml", package("<types><members>App</members><name>ConnectedApp</name></types>")),
            ("zip/connectedApps/App.connectedApp", b"<ConnectedApp/>".to_vec()),
        ]);
        let check = check_package(&zip, false, NOW);
        assert!(check.failures.is_empty(), "{:?}", check.failures);
        assert_eq!(check.components.len(), 1);
        assert_eq!(check.components[0].file_name, "zip/connectedApps/App.connectedApp");
        assert_eq!(check.package_file, "zip/package.xml");
    }

    #[test]
    fn reports_unlisted_files_missing_files_and_unknown_types() {
        let zip = entries(&[
            (
                "package.xml",
                package(
                    "<types><members>Missing</members><name>ConnectedApp</name></types><types><members>X</members><name>CustomThing</name></types>",
                ),
            ),
            ("permissionsets/Extra.permissionset", b"<PermissionSet/>".to_vec()),
            ("classes/A.cls", b"class A {}".to_vec()),
        ]);
        let check = check_package(&zip, true, NOW);
        let problems: Vec<_> = check.failures.iter().filter_map(|f| f.problem.clone()).collect();
        assert!(
            problems.contains(&"Unknown type name 'CustomThing' specified in package.xml".to_string()),
            "{problems:?}"
        );
        assert!(problems.contains(&"PermissionSet 'Extra' is in the zip (permissionsets/Extra.permissionset) but is not named in package.xml".to_string()));
        assert!(problems.contains(&"An object 'Missing' of type ConnectedApp was named in package.xml, but was not found in zipped directory".to_string()));
        assert!(problems.iter().any(|p| p.starts_with("Unknown metadata file classes/A.cls")));
        assert!(check.components.is_empty());
    }

    #[test]
    fn wildcard_lists_every_file_of_its_type() {
        let zip = entries(&[
            ("package.xml", package("<types><members>*</members><name>PermissionSet</name></types>")),
            ("permissionsets/A.permissionset", b"<PermissionSet/>".to_vec()),
            ("permissionsets/B.permissionset", b"<PermissionSet/>".to_vec()),
        ]);
        let check = check_package(&zip, true, NOW);
        assert!(check.failures.is_empty());
        assert_eq!(check.components.len(), 2);
    }

    #[test]
    fn missing_package_xml_is_one_failure() {
        let zip = entries(&[("connectedApps/A.connectedApp", b"<ConnectedApp/>".to_vec())]);
        let check = check_package(&zip, true, NOW);
        assert_eq!(check.failures[0].problem.as_deref(), Some("No package.xml found"));
    }
}
