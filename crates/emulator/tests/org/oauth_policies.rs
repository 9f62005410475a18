//! Policies enforced from the deployed ConnectedApp: admin approval, IP relaxation, refresh
//! token policy, session timeout, scopes, rotation, and the propagation delay.

use crate::common::*;

#[tokio::test]
async fn admin_approved_apps_admit_only_granted_users() {
    let org = Org::start().await;
    let xml = AppXml { admin_approved: true, permission_sets: &["Insights_PS"], ..Default::default() };
    let app = org.add_app("Approved_App", &xml.render());
    let permission_set = org.add_permission_set("Insights_PS", &[&app.id], &[]);

    let code = org.login(&app, API_USER, &[]).await.unwrap();
    let (status, body) = org.exchange(&app, &code).await;
    assert_eq!(
        (status, error_of(&body)),
        (400, ("invalid_app_access", "user is not admin approved to access this app"))
    );

    assert_eq!(org.assign(API_USER.0, &permission_set).await.status(), 201);
    let code = org.login(&app, API_USER, &[]).await.unwrap();
    assert_eq!(org.exchange(&app, &code).await.0, 200);
}

#[tokio::test]
async fn admin_approved_apps_admit_listed_profiles() {
    let org = Org::start().await;
    let xml = AppXml { admin_approved: true, profiles: &["Insights API User"], ..Default::default() };
    let app = org.add_app("Profile_App", &xml.render());
    let code = org.login(&app, API_USER, &[]).await.unwrap();
    assert_eq!(org.exchange(&app, &code).await.0, 200);
    let code = org.login(&app, ADMIN, &[]).await.unwrap();
    let (_, body) = org.exchange(&app, &code).await;
    assert_eq!(error_of(&body).0, "invalid_app_access");
}

#[tokio::test]
async fn ip_restrictions_apply_unless_relaxed() {
    let org = Org::start().await;
    let enforce = org.add_app("Enforce_App", &AppXml::default().render());
    let bypass =
        org.add_app("Bypass_App", &AppXml { ip_relaxation: "BYPASS", ..Default::default() }.render());

    let code = org.login(&enforce, RESTRICTED, &[]).await.unwrap();
    let (_, body) = org.exchange(&enforce, &code).await;
    assert_eq!(error_of(&body), ("invalid_grant", "ip restricted"));
    // The same app admits a user whose profile has no range.
    let code = org.login(&enforce, API_USER, &[]).await.unwrap();
    assert_eq!(org.exchange(&enforce, &code).await.0, 200);

    let tokens = org.tokens(&bypass, RESTRICTED).await;
    let (status, _) = org.refresh(&bypass, tokens["refresh_token"].as_str().unwrap(), true).await;
    assert_eq!(status, 200);
}

#[tokio::test]
async fn refresh_token_policies_follow_the_org_clock() {
    let org = Org::start().await;
    let zero = org.add_app("Zero_App", &AppXml { refresh_policy: "zero", ..Default::default() }.render());
    let lifetime = org.add_app(
        "Life_App",
        &AppXml { refresh_policy: "specific_lifetime:1:HOURS", ..Default::default() }.render(),
    );
    let idle = org.add_app(
        "Idle_App",
        &AppXml { refresh_policy: "specific_inactivity:1:HOURS", ..Default::default() }.render(),
    );
    let infinite = org.add_app("Forever_App", &AppXml::default().render());

    let zero_token = org.tokens(&zero, API_USER).await["refresh_token"].as_str().unwrap().to_string();
    let (_, body) = org.refresh(&zero, &zero_token, true).await;
    assert_eq!(error_of(&body), ("invalid_grant", "expired access/refresh token"));

    let life_token = org.tokens(&lifetime, API_USER).await["refresh_token"].as_str().unwrap().to_string();
    let idle_token = org.tokens(&idle, API_USER).await["refresh_token"].as_str().unwrap().to_string();
    let forever_token = org.tokens(&infinite, API_USER).await["refresh_token"].as_str().unwrap().to_string();

    org.advance(50 * 60).await;
    assert_eq!(org.refresh(&lifetime, &life_token, true).await.0, 200);
    assert_eq!(org.refresh(&idle, &idle_token, true).await.0, 200);
    org.advance(50 * 60).await;
    // 100 minutes after issue: past the lifetime, but used 50 minutes ago.
    let (_, body) = org.refresh(&lifetime, &life_token, true).await;
    assert_eq!(error_of(&body), ("invalid_grant", "expired access/refresh token"));
    assert_eq!(org.refresh(&idle, &idle_token, true).await.0, 200);
    org.advance(61 * 60).await;
    let (_, body) = org.refresh(&idle, &idle_token, true).await;
    assert_eq!(error_of(&body), ("invalid_grant", "expired access/refresh token"));

    org.advance(400 * 86_400).await;
    assert_eq!(org.refresh(&infinite, &forever_token, true).await.0, 200);
}

