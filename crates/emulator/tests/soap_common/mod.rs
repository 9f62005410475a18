//! Helpers shared by the Metadata SOAP API tests: an in-process emulator, SOAP calls, deploy
//! zips built in the test, polling, and XSD validation of every response body with xmllint.

#![allow(dead_code)]

use std::io::{Cursor, Write};
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use insights_emulator::{Emulator, EmulatorOptions};

pub const METADATA_NS: &str = "http://soap.sforce.com/2006/04/metadata";

/// A running emulator, its state directory and an HTTP client.
pub struct Org {
    pub emulator: Emulator,
    pub client: reqwest::Client,
    pub token: String,
    pub state_dir: PathBuf,
    /// Response bodies not yet checked against the XSD (checked together on drop: one
    /// xmllint run reads the 2 MB schema once).
    pending: std::sync::Mutex<Vec<String>>,
}

impl Drop for Org {
    fn drop(&mut self) {
        let pending = std::mem::take(&mut *self.pending.lock().unwrap_or_else(|p| p.into_inner()));
        if !std::thread::panicking() && !pending.is_empty() {
            assert_valid_bodies(&pending);
        }
    }
}

pub async fn start(state_dir: &Path) -> Org {
    let emulator =
        Emulator::start(EmulatorOptions { state_dir: state_dir.to_path_buf(), port: 0, test_controls: true })
            .await
            .expect("emulator starts");
    let token = emulator.admin_access_token();
    Org {
        emulator,
        client: reqwest::Client::builder().timeout(Duration::from_secs(60)).build().expect("client"),
        token,
        state_dir: state_dir.to_path_buf(),
        pending: std::sync::Mutex::new(Vec::new()),
    }
}

/// A SOAP answer: HTTP status and body text.
pub struct Answer {
    pub status: u16,
    pub body: String,
}

impl Org {
    pub fn soap_url(&self) -> String {
        format!("{}/services/Soap/m/66.0", self.emulator.instance_url())
    }

    /// Posts an envelope around `operation` with the admin session; validates a 200 answer's
    /// body element against the XSD.
    pub async fn call(&self, operation: &str) -> Answer {
        let answer = self.post_raw(&envelope(Some(&self.token), operation)).await;
        if answer.status == 200 {
            self.pending.lock().unwrap_or_else(|p| p.into_inner()).push(answer.body.clone());
        }
        answer
    }

    pub async fn post_raw(&self, body: &str) -> Answer {
        let response = self
            .client
            .post(self.soap_url())
            .header("Content-Type", "text/xml; charset=UTF-8")
            .header("SOAPAction", "\"\"")
            .body(body.to_string())
            .send()
            .await
            .expect("SOAP request");
        Answer { status: response.status().as_u16(), body: response.text().await.expect("body") }
    }

    /// Deploys `zip` with `options` (DeployOptions children) and returns the deploy id.
    pub async fn deploy(&self, zip: &[u8], options: &str) -> String {
        let answer = self
            .call(&format!(
                "<deploy><ZipFile>{}</ZipFile><DeployOptions>{options}</DeployOptions></deploy>",
                STANDARD.encode(zip)
            ))
            .await;
        assert_eq!(answer.status, 200, "{}", answer.body);
        first(&answer.body, "id")
    }

    /// Polls checkDeployStatus (with details) until done; returns every answer body.
    pub async fn poll_deploy(&self, id: &str) -> Vec<String> {
        let mut bodies = Vec::new();
        for _ in 0..10 {
            let answer = self
                .call(&format!(
                    "<checkDeployStatus><asyncProcessId>{id}</asyncProcessId><includeDetails>true</includeDetails></checkDeployStatus>"
                ))
                .await;
            assert_eq!(answer.status, 200, "{}", answer.body);
            let done = first(&answer.body, "done") == "true";
            bodies.push(answer.body);
            if done {
                return bodies;
            }
        }
        panic!("deploy {id} not done after 10 polls");
    }

    /// Deploys and polls; returns the final checkDeployStatus body.
    pub async fn deploy_and_wait(&self, zip: &[u8], options: &str) -> String {
        let id = self.deploy(zip, options).await;
        self.poll_deploy(&id).await.pop().expect("a final answer")
    }

