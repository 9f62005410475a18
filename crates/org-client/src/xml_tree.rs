//! A small element tree for reading SOAP answers and metadata records by local name.
//!
//! Salesforce answers mix prefixed and unprefixed elements, so every lookup here ignores
//! namespace prefixes. Mixed content is not needed: an element keeps its children and its text.

use quick_xml::Reader;
use quick_xml::events::{BytesStart, Event};

/// The metadata namespace, used when rendering a record as a metadata file.
pub const METADATA_NAMESPACE: &str = "http://soap.sforce.com/2006/04/metadata";

/// One element: local name, attributes (local names), children and text.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Element {
    /// Local name (prefix removed).
    pub name: String,
    /// Attributes as (local name, unescaped value).
    pub attributes: Vec<(String, String)>,
    /// Child elements in document order.
    pub children: Vec<Element>,
    /// Concatenated text content (unescaped, not trimmed).
    pub text: String,
}

impl Element {
    /// The first child with this local name.
    pub fn child(&self, name: &str) -> Option<&Element> {
        self.children.iter().find(|child| child.name == name)
    }

    /// Every child with this local name.
    pub fn children_named<'a>(&'a self, name: &'a str) -> impl Iterator<Item = &'a Element> + 'a {
        self.children.iter().filter(move |child| child.name == name)
    }

    /// The trimmed text of the first child with this name.
    pub fn child_text(&self, name: &str) -> Option<&str> {
        self.child(name).map(|child| child.text.trim())
    }

    /// Follows a `/`-separated path of child names.
    pub fn path(&self, path: &str) -> Option<&Element> {
        path.split('/').try_fold(self, |element, name| element.child(name))
    }

    /// The first element with this local name, searching depth first (self included).
    pub fn find(&self, name: &str) -> Option<&Element> {
        if self.name == name {
            return Some(self);
        }
        self.children.iter().find_map(|child| child.find(name))
    }

    /// An attribute value by local name.
    pub fn attribute(&self, name: &str) -> Option<&str> {
        self.attributes.iter().find(|(key, _)| key == name).map(|(_, value)| value.as_str())
    }
}

/// Parses a document into its root element. Errors are plain strings for the caller to wrap.
pub fn parse(xml: &str) -> Result<Element, String> {
    let mut reader = Reader::from_str(xml);
    let mut stack: Vec<Element> = Vec::new();
    loop {
        let event = reader.read_event().map_err(|error| error.to_string())?;
        match event {
            Event::Start(start) => stack.push(element_from_start(&start)?),
            Event::Empty(start) => {
                let element = element_from_start(&start)?;
                if let Some(root) = attach(&mut stack, element) {
                    return Ok(root);
                }
            }
            Event::End(_) => {
                let element = stack.pop().ok_or("unbalanced end tag")?;
                if let Some(root) = attach(&mut stack, element) {
                    return Ok(root);
                }
            }
            Event::Text(text) => push_text(&mut stack, &text.xml10_content()),
            Event::CData(data) => push_text(&mut stack, &data.into_inner()),
            Event::GeneralRef(reference) => {
                let resolved = match reference.resolve_char_ref().map_err(|e| e.to_string())? {
                    Some(character) => character.to_string(),
                    None => predefined_entity(&reference.xml10_content())?.to_owned(),
                };
                push_text(&mut stack, &resolved);
            }
            Event::Eof => return Err("document ended before its root element closed".into()),
            _ => {}
        }
    }
}

/// Adds a finished element to its parent; returns it when it was the root.
fn attach(stack: &mut [Element], element: Element) -> Option<Element> {
    match stack.last_mut() {
        Some(parent) => {
            parent.children.push(element);
            None
        }
        None => Some(element),
    }
}

fn push_text(stack: &mut [Element], text: &str) {
    if let Some(current) = stack.last_mut() {
        current.text.push_str(text);
    }
}

fn predefined_entity(name: &str) -> Result<&'static str, String> {
    match name {
        "lt" => Ok("<"),
        "gt" => Ok(">"),
        "amp" => Ok("&"),
        "apos" => Ok("'"),
        "quot" => Ok("\""),
        other => Err(format!("unknown entity &{other};")),
    }
}

fn element_from_start(start: &BytesStart<'_>) -> Result<Element, String> {
    let name = start.local_name().as_ref().to_owned();
    let mut attributes = Vec::new();
    for attribute in start.attributes() {
        let attribute = attribute.map_err(|error| error.to_string())?;
        let key = attribute.key.local_name().as_ref().to_owned();
        let value = attribute
            .normalized_value(quick_xml::XmlVersion::Implicit1_0)
            .map_err(|error| error.to_string())?
            .into_owned();
        attributes.push((key, value));
    }
    Ok(Element { name, attributes, ..Element::default() })
}

/// Renders a record (e.g. a `readMetadata` `<records>`) as a metadata file with `root_name`,
/// in Salesforce's retrieve formatting, leaving out the children named in `skip`.
pub fn render_metadata_document(record: &Element, root_name: &str, skip: &[&str]) -> String {
    let mut out = String::from("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n");
    out.push_str(&format!("<{root_name} xmlns=\"{METADATA_NAMESPACE}\">\n"));
    for child in record.children.iter().filter(|c| !skip.contains(&c.name.as_str())) {
        render_element(child, 1, &mut out);
    }
    out.push_str(&format!("</{root_name}>\n"));
    out
}

fn render_element(element: &Element, depth: usize, out: &mut String) {
    let indent = "    ".repeat(depth);
    if element.children.is_empty() {
        let text = quick_xml::escape::escape(element.text.as_str());
        out.push_str(&format!("{indent}<{0}>{text}</{0}>\n", element.name));
        return;
    }
    out.push_str(&format!("{indent}<{}>\n", element.name));
    for child in &element.children {
        render_element(child, depth + 1, out);
    }
    out.push_str(&format!("{indent}</{}>\n", element.name));
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_by_local_name_and_unescapes() {
        let xml = r#"<soapenv:Envelope xmlns:soapenv="x"><soapenv:Body><r a:b="1&amp;2">
            <v>a &lt; b &#65;</v><e/></r></soapenv:Body></soapenv:Envelope>"#;
        let root = parse(xml).unwrap();
        let record = root.path("Body/r").unwrap();
        assert_eq!(record.attribute("b"), Some("1&2"));
        assert_eq!(record.child_text("v"), Some("a < b A"));
        assert!(record.child("e").is_some());
    }

    #[test]
    fn rejects_truncated_documents() {
        assert!(parse("<a><b>").is_err());
        assert!(parse("not xml").is_err());
    }

    #[test]
    fn renders_a_record_as_a_metadata_file() {
        let record = parse(
            "<records><fullName>X</fullName><label>A &amp; B</label>\
            <oauthConfig><scopes>Api</scopes></oauthConfig></records>",
        )
        .unwrap();
        let rendered = render_metadata_document(&record, "ConnectedApp", &["fullName"]);
        assert_eq!(
            rendered,
            "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n\
             <ConnectedApp xmlns=\"http://soap.sforce.com/2006/04/metadata\">\n    \
             <label>A &amp; B</label>\n    <oauthConfig>\n        <scopes>Api</scopes>\n    \
             </oauthConfig>\n</ConnectedApp>\n"
        );
    }
}
