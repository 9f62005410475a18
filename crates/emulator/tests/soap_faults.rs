//! SOAP faults as Salesforce shapes them (bad session, bad XML, unknown operation, bad base64,
//! bad zip, huge body, unknown ids), URL forms, and org state surviving a restart.

mod soap_common;

use std::time::Duration;

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use soap_common::*;
use tokio::io::{AsyncReadExt, AsyncWriteExt};

const SINGLE: &str = "<singlePackage>true</singlePackage>";

fn assert_fault(answer: &Answer, code: &str) -> String {
    assert_eq!(answer.status, 500, "{}", answer.body);
    assert!(answer.body.contains("<soapenv:Fault><faultcode>"), "{}", answer.body);
    assert_eq!(first(&answer.body, "faultcode"), code, "{}", answer.body);
    first(&answer.body, "faultstring")
}

async fn app_count(org: &Org) -> usize {
    let answer = org
        .call("<listMetadata><queries><type>ConnectedApp</type></queries><asOfVersion>66.0</asOfVersion></listMetadata>")
        .await;
    all(&answer.body, "fullName").len()
}

#[tokio::test]
async fn session_header_is_required_and_checked() {
    let dir = tempfile::tempdir().unwrap();
    let mut org = start(dir.path()).await;
    let describe = "<describeMetadata><asOfVersion>66.0</asOfVersion></describeMetadata>";

    let bad = org.post_raw(&envelope(Some("00DHn0000abcdef!AQnotatoken"), describe)).await;
    assert_eq!(
        assert_fault(&bad, "sf:INVALID_SESSION_ID"),
        "INVALID_SESSION_ID: Invalid Session ID found in SessionHeader: Illegal Session"
    );
    let missing = org.post_raw(&envelope(None, describe)).await;
    assert_fault(&missing, "sf:INVALID_SESSION_ID");

    // An expired session is refused the same way (the Salesforce CLI refreshes on it).
    let expired_status = org.control("sessions/expire", serde_json::json!({})).await;
    assert!((200..300).contains(&expired_status));
    let expired = org.post_raw(&envelope(Some(&org.token), describe)).await;
    assert_fault(&expired, "sf:INVALID_SESSION_ID");
    org.token = org.emulator.admin_access_token();

    // The allowed path, with the org id in the URL and a trailing slash, as clients send it.
    let org_id = org.token.split('!').next().unwrap().to_string();
    for url in [format!("{}/{org_id}", org.soap_url()), format!("{}/", org.soap_url())] {
        let response = org
            .client
            .post(url)
            .header("Content-Type", "text/xml; charset=UTF-8")
            .body(envelope(Some(&org.token), describe))
            .send()
            .await
            .unwrap();
        assert_eq!(response.status().as_u16(), 200);
        let body = response.text().await.unwrap();
        assert!(body.contains("<soapenv:Body><describeMetadataResponse><result>"), "{body}");
        assert_valid_body(&body);
    }
}

#[tokio::test]
async fn malformed_requests_get_clear_faults_and_change_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let org = start(dir.path()).await;

    let broken = org.post_raw("<soapenv:Envelope><soapenv:Body><deploy>").await;
    assert!(assert_fault(&broken, "soapenv:Client").starts_with("Malformed request"));
    let not_xml = org.post_raw("this is not XML").await;
    assert_fault(&not_xml, "soapenv:Client");

    let unknown = org.call("<launchRockets><count>3</count></launchRockets>").await;
    assert!(assert_fault(&unknown, "soapenv:Client").contains("No operation available for request"));

    let bad_base64 = org
        .call(&format!(
            "<deploy><ZipFile>@@not base64@@</ZipFile><DeployOptions>{SINGLE}</DeployOptions></deploy>"
        ))
        .await;
    assert!(assert_fault(&bad_base64, "sf:INVALID_OPERATION").contains("not valid base64"));

    let not_a_zip = STANDARD.encode(b"PK this is not really a zip");
    let bad_zip = org
        .call(&format!(
            "<deploy><ZipFile>{not_a_zip}</ZipFile><DeployOptions>{SINGLE}</DeployOptions></deploy>"
        ))
        .await;
    assert!(assert_fault(&bad_zip, "sf:INVALID_OPERATION").contains("not a valid zip archive"));

    let empty = org.call("<deploy><ZipFile></ZipFile><DeployOptions/></deploy>").await;
    assert_eq!(
        assert_fault(&empty, "sf:INVALID_OPERATION"),
        "INVALID_OPERATION: No zip file content passed in"
    );

    let bad_level = org
        .call(&format!(
            "<deploy><ZipFile>{}</ZipFile><DeployOptions><testLevel>RunEverything</testLevel></DeployOptions></deploy>",
            STANDARD.encode(standard_zip(""))
        ))
        .await;
    assert_fault(&bad_level, "soapenv:Client");

    let unknown_id = org
        .call("<checkDeployStatus><asyncProcessId>0AfHn0000zzzzzzAAA</asyncProcessId><includeDetails>true</includeDetails></checkDeployStatus>")
        .await;
    assert_eq!(
        assert_fault(&unknown_id, "sf:INVALID_CROSS_REFERENCE_KEY"),
        "INVALID_CROSS_REFERENCE_KEY: invalid cross reference id"
    );
    let unknown_retrieve = org
        .call(
            "<checkRetrieveStatus><asyncProcessId>09SHn0000zzzzzzAAA</asyncProcessId></checkRetrieveStatus>",
        )
        .await;
    assert_fault(&unknown_retrieve, "sf:INVALID_CROSS_REFERENCE_KEY");

    assert_eq!(app_count(&org).await, 0);
}

