//! `cargo xtask provision` and `cargo xtask verify-setup` end to end, on a throw-away embedded
//! org: provision, provision again (nothing redeployed), verify-setup passes; then each drift
//! an admin could cause behind the tool's back makes verify-setup fail on the row that names it.

use insights_e2e::{Workspace, failed};
use insights_metadata::template::Templates;

const API_USER: (&str, &str) = ("api@insights-emulator.test", "Api-User-Pass-1");

#[test]
fn provision_twice_then_verify_setup_passes() {
    let workspace = Workspace::new();
    let first = workspace.provision();
    let steps: Vec<&str> = first.steps.iter().map(|s| s.name.as_str()).collect();
    assert_eq!(steps, ["generate", "review", "validate", "deploy", "assign", "consumer", "auth-check"]);
    assert!(first.passed, "{:#?}", first.steps);

    let second = workspace.provision();
    assert!(second.passed, "{:#?}", second.steps);
    for step in ["validate", "deploy"] {
        let observed = &second.steps.iter().find(|s| s.name == step).unwrap().observed;
        assert!(observed.contains("Nothing to deploy"), "{step} redeployed: {observed}");
    }
    let assign = &second.steps.iter().find(|s| s.name == "assign").unwrap().observed;
    assert!(assign.contains("already_assigned"), "{assign}");

    let verification = workspace.verify(&[]);
    assert_eq!(verification.exit_code, 0, "{:#?}", failed(&verification));
    let groups: Vec<&str> = verification.checks.iter().map(|c| c.group.as_str()).collect();
    assert!(groups.contains(&"setting") && groups.contains(&"assignment") && groups.contains(&"auth"));
}

#[test]
fn verify_setup_without_a_provisioned_org_fails_clearly() {
    let workspace = Workspace::new();
    let verification = workspace.verify(&[]);
    assert_eq!(verification.exit_code, 1);
    assert!(verification.checks.is_empty());
}

fn templates_with(file: &str, from: &str, to: &str) -> (tempfile::TempDir, Templates) {
    let builtin = Templates::builtin();
    let text = match file {
        "connectedApp.xml" => builtin.connected_app.text,
        "ecaOauthPolicies.xml" => builtin.eca_oauth_policies.text,
        _ => builtin.permission_set.text,
    };
    assert!(text.contains(from), "{from} not in {file}");
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join(file), text.replace(from, to)).unwrap();
    let templates = Templates::load(dir.path()).unwrap();
    (dir, templates)
}

/// Adds `app_kind = KIND` at the top of the workspace's config.
fn set_app_kind(workspace: &Workspace, kind: &str) {
    let text = std::fs::read_to_string(workspace.config()).unwrap();
    std::fs::write(workspace.config(), format!("app_kind = \"{kind}\"\n{text}")).unwrap();
}

