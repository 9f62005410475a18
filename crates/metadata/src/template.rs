//! Admin-editable XML templates with `{{named}}` placeholders, filled from the settings.
//!
//! Substituted values are XML-escaped. A line holding a list placeholder is written once per
//! value, and a line whose placeholders are all empty is left out, so optional elements and
//! repeated elements need no template logic. The filled text keeps a map back to template
//! lines, so a problem in an admin's edit points at the template line to fix.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use crate::problem::{Problem, Problems};
use crate::xml::escape;

/// A value for a placeholder.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Value {
    /// One value; empty means "leave the line out".
    One(String),
    /// One line per value.
    Many(Vec<String>),
}

/// One template: where it came from and its text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Template {
    /// The path shown in messages (`metadata-templates/connectedApp.xml`).
    pub name: String,
    /// The template text.
    pub text: String,
}

/// The templates the generator fills: three for a Connected App, six for an External Client
/// App (one per ECA type and its package.xml); the permission set is shared.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Templates {
    /// ConnectedApp.
    pub connected_app: Template,
    /// PermissionSet.
    pub permission_set: Template,
    /// package.xml.
    pub package: Template,
    /// ExternalClientApplication.
    pub eca_header: Template,
    /// ExtlClntAppOauthSettings.
    pub eca_oauth_settings: Template,
    /// ExtlClntAppGlobalOauthSettings.
    pub eca_global_oauth_settings: Template,
    /// ExtlClntAppConfigurablePolicies.
    pub eca_policies: Template,
    /// ExtlClntAppOauthConfigurablePolicies.
    pub eca_oauth_policies: Template,
    /// package.xml of an External Client App deploy.
    pub eca_package: Template,
}

const FILES: [&str; 9] = [
    "connectedApp.xml",
    "permissionSet.xml",
    "package.xml",
    "externalClientApp.xml",
    "ecaOauthSettings.xml",
    "ecaGlobalOauthSettings.xml",
    "ecaPolicies.xml",
    "ecaOauthPolicies.xml",
    "ecaPackage.xml",
];

impl Templates {
    /// The templates shipped in `metadata-templates/`, built into the binary.
    pub fn builtin() -> Self {
        let builtin = |file: &str, text: &str| Template {
            name: format!("metadata-templates/{file}"),
            text: text.to_string(),
        };
        Self {
            connected_app: builtin(FILES[0], include_str!("../../../metadata-templates/connectedApp.xml")),
            permission_set: builtin(FILES[1], include_str!("../../../metadata-templates/permissionSet.xml")),
            package: builtin(FILES[2], include_str!("../../../metadata-templates/package.xml")),
            eca_header: builtin(FILES[3], include_str!("../../../metadata-templates/externalClientApp.xml")),
            eca_oauth_settings: builtin(
                FILES[4],
                include_str!("../../../metadata-templates/ecaOauthSettings.xml"),
            ),
            eca_global_oauth_settings: builtin(
                FILES[5],
                include_str!("../../../metadata-templates/ecaGlobalOauthSettings.xml"),
            ),
            eca_policies: builtin(FILES[6], include_str!("../../../metadata-templates/ecaPolicies.xml")),
            eca_oauth_policies: builtin(
                FILES[7],
                include_str!("../../../metadata-templates/ecaOauthPolicies.xml"),
            ),
            eca_package: builtin(FILES[8], include_str!("../../../metadata-templates/ecaPackage.xml")),
        }
    }

    /// Templates from `dir`; a file missing there falls back to the built-in one.
    pub fn load(dir: &Path) -> Result<Self, Problems> {
        if !dir.is_dir() {
            return Err(Problem::new(
                dir.display().to_string(),
                "templates_dir",
                "is not a folder",
                "point templates_dir at a folder holding edited templates (connectedApp.xml, permissionSet.xml, package.xml, externalClientApp.xml, eca*.xml)",
            )
            .into());
        }
        let mut templates = Self::builtin();
        let slots = [
            &mut templates.connected_app,
            &mut templates.permission_set,
            &mut templates.package,
            &mut templates.eca_header,
            &mut templates.eca_oauth_settings,
            &mut templates.eca_global_oauth_settings,
            &mut templates.eca_policies,
            &mut templates.eca_oauth_policies,
            &mut templates.eca_package,
        ];
        let mut problems = Problems::default();
        for (file, slot) in FILES.iter().zip(slots) {
            let path: PathBuf = dir.join(file);
            match std::fs::read_to_string(&path) {
                Ok(text) => *slot = Template { name: path.display().to_string(), text },
                Err(error) if error.kind() == std::io::ErrorKind::NotFound => {}
                Err(error) => problems.push(Problem::new(
                    path.display().to_string(),
                    "template",
                    format!("cannot read it: {error}"),
                    "check the file's permissions and encoding (UTF-8)",
                )),
            }
        }
        problems.into_result()?;
        Ok(templates)
    }
}

/// A filled template: the text and, for each of its lines, the template line it came from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Filled {
    /// The template's name, for messages.
    pub template: String,
    /// The filled XML.
    pub text: String,
    /// `line_map[i]` is the template line of filled line `i + 1`.
    pub line_map: Vec<usize>,
}

impl Filled {
    /// Re-points problems found in the filled text at the template file and line.
    pub fn remap(&self, problems: Problems) -> Problems {
        Problems(
            problems
                .0
                .into_iter()
                .map(|mut problem| {
                    problem.file = self.template.clone();
                    problem.line =
                        problem.line.and_then(|line| self.line_map.get(line.wrapping_sub(1)).copied());
                    problem
                })
                .collect(),
        )
    }
}

