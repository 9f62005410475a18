//! Metadata API request bodies, built with quick-xml in the WSDL's element names and order.
//!
//! Each function returns the body's operation element as a standalone document fragment with
//! the metadata namespace declared on it, so it can be validated against `metadata.xsd` as is.

use quick_xml::Writer;
use quick_xml::events::{BytesEnd, BytesStart, BytesText};

use crate::xml_tree::METADATA_NAMESPACE;

/// Options of a `deploy` call (`DeployOptions`, WSDL order).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DeployOptions {
    /// Validate only; nothing is saved.
    pub check_only: bool,
    /// Let warnings through.
    pub ignore_warnings: bool,
    /// Roll everything back when one component fails.
    pub rollback_on_error: bool,
    /// `package.xml` at the root of the zip.
    pub single_package: bool,
}

impl Default for DeployOptions {
    fn default() -> Self {
        Self { check_only: false, ignore_warnings: false, rollback_on_error: true, single_package: true }
    }
}

/// A small wrapper that keeps the element-writing code short.
struct Body {
    writer: Writer<Vec<u8>>,
}

impl Body {
    fn new(operation: &str) -> Self {
        let mut body = Self { writer: Writer::new(Vec::new()) };
        let start = BytesStart::new(operation).with_attributes([("xmlns", METADATA_NAMESPACE)]);
        body.write(quick_xml::events::Event::Start(start));
        body
    }

    fn write(&mut self, event: quick_xml::events::Event<'_>) {
        // Writing into a Vec cannot fail.
        let _ = self.writer.write_event(event);
    }

    fn open(&mut self, name: &str) -> &mut Self {
        self.write(quick_xml::events::Event::Start(BytesStart::new(name)));
        self
    }

    fn close(&mut self, name: &str) -> &mut Self {
        self.write(quick_xml::events::Event::End(BytesEnd::new(name)));
        self
    }

    fn leaf(&mut self, name: &str, text: &str) -> &mut Self {
        self.open(name);
        self.write(quick_xml::events::Event::Text(BytesText::new(text)));
        self.close(name)
    }

    fn flag(&mut self, name: &str, value: bool) -> &mut Self {
        self.leaf(name, if value { "true" } else { "false" })
    }

    fn finish(mut self, operation: &str) -> String {
        self.close(operation);
        String::from_utf8_lossy(&self.writer.into_inner()).into_owned()
    }
}

/// `deploy{ZipFile, DeployOptions}`. `testLevel` is left out on purpose: production orgs refuse
/// `NoTestRun`, and without Apex in the package an omitted level runs no tests.
pub fn deploy(zip_base64: &str, options: &DeployOptions) -> String {
    let mut body = Body::new("deploy");
    body.leaf("ZipFile", zip_base64)
        .open("DeployOptions")
        .flag("allowMissingFiles", false)
        .flag("autoUpdatePackage", false)
        .flag("checkOnly", options.check_only)
        .flag("ignoreWarnings", options.ignore_warnings)
        .flag("performRetrieve", false)
        .flag("purgeOnDelete", false)
        .flag("rollbackOnError", options.rollback_on_error)
        .flag("singlePackage", options.single_package)
        .close("DeployOptions");
    body.finish("deploy")
}

/// `checkDeployStatus{asyncProcessId, includeDetails}`.
pub fn check_deploy_status(async_process_id: &str, include_details: bool) -> String {
    let mut body = Body::new("checkDeployStatus");
    body.leaf("asyncProcessId", async_process_id).flag("includeDetails", include_details);
    body.finish("checkDeployStatus")
}

/// `cancelDeploy{String}`.
pub fn cancel_deploy(async_process_id: &str) -> String {
    let mut body = Body::new("cancelDeploy");
    body.leaf("String", async_process_id);
    body.finish("cancelDeploy")
}

/// `deployRecentValidation{validationId}`.
pub fn deploy_recent_validation(validation_id: &str) -> String {
    let mut body = Body::new("deployRecentValidation");
    body.leaf("validationId", validation_id);
    body.finish("deployRecentValidation")
}

/// `retrieve{retrieveRequest{apiVersion, singlePackage, unpackaged{types*, version}}}`.
/// `members` lists (type, member names) pairs.
pub fn retrieve(api_version: &str, members: &[(&str, Vec<String>)]) -> String {
    let mut body = Body::new("retrieve");
    body.open("retrieveRequest")
        .leaf("apiVersion", api_version)
        .flag("singlePackage", true)
        .open("unpackaged");
    for (type_name, names) in members {
        body.open("types");
        for name in names {
            body.leaf("members", name);
        }
        body.leaf("name", type_name).close("types");
    }
    body.leaf("version", api_version).close("unpackaged").close("retrieveRequest");
    body.finish("retrieve")
}

/// `checkRetrieveStatus{asyncProcessId, includeZip}`.
pub fn check_retrieve_status(async_process_id: &str, include_zip: bool) -> String {
    let mut body = Body::new("checkRetrieveStatus");
    body.leaf("asyncProcessId", async_process_id).flag("includeZip", include_zip);
    body.finish("checkRetrieveStatus")
}

/// `readMetadata{type, fullNames*}`.
pub fn read_metadata(type_name: &str, full_names: &[&str]) -> String {
    let mut body = Body::new("readMetadata");
    body.leaf("type", type_name);
    for full_name in full_names {
        body.leaf("fullNames", full_name);
    }
    body.finish("readMetadata")
}

/// `listMetadata{queries*{type}, asOfVersion}` (at most 3 queries per call).
pub fn list_metadata(type_names: &[&str], as_of_version: &str) -> String {
    let mut body = Body::new("listMetadata");
    for type_name in type_names {
        body.open("queries").leaf("type", type_name).close("queries");
    }
    body.leaf("asOfVersion", as_of_version);
    body.finish("listMetadata")
}

/// Wraps a body in a SOAP envelope with the `SessionHeader`.
pub fn envelope(session_id: &str, body: &str) -> String {
    let session_id = quick_xml::escape::escape(session_id);
    format!(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\
         <soapenv:Envelope xmlns:soapenv=\"http://schemas.xmlsoap.org/soap/envelope/\">\
         <soapenv:Header><SessionHeader xmlns=\"{METADATA_NAMESPACE}\">\
         <sessionId>{session_id}</sessionId></SessionHeader></soapenv:Header>\
         <soapenv:Body>{body}</soapenv:Body></soapenv:Envelope>"
    )
}
