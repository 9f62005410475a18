//! Transport safety of the OAuth side: credentials go only to https or loopback URLs (refused
//! before any request is built), a redirect from the token endpoint is never followed (so the
//! client secret and code never reach another host), and the loopback callback listener binds
//! 127.0.0.1 only, accepts one redirect with the expected state, and stops.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use insights_auth_check::loopback::CallbackListener;
use insights_auth_check::oauth::Secret;
use insights_auth_check::{AuthorizeOptions, OAuthApp, PendingAuthorization, StepError, Url, http_client};
use secrecy::{ExposeSecret, SecretString};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

const SECRET: &str = "consumer-secret-never-elsewhere";

fn app(login_url: &str) -> OAuthApp {
    OAuthApp {
        login_url: Url::parse(login_url).expect("url"),
        client_id: "consumer-key".into(),
        client_secret: SecretString::from(SECRET),
        redirect_uri: Some("http://localhost:1717/OauthRedirect".into()),
    }
}

/// A one-answer-per-connection HTTP mock on `ip:0`; returns its URL and every request it read.
async fn mock(ip: &str, answer: String) -> (String, Arc<Mutex<Vec<String>>>) {
    let listener = TcpListener::bind((ip, 0)).await.expect("bind");
    let url = format!("http://{}", listener.local_addr().expect("addr"));
    let seen = Arc::new(Mutex::new(Vec::new()));
    let record = seen.clone();
    tokio::spawn(async move {
        while let Ok((mut stream, _)) = listener.accept().await {
            let mut buffer = vec![0_u8; 65536];
            let read = stream.read(&mut buffer).await.unwrap_or(0);
            record.lock().expect("lock").push(String::from_utf8_lossy(&buffer[..read]).into_owned());
            let _ = stream.write_all(answer.as_bytes()).await;
            let _ = stream.shutdown().await;
        }
    });
    (url, seen)
}

#[tokio::test]
async fn credentials_are_refused_for_plain_http_to_other_hosts_before_any_request() {
    let http = http_client(Duration::from_secs(5)).expect("client");
    for insecure in ["http://example.my.salesforce.com", "http://localhost.example.com", "http://10.1.2.3"] {
        let app = app(insecure);
        assert!(matches!(app.endpoint("token"), Err(StepError::Insecure(_))), "{insecure}");
        let code = SecretString::from("code");
        let verifier = SecretString::from("verifier");
        let error = app.exchange_code(&http, &code, Some(&verifier), Secret::Send).await.expect_err(insecure);
        assert!(matches!(error, StepError::Insecure(_)), "{insecure}: {error:?}");
        assert!(!error.to_string().contains(SECRET));
        let error =
            app.refresh(&http, &SecretString::from("refresh"), Secret::Send).await.expect_err(insecure);
        assert!(matches!(error, StepError::Insecure(_)), "{insecure}: {error:?}");
    }
    for secure in
        ["https://example.my.salesforce.com", "http://127.0.0.1:9", "http://localhost:9", "http://[::1]:9"]
    {
        assert!(app(secure).endpoint("token").is_ok(), "{secure}");
    }
}

#[tokio::test]
async fn a_redirect_from_the_token_endpoint_is_not_followed() {
    let (elsewhere, elsewhere_seen) =
        mock("127.0.0.2", "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\n{}".into()).await;
    let redirect = format!(
        "HTTP/1.1 307 Temporary Redirect\r\nLocation: {elsewhere}/services/oauth2/token\r\nContent-Length: 0\r\nConnection: close\r\n\r\n"
    );
    let (org, org_seen) = mock("127.0.0.1", redirect).await;
    let http = http_client(Duration::from_secs(5)).expect("client");
    let error = app(&org)
        .exchange_code(&http, &SecretString::from("the-code"), Some(&SecretString::from("v")), Secret::Send)
        .await
        .expect_err("a redirect is not a token answer");
    assert!(!error.to_string().contains(SECRET), "{error}");
    assert!(elsewhere_seen.lock().expect("lock").is_empty(), "nothing reached the other host");
    let org_seen = org_seen.lock().expect("lock");
    assert_eq!(org_seen.len(), 1, "one request, to the org only");
    assert!(org_seen[0].starts_with("POST /services/oauth2/token"), "{}", org_seen[0]);
}

fn pending() -> PendingAuthorization {
    let app = app("http://127.0.0.1:9");
    PendingAuthorization::new(&app, &["api".into()], &AuthorizeOptions::default()).expect("builds")
}

#[tokio::test]
async fn the_callback_listener_binds_loopback_only_takes_one_redirect_and_stops() {
    let listener = CallbackListener::bind(&Url::parse("http://localhost:0/OauthRedirect").expect("url"))
        .await
        .expect("binds");
    let port = listener.port().expect("port");
    // Bound to 127.0.0.1 itself: another loopback address (which a 0.0.0.0 bind would accept)
    // is refused.
    assert!(TcpStream::connect(("127.0.0.2", port)).await.is_err(), "127.0.0.2:{port} must not be served");

    let pending = pending();
    let state = pending.state_for_tests().expose_secret().to_owned();
    let browser = tokio::spawn(async move {
        let http = reqwest::Client::builder().timeout(Duration::from_secs(10)).build().expect("client");
        let forged = http
            .get(format!("http://127.0.0.1:{port}/elsewhere?code=x&state={state}"))
            .send()
            .await
            .expect("sent")
            .status()
            .as_u16();
        let good = http
            .get(format!("http://127.0.0.1:{port}/OauthRedirect?code=the-code&state={state}"))
            .send()
            .await
            .expect("sent")
            .status()
            .as_u16();
        (forged, good)
    });
    let code = listener.accept_redirect(&pending, Duration::from_secs(20)).await.expect("the code");
    assert_eq!(code.expose_secret(), "the-code");
    assert_eq!(browser.await.expect("joins"), (404, 200));
    // Stopped: nothing listens on the port any more.
    assert!(
        TcpStream::connect(("127.0.0.1", port)).await.is_err(),
        "the listener stopped after one redirect"
    );
}
