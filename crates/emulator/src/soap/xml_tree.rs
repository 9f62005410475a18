//! A small, lenient XML element tree for reading SOAP requests and metadata files.
//!
//! Elements are matched by local name only: clients use every namespace prefix there is
//! (`soapenv:`, `env:`, `met:`, a default namespace on Body …), and the Salesforce CLI relies
//! on the org reading requests that way.

use quick_xml::Reader;
use quick_xml::events::Event;

/// Deepest element nesting accepted; protects the stack of anything that walks the tree.
const MAX_DEPTH: usize = 64;

/// One XML element: its local name, its text (concatenated) and its child elements.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Element {
    pub name: String,
    pub text: String,
    pub children: Vec<Element>,
    /// 1-based line of the start tag.
    pub line: u32,
}

impl Element {
    /// The first child with this local name.
    pub fn child(&self, name: &str) -> Option<&Element> {
        self.children.iter().find(|child| child.name == name)
    }

    /// Every child with this local name, in document order.
    pub fn children_named<'a>(&'a self, name: &'a str) -> impl Iterator<Item = &'a Element> + 'a {
        self.children.iter().filter(move |child| child.name == name)
    }

    /// The trimmed text of the first child with this name.
    pub fn child_text(&self, name: &str) -> Option<&str> {
        self.child(name).map(|child| child.text.trim())
    }

    /// A boolean child (`true`/`1` ⇒ true, `false`/`0` ⇒ false); `None` when absent or not a boolean.
    pub fn child_bool(&self, name: &str) -> Option<bool> {
        match self.child_text(name)? {
            "true" | "1" => Some(true),
            "false" | "0" => Some(false),
            _ => None,
        }
    }

    /// The first element of a path of local names below this one.
    pub fn descendant(&self, path: &[&str]) -> Option<&Element> {
        path.iter().try_fold(self, |element, name| element.child(name))
    }
}

/// Why a document could not be read.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
#[error("{message} (line {line})")]
pub struct XmlError {
    pub message: String,
    pub line: u32,
}

/// Parses a whole document into its root element.
pub fn parse(text: &str) -> Result<Element, XmlError> {
    let mut reader = Reader::from_str(text);
    reader.config_mut().check_end_names = true;
    let mut stack: Vec<Element> = Vec::new();
    let mut root: Option<Element> = None;
    let mut lines = LineCounter::default();

    loop {
        let position = usize::try_from(reader.buffer_position()).unwrap_or(usize::MAX);
        let line = lines.line_at(text, position);
        let event = reader.read_event().map_err(|error| XmlError { message: error.to_string(), line })?;
        match event {
            Event::Start(_) | Event::Empty(_) if root.is_some() => {
                return Err(XmlError { message: "content after the root element".into(), line });
            }
            Event::Start(start) => {
                if stack.len() >= MAX_DEPTH {
                    return Err(XmlError {
                        message: format!("elements nested deeper than {MAX_DEPTH}"),
                        line,
                    });
                }
                stack.push(new_element(start.local_name().as_ref(), line));
            }
            Event::Empty(start) => {
                let element = new_element(start.local_name().as_ref(), line);
                attach(element, &mut stack, &mut root);
            }
            Event::End(_) => {
                let element =
                    stack.pop().ok_or_else(|| XmlError { message: "unexpected end tag".into(), line })?;
                attach(element, &mut stack, &mut root);
            }
            Event::Text(chunk) => push_text(&mut stack, &chunk.xml10_content(), line)?,
            Event::CData(chunk) => push_text(&mut stack, &chunk.xml10_content(), line)?,
            Event::GeneralRef(reference) => {
                let resolved = resolve_reference(&reference)
                    .ok_or_else(|| XmlError { message: format!("unknown entity &{};", &*reference), line })?;
                push_text(&mut stack, &resolved.to_string(), line)?;
            }
            Event::DocType(_) => {
                return Err(XmlError { message: "DOCTYPE declarations are not accepted".into(), line });
            }
            Event::Eof => break,
            Event::Comment(_) | Event::Decl(_) | Event::PI(_) => {}
        }
    }

    if !stack.is_empty() {
        return Err(XmlError {
            message: "document ended before every element was closed".into(),
            line: lines.line_at(text, text.len()),
        });
    }
    root.ok_or_else(|| XmlError { message: "the document has no root element".into(), line: 1 })
}

