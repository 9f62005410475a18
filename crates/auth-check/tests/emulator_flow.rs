//! The auth check against the in-process emulator: the whole flow, every probe, a wrong state,
//! a denied user, an expired code, a token past the session timeout, a revoked refresh token,
//! the propagation wait, and the unattended mode.

mod support;

use std::time::Duration;

use insights_auth_check::flow::names;
use insights_auth_check::insights_call::{call_insights, insights_url};
use insights_auth_check::{
    AuthorizeOptions, FlowConfig, PendingAuthorization, Report, Secret, StepError, UnattendedConfig,
    default_scopes, emulator_login, run_flow, run_unattended,
};
use secrecy::SecretString;
use support::{ADMIN_USER, API_USER, ENDPOINT, TestOrg, login_user};

fn flow_config(org: &TestOrg) -> FlowConfig {
    FlowConfig {
        app: org.app(),
        scopes: default_scopes(),
        insights_endpoint: ENDPOINT.into(),
        login: org.emulator_login(API_USER),
        denied_user: Some(login_user(ADMIN_USER)),
        revoke: true,
        propagation: org.quick_propagation(),
        http_timeout: Duration::from_secs(30),
    }
}

fn describe(report: &Report) -> String {
    serde_json::to_string_pretty(report).unwrap_or_default()
}

fn org_code<'a>(report: &'a Report, name: &str) -> Option<&'a str> {
    report.check(name).and_then(|check| check.org_error.as_ref()).map(|error| error.code.as_str())
}

/// Logs in through the emulator form and exchanges the code: the tokens of the API user.
async fn tokens(org: &TestOrg) -> insights_auth_check::Tokens {
    let app = org.app();
    let pending = PendingAuthorization::new(&app, &default_scopes(), &AuthorizeOptions::default())
        .expect("authorize URL");
    let code = emulator_login(&org.http, &pending, API_USER.0, &SecretString::from(API_USER.1))
        .await
        .expect("login");
    app.exchange_code(&org.http, &code, Some(pending.verifier()), Secret::Send).await.expect("tokens")
}

#[tokio::test]
async fn whole_flow_passes_and_every_probe_is_refused_with_the_orgs_code() {
    let org = TestOrg::with_app().await;
    let report = run_flow(&flow_config(&org)).await.expect("runs");
    assert!(report.passed, "{}", describe(&report));

    for name in [
        names::AUTHORIZE,
        names::EXCHANGE,
        names::CALL,
        names::REFRESH,
        names::CALL_AFTER_REFRESH,
        names::REVOKE,
    ] {
        assert!(report.check(name).is_some_and(|check| check.passed), "{name}: {}", describe(&report));
    }
    assert_eq!(org_code(&report, names::PROBE_NO_VERIFIER), Some("invalid_grant"));
    assert_eq!(org_code(&report, names::PROBE_NO_SECRET), Some("invalid_client"));
    assert_eq!(org_code(&report, names::PROBE_REFRESH_NO_SECRET), Some("invalid_client"));
    assert_eq!(org_code(&report, names::PROBE_DENIED_USER), Some("invalid_app_access"));
    assert_eq!(org_code(&report, names::PROBE_REVOKED), Some("invalid_grant"));
    let no_token = report.check(names::PROBE_NO_TOKEN).expect("no-token probe");
    assert_eq!(no_token.org_error.as_ref().and_then(|error| error.http_status), Some(401));

    let denied = report.check(names::PROBE_DENIED_USER).expect("denied probe");
    assert!(denied.likely_cause.as_deref().is_some_and(|cause| cause.contains("permission set")));
}

#[tokio::test]
async fn a_user_without_the_permission_set_fails_the_check_with_invalid_app_access() {
    let org = TestOrg::start().await;
    org.deploy(&support::app_zip()).await;
    // No assignment: the API user is not pre-authorized.
    let config = FlowConfig { denied_user: None, revoke: false, ..flow_config(&org) };
    let report = run_flow(&config).await.expect("runs");
    assert!(!report.passed, "{}", describe(&report));
    // A real org refuses at the authorize step or at the exchange; either is the org's code.
    let refused = [names::AUTHORIZE, names::EXCHANGE]
        .into_iter()
        .filter_map(|name| report.check(name))
        .find(|check| !check.passed)
        .expect("the login or the exchange failed");
    let code = refused.org_error.as_ref().map(|error| error.code.as_str());
    assert_eq!(code, Some("invalid_app_access"), "{}", describe(&report));
    assert!(refused.likely_cause.as_deref().is_some_and(|cause| cause.contains("not assigned")));
}

#[tokio::test]
async fn a_redirect_with_another_state_is_refused() {
    let org = TestOrg::with_app().await;
    let app = org.app();
    let sent = PendingAuthorization::new(&app, &default_scopes(), &AuthorizeOptions::default())
        .expect("authorize URL");
    let other = PendingAuthorization::new(&app, &default_scopes(), &AuthorizeOptions::default())
        .expect("authorize URL");
    // The org redirects with the state of `sent`; reading it as `other`'s must fail.
    let mut form: Vec<(String, String)> = sent.url.query_pairs().into_owned().collect();
    form.push(("username".into(), API_USER.0.into()));
    form.push(("password".into(), API_USER.1.into()));
    let mut endpoint = sent.url.clone();
    endpoint.set_query(None);
    let response = org.http.post(endpoint).form(&form).send().await.expect("login");
    let location = response.headers()["location"].to_str().expect("location").to_owned();

    assert!(matches!(other.read_redirect(&location), Err(StepError::StateMismatch)));
    assert!(sent.read_redirect(&location).is_ok());
}

