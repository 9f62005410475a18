//! Misdirected and broken orgs, and transport safety: an instance URL that serves an HTML
//! login page, a 401, a redirect (to itself in a loop, or to another host), a truncated or
//! non-XML SOAP body, and a DeployResult with fields this client does not know. Each gives
//! one clear sentence (never a panic or a raw parser error), redirects are never followed,
//! and the session never reaches another host. The org is a raw HTTP mock on 127.0.0.1:0.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use insights_org_client::connection::checked_instance_url;
use insights_org_client::retry::RetryPolicy;
use insights_org_client::{ClientOptions, Connection, ConnectionSource, DeployStatus, OrgClient, OrgError};
use secrecy::SecretString;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpListener;

const TOKEN: &str = "00DMOCK!session-token-value";
const VERSIONS: &str = r#"[{"label":"Spring '26","url":"/services/data/v66.0","version":"66.0"}]"#;

/// One request as the mock saw it.
#[derive(Debug, Clone)]
struct Seen {
    method: String,
    path: String,
    head: String,
}

/// A canned answer: status, extra header lines, body.
type Answer = (u16, String, String);

/// Serves every connection on `ip:0` with `route`; records every request.
async fn mock(
    ip: &str,
    route: impl Fn(&Seen, &str) -> Answer + Send + Sync + 'static,
) -> (String, Arc<Mutex<Vec<Seen>>>) {
    let listener = TcpListener::bind((ip, 0)).await.expect("bind");
    let url = format!("http://{}", listener.local_addr().expect("addr"));
    let seen = Arc::new(Mutex::new(Vec::new()));
    let record = seen.clone();
    let route = Arc::new(route);
    tokio::spawn(async move {
        while let Ok((mut stream, _)) = listener.accept().await {
            let (record, route) = (record.clone(), route.clone());
            tokio::spawn(async move {
                let mut buffer = Vec::new();
                let mut chunk = [0_u8; 8192];
                loop {
                    let Ok(read) = stream.read(&mut chunk).await else { return };
                    if read == 0 {
                        return;
                    }
                    buffer.extend_from_slice(&chunk[..read]);
                    let text = String::from_utf8_lossy(&buffer).into_owned();
                    let Some(end) = text.find("\r\n\r\n") else { continue };
                    let head = text[..end].to_owned();
                    let length = head
                        .lines()
                        .find_map(|line| {
                            line.to_ascii_lowercase()
                                .strip_prefix("content-length:")
                                .map(|v| v.trim().parse::<usize>().unwrap_or(0))
                        })
                        .unwrap_or(0);
                    if buffer.len() < end + 4 + length {
                        continue;
                    }
                    let body = String::from_utf8_lossy(&buffer[end + 4..end + 4 + length]).into_owned();
                    let mut words = head.split_whitespace();
                    let request = Seen {
                        method: words.next().unwrap_or_default().to_owned(),
                        path: words.next().unwrap_or_default().to_owned(),
                        head: head.clone(),
                    };
                    record.lock().expect("lock").push(request.clone());
                    let (status, headers, answer) = route(&request, &body);
                    let response = format!(
                        "HTTP/1.1 {status} Mock\r\nContent-Length: {}\r\nConnection: close\r\n{headers}\r\n{answer}",
                        answer.len()
                    );
                    let _ = stream.write_all(response.as_bytes()).await;
                    let _ = stream.shutdown().await;
                    return;
                }
            });
        }
    });
    (url, seen)
}

fn options() -> ClientOptions {
    ClientOptions {
        connect_timeout: Duration::from_secs(5),
        request_timeout: Duration::from_secs(10),
        retry: RetryPolicy { max_attempts: 2, ..RetryPolicy::default() },
        ..ClientOptions::default()
    }
}

async fn connect(url: &str) -> Result<OrgClient, OrgError> {
    let connection =
        Connection::new(url, SecretString::from(TOKEN), ConnectionSource::Explicit).expect("loopback url");
    OrgClient::connect(connection, "66.0", options()).await
}

/// A mock that answers the version list, and `soap` for every SOAP call.
async fn org_with_soap(
    soap: impl Fn(&Seen, &str) -> Answer + Send + Sync + 'static,
) -> (String, Arc<Mutex<Vec<Seen>>>) {
    mock("127.0.0.1", move |request, body| {
        if request.path == "/services/data" {
            return (200, "Content-Type: application/json\r\n".into(), VERSIONS.into());
        }
        soap(request, body)
    })
    .await
}

/// One sentence: one line, no parser positions, no panic text, no token.
fn assert_one_clear_sentence(error: &OrgError) -> String {
    let message = error.to_string();
    assert!(!message.contains('\n'), "one line: {message}");
    for raw in ["line 1", "column", "expected value", "EOF", "panicked", "Syntax", TOKEN] {
        assert!(!message.contains(raw), "no raw parser error or secret ({raw}): {message}");
    }
    message
}

