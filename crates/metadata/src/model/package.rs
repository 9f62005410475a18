//! `package.xml`: the manifest of a deploy or retrieve.

use serde::Serialize;

use super::{parse_validated, text_of};
use crate::problem::{Problem, Problems};

/// The manifest.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Package {
    /// One entry per metadata type.
    pub types: Vec<PackageTypeMembers>,
    /// The API version, e.g. `66.0`.
    pub version: String,
}

/// `types`: the members of one metadata type.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct PackageTypeMembers {
    /// Full names, or `*`.
    pub members: Vec<String>,
    /// The metadata type, e.g. `ConnectedApp`.
    pub name: String,
}

impl Package {
    /// Parses and validates a `package.xml`.
    pub fn from_xml(document: &str, file: &str) -> Result<Self, Problems> {
        let root = parse_validated(document, "Package", file)?;
        let package = Self {
            types: root
                .children_named("types")
                .map(|t| PackageTypeMembers {
                    members: t.children_named("members").map(|m| m.text.trim().to_string()).collect(),
                    name: text_of(t, "name").unwrap_or_default(),
                })
                .collect(),
            version: text_of(&root, "version").unwrap_or_default(),
        };
        let mut problems = Problems::default();
        let version_ok = package
            .version
            .split_once('.')
            .is_some_and(|(major, minor)| major.parse::<u32>().is_ok() && minor == "0");
        if !version_ok {
            let line = root.child("version").map_or(root.line, |v| v.line);
            problems.push(
                Problem::new(
                    file,
                    "version",
                    format!("'{}' is not an API version", package.version),
                    "write a version such as 66.0",
                )
                .at_line(line),
            );
        }
        problems.into_result()?;
        Ok(package)
    }

    /// The members listed for one metadata type.
    pub fn members_of(&self, type_name: &str) -> Vec<&str> {
        self.types
            .iter()
            .filter(|t| t.name == type_name)
            .flat_map(|t| t.members.iter().map(String::as_str))
            .collect()
    }
}
