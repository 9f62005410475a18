//! `cargo xtask schema`: extracts the metadata types this project writes from the Metadata API
//! WSDL into `crates/metadata/schema/metadata-types.json`.
//!
//! The WSDL is 2 MB; the generator only needs the element names, their order, their
//! cardinality and the enumerations of the few types reachable from the roots below. The
//! extracted file is committed; a test in `insights-metadata` fails when it is stale.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

use anyhow::{Context, bail};
use quick_xml::Reader;
use quick_xml::events::{BytesStart, Event};
use serde::Serialize;

/// The metadata types whose files this project generates, parses or validates.
pub const ROOTS: &[&str] = &[
    "ConnectedApp",
    "PermissionSet",
    "Package",
    "ExternalClientApplication",
    "ExtlClntAppOauthSettings",
    "ExtlClntAppGlobalOauthSettings",
    "ExtlClntAppOauthConfigurablePolicies",
    "ExtlClntAppConfigurablePolicies",
];

#[derive(Debug, Serialize)]
struct Schema {
    source: String,
    roots: Vec<String>,
    types: BTreeMap<String, Vec<Particle>>,
    enums: BTreeMap<String, Vec<String>>,
}

#[derive(Debug, Clone, Serialize)]
struct Particle {
    name: String,
    #[serde(rename = "type")]
    type_name: String,
    min: u32,
    /// `None` means unbounded.
    max: Option<u32>,
}

#[derive(Debug, Default)]
struct RawComplex {
    base: Option<String>,
    particles: Vec<Particle>,
}

/// Paths the task reads and writes, relative to the workspace root.
pub fn default_paths(root: &Path) -> (PathBuf, PathBuf) {
    (root.join("../shared/salesforce/metadata.wsdl"), root.join("crates/metadata/schema/metadata-types.json"))
}

/// Reads the WSDL and writes the extracted schema, or with `check` only compares.
pub fn run(root: &Path, check: bool) -> anyhow::Result<()> {
    let (wsdl_path, out_path) = default_paths(root);
    let wsdl = std::fs::read_to_string(&wsdl_path)
        .with_context(|| format!("reading the WSDL at {}", wsdl_path.display()))?;
    let json = extract(&wsdl)?;
    if check {
        let current = std::fs::read_to_string(&out_path).unwrap_or_default();
        if current != json {
            bail!("{} is stale: run `cargo xtask schema`", out_path.display());
        }
        eprintln!("{} is up to date", out_path.display());
    } else {
        std::fs::write(&out_path, json).with_context(|| format!("writing {}", out_path.display()))?;
        eprintln!("wrote {}", out_path.display());
    }
    Ok(())
}

/// Extracts the closure of types reachable from [`ROOTS`] as pretty JSON.
pub fn extract(wsdl: &str) -> anyhow::Result<String> {
    let (complex, enums) = read_types(wsdl)?;
    let mut types = BTreeMap::new();
    let mut used_enums = BTreeMap::new();
    let mut pending: Vec<String> = ROOTS.iter().map(|s| s.to_string()).collect();
    let mut seen = BTreeSet::new();
    while let Some(name) = pending.pop() {
        if !seen.insert(name.clone()) {
            continue;
        }
        let particles = flatten(&complex, &name)?;
        for particle in &particles {
            let Some(local) = particle.type_name.strip_prefix("tns:") else {
                continue;
            };
            if complex.contains_key(local) {
                pending.push(local.to_string());
            } else if let Some(values) = enums.get(local) {
                used_enums.insert(local.to_string(), values.clone());
            } else {
                bail!("type {local} (used by {name}) is neither complex nor an enumeration");
            }
        }
        types.insert(name, particles);
    }
    let schema = Schema {
        source: "../shared/salesforce/metadata.wsdl (Metadata API 66.0), by `cargo xtask schema`".to_string(),
        roots: ROOTS.iter().map(|s| s.to_string()).collect(),
        types,
        enums: used_enums,
    };
    Ok(serde_json::to_string_pretty(&schema)? + "\n")
}

fn flatten(complex: &BTreeMap<String, RawComplex>, name: &str) -> anyhow::Result<Vec<Particle>> {
    let raw = complex.get(name).with_context(|| format!("complex type {name} not found in the WSDL"))?;
    let mut particles = match &raw.base {
        Some(base) => flatten(complex, base)?,
        None => Vec::new(),
    };
    particles.extend(raw.particles.iter().cloned());
    Ok(particles)
}

type Types = (BTreeMap<String, RawComplex>, BTreeMap<String, Vec<String>>);

fn read_types(wsdl: &str) -> anyhow::Result<Types> {
    let mut reader = Reader::from_str(wsdl);
    let mut complex: BTreeMap<String, RawComplex> = BTreeMap::new();
    let mut enums: BTreeMap<String, Vec<String>> = BTreeMap::new();
    let mut current_complex: Option<String> = None;
    let mut current_simple: Option<String> = None;
    let mut depth_in_schema = false;
    loop {
        let event = reader.read_event().context("parsing the WSDL")?;
        let (element, is_empty) = match &event {
            Event::Start(e) => (Some(e.clone()), false),
            Event::Empty(e) => (Some(e.clone()), true),
            Event::End(e) => {
                match e.local_name().as_ref() as &str {
                    "complexType" => current_complex = None,
                    "simpleType" => current_simple = None,
                    "schema" => depth_in_schema = false,
                    _ => {}
                }
                continue;
            }
            Event::Eof => break,
            _ => continue,
        };
        let Some(element) = element else { continue };
        match element.local_name().as_ref() as &str {
            "schema" => depth_in_schema = !is_empty,
            "complexType" if depth_in_schema => {
                if let Some(name) = attr(&element, "name") {
                    complex.entry(name.clone()).or_default();
                    current_complex = (!is_empty).then_some(name);
                }
            }
            "simpleType" if depth_in_schema => {
                if let Some(name) = attr(&element, "name") {
                    current_simple = (!is_empty).then_some(name);
                }
            }
            "extension" => {
                if let (Some(owner), Some(base)) = (&current_complex, attr(&element, "base")) {
                    let base = base.trim_start_matches("tns:").to_string();
                    complex.entry(owner.clone()).or_default().base = Some(base);
                }
            }
            "element" => {
                if let Some(owner) = &current_complex {
                    let particle = Particle {
                        name: attr(&element, "name").context("xsd:element without a name")?,
                        type_name: attr(&element, "type").unwrap_or_else(|| "xsd:string".into()),
                        min: attr(&element, "minOccurs").map_or(Ok(1), |v| v.parse())?,
                        max: match attr(&element, "maxOccurs").as_deref() {
                            Some("unbounded") => None,
                            Some(v) => Some(v.parse()?),
                            None => Some(1),
                        },
                    };
                    complex.entry(owner.clone()).or_default().particles.push(particle);
                }
            }
            "enumeration" => {
                if let (Some(owner), Some(value)) = (&current_simple, attr(&element, "value")) {
                    enums.entry(owner.clone()).or_default().push(value);
                }
            }
            _ => {}
        }
    }
    Ok((complex, enums))
}

fn attr(element: &BytesStart<'_>, name: &str) -> Option<String> {
    element
        .attributes()
        .flatten()
        .find(|a| AsRef::<str>::as_ref(&a.key) == name)
        .and_then(|a| a.normalized_value(quick_xml::XmlVersion::Implicit1_0).ok().map(|v| v.into_owned()))
}
