//! Writing SOAP response envelopes and faults the way Salesforce shapes them.
//!
//! `soapenv:Envelope` and `soapenv:Body` carry the prefix; Body has no attributes; the
//! response element and everything below it are unprefixed, in the metadata namespace
//! declared as the default namespace on the Envelope (the Salesforce CLI reads responses
//! with key regexes and breaks on anything else).

use quick_xml::escape::escape;

pub const SOAP_ENV_NS: &str = "http://schemas.xmlsoap.org/soap/envelope/";
pub const METADATA_NS: &str = "http://soap.sforce.com/2006/04/metadata";
pub const XSI_NS: &str = "http://www.w3.org/2001/XMLSchema-instance";

/// Builds the XML of a response element, one child at a time.
#[derive(Debug, Default)]
pub struct XmlOut {
    buf: String,
}

impl XmlOut {
    pub fn open(&mut self, name: &str) -> &mut Self {
        self.buf.push('<');
        self.buf.push_str(name);
        self.buf.push('>');
        self
    }

    /// Opens an element carrying an `xsi:type` attribute (readMetadata records).
    pub fn open_typed(&mut self, name: &str, xsi_type: &str) -> &mut Self {
        self.buf.push('<');
        self.buf.push_str(name);
        self.buf.push_str(" xsi:type=\"");
        self.buf.push_str(&escape(xsi_type));
        self.buf.push_str("\">");
        self
    }

    pub fn close(&mut self, name: &str) -> &mut Self {
        self.buf.push_str("</");
        self.buf.push_str(name);
        self.buf.push('>');
        self
    }

    /// `<name>text</name>`, the text escaped.
    pub fn leaf(&mut self, name: &str, text: &str) -> &mut Self {
        self.open(name);
        self.buf.push_str(&escape(text));
        self.close(name)
    }

    pub fn leaf_opt(&mut self, name: &str, text: Option<&str>) -> &mut Self {
        if let Some(text) = text {
            self.leaf(name, text);
        }
        self
    }

    pub fn bool(&mut self, name: &str, value: bool) -> &mut Self {
        self.leaf(name, if value { "true" } else { "false" })
    }

    pub fn int(&mut self, name: &str, value: i64) -> &mut Self {
        self.leaf(name, &value.to_string())
    }

    /// Appends already-formed XML (e.g. children copied from a stored metadata file).
    pub fn raw(&mut self, xml: &str) -> &mut Self {
        self.buf.push_str(xml);
        self
    }

    pub fn into_string(self) -> String {
        self.buf
    }
}

/// Wraps a response element in a Salesforce-shaped envelope.
pub fn envelope(body_element: &str) -> String {
    format!(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\
         <soapenv:Envelope xmlns:soapenv=\"{SOAP_ENV_NS}\" xmlns=\"{METADATA_NS}\" xmlns:xsi=\"{XSI_NS}\">\
         <soapenv:Body>{body_element}</soapenv:Body></soapenv:Envelope>"
    )
}

/// A SOAP fault envelope: unprefixed `faultcode` and `faultstring` inside `soapenv:Fault`.
pub fn fault_envelope(fault_code: &str, fault_string: &str) -> String {
    format!(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\
         <soapenv:Envelope xmlns:soapenv=\"{SOAP_ENV_NS}\" xmlns:sf=\"{METADATA_NS}\">\
         <soapenv:Body><soapenv:Fault><faultcode>{}</faultcode><faultstring>{}</faultstring>\
         </soapenv:Fault></soapenv:Body></soapenv:Envelope>",
        escape(fault_code),
        escape(fault_string)
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escapes_text_and_wraps_in_a_prefixed_envelope() {
        let mut out = XmlOut::default();
        out.open("deployResponse")
            .open("result")
            .leaf("message", "a < b & c")
            .bool("done", false)
            .close("result")
            .close("deployResponse");
        let xml = envelope(&out.into_string());
        assert!(xml.contains("<soapenv:Body><deployResponse><result><message>a &lt; b &amp; c</message>"));
        assert!(xml.contains(&format!("xmlns=\"{METADATA_NS}\"")));
    }

    #[test]
    fn fault_has_unprefixed_code_and_string() {
        let xml = fault_envelope("sf:INVALID_SESSION_ID", "INVALID_SESSION_ID: Invalid");
        assert!(xml.contains(
            "<soapenv:Fault><faultcode>sf:INVALID_SESSION_ID</faultcode><faultstring>INVALID_SESSION_ID: Invalid</faultstring>"
        ));
    }
}
