//! Snapshot tests of every Metadata API request body, each validated against the Metadata
//! API schema with `xmllint`, and tests of reading answers and faults.

use std::path::PathBuf;
use std::process::Command;

use super::read_soap_answer;
use super::requests::{self, DeployOptions};
use crate::OrgError;
use crate::client::HttpAnswer;
use crate::metadata_api::deploy::{DeployResult, DeployStatus};

const DEPLOY_ID: &str = "0Af000000000001AAA";

fn schema_path() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../../shared/salesforce/metadata.xsd")
}

/// Runs `xmllint --schema` on a body; returns its error lines (empty when valid).
fn schema_errors(body: &str) -> Vec<String> {
    let schema = schema_path();
    assert!(schema.exists(), "the Metadata API schema is missing at {}", schema.display());
    let dir = tempfile::tempdir().expect("temp dir");
    let file = dir.path().join("body.xml");
    std::fs::write(&file, body).expect("write body");
    let output = Command::new("xmllint")
        .arg("--noout")
        .arg("--schema")
        .arg(&schema)
        .arg(&file)
        .output()
        .unwrap_or_else(|error| {
            panic!(
                "xmllint is needed for these tests ({error}); install it: apt-get install -y libxml2-utils"
            )
        });
    let stderr = String::from_utf8_lossy(&output.stderr);
    let errors: Vec<String> = stderr
        .lines()
        .filter(|line| !line.ends_with(" validates"))
        .map(|line| line.replace(&file.display().to_string(), "body.xml"))
        .collect();
    assert_eq!(output.status.success(), errors.is_empty(), "{stderr}");
    errors
}

/// Snapshots a body (zip redacted) and checks it against the schema.
fn check(name: &str, body: &str) {
    insta::with_settings!({ filters => vec![(r"<ZipFile>[^<]*</ZipFile>", "<ZipFile>[zip]</ZipFile>")] }, {
        insta::assert_snapshot!(name, body);
    });
    let errors = schema_errors(body);
    assert!(errors.is_empty(), "{name} does not validate:\n{}", errors.join("\n"));
}

#[test]
fn deploy_body_follows_the_wsdl_but_leaves_out_test_level() {
    let options = DeployOptions { check_only: true, ..DeployOptions::default() };
    let body = requests::deploy("UEsDBBQAAAAIAA==", &options);
    insta::with_settings!({ filters => vec![(r"<ZipFile>[^<]*</ZipFile>", "<ZipFile>[zip]</ZipFile>")] }, {
        insta::assert_snapshot!("deploy", body);
    });
    // The WSDL marks testLevel as required, yet production orgs refuse NoTestRun and an absent
    // level runs no tests for a package without Apex: the one expected schema complaint.
    let errors = schema_errors(&body);
    assert_eq!(errors.len(), 2, "{errors:#?}");
    assert!(errors[0].contains("DeployOptions': Missing child element(s)"), "{errors:#?}");
    assert!(errors[0].contains("testLevel"), "{errors:#?}");
    assert!(errors[1].contains("fails to validate"), "{errors:#?}");
}

#[test]
fn status_cancel_and_quick_deploy_bodies() {
    check("check_deploy_status", &requests::check_deploy_status(DEPLOY_ID, true));
    check("cancel_deploy", &requests::cancel_deploy(DEPLOY_ID));
    check("deploy_recent_validation", &requests::deploy_recent_validation(DEPLOY_ID));
}

#[test]
fn retrieve_bodies() {
    let members = [
        ("ConnectedApp", vec!["Insights_API_Authorization".to_owned()]),
        ("PermissionSet", vec!["Insights_API_Access".to_owned()]),
    ];
    check("retrieve", &requests::retrieve("66.0", &members));
    check("check_retrieve_status", &requests::check_retrieve_status("09S000000000001AAA", true));
}

#[test]
fn read_and_list_bodies() {
    check("read_metadata", &requests::read_metadata("ConnectedApp", &["Insights_API_Authorization"]));
    check("list_metadata", &requests::list_metadata(&["ConnectedApp", "PermissionSet"], "66.0"));
}

#[test]
fn envelope_carries_the_session_and_escapes_it() {
    let envelope = requests::envelope("00Dxx!AQ<secret>", &requests::cancel_deploy(DEPLOY_ID));
    assert!(envelope.contains("<sessionId>00Dxx!AQ&lt;secret&gt;</sessionId>"));
    insta::with_settings!({ filters => vec![(r"<sessionId>[^<]*</sessionId>", "<sessionId>[session id]</sessionId>")] }, {
        insta::assert_snapshot!("envelope", envelope);
    });
}

