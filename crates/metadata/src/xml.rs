//! A small XML element tree with line numbers, and the canonical rendering Salesforce uses for
//! retrieved metadata (XML declaration, default namespace on the root, 4-space indentation).
//!
//! Metadata files have no mixed content: an element holds either text or child elements. The
//! parser keeps line numbers so that problems point at the line an admin has to edit.

use std::fmt::Write as _;

use quick_xml::Reader;
use quick_xml::events::{BytesStart, Event};

/// The namespace of every Metadata API document.
pub const METADATA_NS: &str = "http://soap.sforce.com/2006/04/metadata";

/// How deep elements may nest before the document is refused.
const MAX_DEPTH: usize = 64;

/// One element: its name as written, attributes, and either text or children.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Element {
    /// The name as written, with its prefix if any (`ConnectedApp`, `soapenv:Body`).
    pub name: String,
    /// Attributes in document order, values unescaped.
    pub attributes: Vec<(String, String)>,
    /// Child elements in document order.
    pub children: Vec<Element>,
    /// The text content, unescaped (empty for elements with children).
    pub text: String,
    /// The 1-based line of the start tag.
    pub line: usize,
}

/// Why a document could not be read as XML.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("line {line}: {message}")]
pub struct XmlError {
    /// The 1-based line where reading failed.
    pub line: usize,
    /// What was wrong, in plain words.
    pub message: String,
}

impl Element {
    /// A new element with text content.
    pub fn with_text(name: impl Into<String>, text: impl Into<String>) -> Self {
        Self { name: name.into(), attributes: Vec::new(), children: Vec::new(), text: text.into(), line: 0 }
    }

    /// A new element with children.
    pub fn with_children(name: impl Into<String>, children: Vec<Element>) -> Self {
        Self { name: name.into(), attributes: Vec::new(), children, text: String::new(), line: 0 }
    }

    /// The name without its namespace prefix.
    pub fn local_name(&self) -> &str {
        self.name.rsplit(':').next().unwrap_or(&self.name)
    }

    /// The first child with this local name.
    pub fn child(&self, local_name: &str) -> Option<&Element> {
        self.children.iter().find(|c| c.local_name() == local_name)
    }

    /// The first child with this local name, mutably.
    pub fn child_mut(&mut self, local_name: &str) -> Option<&mut Element> {
        self.children.iter_mut().find(|c| c.local_name() == local_name)
    }

    /// Every child with this local name.
    pub fn children_named<'a>(&'a self, local_name: &'a str) -> impl Iterator<Item = &'a Element> {
        self.children.iter().filter(move |c| c.local_name() == local_name)
    }

    /// The text of the first child with this local name.
    pub fn child_text(&self, local_name: &str) -> Option<&str> {
        self.child(local_name).map(|c| c.text.as_str())
    }

    /// Removes every child with this local name; returns how many were removed.
    pub fn remove_children(&mut self, local_name: &str) -> usize {
        let before = self.children.len();
        self.children.retain(|c| c.local_name() != local_name);
        before - self.children.len()
    }

    /// The value of an attribute, by its name as written.
    pub fn attribute(&self, name: &str) -> Option<&str> {
        self.attributes.iter().find(|(key, _)| key == name).map(|(_, value)| value.as_str())
    }
}

/// Parses a whole document into its root element.
pub fn parse(document: &str) -> Result<Element, XmlError> {
    let lines = LineIndex::new(document);
    let mut reader = Reader::from_str(document);
    reader.config_mut().check_end_names = true;
    let mut stack: Vec<Element> = Vec::new();
    let mut root: Option<Element> = None;
    loop {
        let position = reader.buffer_position() as usize;
        let event = reader.read_event().map_err(|error| XmlError {
            line: lines.line_of(reader.error_position() as usize),
            message: error.to_string(),
        })?;
        let line = lines.line_of(position);
        let fail = |message: String| XmlError { line, message };
        match event {
            Event::Start(start) | Event::Empty(start) if root.is_some() => {
                let _ = start;
                return Err(fail("content after the root element".into()));
            }
            Event::Start(start) => {
                if stack.len() >= MAX_DEPTH {
                    return Err(fail(format!("elements nest deeper than {MAX_DEPTH} levels")));
                }
                stack.push(open(&start, line)?);
            }
            Event::Empty(start) => {
                let element = open(&start, line)?;
                close(element, &mut stack, &mut root).map_err(fail)?;
            }
            Event::End(_) => {
                let element = stack.pop().ok_or_else(|| fail("unexpected end tag".into()))?;
                close(element, &mut stack, &mut root).map_err(fail)?;
            }
            Event::Text(text) => {
                let content = text.xml10_content();
                push_text(&mut stack, &content, root.is_some()).map_err(fail)?;
            }
            Event::CData(data) => {
                let content = data.xml10_content();
                push_text(&mut stack, &content, root.is_some()).map_err(fail)?;
            }
            Event::GeneralRef(reference) => {
                let resolved = resolve_reference(&reference)
                    .ok_or_else(|| fail(format!("unknown entity `&{};`", &*reference)))?;
                push_text(&mut stack, &resolved, root.is_some()).map_err(fail)?;
            }
            Event::DocType(_) => return Err(fail("a DOCTYPE is not allowed".into())),
            Event::Decl(_) | Event::Comment(_) | Event::PI(_) => {}
            Event::Eof => break,
        }
    }
    if let Some(open) = stack.last() {
        return Err(XmlError {
            line: lines.line_of(document.len()),
            message: format!("element <{}> (line {}) is never closed", open.name, open.line),
        });
    }
    root.ok_or_else(|| XmlError { line: 1, message: "the document has no root element".into() })
}

