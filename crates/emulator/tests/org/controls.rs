//! Test controls: off by default, faults, expired sessions, request counts, settings, limits.

use serde_json::json;
use tokio::io::{AsyncReadExt, AsyncWriteExt};

use crate::common::*;

#[tokio::test]
async fn controls_are_off_unless_enabled() {
    let dir = tempfile::tempdir().unwrap();
    let emulator = insights_emulator::Emulator::start(insights_emulator::EmulatorOptions {
        state_dir: dir.path().to_path_buf(),
        port: 0,
        test_controls: false,
    })
    .await
    .unwrap();
    let response =
        client().get(format!("{}/__emulator/requests", emulator.instance_url())).send().await.unwrap();
    assert_eq!(response.status(), 404);
    assert_eq!(emulator.requests_served(), 0, "requests to /__emulator/ are not counted");
    let response = client().get(format!("{}/services/data", emulator.instance_url())).send().await.unwrap();
    assert_eq!(response.status(), 200);
    assert_eq!(emulator.requests_served(), 1);
}

#[tokio::test]
async fn injected_failures_then_recovery_and_request_counts() {
    let org = Org::start().await;
    org.control("requests/reset", json!({})).await;
    org.control("faults", json!({ "fail_next": 2, "status": 503 })).await;
    let token = org.emulator.admin_access_token();
    assert_eq!(org.get("/services/data/v66.0", &token).await.status(), 503);
    assert_eq!(org.get("/services/data/v66.0/", &token).await.status(), 503);
    assert_eq!(org.get("/services/data/v66.0", &token).await.status(), 200);
    let counts: serde_json::Value =
        org.http.get(org.url("/__emulator/requests")).send().await.unwrap().json().await.unwrap();
    assert_eq!(counts["total"], 3);
    assert_eq!(counts["by_path"]["/services/data/v66.0"], 3);

    let response =
        org.http.post(org.url("/__emulator/faults")).json(&json!({ "status": 200 })).send().await.unwrap();
    assert_eq!(response.status(), 400);
    let response = org
        .http
        .post(org.url("/__emulator/clock/advance"))
        .json(&json!({ "seconds": -5 }))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 400);
    let response = org
        .http
        .post(org.url("/__emulator/org-settings"))
        .json(&json!({ "nonsense": 1 }))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 400);
}

#[tokio::test]
async fn expiring_sessions_invalidates_every_token() {
    let org = Org::start().await;
    let app = org.add_app("Expire_App", &AppXml::default().render());
    let user_token = org.tokens(&app, API_USER).await["access_token"].as_str().unwrap().to_string();
    let old_admin = org.emulator.admin_access_token();
    let answer = org.control("sessions/expire", json!({})).await;
    assert!(answer["expired"].as_u64().unwrap() >= 2);
    assert_eq!(org.get("/services/data/v66.0", &user_token).await.status(), 401);
    assert_eq!(org.get("/services/data/v66.0", &old_admin).await.status(), 401);
    let new_admin = answer["admin_access_token"].as_str().unwrap();
    assert_ne!(new_admin, old_admin);
    assert_eq!(org.get("/services/data/v66.0", new_admin).await.status(), 200);
    assert_eq!(org.emulator.admin_access_token(), new_admin);
}

#[tokio::test]
async fn deploy_failures_queue_and_settings_round_trip() {
    let org = Org::start().await;
    let response = org
        .http
        .post(org.url("/__emulator/deploy-failures"))
        .json(&json!({ "fullName": "Insights_App", "problem": "boom" }))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 202);
    let settings = org.control("org-settings", json!({ "allow_new_connected_apps": false })).await;
    assert_eq!(settings["allow_new_connected_apps"], false);
    let text = std::fs::read_to_string(org.dir.path().join("org-settings.toml")).unwrap();
    assert!(text.contains("allow_new_connected_apps = false"));
}

#[tokio::test]
async fn a_huge_body_gets_a_clear_refusal() {
    let org = Org::start().await;
    let mut stream = tokio::net::TcpStream::connect(org.emulator.local_addr()).await.unwrap();
    let request = "POST /services/oauth2/token HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/x-www-form-urlencoded\r\nContent-Length: 60000000\r\n\r\ngrant_type=";
    stream.write_all(request.as_bytes()).await.unwrap();
    let mut answer = vec![0u8; 4096];
    let read = stream.read(&mut answer).await.unwrap();
    let answer = String::from_utf8_lossy(&answer[..read]);
    assert!(answer.starts_with("HTTP/1.1 413"), "{answer}");
    assert!(answer.contains("REQUEST_TOO_LARGE"), "{answer}");

    // Chunked bodies without a length are cut at the limit too.
    let big = vec![b'a'; insights_emulator::server::MAX_BODY_BYTES + 1024];
    let result = client().post(org.url("/services/oauth2/token")).body(big).send().await;
    if let Ok(response) = result {
        assert_eq!(response.status(), 413);
    }
    assert_eq!(org.get("/services/data/v66.0", &org.emulator.admin_access_token()).await.status(), 200);
}
