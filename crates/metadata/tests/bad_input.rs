//! Bad input: each case is refused with a problem that names the field (or the template file
//! and line) and says how to fix it.

mod support;

use insights_metadata::Problems;
use insights_metadata::template::Templates;
use support::*;

fn problems(overrides: &[(&str, &str)]) -> Problems {
    example_settings(overrides).expect_err("the override makes the config invalid")
}

fn assert_names(problems: &Problems, field: &str, message_part: &str) {
    assert!(
        problems.iter().any(|p| p.field == field && p.message.contains(message_part) && !p.fix.is_empty()),
        "expected a problem on {field} containing {message_part:?}, got:\n{problems}"
    );
}

#[test]
fn missing_contact_email() {
    let text = "[app]\ncallback_urls = [\"https://a.example.com/cb\"]\n";
    let problems = settings_from(text, &[]).unwrap_err();
    assert_names(&problems, "app.contact_email", "required");
    assert!(problems.0[0].fix.contains("INSIGHTS_APP_CONTACT_EMAIL"));
}

#[test]
fn malformed_contact_email() {
    assert_names(
        &problems(&[("app.contact_email", "admin at example")]),
        "app.contact_email",
        "not a valid email",
    );
}

#[test]
fn missing_callback_url() {
    assert_names(&problems(&[("app.callback_urls", "")]), "app.callback_urls", "no callback URL");
}

#[test]
fn plain_http_callback_off_loopback() {
    let problems = problems(&[("app.callback_urls", "http://insights.example.com/cb")]);
    assert_names(&problems, "app.callback_urls", "plain http");
}

#[test]
fn plain_http_callback_allowed_on_loopback_and_when_opted_in() {
    assert!(example_settings(&[("app.callback_urls", "http://127.0.0.1:9000/cb")]).is_ok());
    assert!(
        example_settings(&[
            ("app.callback_urls", "http://insights.example.com/cb"),
            ("app.allow_insecure_callback", "true")
        ])
        .is_ok()
    );
}

#[test]
fn unknown_scope() {
    assert_names(
        &problems(&[("app.scopes", "api,read_everything")]),
        "app.scopes",
        "unknown OAuth scope \"read_everything\"",
    );
}

#[test]
fn duplicate_scope() {
    assert_names(&problems(&[("app.scopes", "api,api")]), "app.scopes", "listed twice");
}

#[test]
fn session_timeout_not_offered_by_salesforce() {
    assert_names(
        &problems(&[("app.session_timeout_minutes", "45")]),
        "app.session_timeout_minutes",
        "45 is not a session timeout",
    );
}

#[test]
fn ip_relaxation_in_the_wrong_case() {
    let problems = problems(&[("app.ip_relaxation", "bypass")]);
    assert_names(&problems, "app.ip_relaxation", "not an IP relaxation value");
    assert!(problems.0[0].fix.contains("did you mean BYPASS"));
}

#[test]
fn refresh_token_policy_typo() {
    assert_names(
        &problems(&[("app.refresh_token_policy", "specific_lifetime:0:WEEKS")]),
        "app.refresh_token_policy",
        "not a refresh token policy",
    );
}

#[test]
fn invalid_api_names() {
    assert_names(
        &problems(&[("app.api_name", "Insights__App")]),
        "app.api_name",
        "two consecutive underscores",
    );
    assert_names(
        &problems(&[("permission_set.api_name", "1PS")]),
        "permission_set.api_name",
        "begin with a letter",
    );
}

#[test]
fn misspelled_key_gets_a_suggestion() {
    let text = "[app]\ncontact_emial = \"a@example.com\"\ncallback_urls = [\"https://a.example.com/cb\"]\n";
    let problems = settings_from(text, &[]).unwrap_err();
    assert_names(&problems, "app.contact_emial", "unknown key");
    let unknown = problems.iter().find(|p| p.field == "app.contact_emial").unwrap();
    assert!(unknown.fix.contains("app.contact_email"));
    assert_eq!(unknown.line, Some(2));
}

#[test]
fn wrong_value_type() {
    let text = "[app]\ncontact_email = \"a@example.com\"\ncallback_urls = [\"https://a.example.com/cb\"]\nrequire_pkce = \"yes\"\n";
    assert_names(&settings_from(text, &[]).unwrap_err(), "app.require_pkce", "expected true or false");
}

#[test]
fn duplicate_apex_classes_and_users() {
    assert_names(
        &problems(&[("permission_set.apex_classes", "Insights_Rest_API,Insights_Rest_API")]),
        "permission_set.apex_classes",
        "listed twice",
    );
    assert_names(&problems(&[("assign_to", "a@example.com,a@example.com")]), "assign_to", "listed twice");
}

#[test]
fn old_api_version_and_bad_permitted_users() {
    assert_names(&problems(&[("api_version", "58.0")]), "api_version", "not a supported API version");
    assert_names(
        &problems(&[("app.permitted_users", "everyone")]),
        "app.permitted_users",
        "not a Permitted Users value",
    );
}

#[test]
fn broken_toml_names_the_line() {
    let problems = settings_from("[app]\ncontact_email = \"a@example.com\n", &[]).unwrap_err();
    assert_eq!(problems.0[0].field, "config file");
    assert_eq!(problems.0[0].line, Some(2));
}