/// Changes each setting of the guide in the org behind the tool's back, one at a time (each
/// deploy is the provisioned metadata plus one change), and checks that verify-setup fails on
/// exactly the row that names it.
async fn each_changed_setting_fails_its_row(kind: &str) {
    let workspace = Workspace::new();
    set_app_kind(&workspace, kind);
    assert!(workspace.provision().passed);
    let same_app = ("app.api_name", "Insights_API_Authorization");
    let link_edit = match kind {
        "external-client-app" => (
            "ecaOauthPolicies.xml",
            "    <commaSeparatedPermissionSet>{{eca_permission_sets}}</commaSeparatedPermissionSet>\n",
            "",
        ),
        _ => {
            ("connectedApp.xml", "    <permissionSetName>{{permission_set_names}}</permissionSetName>\n", "")
        }
    };
    // (the failing row, config overrides, a template edit: file, from, to)
    type Case<'a> = (&'a str, Vec<(&'a str, &'a str)>, Option<(&'a str, &'a str, &'a str)>);
    let cases: Vec<Case> = vec![
        ("App name (label)", vec![("app.label", "Insights Renamed")], None),
        ("Contact email", vec![("app.contact_email", "someone.else@example.com")], None),
        ("Callback URL", vec![("app.callback_urls", "https://elsewhere.example.com/cb")], None),
        ("OAuth scopes", vec![("app.scopes", "api")], None),
        ("Require PKCE", vec![("app.require_pkce", "false")], None),
        (
            "Require secret for web server flow",
            vec![("app.require_secret_for_web_server_flow", "false")],
            None,
        ),
        (
            "Require secret for refresh token flow",
            vec![("app.require_secret_for_refresh_token_flow", "false")],
            None,
        ),
        ("Admin approved users are pre-authorized", vec![("app.permitted_users", "all_users")], None),
        ("IP relaxation", vec![("app.ip_relaxation", "ENFORCE")], None),
        ("Refresh token policy", vec![("app.refresh_token_policy", "zero")], None),
        ("Session timeout (minutes)", vec![("app.session_timeout_minutes", "60")], None),
        ("Permission set link (pre-authorization)", vec![], Some(link_edit)),
        (
            "Apex class access",
            vec![],
            Some(("permissionSet.xml", "<enabled>true</enabled>", "<enabled>false</enabled>")),
        ),
    ];
    for (row, overrides, template_edit) in cases {
        let mut all = overrides.clone();
        all.push(same_app);
        let settings = workspace.settings(&all);
        let (_dir, templates) = match template_edit {
            Some((file, from, to)) => {
                let (dir, templates) = templates_with(file, from, to);
                (Some(dir), templates)
            }
            None => (None, Templates::builtin()),
        };
        let org = workspace.open_org().await;
        org.deploy(&settings, &templates).await;
        org.close().await;

        let verification = tokio::task::block_in_place(|| workspace.verify(&[]));
        assert_eq!(verification.exit_code, 1, "{kind}, {row}: verify-setup passed after the change");
        let failed_settings: Vec<&str> =
            failed(&verification).iter().filter(|c| c.group == "setting").map(|c| c.name.as_str()).collect();
        assert_eq!(failed_settings, [row], "{kind}: changing {row} should fail exactly that row");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn verify_setup_names_each_connected_app_setting_changed_behind_its_back() {
    each_changed_setting_fails_its_row("connected-app").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn verify_setup_names_each_external_client_app_setting_changed_behind_its_back() {
    each_changed_setting_fails_its_row("external-client-app").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn verify_setup_fails_when_the_assignment_is_removed() {
    let workspace = Workspace::new();
    assert!(workspace.provision().passed);
    let org = workspace.open_org().await;
    let soql = format!(
        "SELECT Id FROM PermissionSetAssignment WHERE Assignee.Username = '{}' AND PermissionSet.Name = 'Insights_API_Access'",
        API_USER.0
    );
    let rows: insights_org_client::rest::QueryResult<serde_json::Value> = match org.client.query(&soql).await
    {
        Ok(rows) => rows,
        Err(_) => {
            // The emulator's SOQL subset may not follow relationships in WHERE: look the ids up.
            let user: insights_org_client::rest::QueryResult<serde_json::Value> = org
                .client
                .query(&format!("SELECT Id FROM User WHERE Username = '{}'", API_USER.0))
                .await
                .expect("user");
            let user_id = user.records[0]["Id"].as_str().unwrap().to_owned();
            org.client
                .query(&format!("SELECT Id FROM PermissionSetAssignment WHERE AssigneeId = '{user_id}'"))
                .await
                .expect("assignments")
        }
    };
    for record in &rows.records {
        org.client
            .delete_sobject("PermissionSetAssignment", record["Id"].as_str().unwrap())
            .await
            .expect("deleted");
    }
    assert!(!rows.records.is_empty());
    org.close().await;

    let verification = tokio::task::block_in_place(|| workspace.verify(&[]));
    assert_eq!(verification.exit_code, 1);
    let failed = failed(&verification);
    assert!(
        failed.iter().any(|c| c.group == "assignment" && c.name.contains(API_USER.0)),
        "no failing assignment row: {failed:#?}"
    );
    assert!(failed.iter().all(|c| c.group != "setting"), "settings still match: {failed:#?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn verify_setup_fails_when_the_refresh_token_is_revoked() {
    let workspace = Workspace::new();
    assert!(workspace.provision().passed);
    let org = workspace.open_org().await;
    let login = org.login(&workspace, API_USER.0, API_USER.1).await;
    org.close().await;
    let env = [
        ("INSIGHTS_CLIENT_ID", login.client_id.as_str()),
        ("INSIGHTS_CLIENT_SECRET", login.client_secret.as_str()),
        ("INSIGHTS_REFRESH_TOKEN", login.refresh_token.as_str()),
    ];
    let before = tokio::task::block_in_place(|| workspace.verify(&env));
    assert_eq!(before.exit_code, 0, "unattended verify-setup: {:#?}", failed(&before));

    let org = workspace.open_org().await;
    org.revoke(&login.refresh_token).await;
    org.close().await;
    let after = tokio::task::block_in_place(|| workspace.verify(&env));
    assert_eq!(after.exit_code, 1);
    let failed = failed(&after);
    assert!(failed.iter().any(|c| c.group == "auth" && c.name.contains("refresh")), "{failed:#?}");
    assert!(failed.iter().all(|c| c.group == "auth"), "{failed:#?}");
}
