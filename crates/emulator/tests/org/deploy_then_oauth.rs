//! The whole path through the org's own APIs: a Metadata API deploy of a ConnectedApp and a
//! PermissionSet, the assignment over REST, then the OAuth flow and the Insights+ call.

use std::io::{Cursor, Write};

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use insights_emulator::store::apps;

use crate::common::*;

pub(crate) fn zip(files: &[(&str, &str)]) -> Vec<u8> {
    let mut writer = zip::ZipWriter::new(Cursor::new(Vec::new()));
    for (name, text) in files {
        writer.start_file(*name, zip::write::SimpleFileOptions::default()).unwrap();
        writer.write_all(text.as_bytes()).unwrap();
    }
    writer.finish().unwrap().into_inner()
}

pub(crate) fn element(xml: &str, name: &str) -> Option<String> {
    let start = xml.find(&format!("<{name}>"))? + name.len() + 2;
    let end = xml[start..].find(&format!("</{name}>"))? + start;
    Some(xml[start..end].to_string())
}

pub(crate) async fn soap(org: &Org, body: &str) -> String {
    let envelope = format!(
        r#"<?xml version="1.0" encoding="UTF-8"?><soapenv:Envelope xmlns:soapenv="http://schemas.xmlsoap.org/soap/envelope/"><soapenv:Header xmlns="http://soap.sforce.com/2006/04/metadata"><SessionHeader><sessionId>{}</sessionId></SessionHeader></soapenv:Header><soapenv:Body xmlns="http://soap.sforce.com/2006/04/metadata">{body}</soapenv:Body></soapenv:Envelope>"#,
        org.emulator.admin_access_token()
    );
    let response = org
        .http
        .post(org.url("/services/Soap/m/66.0"))
        .header("content-type", "text/xml; charset=UTF-8")
        .header("SOAPAction", "\"\"")
        .body(envelope)
        .send()
        .await
        .unwrap();
    response.text().await.unwrap()
}

#[tokio::test]
async fn deployed_app_and_permission_set_work_end_to_end() {
    let org = Org::start().await;
    let xml = AppXml { admin_approved: true, permission_sets: &["Insights_E2E"], ..Default::default() };
    let package = r#"<?xml version="1.0" encoding="UTF-8"?>
<Package xmlns="http://soap.sforce.com/2006/04/metadata">
    <types><members>E2E_App</members><name>ConnectedApp</name></types>
    <types><members>Insights_E2E</members><name>PermissionSet</name></types>
    <version>66.0</version>
</Package>"#;
    let permission_set = r#"<?xml version="1.0" encoding="UTF-8"?>
<PermissionSet xmlns="http://soap.sforce.com/2006/04/metadata">
    <classAccesses>
        <apexClass>Insights_Rest_API</apexClass>
        <enabled>true</enabled>
    </classAccesses>
    <hasActivationRequired>false</hasActivationRequired>
    <label>Insights_E2E</label>
</PermissionSet>"#;
    let bytes = zip(&[
        ("package.xml", package),
        ("connectedApps/E2E_App.connectedApp", &xml.render()),
        ("permissionsets/Insights_E2E.permissionset", permission_set),
    ]);
    let answer = soap(
        &org,
        &format!(
            "<deploy><ZipFile>{}</ZipFile><DeployOptions><rollbackOnError>true</rollbackOnError><singlePackage>true</singlePackage></DeployOptions></deploy>",
            STANDARD.encode(bytes)
        ),
    )
    .await;
    let id = element(&answer, "id").unwrap_or_else(|| panic!("deploy id in {answer}"));
    let mut status = String::new();
    for _ in 0..20 {
        let answer = soap(
            &org,
            &format!("<checkDeployStatus><asyncProcessId>{id}</asyncProcessId><includeDetails>true</includeDetails></checkDeployStatus>"),
        )
        .await;
        if element(&answer, "done").as_deref() == Some("true") {
            status = element(&answer, "status").unwrap_or_default();
            assert_eq!(status, "Succeeded", "{answer}");
            break;
        }
    }
    assert_eq!(status, "Succeeded", "deploy finished within 20 polls");

    let stored = org
        .emulator
        .store()
        .read(|connection| apps::by_full_name(connection, "E2E_App"))
        .unwrap()
        .expect("deployed app stored");
    let app = TestApp { id: stored.id, key: stored.consumer_key, secret: stored.consumer_secret };
    let set_id = {
        let token = org.emulator.admin_access_token();
        let (_, body) = org
            .json(
                "/services/data/v66.0/query?q=SELECT+Id+FROM+PermissionSet+WHERE+Name='Insights_E2E'",
                &token,
            )
            .await;
        body["records"][0]["Id"].as_str().expect("permission set deployed").to_string()
    };

    let code = org.login(&app, API_USER, &[]).await.unwrap();
    let (_, body) = org.exchange(&app, &code).await;
    assert_eq!(error_of(&body).0, "invalid_app_access", "not yet assigned");

    assert_eq!(org.assign(API_USER.0, &set_id).await.status(), 201);
    let tokens = org.tokens(&app, API_USER).await;
    let access_token = tokens["access_token"].as_str().unwrap();
    let (status, body) = org.json("/services/apexrest/insights/v1/status", access_token).await;
    assert_eq!(status, 200, "{body}");
}