#[test]
fn xml_special_characters_in_labels_and_descriptions_are_escaped() {
    let label = "Insights <R&D> \"API\" 'Auth'";
    let settings = example_settings(&[
        ("app.label", label),
        ("app.api_name", "Insights_RD_API"),
        ("app.description", "Uses <script>&amp; tricks ]]> here"),
        ("permission_set.description", "A & B < C"),
    ])
    .unwrap();
    let generated = insights_metadata::generate(&settings, &Templates::builtin()).unwrap();
    let xml = generated.connected_app_xml();
    assert!(
        xml.contains("<label>Insights &lt;R&amp;D&gt; &quot;API&quot; &apos;Auth&apos;</label>"),
        "{xml}"
    );
    assert!(xml.contains("Uses &lt;script&gt;&amp;amp; tricks ]]&gt; here"), "{xml}");
    assert_eq!(generated.connected_app.label, label);
}

fn template_problems(connected_app_template: &str) -> Problems {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("connectedApp.xml"), connected_app_template).unwrap();
    let templates = Templates::load(dir.path()).unwrap();
    let settings = example_settings(&[]).unwrap();
    insights_metadata::generate(&settings, &templates).expect_err("the edited template is refused")
}

fn builtin_app_template() -> String {
    Templates::builtin().connected_app.text
}

#[test]
fn template_with_elements_out_of_order() {
    let edited = builtin_app_template().replace(
        "    <contactEmail>{{contact_email}}</contactEmail>\n    <description>{{app_description}}</description>\n",
        "    <description>{{app_description}}</description>\n    <contactEmail>{{contact_email}}</contactEmail>\n",
    );
    let problems = template_problems(&edited);
    let problem = problems.iter().find(|p| p.field == "contactEmail").expect("order problem");
    assert!(problem.message.contains("out of order"), "{problems}");
    assert!(problem.file.ends_with("connectedApp.xml"));
    let line = edited.lines().position(|l| l.contains("<contactEmail>")).unwrap() + 1;
    assert_eq!(problem.line, Some(line));
}

#[test]
fn template_with_a_misspelled_element() {
    let edited = builtin_app_template().replace(
        "<isPkceRequired>{{is_pkce_required}}</isPkceRequired>",
        "<isPKCERequired>true</isPKCERequired>",
    );
    let problems = template_problems(&edited);
    let problem = problems.iter().find(|p| p.field == "oauthConfig/isPKCERequired").expect("unknown element");
    assert!(problem.fix.contains("isPkceRequired"), "{problems}");
}

#[test]
fn template_with_an_invalid_enum_value() {
    let edited = builtin_app_template().replace("<scopes>{{scopes}}</scopes>", "<scopes>Apii</scopes>");
    assert_names(&template_problems(&edited), "oauthConfig/scopes", "'Apii' is not a valid value");
}

#[test]
fn template_missing_a_required_element() {
    let edited = builtin_app_template().replace("    <label>{{app_label}}</label>\n", "");
    assert_names(&template_problems(&edited), "label", "Required field is missing: label");
}

#[test]
fn template_with_an_unknown_placeholder_or_broken_xml() {
    let edited = builtin_app_template().replace("{{contact_email}}", "{{contact_mail}}");
    assert_names(&template_problems(&edited), "{{contact_mail}}", "unknown placeholder");
    let broken = builtin_app_template().replace("</label>", "</labl>");
    assert_names(&template_problems(&broken), "ConnectedApp", "not well-formed XML");
}

#[test]
fn template_with_a_value_the_org_refuses() {
    let edited = builtin_app_template().replace("{{ip_relaxation}}", "RELAXED");
    assert_names(
        &template_problems(&edited),
        "oauthPolicy/ipRelaxation",
        "'RELAXED' is not an IP relaxation value",
    );
}

#[test]
fn template_holding_a_consumer_secret_or_key() {
    let edited = builtin_app_template().replace(
        "<isAdminApproved>",
        "<consumerSecret>hunter2hunter2</consumerSecret>\n        <isAdminApproved>",
    );
    let problems = template_problems(&edited);
    let problem = problems.iter().find(|p| p.field == "oauthConfig/consumerSecret").expect("secret refused");
    assert!(problem.message.contains("must not hold"), "{problems}");
    assert!(!problems.to_string().contains("hunter2"), "the secret is not echoed: {problems}");
    let line = edited.lines().position(|l| l.contains("<consumerSecret>")).unwrap() + 1;
    assert_eq!(problem.line, Some(line));
    let with_key = builtin_app_template()
        .replace("<isAdminApproved>", "<consumerKey>3MVG9abcdefgh</consumerKey>\n        <isAdminApproved>");
    assert_names(&template_problems(&with_key), "oauthConfig/consumerKey", "must not hold");
}

#[test]
fn callback_urls_that_are_not_web_urls() {
    for callback in ["javascript:alert(1)", "ftp://x/cb", "myapp://cb"] {
        assert_names(
            &problems(&[("app.callback_urls", callback)]),
            "app.callback_urls",
            "is not an https URL",
        );
    }
}