/// Fills `template` with `values`; unknown or malformed placeholders are problems.
pub fn fill(template: &Template, values: &BTreeMap<&str, Value>) -> Result<Filled, Problems> {
    let mut text = String::new();
    let mut line_map = Vec::new();
    let mut problems = Problems::default();
    let mut in_comment = false;
    for (index, line) in template.text.lines().enumerate() {
        let line_number = index + 1;
        // Comments are documentation for the admin: copied as they are, never filled.
        let comment_line = in_comment || line.trim_start().starts_with("<!--");
        if comment_line {
            in_comment = !line.contains("-->");
            text.push_str(line);
            text.push('\n');
            line_map.push(line_number);
            continue;
        }
        let pieces = match split_placeholders(line) {
            Ok(pieces) => pieces,
            Err(message) => {
                problems.push(
                    Problem::new(&template.name, "placeholder", message, "write placeholders as {{name}}")
                        .at_line(line_number),
                );
                continue;
            }
        };
        let mut list: Option<&[String]> = None;
        let mut any_placeholder = false;
        let mut any_value = false;
        for piece in &pieces {
            let Piece::Placeholder(name) = piece else { continue };
            any_placeholder = true;
            match values.get(name.as_str()) {
                None => problems.push(
                    Problem::new(
                        &template.name,
                        format!("{{{{{name}}}}}"),
                        format!("unknown placeholder {{{{{name}}}}}"),
                        known(values),
                    )
                    .at_line(line_number),
                ),
                Some(Value::One(value)) => any_value |= !value.is_empty(),
                Some(Value::Many(items)) => {
                    if list.is_some() {
                        problems.push(
                            Problem::new(
                                &template.name,
                                format!("{{{{{name}}}}}"),
                                "two list placeholders on one line",
                                "put each list placeholder on its own line",
                            )
                            .at_line(line_number),
                        );
                    }
                    any_value |= !items.is_empty();
                    list = Some(items);
                }
            }
        }
        if any_placeholder && !any_value {
            continue;
        }
        let repeats: Vec<Option<&String>> = match list {
            Some(items) => items.iter().map(Some).collect(),
            None => vec![None],
        };
        for item in repeats {
            let mut filled = String::new();
            for piece in &pieces {
                match piece {
                    Piece::Literal(literal) => filled.push_str(literal),
                    Piece::Placeholder(name) => match values.get(name.as_str()) {
                        Some(Value::One(value)) => filled.push_str(&escape(value)),
                        Some(Value::Many(_)) => filled.push_str(&escape(item.map_or("", String::as_str))),
                        None => {}
                    },
                }
            }
            for _ in filled.lines() {
                line_map.push(line_number);
            }
            text.push_str(&filled);
            text.push('\n');
        }
    }
    problems.into_result()?;
    Ok(Filled { template: template.name.clone(), text, line_map })
}

fn known(values: &BTreeMap<&str, Value>) -> String {
    let names: Vec<String> = values.keys().map(|k| format!("{{{{{k}}}}}")).collect();
    format!("use one of {}", names.join(", "))
}

#[derive(Debug, PartialEq)]
enum Piece {
    Literal(String),
    Placeholder(String),
}

fn split_placeholders(line: &str) -> Result<Vec<Piece>, String> {
    let mut pieces = Vec::new();
    let mut rest = line;
    while let Some(start) = rest.find("{{") {
        pieces.push(Piece::Literal(rest[..start].to_string()));
        let after = &rest[start + 2..];
        let end =
            after.find("}}").ok_or_else(|| "a placeholder opened with {{ is never closed".to_string())?;
        let name = after[..end].trim();
        if name.is_empty() || !name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_') {
            return Err(format!("'{{{{{}}}}}' is not a placeholder name", &after[..end]));
        }
        pieces.push(Piece::Placeholder(name.to_string()));
        rest = &after[end + 2..];
    }
    pieces.push(Piece::Literal(rest.to_string()));
    Ok(pieces)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn template(text: &str) -> Template {
        Template { name: "t.xml".into(), text: text.into() }
    }

    #[test]
    fn fills_escapes_repeats_and_drops_empty_lines() {
        let mut values = BTreeMap::new();
        values.insert("label", Value::One("A & <B>".into()));
        values.insert("none", Value::One(String::new()));
        values.insert("items", Value::Many(vec!["x".into(), "y".into()]));
        let filled =
            fill(&template("<a>{{label}}</a>\n<b>{{none}}</b>\n<i>{{items}}</i>\n<c/>"), &values).unwrap();
        assert_eq!(filled.text, "<a>A &amp; &lt;B&gt;</a>\n<i>x</i>\n<i>y</i>\n<c/>\n");
        assert_eq!(filled.line_map, vec![1, 3, 3, 4]);
    }

    #[test]
    fn unknown_and_broken_placeholders_name_the_line() {
        let values = BTreeMap::new();
        let problems = fill(&template("<a/>\n<b>{{nope}}</b>\n<c>{{oops</c>"), &values).unwrap_err();
        assert_eq!(problems.0.len(), 2);
        assert_eq!(problems.0[0].line, Some(2));
        assert!(problems.0[0].message.contains("{{nope}}"));
        assert_eq!(problems.0[1].line, Some(3));
    }
}