fn new_element(local_name: &str, line: u32) -> Element {
    Element { name: local_name.to_string(), line, ..Element::default() }
}

fn attach(element: Element, stack: &mut [Element], root: &mut Option<Element>) {
    match stack.last_mut() {
        Some(parent) => parent.children.push(element),
        None => *root = Some(element),
    }
}

fn push_text(stack: &mut [Element], chunk: &str, line: u32) -> Result<(), XmlError> {
    match stack.last_mut() {
        Some(element) => {
            element.text.push_str(chunk);
            Ok(())
        }
        None if chunk.trim().is_empty() => Ok(()),
        None => Err(XmlError { message: "text outside the root element".into(), line }),
    }
}

fn resolve_reference(reference: &quick_xml::events::BytesRef<'_>) -> Option<char> {
    if let Ok(Some(character)) = reference.resolve_char_ref() {
        return Some(character);
    }
    match &**reference {
        "amp" => Some('&'),
        "lt" => Some('<'),
        "gt" => Some('>'),
        "quot" => Some('"'),
        "apos" => Some('\''),
        _ => None,
    }
}

/// Turns byte offsets (only ever increasing) into 1-based line numbers in linear time.
#[derive(Default)]
struct LineCounter {
    offset: usize,
    newlines: usize,
}

impl LineCounter {
    fn line_at(&mut self, text: &str, position: usize) -> u32 {
        let end = position.min(text.len());
        if end > self.offset {
            let bytes = text.as_bytes().get(self.offset..end).unwrap_or_default();
            self.newlines += bytes.iter().filter(|byte| **byte == b'\n').count();
            self.offset = end;
        }
        u32::try_from(self.newlines + 1).unwrap_or(u32::MAX)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_by_local_name_with_any_prefix() {
        let root = parse(
            r#"<?xml version="1.0"?><e:Envelope xmlns:e="x"><e:Body><m:deploy xmlns:m="y"><m:ZipFile>QUJD</m:ZipFile></m:deploy></e:Body></e:Envelope>"#,
        )
        .expect("parses");
        assert_eq!(root.name, "Envelope");
        let deploy = root.descendant(&["Body", "deploy"]).expect("deploy");
        assert_eq!(deploy.child_text("ZipFile"), Some("QUJD"));
    }

    #[test]
    fn resolves_entities_and_cdata() {
        let root = parse("<a><b>x &amp; y &#x41;<![CDATA[<z>]]></b></a>").expect("parses");
        assert_eq!(root.child_text("b"), Some("x & y A<z>"));
    }

    #[test]
    fn refuses_malformed_documents() {
        for bad in
            ["", "<a>", "<a></b>", "<a/><b/>", "text", "<a>&bogus;</a>", "<!DOCTYPE a [<!ENTITY x 'y'>]><a/>"]
        {
            assert!(parse(bad).is_err(), "{bad:?} should be refused");
        }
    }

    #[test]
    fn refuses_deep_nesting() {
        let deep = "<a>".repeat(MAX_DEPTH + 1) + &"</a>".repeat(MAX_DEPTH + 1);
        assert!(parse(&deep).unwrap_err().message.contains("deeper"));
    }

    #[test]
    fn records_lines() {
        let root = parse("<a>\n  <b/>\n  <c>t</c>\n</a>").expect("parses");
        assert_eq!(root.child("c").map(|c| c.line), Some(3));
    }
}