#[tokio::test]
async fn session_timeout_is_the_access_token_lifetime() {
    let org = Org::start().await;
    let short =
        org.add_app("Short_App", &AppXml { session_timeout: Some(30), ..Default::default() }.render());
    let default = org.add_app("Default_App", &AppXml::default().render());
    let short_token = org.tokens(&short, API_USER).await["access_token"].as_str().unwrap().to_string();
    let default_token = org.tokens(&default, API_USER).await["access_token"].as_str().unwrap().to_string();

    assert_eq!(org.get("/services/data/v66.0", &short_token).await.status(), 200);
    org.advance(31 * 60).await;
    let (status, body) = org.json("/services/data/v66.0", &short_token).await;
    assert_eq!((status, rest_error(&body)), (401, ("INVALID_SESSION_ID", "Session expired or invalid")));
    assert_eq!(org.get("/services/data/v66.0", &default_token).await.status(), 200);
    org.advance(90 * 60).await;
    assert_eq!(org.get("/services/data/v66.0", &default_token).await.status(), 401, "default 120 minutes");
}

#[tokio::test]
async fn scopes_decide_refresh_tokens_and_api_access() {
    let org = Org::start().await;
    let api_only = org.add_app("Api_Only", &AppXml { scopes: &["Api"], ..Default::default() }.render());
    let tokens = org.tokens(&api_only, API_USER).await;
    assert!(tokens.get("refresh_token").is_none(), "no RefreshToken scope, no refresh token");
    assert_eq!(tokens["scope"], "api");

    let both = org.add_app("Both_App", &AppXml::default().render());
    let code = org.login(&both, API_USER, &[("scope", "refresh_token")]).await.unwrap();
    let (status, tokens) = org.exchange(&both, &code).await;
    assert_eq!(status, 200);
    assert!(tokens["refresh_token"].is_string());
    let (status, body) = org
        .json("/services/data/v66.0/query?q=SELECT+Id+FROM+User", tokens["access_token"].as_str().unwrap())
        .await;
    assert_eq!(
        (status, rest_error(&body)),
        (401, ("INVALID_SESSION_ID", "This session is not valid for use with the REST API"))
    );
    let code = org.login(&both, API_USER, &[("scope", "api")]).await.unwrap();
    let (_, tokens) = org.exchange(&both, &code).await;
    assert!(tokens.get("refresh_token").is_none(), "refresh_token not requested");
}

#[tokio::test]
async fn rotation_replaces_refresh_tokens_and_a_replay_ends_the_grant() {
    let org = Org::start().await;
    let app = org.add_app("Rotating_App", &AppXml { rotation: true, ..Default::default() }.render());
    let first = org.tokens(&app, API_USER).await["refresh_token"].as_str().unwrap().to_string();
    let (status, body) = org.refresh(&app, &first, true).await;
    assert_eq!(status, 200);
    let second = body["refresh_token"].as_str().expect("rotated token").to_string();
    assert_ne!(first, second);
    let (_, body) = org.refresh(&app, &first, true).await;
    assert_eq!(error_of(&body).0, "invalid_grant");
    let (_, body) = org.refresh(&app, &second, true).await;
    assert_eq!(
        error_of(&body),
        ("invalid_grant", "expired access/refresh token"),
        "replay revoked the grant"
    );
}

#[tokio::test]
async fn new_apps_are_invisible_to_oauth_during_the_propagation_delay() {
    let org = Org::start().await;
    org.control("org-settings", serde_json::json!({ "oauth_propagation_delay_seconds": 120 })).await;
    let app = org.add_app("Fresh_App", &AppXml::default().render());
    let (_, body) =
        org.token(&[("grant_type", "refresh_token"), ("client_id", &app.key), ("refresh_token", "x")]).await;
    assert_eq!(error_of(&body), ("invalid_client_id", "client identifier invalid"));
    let refused = org.login(&app, API_USER, &[]).await.unwrap_err();
    assert!(refused.contains("error=invalid_client_id"), "{refused}");
    org.advance(121).await;
    org.tokens(&app, API_USER).await;
}