fn answer(status: u16, body: &str) -> HttpAnswer {
    HttpAnswer { status, body: body.to_owned(), location: None }
}

const FAULT: &str = r#"<?xml version="1.0" encoding="UTF-8"?><soapenv:Envelope xmlns:soapenv="http://schemas.xmlsoap.org/soap/envelope/" xmlns:sf="http://soap.sforce.com/2006/04/metadata"><soapenv:Body><soapenv:Fault><faultcode>sf:CODE</faultcode><faultstring>TEXT</faultstring></soapenv:Fault></soapenv:Body></soapenv:Envelope>"#;

#[test]
fn faults_become_typed_errors() {
    let fault =
        FAULT.replace("CODE", "INVALID_CROSS_REFERENCE_KEY").replace("TEXT", "invalid cross reference id");
    let error = read_soap_answer("checkDeployStatus", &answer(500, &fault)).unwrap_err();
    assert_eq!(error.soap_fault_code(), Some("INVALID_CROSS_REFERENCE_KEY"));
    assert_eq!(
        error.to_string(),
        "checkDeployStatus failed: sf:INVALID_CROSS_REFERENCE_KEY: invalid cross reference id"
    );

    let expired = FAULT
        .replace("CODE", "INVALID_SESSION_ID")
        .replace("TEXT", "INVALID_SESSION_ID: Session expired or invalid");
    let error = read_soap_answer("deploy", &answer(500, &expired)).unwrap_err();
    assert!(matches!(error, OrgError::SessionInvalid { .. }));
    assert!(error.to_string().contains("sf org login web"), "{error}");

    let error = read_soap_answer("deploy", &answer(502, "<html>bad gateway")).unwrap_err();
    assert!(matches!(error, OrgError::HttpStatus { status: 502, .. }), "{error}");
}

#[test]
fn reads_a_failed_deploy_with_and_without_component_details() {
    let response = |result: &str| {
        format!(
            r#"<soapenv:Envelope xmlns:soapenv="http://schemas.xmlsoap.org/soap/envelope/" xmlns="http://soap.sforce.com/2006/04/metadata"><soapenv:Body><checkDeployStatusResponse><result>{result}</result></checkDeployStatusResponse></soapenv:Body></soapenv:Envelope>"#
        )
    };
    let with_details = response(
        "<checkOnly>false</checkOnly><details><componentFailures><changed>false</changed>\
         <componentType>ConnectedApp</componentType><created>false</created><deleted>false</deleted>\
         <fileName>connectedApps/App.connectedApp</fileName><fullName>App</fullName><lineNumber>7</lineNumber>\
         <problem>You cannot provide a Consumer Key</problem><problemType>Error</problemType><success>false</success>\
         </componentFailures><componentSuccesses><componentType></componentType><fileName>package.xml</fileName>\
         <fullName>package.xml</fullName><success>true</success></componentSuccesses></details><done>true</done>\
         <id>0Af000000000001AAA</id><numberComponentErrors>1</numberComponentErrors>\
         <numberComponentsDeployed>1</numberComponentsDeployed><numberComponentsTotal>2</numberComponentsTotal>\
         <status>Failed</status><success>false</success>",
    );
    let element = read_soap_answer("checkDeployStatus", &answer(200, &with_details)).unwrap();
    let result = DeployResult::parse(element.child("result").unwrap());
    assert_eq!(result.status, DeployStatus::Failed);
    assert_eq!((result.number_components_deployed, result.number_components_total), (1, 2));
    assert!(result.component_successes.is_empty(), "package.xml is left out");
    let failures = result.failures();
    assert_eq!(failures.len(), 1);
    assert_eq!(failures[0].line_number, Some(7));
    assert_eq!(failures[0].problem.as_deref(), Some("You cannot provide a Consumer Key"));

    let without_details = response(
        "<done>true</done><errorMessage>An unexpected error occurred.</errorMessage>\
         <errorStatusCode>UNKNOWN_EXCEPTION</errorStatusCode><id>0Af000000000001AAA</id>\
         <status>Failed</status><success>false</success>",
    );
    let element = read_soap_answer("checkDeployStatus", &answer(200, &without_details)).unwrap();
    let failures = DeployResult::parse(element.child("result").unwrap()).failures();
    assert_eq!(failures.len(), 1);
    assert_eq!(failures[0].problem.as_deref(), Some("UNKNOWN_EXCEPTION: An unexpected error occurred."));
}
