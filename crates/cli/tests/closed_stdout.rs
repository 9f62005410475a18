//! Every result goes through one writer: a reader that closes stdout early
//! (`insights diff --json | head`) makes the command stop quietly, not panic.

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

/// Runs `insights ARGS… --config insights.toml` in `dir` with stdout closed before it writes;
/// returns the exit code and stderr.
fn run_with_closed_stdout(dir: &std::path::Path, args: &[&str]) -> (Option<i32>, String) {
    let mut child = Command::new(env!("CARGO_BIN_EXE_insights"))
        .current_dir(dir)
        .args(args)
        .arg("--config")
        .arg(dir.join("insights.toml"))
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("insights starts");
    // Close the only reading end: every write of the child now fails with a broken pipe.
    drop(child.stdout.take());
    let output = child.wait_with_output().expect("insights finishes");
    (output.status.code(), String::from_utf8_lossy(&output.stderr).into_owned())
}

#[test]
fn commands_stop_quietly_when_stdout_is_closed() {
    let dir = tempfile::tempdir().expect("temp dir");
    std::fs::write(dir.path().join("insights.toml"), CONFIG).expect("config written");
    let out = dir.path().join("generated");
    let out = out.to_str().expect("utf-8 path");
    for args in
        [vec!["generate", "--out", out], vec!["generate", "--json", "--out", out], vec!["review", "--json"]]
    {
        let (code, stderr) = run_with_closed_stdout(dir.path(), &args);
        assert!(!stderr.contains("panicked"), "{args:?}: {stderr}");
        assert!(!stderr.contains("Broken pipe"), "{args:?}: {stderr}");
        assert!(matches!(code, Some(0 | 1)), "{args:?} exited with {code:?}: {stderr}");
    }
}