#[tokio::test]
async fn a_huge_chunked_body_gets_a_fault_not_a_dropped_connection() {
    let dir = tempfile::tempdir().unwrap();
    let org = start(dir.path()).await;
    let mut stream = tokio::net::TcpStream::connect(org.emulator.local_addr()).await.unwrap();
    let head = format!(
        "POST /services/Soap/m/66.0 HTTP/1.1\r\nHost: {}\r\nContent-Type: text/xml\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\n",
        org.emulator.local_addr()
    );
    stream.write_all(head.as_bytes()).await.unwrap();
    let start = envelope(Some(&org.token), "<deploy><ZipFile>");
    let chunk = "A".repeat(1024 * 1024);
    stream.write_all(format!("{:x}\r\n{start}\r\n", start.len()).as_bytes()).await.unwrap();
    for _ in 0..51 {
        stream.write_all(format!("{:x}\r\n{chunk}\r\n", chunk.len()).as_bytes()).await.unwrap();
    }
    stream.write_all(b"0\r\n\r\n").await.unwrap();
    let mut response = Vec::new();
    tokio::time::timeout(Duration::from_secs(60), stream.read_to_end(&mut response))
        .await
        .expect("answer in time")
        .unwrap();
    let response = String::from_utf8_lossy(&response);
    assert!(response.starts_with("HTTP/1.1 500"), "{}", &response[..response.len().min(300)]);
    assert!(response.contains("<faultcode>sf:EXCEEDED_MAX_SIZE_REQUEST</faultcode>"), "{response}");
    assert_eq!(app_count(&org).await, 0);
}

#[tokio::test]
async fn org_state_survives_a_restart_and_new_apps_can_be_blocked() {
    let dir = tempfile::tempdir().unwrap();
    let deploy_id;
    {
        let org = start(dir.path()).await;
        deploy_id = org.deploy(&standard_zip(""), SINGLE).await;
        let last = org.poll_deploy(&deploy_id).await.pop().unwrap();
        assert_eq!(first(&last, "status"), "Succeeded");
    }
    std::fs::write(
        dir.path().join("org-settings.toml"),
        "allow_new_connected_apps = false\nallow_consumer_secret_in_rest = false\noauth_propagation_delay_seconds = 0\n",
    )
    .unwrap();

    let org = start(dir.path()).await;
    assert_eq!(app_count(&org).await, 1, "the deployed app is still there");
    let status = org
        .call(&format!("<checkDeployStatus><asyncProcessId>{deploy_id}</asyncProcessId><includeDetails>false</includeDetails></checkDeployStatus>"))
        .await;
    assert_eq!(first(&status.body, "status"), "Succeeded");

    // Updating the existing app still works; creating a new one does not.
    let update = org.deploy_and_wait(&standard_zip(""), SINGLE).await;
    assert_eq!(first(&update, "status"), "Succeeded", "{update}");
    let app = connected_app("owner@example.com", CALLBACK, "", &[]);
    let new_app = zip(&[
        ("package.xml", &package(&[("ConnectedApp", &["Brand_New"])])),
        ("connectedApps/Brand_New.connectedApp", &app),
    ]);
    let last = org.deploy_and_wait(&new_app, SINGLE).await;
    assert_eq!(first(&last, "status"), "Failed");
    let problem = problems(&last).pop().unwrap();
    assert!(problem.contains("new connected apps cannot be created in this org"), "{problem}");
    assert!(problem.contains("External Client Apps"), "{problem}");
    assert_eq!(app_count(&org).await, 1);
}

#[test]
fn the_xsd_check_refuses_an_invalid_body() {
    let invalid = "<soapenv:Envelope xmlns:soapenv=\"x\"><soapenv:Body><deployResponse><result><done>maybe</done></result></deployResponse></soapenv:Body></soapenv:Envelope>";
    let outcome = std::panic::catch_unwind(|| assert_valid_body(invalid));
    assert!(outcome.is_err(), "xmllint must reject a DeployResult without id/state");
}