    pub async fn control(&self, path: &str, json: serde_json::Value) -> u16 {
        self.client
            .post(format!("{}/__emulator/{path}", self.emulator.instance_url()))
            .json(&json)
            .send()
            .await
            .expect("control request")
            .status()
            .as_u16()
    }
}

/// A SOAP envelope as the Salesforce CLI writes it (default namespace on Header and Body).
pub fn envelope(session_id: Option<&str>, operation: &str) -> String {
    let header = session_id.map_or_else(String::new, |id| {
        format!(
            "<soapenv:Header xmlns=\"{METADATA_NS}\"><SessionHeader><sessionId>{id}</sessionId></SessionHeader></soapenv:Header>"
        )
    });
    format!(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?><soapenv:Envelope xmlns:soapenv=\"http://schemas.xmlsoap.org/soap/envelope/\">{header}<soapenv:Body xmlns=\"{METADATA_NS}\">{operation}</soapenv:Body></soapenv:Envelope>"
    )
}

/// A zip of `files`; paths ending in `/` become directory entries.
pub fn zip(files: &[(&str, &str)]) -> Vec<u8> {
    let mut writer = zip::ZipWriter::new(Cursor::new(Vec::new()));
    let options = zip::write::SimpleFileOptions::default();
    for (path, content) in files {
        if path.ends_with('/') {
            writer.add_directory(*path, options).expect("dir");
        } else {
            writer.start_file(*path, options).expect("file");
            writer.write_all(content.as_bytes()).expect("write");
        }
    }
    writer.finish().expect("finish").into_inner()
}

pub fn unzip(bytes: &[u8]) -> Vec<(String, String)> {
    let mut archive = zip::ZipArchive::new(Cursor::new(bytes)).expect("zip");
    let mut files = Vec::new();
    for index in 0..archive.len() {
        let mut file = archive.by_index(index).expect("entry");
        let mut text = String::new();
        std::io::Read::read_to_string(&mut file, &mut text).expect("utf-8 entry");
        files.push((file.name().expect("name").to_string(), text));
    }
    files
}

pub fn package(types: &[(&str, &[&str])]) -> String {
    let mut xml = format!("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<Package xmlns=\"{METADATA_NS}\">\n");
    for (name, members) in types {
        xml.push_str("    <types>\n");
        for member in *members {
            xml.push_str(&format!("        <members>{member}</members>\n"));
        }
        xml.push_str(&format!("        <name>{name}</name>\n    </types>\n"));
    }
    xml.push_str("    <version>66.0</version>\n</Package>\n");
    xml
}

/// A valid ConnectedApp; `oauth_extra` goes inside oauthConfig after callbackUrl (consumerKey,
/// consumerSecret), `permission_sets` become permissionSetName elements.
pub fn connected_app(email: &str, callback: &str, oauth_extra: &str, permission_sets: &[&str]) -> String {
    let names: String = permission_sets
        .iter()
        .map(|name| format!("    <permissionSetName>{name}</permissionSetName>\n"))
        .collect();
    format!(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>
<ConnectedApp xmlns=\"{METADATA_NS}\">
    <contactEmail>{email}</contactEmail>
    <label>Insights Plus</label>
    <oauthConfig>
        <callbackUrl>{callback}</callbackUrl>{oauth_extra}
        <isAdminApproved>true</isAdminApproved>
        <isConsumerSecretOptional>false</isConsumerSecretOptional>
        <isPkceRequired>true</isPkceRequired>
        <isSecretRequiredForRefreshToken>true</isSecretRequiredForRefreshToken>
        <scopes>Api</scopes>
        <scopes>RefreshToken</scopes>
    </oauthConfig>
    <oauthPolicy>
        <ipRelaxation>BYPASS</ipRelaxation>
        <refreshTokenPolicy>infinite</refreshTokenPolicy>
    </oauthPolicy>
{names}    <sessionPolicy>
        <sessionTimeout>30</sessionTimeout>
    </sessionPolicy>
</ConnectedApp>
"
    )
}

