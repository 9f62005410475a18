//! Exit codes of bad usage (README: 2 for bad config or usage): connection flags and
//! `insights emulator serve` flags, each with a message that says what to do.

use std::process::{Command, Stdio};

const CONFIG: &str = r#"
api_version = "66.0"
[app]
label = "Insights API Authorization"
contact_email = "salesforce-admin@example.com"
callback_urls = ["http://localhost:8765/oauth/callback"]
[permission_set]
label = "Insights API Access"
"#;

/// Runs `insights ARGS…` in a fresh folder holding insights.toml; returns exit code and stderr.
fn insights(args: &[&str]) -> (Option<i32>, String) {
    let dir = tempfile::tempdir().expect("temp dir");
    std::fs::write(dir.path().join("insights.toml"), CONFIG).expect("config written");
    let output = Command::new(env!("CARGO_BIN_EXE_insights"))
        .current_dir(dir.path())
        .env_remove("SF_INSTANCE_URL")
        .env_remove("SF_ACCESS_TOKEN")
        .args(args)
        .stdin(Stdio::null())
        .output()
        .expect("insights runs");
    (output.status.code(), String::from_utf8_lossy(&output.stderr).into_owned())
}

#[test]
fn bad_connection_flags_are_usage_errors() {
    let cases = [
        (vec!["diff", "--instance-url", "https://127.0.0.1:1"], "must be given together"),
        (vec!["diff", "--instance-url", "not-a-url", "--access-token", "x"], "not-a-url"),
        (
            vec!["diff", "--instance-url", "ftp://127.0.0.1:1", "--access-token", "x"],
            "https, or http on a loopback host",
        ),
    ];
    for (args, expected) in cases {
        let (code, stderr) = insights(&args);
        assert_eq!(code, Some(2), "{args:?}: {stderr}");
        assert!(stderr.contains(expected), "{args:?}: {stderr}");
    }
}

#[test]
fn emulator_serve_on_a_port_in_use_says_to_pick_another() {
    let taken = std::net::TcpListener::bind("127.0.0.1:0").expect("a port");
    let port = taken.local_addr().expect("address").port().to_string();
    let dir = tempfile::tempdir().expect("temp dir");
    let state = dir.path().join("org");
    let state = state.to_str().expect("utf-8 path");
    let (code, stderr) = insights(&["emulator", "serve", "--port", &port, "--state-dir", state]);
    assert_eq!(code, Some(2), "{stderr}");
    assert!(
        stderr.contains("the port is in use: pick another with --port, or --port 0 for a free one"),
        "{stderr}"
    );
    assert_eq!(stderr.matches("in use").count(), 1, "the cause once: {stderr}");
}

#[test]
fn a_state_dir_that_is_a_file_is_a_usage_error() {
    let dir = tempfile::tempdir().expect("temp dir");
    let file = dir.path().join("org");
    std::fs::write(&file, "not a folder").expect("file written");
    let file = file.to_str().expect("utf-8 path");
    for args in [vec!["emulator", "serve", "--state-dir", file], vec!["diff", "--state-dir", file]] {
        let (code, stderr) = insights(&args);
        assert_eq!(code, Some(2), "{args:?}: {stderr}");
        assert!(
            stderr.contains(&format!("--state-dir {file} is a file, not a folder")),
            "{args:?}: {stderr}"
        );
        assert!(!stderr.contains("caused by"), "{args:?}: {stderr}");
    }
}

#[test]
fn a_set_without_a_key_says_so() {
    let (code, stderr) = insights(&["review", "--set", "=x"]);
    assert_eq!(code, Some(2), "{stderr}");
    assert!(stderr.contains("expected KEY=VALUE with a key"), "{stderr}");
}
