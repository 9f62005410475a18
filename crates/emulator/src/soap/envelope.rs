//! Reading a SOAP request: the session id from `SessionHeader` and the operation element,
//! the first element inside Body (dispatch is on it, never on the URL).

use super::fault::SoapFault;
use super::xml_tree::{self, Element};

/// A parsed request.
#[derive(Debug)]
pub struct SoapRequest {
    /// `Header/SessionHeader/sessionId`, trimmed; `None` when absent or empty.
    pub session_id: Option<String>,
    /// The first element inside Body, e.g. `deploy`.
    pub operation: Element,
}

/// Parses an envelope; anything that is not a SOAP envelope with an operation is a fault.
pub fn parse_request(body: &[u8]) -> Result<SoapRequest, SoapFault> {
    let text = std::str::from_utf8(body)
        .map_err(|_| SoapFault::client("Malformed request: the body is not UTF-8 text"))?;
    let root = xml_tree::parse(text).map_err(|error| {
        SoapFault::client(format!("Malformed request: the XML could not be parsed: {error}"))
    })?;
    if root.name != "Envelope" {
        return Err(SoapFault::client(format!(
            "Malformed request: expected a SOAP Envelope, found <{}>",
            root.name
        )));
    }
    let session_id = root
        .descendant(&["Header", "SessionHeader", "sessionId"])
        .map(|element| element.text.trim().to_string())
        .filter(|id| !id.is_empty());
    let mut root = root;
    let body_index = root
        .children
        .iter()
        .position(|child| child.name == "Body")
        .ok_or_else(|| SoapFault::client("Malformed request: the Envelope has no Body"))?;
    let mut body = root.children.swap_remove(body_index);
    if body.children.is_empty() {
        return Err(SoapFault::client("Malformed request: the Body holds no operation"));
    }
    let operation = body.children.swap_remove(0);
    Ok(SoapRequest { session_id, operation })
}

#[cfg(test)]
mod tests {
    use super::*;

    const CLI_DEPLOY: &str = r#"<soapenv:Envelope xmlns:soapenv="http://schemas.xmlsoap.org/soap/envelope/" xmlns:xsd="http://www.w3.org/2001/XMLSchema" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance"><soapenv:Header xmlns="http://soap.sforce.com/2006/04/metadata"><SessionHeader><sessionId>00Dabc!xyz</sessionId></SessionHeader><CallOptions><client>sfdx toolbelt:</client></CallOptions></soapenv:Header><soapenv:Body xmlns="http://soap.sforce.com/2006/04/metadata"><deploy><ZipFile>UEs=</ZipFile><DeployOptions><checkOnly>false</checkOnly></DeployOptions></deploy></soapenv:Body></soapenv:Envelope>"#;

    #[test]
    fn reads_cli_shaped_envelope() {
        let request = parse_request(CLI_DEPLOY.as_bytes()).expect("parses");
        assert_eq!(request.session_id.as_deref(), Some("00Dabc!xyz"));
        assert_eq!(request.operation.name, "deploy");
        assert_eq!(
            request.operation.descendant(&["DeployOptions", "checkOnly"]).map(|e| e.text.as_str()),
            Some("false")
        );
    }

    #[test]
    fn prefixed_envelope_without_header_has_no_session() {
        let request = parse_request(
            br#"<env:Envelope xmlns:env="e"><env:Body><met:describeMetadata xmlns:met="m"><met:asOfVersion>66.0</met:asOfVersion></met:describeMetadata></env:Body></env:Envelope>"#,
        )
        .expect("parses");
        assert_eq!(request.session_id, None);
        assert_eq!(request.operation.name, "describeMetadata");
    }

    #[test]
    fn faults_on_non_envelopes() {
        for bad in [&b"<Envelope><Body/></Envelope>"[..], b"<x/>", b"<Envelope>", b"\xff\xfe"] {
            let fault = parse_request(bad).expect_err("fault");
            assert_eq!(fault.code, "soapenv:Client");
        }
    }
}
