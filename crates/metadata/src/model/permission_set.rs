//! The PermissionSet metadata type, as far as the Insights+ setup uses it.

use serde::Serialize;

use super::{bool_of, parse_validated, rules, text_of};
use crate::problem::Problems;
use crate::xml::Element;

/// A permission set: `permissionsets/NAME.permissionset`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct PermissionSet {
    /// The API name (file base name).
    pub full_name: String,
    /// Apex Class Access.
    pub class_accesses: Vec<ApexClassAccess>,
    /// Description.
    pub description: Option<String>,
    /// Session activation required.
    pub has_activation_required: Option<bool>,
    /// Label.
    pub label: String,
}

/// `classAccesses`: one Apex class and whether access is enabled.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ApexClassAccess {
    /// The class name.
    pub apex_class: String,
    /// Whether the permission set grants it.
    pub enabled: bool,
}

impl PermissionSet {
    /// Parses and validates `permissionsets/<full_name>.permissionset`.
    pub fn from_xml(full_name: &str, document: &str, file: &str) -> Result<Self, Problems> {
        let root = parse_validated(document, "PermissionSet", file)?;
        let permission_set = Self::from_element(full_name, &root);
        rules::check_permission_set(&permission_set, &root, file).into_result()?;
        Ok(permission_set)
    }

    /// Reads the typed view from a schema-valid element.
    pub fn from_element(full_name: &str, root: &Element) -> Self {
        Self {
            full_name: full_name.to_string(),
            class_accesses: root
                .children_named("classAccesses")
                .map(|c| ApexClassAccess {
                    apex_class: text_of(c, "apexClass").unwrap_or_default(),
                    enabled: bool_of(c, "enabled").unwrap_or(false),
                })
                .collect(),
            description: text_of(root, "description"),
            has_activation_required: bool_of(root, "hasActivationRequired"),
            label: text_of(root, "label").unwrap_or_default(),
        }
    }

    /// Apex classes this permission set grants access to.
    pub fn enabled_classes(&self) -> impl Iterator<Item = &str> {
        self.class_accesses.iter().filter(|c| c.enabled).map(|c| c.apex_class.as_str())
    }
}