#[tokio::test]
async fn an_html_login_page_is_named_as_such() {
    let page = "<!DOCTYPE html>\n<html><head><title>Login | Salesforce</title></head><body><form>…</form></body></html>";
    let (url, _) =
        mock("127.0.0.1", move |_, _| (200, "Content-Type: text/html\r\n".into(), page.into())).await;
    let error = connect(&url).await.expect_err("not an org");
    assert!(matches!(error, OrgError::NotAnApi { status: 200, .. }), "{error:?}");
    assert!(error.is_connection_problem());
    assert_eq!(
        assert_one_clear_sentence(&error),
        "listing API versions (GET /services/data): the instance URL answered with an HTML page (HTTP 200), \
         not the Salesforce API; check that it is the org's instance URL, e.g. https://MyDomain.my.salesforce.com"
    );

    // The same page in answer to a SOAP call, after a good connect.
    let (url, _) = org_with_soap(move |_, _| (200, "Content-Type: text/html\r\n".into(), page.into())).await;
    let client = connect(&url).await.expect("connects");
    let error = client.check_deploy_status("0Af000000000001", true).await.expect_err("html");
    assert!(matches!(error, OrgError::NotAnApi { .. }), "{error:?}");
    assert_one_clear_sentence(&error);
}

#[tokio::test]
async fn a_401_is_a_session_problem() {
    let (url, _) = mock("127.0.0.1", |_, _| {
        (
            401,
            "Content-Type: application/json\r\n".into(),
            r#"[{"message":"Session expired or invalid","errorCode":"INVALID_SESSION_ID"}]"#.into(),
        )
    })
    .await;
    let error = connect(&url).await.expect_err("401");
    assert!(matches!(error, OrgError::SessionInvalid { .. }), "{error:?}");
    assert!(error.is_connection_problem());
    assert!(
        assert_one_clear_sentence(&error)
            .starts_with("the org rejected the session (INVALID_SESSION_ID: Session expired or invalid)")
    );

    // A bare 401 with an HTML body is still a session problem, not "an HTML page".
    let (url, _) = mock("127.0.0.1", |_, _| (401, String::new(), "<html>Unauthorized</html>".into())).await;
    let error = connect(&url).await.expect_err("401");
    assert!(matches!(error, OrgError::SessionInvalid { .. }), "{error:?}");
}

#[tokio::test]
async fn a_redirect_loop_is_not_followed() {
    let (url, seen) = mock("127.0.0.1", |request, _| {
        (302, format!("Location: {}?sid=leaked\r\n", request.path), String::new())
    })
    .await;
    let error = connect(&url).await.expect_err("redirect");
    assert!(matches!(error, OrgError::Redirected { status: 302, .. }), "{error:?}");
    let message = assert_one_clear_sentence(&error);
    assert!(message.contains("with a redirect to /services/data, which is not followed"), "{message}");
    assert!(!message.contains("sid=leaked"), "the query of a Location is left out: {message}");
    assert_eq!(seen.lock().expect("lock").len(), 1, "exactly one request: the redirect was not followed");
}

#[tokio::test]
async fn a_redirect_to_another_host_never_carries_the_session() {
    // The other host: 127.0.0.2 (another address than the org's), recording what reaches it.
    let (elsewhere, elsewhere_seen) = mock("127.0.0.2", |_, _| (200, String::new(), VERSIONS.into())).await;
    let target = elsewhere.clone();
    let (url, seen) = org_with_soap(move |_, _| {
        (307, format!("Location: {target}/services/Soap/m/66.0\r\n"), String::new())
    })
    .await;
    let client = connect(&url).await.expect("connects");
    let error = client.check_deploy_status("0Af000000000001", true).await.expect_err("redirect");
    assert!(matches!(error, OrgError::Redirected { status: 307, .. }), "{error:?}");
    assert!(
        assert_one_clear_sentence(&error).contains(&format!("redirect to {elsewhere}/services/Soap/m/66.0"))
    );
    assert!(elsewhere_seen.lock().expect("lock").is_empty(), "nothing reached the other host");
    let seen = seen.lock().expect("lock");
    assert!(seen.iter().any(|request| request.method == "POST"), "{seen:?}");
    // The session went only to the instance URL: as a bearer header (REST) and in the SOAP header.
    assert!(seen[0].head.contains(&format!("authorization: Bearer {TOKEN}")), "{}", seen[0].head);
}

#[test]
fn tokens_go_only_over_https_or_to_loopback() {
    for good in [
        "https://example.my.salesforce.com",
        "http://127.0.0.1:8080",
        "http://127.10.20.30",
        "http://localhost:1717",
        "http://LOCALHOST",
        "http://[::1]:8080",
    ] {
        assert!(checked_instance_url(good).is_ok(), "{good}");
    }
    for bad in [
        "http://example.my.salesforce.com",
        "http://127.0.0.1.example.com",
        "http://localhost.example.com",
        "http://10.0.0.1",
        "http://[::2]",
        "http://0.0.0.0",
    ] {
        let error = checked_instance_url(bad).expect_err(bad);
        assert!(matches!(error, OrgError::InsecureInstanceUrl { .. }), "{bad}: {error:?}");
        assert!(error.is_connection_problem());
        assert!(error.to_string().starts_with("refusing to send an access token to"), "{error}");
    }
    for odd in ["ftp://127.0.0.1", "file:///etc/passwd", "not a url", "https://"] {
        assert!(matches!(checked_instance_url(odd), Err(OrgError::InvalidInstanceUrl { .. })), "{odd}");
    }
}