pub fn permission_set(apex_class: &str) -> String {
    format!(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>
<PermissionSet xmlns=\"{METADATA_NS}\">
    <classAccesses>
        <apexClass>{apex_class}</apexClass>
        <enabled>true</enabled>
    </classAccesses>
    <description>Grants Insights+ REST access.</description>
    <hasActivationRequired>false</hasActivationRequired>
    <label>Insights_Plus_API</label>
</PermissionSet>
"
    )
}

pub const CALLBACK: &str = "https://localhost:8443/oauth/callback";

/// The standard deploy: app `Insights_Plus` linked to permission set `Insights_Plus_API`.
pub fn standard_zip(oauth_extra: &str) -> Vec<u8> {
    let app = connected_app("owner@example.com", CALLBACK, oauth_extra, &["Insights_Plus_API"]);
    let set = permission_set("Insights_Rest_API");
    zip(&[
        (
            "package.xml",
            &package(&[("ConnectedApp", &["Insights_Plus"]), ("PermissionSet", &["Insights_Plus_API"])]),
        ),
        ("connectedApps/Insights_Plus.connectedApp", &app),
        ("permissionsets/Insights_Plus_API.permissionset", &set),
    ])
}

/// Text of every `<name>` element (unprefixed, no attributes), unescaped for the basic entities.
pub fn all(xml: &str, name: &str) -> Vec<String> {
    let open = format!("<{name}>");
    let close = format!("</{name}>");
    let mut values = Vec::new();
    let mut rest = xml;
    while let Some(start) = rest.find(&open) {
        let after = &rest[start + open.len()..];
        let Some(end) = after.find(&close) else { break };
        values.push(
            after[..end]
                .replace("&lt;", "<")
                .replace("&gt;", ">")
                .replace("&quot;", "\"")
                .replace("&apos;", "'")
                .replace("&amp;", "&"),
        );
        rest = &after[end + close.len()..];
    }
    values
}

pub fn first(xml: &str, name: &str) -> String {
    all(xml, name).into_iter().next().unwrap_or_else(|| panic!("no <{name}> in {xml}"))
}

pub fn problems(xml: &str) -> Vec<String> {
    all(xml, "problem")
}

/// Extracts the element inside `soapenv:Body` and puts the namespaces on it.
pub fn body_element(envelope: &str) -> String {
    let start =
        envelope.find("<soapenv:Body>").expect("soapenv:Body without attributes") + "<soapenv:Body>".len();
    let end = envelope.rfind("</soapenv:Body>").expect("end of Body");
    let element = &envelope[start..end];
    let name_end = element.find(['>', ' ', '/']).expect("element name");
    format!(
        "{} xmlns=\"{METADATA_NS}\" xmlns:xsi=\"http://www.w3.org/2001/XMLSchema-instance\"{}",
        &element[..name_end],
        &element[name_end..]
    )
}

/// Validates one response body against the XSD.
pub fn assert_valid_body(envelope: &str) {
    assert_valid_bodies(&[envelope.to_string()]);
}

/// Validates response bodies with `xmllint --noout --schema metadata.xsd` in one run.
pub fn assert_valid_bodies(envelopes: &[String]) {
    let schema = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../../shared/salesforce/metadata.xsd");
    let dir = tempfile::tempdir().expect("temp dir");
    let mut paths = Vec::new();
    for (index, envelope) in envelopes.iter().enumerate() {
        let path = dir.path().join(format!("body-{index}.xml"));
        std::fs::write(&path, body_element(envelope)).expect("write body");
        paths.push(path);
    }
    let output = Command::new("xmllint")
        .arg("--noout")
        .arg("--schema")
        .arg(&schema)
        .args(&paths)
        .output()
        .unwrap_or_else(|error| {
            panic!("xmllint is needed to validate SOAP bodies (apt-get install -y libxml2-utils): {error}")
        });
    assert!(
        output.status.success(),
        "response bodies do not validate against {}:\n{}",
        schema.display(),
        String::from_utf8_lossy(&output.stderr),
    );
}
