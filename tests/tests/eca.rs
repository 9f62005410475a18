//! External Client Apps end to end: against an embedded org that no longer allows new
//! Connected Apps (`allow_new_connected_apps = false` in its org-settings.toml), the
//! ConnectedApp provision fails with the explanation and the config line that switches kinds;
//! with that line added, the ECA provision succeeds and passes verify-setup.

use insights_e2e::{Workspace, failed};

/// Writes the org setting of a Spring '26 org into the workspace's state folder.
fn refuse_new_connected_apps(workspace: &Workspace) {
    std::fs::create_dir_all(workspace.state_dir()).expect("state dir");
    std::fs::write(workspace.state_dir().join("org-settings.toml"), "allow_new_connected_apps = false\n")
        .expect("org settings written");
}

/// Adds `line` at the top of the workspace's insights.toml (before any [section]).
fn add_config_line(workspace: &Workspace, line: &str) {
    let text = std::fs::read_to_string(workspace.config()).expect("config");
    std::fs::write(workspace.config(), format!("{line}\n{text}")).expect("config written");
}

#[test]
fn a_connected_app_is_refused_with_the_switch_and_the_eca_provisions_and_verifies() {
    let workspace = Workspace::new();
    refuse_new_connected_apps(&workspace);

    let refused = workspace.provision();
    assert!(!refused.passed);
    let text = serde_json::to_string(&refused.steps).expect("steps serialize");
    assert!(text.contains("no longer allows new Connected Apps"), "{text}");
    assert!(text.contains(r#"app_kind = \"external-client-app\""#), "{text}");

    add_config_line(&workspace, r#"app_kind = "external-client-app""#);
    let provisioned = workspace.provision();
    let steps: Vec<String> =
        provisioned.steps.iter().map(|s| format!("{}: {}", s.name, s.observed)).collect();
    assert!(provisioned.passed, "{steps:#?}");

    let verification = workspace.verify(&[]);
    assert_eq!(verification.exit_code, 0, "{:#?}", failed(&verification));
    assert!(!verification.checks.is_empty());
    let groups: Vec<&str> = verification.checks.iter().map(|c| c.group.as_str()).collect();
    assert!(groups.contains(&"setting") && groups.contains(&"auth"), "{groups:?}");
}

#[test]
fn an_eca_provision_is_repeatable_and_verify_setup_names_a_policy_changed_behind_its_back() {
    let workspace = Workspace::new();
    add_config_line(&workspace, r#"app_kind = "external-client-app""#);
    assert!(workspace.provision().passed);
    // A second run updates the app in place (no new secret) and still passes.
    assert!(workspace.provision().passed);

    // Another admin relaxes nothing and enforces IP restrictions instead.
    let changed = workspace.settings(&[("app.ip_relaxation", "ENFORCE")]);
    let runtime =
        tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build().expect("runtime");
    runtime.block_on(async {
        let org = workspace.open_org().await;
        org.deploy(&changed, &insights_metadata::template::Templates::builtin()).await;
        org.close().await;
    });

    let verification = workspace.verify(&[]);
    assert_ne!(verification.exit_code, 0);
    let failures: Vec<&str> = failed(&verification).iter().map(|c| c.name.as_str()).collect();
    assert!(failures.iter().any(|name| name.to_lowercase().contains("ip relaxation")), "{failures:?}");
}
