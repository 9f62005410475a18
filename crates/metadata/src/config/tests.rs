use super::*;

const MINIMAL: &str = r#"
[app]
contact_email = "admin@example.com"
callback_urls = ["https://insights.example.com/oauth/callback"]
"#;

fn load(text: &str) -> Result<Settings, Problems> {
    Settings::from_toml(text, "insights.toml", &Overrides::default())
}

#[test]
fn defaults_follow_the_setup_guide() {
    let settings = load(MINIMAL).unwrap();
    let app = &settings.app;
    assert_eq!(app.label, "Insights API Authorization");
    assert_eq!(app.api_name, "Insights_API_Authorization");
    assert_eq!(app.metadata_scopes, ["Api", "RefreshToken"]);
    assert!(
        app.require_pkce
            && app.require_secret_for_web_server_flow
            && app.require_secret_for_refresh_token_flow
    );
    assert!(app.admin_approved);
    assert_eq!(app.ip_relaxation, "BYPASS");
    assert_eq!(app.refresh_token_policy, "infinite");
    assert_eq!(app.session_timeout_minutes, 30);
    assert_eq!(settings.permission_set.apex_classes, ["Insights_Rest_API"]);
    assert_eq!(settings.permission_set.api_name, "Insights_API_Access");
    assert_eq!(settings.api_version, "66.0");
}

#[test]
fn environment_then_flags_override_the_file() {
    let overrides = Overrides::from_env([
        ("INSIGHTS_APP_CONTACT_EMAIL".to_string(), "env@example.com".to_string()),
        ("INSIGHTS_APP_SESSION_TIMEOUT_MINUTES".to_string(), "60".to_string()),
        ("INSIGHTS_APP_SCOPES".to_string(), "api, refresh_token, offline_access".to_string()),
        ("INSIGHTS_CLIENT_SECRET".to_string(), "not-a-config-key".to_string()),
    ])
    .set("app.session_timeout_minutes", "120", "--set");
    let settings = Settings::from_toml(MINIMAL, "insights.toml", &overrides).unwrap();
    assert_eq!(settings.app.contact_email, "env@example.com");
    assert_eq!(settings.app.session_timeout_minutes, 120);
    assert_eq!(settings.app.scopes, ["api", "refresh_token, offline_access"]);
}

#[test]
fn api_names_derive_from_labels() {
    assert_eq!(api_name_from_label("Insights API Authorization"), "Insights_API_Authorization");
    assert_eq!(api_name_from_label("Insights+ API -- Access!"), "Insights_API_Access");
    assert_eq!(api_name_from_label("1st app"), "App_1st_app");
}

#[test]
fn every_problem_is_reported_at_once_with_its_line() {
    let text = "api_version = \"40.0\"\n[app]\ncontact_email = \"nope\"\ncallback_urls = [\"not a url\"]\nsession_timeout_minutes = 31\n";
    let problems = load(text).unwrap_err();
    let fields: Vec<&str> = problems.iter().map(|p| p.field.as_str()).collect();
    assert_eq!(
        fields,
        ["api_version", "app.contact_email", "app.callback_urls", "app.session_timeout_minutes"]
    );
    assert_eq!(problems.0[1].line, Some(3));
    assert_eq!(problems.0[3].line, Some(5));
}

#[test]
fn a_bad_value_from_the_environment_names_the_variable_and_typos_are_reported() {
    let overrides = Overrides::from_env([
        ("INSIGHTS_APP_CONTACT_EMAIL".to_string(), "nope".to_string()),
        ("INSIGHTS_APP_CONTACTEMAIL".to_string(), "a@example.com".to_string()),
        ("INSIGHTS_CLIENT_SECRET".to_string(), "read elsewhere".to_string()),
    ]);
    let problems = Settings::from_toml(MINIMAL, "insights.toml", &overrides).unwrap_err();
    assert_eq!(problems.0[0].file, "environment variable INSIGHTS_APP_CONTACT_EMAIL");
    assert_eq!(problems.0[0].line, None);
    let unknown = overrides.unknown_env();
    assert_eq!(unknown.len(), 1, "{unknown:?}");
    assert!(unknown[0].contains("INSIGHTS_APP_CONTACT_EMAIL"), "{unknown:?}");
}
