//! Typed views of the metadata this project deploys, read from validated XML.
//!
//! Each `from_xml` parses the document, validates it against the WSDL schema and the rules a
//! real org applies, and returns every problem at once. The typed view holds the settings the
//! setup guide cares about; the XML itself stays the source of truth for everything else.

mod connected_app;
pub mod external_client_app;
mod package;
mod permission_set;
pub mod rules;

pub use connected_app::{ConnectedApp, ConsumerSecret, OauthConfig, OauthPolicy, SessionPolicy};
pub use package::{Package, PackageTypeMembers};
pub use permission_set::{ApexClassAccess, PermissionSet};

use crate::problem::{Problem, Problems};
use crate::schema;
use crate::xml::{self, Element};

/// Parses `document` and validates it as metadata type `type_name`.
pub fn parse_validated(document: &str, type_name: &str, file: &str) -> Result<Element, Problems> {
    let root = xml::parse(document).map_err(|error| {
        Problems::from(
            Problem::new(
                file,
                type_name,
                format!("not well-formed XML: {}", error.message),
                "fix the XML syntax",
            )
            .at_line(error.line),
        )
    })?;
    schema::validate_document(&root, type_name, file).into_result()?;
    Ok(root)
}

fn text_of(element: &Element, name: &str) -> Option<String> {
    element.child_text(name).map(|t| t.trim().to_string())
}

fn bool_of(element: &Element, name: &str) -> Option<bool> {
    element.child_text(name).map(|t| t.trim() == "true")
}