fn open(start: &BytesStart<'_>, line: usize) -> Result<Element, XmlError> {
    let mut attributes = Vec::new();
    for attribute in start.attributes() {
        let attribute =
            attribute.map_err(|error| XmlError { line, message: format!("bad attribute: {error}") })?;
        let key: &str = attribute.key.as_ref();
        let value = attribute
            .normalized_value(quick_xml::XmlVersion::Implicit1_0)
            .map_err(|error| XmlError { line, message: format!("bad value of attribute {key}: {error}") })?;
        attributes.push((key.to_string(), value.into_owned()));
    }
    let qname = start.name();
    let name: &str = qname.as_ref();
    Ok(Element { name: name.to_string(), attributes, children: Vec::new(), text: String::new(), line })
}

fn close(mut element: Element, stack: &mut [Element], root: &mut Option<Element>) -> Result<(), String> {
    if !element.children.is_empty() {
        if !element.text.trim().is_empty() {
            return Err(format!(
                "<{}> mixes text with child elements; metadata elements hold one or the other",
                element.name
            ));
        }
        element.text.clear();
    }
    match stack.last_mut() {
        Some(parent) => parent.children.push(element),
        None => *root = Some(element),
    }
    Ok(())
}

fn push_text(stack: &mut [Element], text: &str, after_root: bool) -> Result<(), String> {
    match stack.last_mut() {
        Some(element) => {
            element.text.push_str(text);
            Ok(())
        }
        None if text.trim().is_empty() => Ok(()),
        None if after_root => Err("text after the root element".into()),
        None => Err("text before the root element".into()),
    }
}

fn resolve_reference(reference: &str) -> Option<String> {
    let named = match reference {
        "amp" => Some('&'),
        "lt" => Some('<'),
        "gt" => Some('>'),
        "quot" => Some('"'),
        "apos" => Some('\''),
        _ => None,
    };
    if let Some(character) = named {
        return Some(character.to_string());
    }
    let number = reference.strip_prefix('#')?;
    let code = match number.strip_prefix('x') {
        Some(hex) => u32::from_str_radix(hex, 16).ok()?,
        None => number.parse().ok()?,
    };
    char::from_u32(code).map(String::from)
}

/// Escapes text for element content or attribute values, as Salesforce writes it.
pub fn escape(text: &str) -> String {
    let mut escaped = String::with_capacity(text.len());
    for character in text.chars() {
        match character {
            '&' => escaped.push_str("&amp;"),
            '<' => escaped.push_str("&lt;"),
            '>' => escaped.push_str("&gt;"),
            '"' => escaped.push_str("&quot;"),
            '\'' => escaped.push_str("&apos;"),
            other => escaped.push(other),
        }
    }
    escaped
}

/// Renders a document: declaration, then the root and its descendants, 4-space indented.
pub fn render(root: &Element) -> String {
    let mut out = String::from("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n");
    render_element(root, 0, &mut out);
    out
}

/// Renders one element (and its descendants) without a declaration, at `depth`.
pub fn render_element(element: &Element, depth: usize, out: &mut String) {
    let indent = "    ".repeat(depth);
    let _ = write!(out, "{indent}<{}", element.name);
    for (key, value) in &element.attributes {
        let _ = write!(out, " {key}=\"{}\"", escape(value));
    }
    if element.children.is_empty() {
        let _ = writeln!(out, ">{}</{}>", escape(&element.text), element.name);
        return;
    }
    out.push_str(">\n");
    for child in &element.children {
        render_element(child, depth + 1, out);
    }
    let _ = writeln!(out, "{indent}</{}>", element.name);
}

/// Maps byte offsets to 1-based line numbers.
struct LineIndex {
    starts: Vec<usize>,
}

impl LineIndex {
    fn new(text: &str) -> Self {
        let mut starts = vec![0];
        starts.extend(text.match_indices('\n').map(|(i, _)| i + 1));
        Self { starts }
    }

    fn line_of(&self, offset: usize) -> usize {
        match self.starts.binary_search(&offset) {
            Ok(index) => index + 1,
            Err(index) => index,
        }
    }
}

#[cfg(test)]
mod tests;