#[tokio::test]
async fn an_expired_code_is_refused() {
    let org = TestOrg::with_app().await;
    let app = org.app();
    let pending = PendingAuthorization::new(&app, &default_scopes(), &AuthorizeOptions::default())
        .expect("authorize URL");
    let code = emulator_login(&org.http, &pending, API_USER.0, &SecretString::from(API_USER.1))
        .await
        .expect("login");
    org.advance_clock(3600).await;
    let outcome = app.exchange_code(&org.http, &code, Some(pending.verifier()), Secret::Send).await;
    let Err(StepError::Org(error)) = outcome else { panic!("expected the org's refusal") };
    assert_eq!(error.code, "invalid_grant");
    assert_eq!(error.description.as_deref(), Some("expired authorization code"));
}

#[tokio::test]
async fn a_token_past_the_session_timeout_is_refused_and_a_refresh_recovers() {
    let org = TestOrg::with_app().await;
    let app = org.app();
    let tokens = tokens(&org).await;
    let url = insights_url(&org.url(), ENDPOINT).expect("url");
    call_insights(&org.http, &url, Some(&tokens.access_token)).await.expect("call before timeout");

    // The app's session timeout is 30 minutes.
    org.advance_clock(31 * 60).await;
    let outcome = call_insights(&org.http, &url, Some(&tokens.access_token)).await;
    let Err(StepError::Org(error)) = outcome else { panic!("expected a refusal") };
    assert_eq!(error.http_status, Some(401));
    assert_eq!(error.code, "INVALID_SESSION_ID");

    let refresh_token = tokens.refresh_token.expect("refresh token");
    let refreshed = app.refresh(&org.http, &refresh_token, Secret::Send).await.expect("refresh");
    call_insights(&org.http, &url, Some(&refreshed.access_token)).await.expect("call after refresh");
}

fn unattended_config(org: &TestOrg, refresh_token: SecretString) -> UnattendedConfig {
    let mut app = org.app();
    app.redirect_uri = None;
    UnattendedConfig {
        app,
        refresh_token,
        insights_endpoint: ENDPOINT.into(),
        revoke: false,
        propagation: org.quick_propagation(),
        http_timeout: Duration::from_secs(30),
    }
}

#[tokio::test]
async fn unattended_mode_refreshes_calls_introspects_and_probes() {
    let org = TestOrg::with_app().await;
    let refresh_token = tokens(&org).await.refresh_token.expect("refresh token");
    let report = run_unattended(&unattended_config(&org, refresh_token)).await.expect("runs");
    assert!(report.passed, "{}", describe(&report));
    for name in [
        names::REFRESH,
        names::CALL,
        names::INTROSPECT,
        names::PROBE_REFRESH_NO_SECRET,
        names::PROBE_NO_TOKEN,
    ] {
        assert!(report.check(name).is_some_and(|check| check.passed), "{name}: {}", describe(&report));
    }
    let introspect = report.check(names::INTROSPECT).expect("introspect");
    assert!(introspect.observed.contains(API_USER.0), "{}", introspect.observed);
}

#[tokio::test]
async fn a_revoked_refresh_token_fails_the_unattended_check() {
    let org = TestOrg::with_app().await;
    let app = org.app();
    let refresh_token = tokens(&org).await.refresh_token.expect("refresh token");
    app.revoke_refresh_token(&org.http, &refresh_token).await.expect("revoke");

    let report = run_unattended(&unattended_config(&org, refresh_token)).await.expect("runs");
    assert!(!report.passed);
    let refresh = report.check(names::REFRESH).expect("refresh check");
    assert!(!refresh.passed);
    let error = refresh.org_error.as_ref().expect("org error");
    assert_eq!(
        (error.code.as_str(), error.description.as_deref()),
        ("invalid_grant", Some("expired access/refresh token"))
    );
    assert!(refresh.likely_cause.as_deref().is_some_and(|cause| cause.contains("revoked")));
}

#[tokio::test]
async fn a_fresh_app_is_waited_for_while_it_propagates() {
    let org = TestOrg::start().await;
    org.control("org-settings", serde_json::json!({ "oauth_propagation_delay_seconds": 300 })).await;
    org.deploy(&support::app_zip()).await;
    org.assign(API_USER.0, support::PERMISSION_SET).await;

    let mut config = flow_config(&org);
    config.propagation.window = Duration::from_secs(60);
    // The org's clock passes the propagation delay while the check is already retrying.
    let http = org.http.clone();
    let control = format!("{}/__emulator/clock/advance", org.emulator.instance_url());
    let mover = tokio::spawn(async move {
        tokio::time::sleep(Duration::from_millis(400)).await;
        http.post(control).json(&serde_json::json!({ "seconds": 600 })).send().await
    });
    let report = run_flow(&config).await.expect("runs");
    mover.await.expect("joins").expect("clock moved");
    assert!(report.passed, "{}", describe(&report));
    let authorize = report.check(names::AUTHORIZE).expect("authorize");
    assert!(authorize.observed.contains("propagation retries"), "{}", authorize.observed);
}

#[tokio::test]
async fn without_a_propagation_window_a_fresh_app_reports_invalid_client_id() {
    let org = TestOrg::start().await;
    org.control("org-settings", serde_json::json!({ "oauth_propagation_delay_seconds": 300 })).await;
    org.deploy(&support::app_zip()).await;
    let report = run_flow(&flow_config(&org)).await.expect("runs");
    let authorize = report.check(names::AUTHORIZE).expect("authorize");
    assert_eq!(authorize.org_error.as_ref().map(|error| error.code.as_str()), Some("invalid_client_id"));
    assert!(authorize.likely_cause.as_deref().is_some_and(|cause| cause.contains("propagated")));
    // Secrets in the report: none (the report holds only codes and descriptions).
    let json = describe(&report);
    assert!(!json.contains(support::CONSUMER_SECRET));
}