#[tokio::test]
async fn truncated_and_non_xml_soap_bodies_give_one_sentence() {
    let envelope = r#"<?xml version="1.0" encoding="UTF-8"?><soapenv:Envelope xmlns:soapenv="http://schemas.xmlsoap.org/soap/envelope/"><soapenv:Body><checkDeployStatusResponse><result><done>true</done><id>0Af"#;
    for (what, body) in [
        ("truncated", envelope),
        ("not XML", "Service temporarily unavailable"),
        ("empty", ""),
        ("JSON", r#"{"ok":true}"#),
    ] {
        let body = body.to_owned();
        let (url, _) =
            org_with_soap(move |_, _| (200, "Content-Type: text/xml\r\n".into(), body.clone())).await;
        let client = connect(&url).await.expect("connects");
        let error = client.check_deploy_status("0Af000000000001", true).await.expect_err(what);
        assert!(matches!(error, OrgError::UnexpectedResponse { .. }), "{what}: {error:?}");
        assert_eq!(
            assert_one_clear_sentence(&error),
            "unexpected answer to checkDeployStatus: the answer is cut short or is not XML",
            "{what}"
        );
    }
    // Well-formed XML that is not a SOAP answer.
    let (url, _) = org_with_soap(|_, _| (200, String::new(), "<ok/>".into())).await;
    let client = connect(&url).await.expect("connects");
    let error = client.check_deploy_status("0Af000000000001", true).await.expect_err("no body");
    assert_eq!(assert_one_clear_sentence(&error), "unexpected answer to checkDeployStatus: no SOAP Body");
}

#[tokio::test]
async fn a_non_json_version_list_gives_one_sentence() {
    let (url, _) = mock("127.0.0.1", |_, _| (200, String::new(), "{\"truncated\": [".into())).await;
    let error = connect(&url).await.expect_err("bad json");
    assert_eq!(
        assert_one_clear_sentence(&error),
        "unexpected answer to listing API versions (GET /services/data): the answer is not the JSON the org's REST API gives"
    );
}

#[tokio::test]
async fn a_deploy_result_with_unknown_fields_is_read() {
    let answer = r#"<?xml version="1.0" encoding="UTF-8"?><soapenv:Envelope xmlns:soapenv="http://schemas.xmlsoap.org/soap/envelope/" xmlns="http://soap.sforce.com/2006/04/metadata" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance"><soapenv:Body><checkDeployStatusResponse><result><canceledBy xsi:nil="true"/><checkOnly>false</checkOnly><completedDate>2027-01-01T00:00:00.000Z</completedDate><details><componentSuccesses><changed>true</changed><componentType>ConnectedApp</componentType><created>false</created><fullName>Insights_API</fullName><futureField>x</futureField><success>true</success></componentSuccesses><runTestResult><numFailures>0</numFailures><numTestsRun>0</numTestsRun><totalTime>0.0</totalTime><aNewList><item>1</item></aNewList></runTestResult></details><done>true</done><id>0Af000000000001</id><ignoreWarnings>false</ignoreWarnings><numberComponentErrors>0</numberComponentErrors><numberComponentsDeployed>1</numberComponentsDeployed><numberComponentsTotal>1</numberComponentsTotal><numberTestErrors>0</numberTestErrors><quantumFlux unit="mW">42</quantumFlux><status>Succeeded</status><success>true</success><zeroDowntime>true</zeroDowntime></result><debugInfo/></checkDeployStatusResponse></soapenv:Body></soapenv:Envelope>"#;
    let (url, _) = org_with_soap(move |_, _| (200, "Content-Type: text/xml\r\n".into(), answer.into())).await;
    let client = connect(&url).await.expect("connects");
    let result =
        client.check_deploy_status("0Af000000000001", true).await.expect("unknown fields are ignored");
    assert!(result.done && result.success);
    assert_eq!(result.status, DeployStatus::Succeeded);
    assert_eq!(result.component_successes.len(), 1);
    assert_eq!(result.component_successes[0].full_name, "Insights_API");
    assert!(result.failures().is_empty());

    // An unknown status value is kept as it is, and a failed result says so in one row.
    let strange = answer.replace(
        "<status>Succeeded</status><success>true</success>",
        "<status>Quarantined</status><success>false</success>",
    );
    let (url, _) = org_with_soap(move |_, _| (200, String::new(), strange.clone())).await;
    let client = connect(&url).await.expect("connects");
    let result = client.check_deploy_status("0Af000000000001", true).await.expect("reads");
    assert_eq!(result.status, DeployStatus::Other("Quarantined".into()));
    let failures = result.failures();
    assert_eq!(failures[0].problem.as_deref(), Some("UNKNOWN: the deploy ended with status Quarantined"));
}
