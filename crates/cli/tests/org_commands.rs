//! The org commands (`deploy`, `diff`, `assign`, `consumer`, `retrieve`) run as a user runs
//! them, against an in-process emulator on 127.0.0.1: output, tables and exit codes.

use std::io::{Read, Write};
use std::net::TcpStream;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use insights_emulator::{Emulator, EmulatorOptions};

const CONFIG: &str = r#"
api_version = "66.0"
assign_to = ["api@insights-emulator.test"]
[app]
label = "Insights API Authorization"
contact_email = "salesforce-admin@example.com"
callback_urls = ["http://localhost:8765/oauth/callback"]
scopes = ["api", "refresh_token, offline_access"]
[permission_set]
label = "Insights API Access"
apex_classes = ["Insights_Rest_API"]
"#;

struct Org {
    emulator: Emulator,
    dir: tempfile::TempDir,
    /// Taken once: the emulator hands out a fresh session after the old one expires.
    token: String,
}

impl Org {
    async fn start() -> Self {
        let dir = tempfile::tempdir().expect("temp dir");
        std::fs::write(dir.path().join("insights.toml"), CONFIG).expect("config written");
        let emulator = Emulator::start(EmulatorOptions {
            state_dir: dir.path().join("org"),
            port: 0,
            test_controls: true,
        })
        .await
        .expect("emulator starts");
        let token = emulator.admin_access_token();
        Self { emulator, dir, token }
    }

    fn config(&self) -> PathBuf {
        self.dir.path().join("insights.toml")
    }

    /// Runs `insights ARGS… --config … --instance-url … --access-token …`.
    async fn insights(&self, args: &[&str]) -> (i32, String, String) {
        let mut command = Command::new(env!("CARGO_BIN_EXE_insights"));
        command
            .env_clear()
            .env("PATH", std::env::var_os("PATH").unwrap_or_default())
            .env("INSIGHTS_SECRET_STORE_DIR", self.dir.path().join("secrets"))
            .args(args)
            .arg("--config")
            .arg(self.config())
            .arg("--instance-url")
            .arg(self.emulator.instance_url())
            .arg("--access-token")
            .arg(&self.token);
        let output: Output =
            tokio::task::spawn_blocking(move || command.output()).await.expect("joins").expect("runs");
        let text = |bytes: &[u8]| String::from_utf8_lossy(bytes).into_owned();
        (output.status.code().unwrap_or(-1), text(&output.stdout), text(&output.stderr))
    }

    fn control(&self, path: &str, json: &str) {
        post_json(&self.emulator.instance_url().replace("http://", ""), &format!("/__emulator/{path}"), json);
    }
}

/// A minimal HTTP/1.1 POST to the emulator's test controls.
fn post_json(host: &str, path: &str, json: &str) {
    let mut stream = TcpStream::connect(host).expect("connects");
    let request = format!(
        "POST {path} HTTP/1.1\r\nHost: {host}\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{json}",
        json.len()
    );
    stream.write_all(request.as_bytes()).expect("sends");
    let mut answer = String::new();
    stream.read_to_string(&mut answer).expect("reads");
    assert!(answer.starts_with("HTTP/1.1 2"), "{path}: {answer}");
}

fn assert_in(haystack: &str, needle: &str) {
    assert!(haystack.contains(needle), "missing {needle:?} in:\n{haystack}");
}

#[tokio::test(flavor = "multi_thread")]
async fn deploy_diff_assign_consumer_and_retrieve() {
    let org = Org::start().await;

    let (code, out, err) = org.insights(&["deploy"]).await;
    assert_eq!(code, 0, "{out}{err}");
    assert_in(&out, "Created: deploy");
    assert_in(&out, "(validated, then quick-deployed)");
    assert!(!out.contains("consumerSecret") && !err.contains("consumerSecret"));

    let (code, out, _) = org.insights(&["deploy"]).await;
    assert_eq!(code, 0);
    assert_in(&out, "Nothing to deploy");

    let (code, out, _) = org.insights(&["diff"]).await;
    assert_eq!(code, 0, "{out}");
    assert_in(&out, "✓");
    assert!(!out.contains('✗'), "{out}");

    let (code, out, _) = org.insights(&["assign"]).await;
    assert_eq!(code, 0);
    assert_in(&out, "| assigned");
    let (code, out, _) = org.insights(&["assign", "--user", "api@insights-emulator.test"]).await;
    assert_eq!(code, 0);
    assert_in(&out, "already assigned");

    let (code, out, _) = org.insights(&["consumer"]).await;
    assert_eq!(code, 0, "{out}");
    assert_in(&out, "Consumer key:");
    assert_in(&out, "--show-secret prints it");
    let (_, json, _) = org.insights(&["consumer", "--json", "--show-secret"]).await;
    let value: serde_json::Value = serde_json::from_str(&json).expect("JSON");
    assert!(value["consumer_secret"].as_str().is_some_and(|secret| secret.len() >= 40), "{json}");

    let out_dir = org.dir.path().join("retrieved");
    let (code, out, err) = org.insights(&["retrieve", "--out", out_dir.to_str().expect("utf-8")]).await;
    assert_eq!(code, 0, "{out}{err}");
    assert!(Path::new(&out_dir).join("package.xml").exists(), "{out}");
}

#[tokio::test(flavor = "multi_thread")]
async fn a_failed_deploy_prints_a_table_of_component_failures() {
    let org = Org::start().await;
    org.control(
        "deploy-failures",
        r#"{"fullName": "Insights_API_Authorization", "problem": "Injected problem"}"#,
    );

    let (code, out, err) = org.insights(&["deploy"]).await;

    assert_eq!(code, 1, "{out}{err}");
    let header = out.lines().find(|line| line.starts_with("| component")).expect("a table header");
    for column in ["component", "file", "line", "problem"] {
        assert_in(header, column);
    }
    let row = out.lines().find(|line| line.contains("Injected problem")).expect("a failure row");
    assert_in(row, "ConnectedApp Insights_API_Authorization");
    assert_in(row, "connectedApps/Insights_API_Authorization.connectedApp");
}

#[tokio::test(flavor = "multi_thread")]
async fn a_deploy_outliving_wait_prints_how_to_resume_and_diff_exits_1() {
    let org = Org::start().await;

    let (code, out, _) = org.insights(&["deploy", "--wait", "0"]).await;
    assert_eq!(code, 0, "{out}");
    assert_in(&out, "still running");
    let id = out.split("insights deploy --resume ").nth(1).expect("a resume hint").trim().to_owned();

    let (code, out, err) = org.insights(&["deploy", "--resume", &id]).await;
    assert_eq!(code, 0, "{out}{err}");
    assert_in(&out, "Validated");

    let (code, out, _) = org.insights(&["diff", "--json"]).await;
    assert_eq!(code, 1, "nothing is deployed yet: {out}");
    let value: serde_json::Value = serde_json::from_str(&out).expect("JSON");
    assert_eq!(value["identical"], false);
}

#[tokio::test(flavor = "multi_thread")]
async fn an_expired_session_exits_3() {
    let org = Org::start().await;
    org.control("sessions/expire", "{}");

    let (code, out, err) = org.insights(&["diff"]).await;

    assert_eq!(code, 3, "{out}{err}");
    assert_in(&err, "sf org login web");
}
