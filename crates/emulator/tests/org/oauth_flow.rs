//! The web server flow itself: authorize form and errors, code exchange, token response shape,
//! single-use and expiring codes, PKCE, client secrets, refresh, revoke, introspect, identity.

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use insights_emulator::oauth::pkce::hmac_sha256;

use crate::common::*;

fn authorize_query(app: &TestApp, extra: &str) -> String {
    format!(
        "/services/oauth2/authorize?response_type=code&client_id={}&redirect_uri={}&state=s1{extra}",
        app.key,
        url::form_urlencoded::byte_serialize(CALLBACK.as_bytes()).collect::<String>()
    )
}

async fn authorize_error(org: &Org, path: &str) -> (String, String) {
    let response = org.http.get(org.url(path)).send().await.unwrap();
    assert_eq!(response.status(), 302);
    let location = location(&response);
    assert!(location.contains("/setup/secur/RemoteAccessErrorPage.apexp?"), "{location}");
    let url = url::Url::parse(&location).unwrap();
    let pairs: std::collections::HashMap<_, _> = url.query_pairs().into_owned().collect();
    (pairs["error"].clone(), pairs["error_description"].clone())
}

#[tokio::test]
async fn authorize_checks_client_redirect_scope_and_pkce() {
    let org = Org::start().await;
    let app = org.add_app("Flow_App", &AppXml::default().render());
    let challenge = challenge(VERIFIER);

    let form = org
        .http
        .get(org.url(&authorize_query(&app, &format!("&code_challenge={challenge}"))))
        .send()
        .await
        .unwrap();
    assert_eq!(form.status(), 200);
    let html = form.text().await.unwrap();
    assert!(html.contains("name=\"password\"") && html.contains(&challenge));

    let unknown = TestApp { id: String::new(), key: "3MVG9nobody".into(), secret: String::new() };
    assert_eq!(
        authorize_error(&org, &authorize_query(&unknown, "")).await,
        ("invalid_client_id".into(), "client identifier invalid".into())
    );
    let wrong_redirect = authorize_query(&app, "").replace("1717", "1718");
    assert_eq!(
        authorize_error(&org, &format!("{wrong_redirect}&code_challenge={challenge}")).await,
        ("redirect_uri_mismatch".into(), "redirect_uri must match configuration".into())
    );
    assert_eq!(
        authorize_error(&org, &authorize_query(&app, "")).await,
        ("invalid_request".into(), "missing required code challenge".into())
    );
    assert_eq!(
        authorize_error(
            &org,
            &authorize_query(&app, &format!("&code_challenge={challenge}&scope=api%20web"))
        )
        .await,
        ("invalid_scope".into(), "the requested scope is not allowed".into())
    );
}

#[tokio::test]
async fn code_exchange_gives_salesforce_token_response() {
    let org = Org::start().await;
    let app = org.add_app("Flow_App", &AppXml::default().render());
    let body = org.tokens(&app, API_USER).await;

    assert!(body.get("expires_in").is_none(), "Salesforce sends no expires_in");
    let access = body["access_token"].as_str().unwrap();
    assert!(access.starts_with("00D") && access.contains('!'));
    assert!(body["refresh_token"].as_str().is_some());
    assert_eq!(body["scope"], "api refresh_token");
    assert_eq!(body["token_type"], "Bearer");
    assert_eq!(body["instance_url"], org.emulator.instance_url());
    let issued_at = body["issued_at"].as_str().expect("issued_at is a string");
    assert!(issued_at.len() >= 13 && issued_at.parse::<u64>().is_ok(), "milliseconds");
    let id = body["id"].as_str().unwrap();
    let user_id = org.user_id(API_USER.0);
    assert!(id.ends_with(&format!("/{user_id}")) && id.contains("/id/00D"), "{id}");
    let expected = STANDARD.encode(hmac_sha256(app.secret.as_bytes(), format!("{id}{issued_at}").as_bytes()));
    assert_eq!(body["signature"], expected);

    let (status, userinfo) = org.json("/services/oauth2/userinfo", access).await;
    assert_eq!(status, 200);
    assert_eq!(userinfo["user_id"], user_id.as_str());
    assert_eq!(userinfo["preferred_username"], API_USER.0);
    let (status, identity) = org.json(&id.replace(org.emulator.instance_url(), ""), access).await;
    assert_eq!(status, 200);
    assert_eq!(identity["username"], API_USER.0);
    let status = org.get("/services/oauth2/userinfo", "00Dbogus!token").await.status();
    assert_eq!(status, 403);
}

#[tokio::test]
async fn codes_are_single_use_and_expire_after_15_minutes() {
    let org = Org::start().await;
    let app = org.add_app("Flow_App", &AppXml::default().render());
    let code = org.login(&app, API_USER, &[]).await.unwrap();
    assert_eq!(org.exchange(&app, &code).await.0, 200);
    let (status, body) = org.exchange(&app, &code).await;
    assert_eq!((status, error_of(&body)), (400, ("invalid_grant", "invalid authorization code")));

    let code = org.login(&app, API_USER, &[]).await.unwrap();
    org.advance(16 * 60).await;
    let (_, body) = org.exchange(&app, &code).await;
    assert_eq!(error_of(&body), ("invalid_grant", "expired authorization code"));

    let code = org.login(&app, API_USER, &[]).await.unwrap();
    org.advance(14 * 60).await;
    assert_eq!(org.exchange(&app, &code).await.0, 200);
}

#[tokio::test]
async fn bad_login_shows_the_form_again() {
    let org = Org::start().await;
    let app = org.add_app("Flow_App", &AppXml::default().render());
    let page = org.login(&app, (API_USER.0, "wrong"), &[]).await.unwrap_err();
    assert!(page.contains("Please check your username and password"), "{page}");
}

#[tokio::test]
async fn pkce_verifier_rules() {
    let org = Org::start().await;
    let app = org.add_app("Flow_App", &AppXml::default().render());
    let exchange = |code: String, verifier: Option<&'static str>| {
        let org = &org;
        let app = &app;
        async move {
            let mut form = vec![
                ("grant_type", "authorization_code".to_string()),
                ("code", code),
                ("client_id", app.key.clone()),
                ("client_secret", app.secret.clone()),
                ("redirect_uri", CALLBACK.to_string()),
            ];
            if let Some(verifier) = verifier {
                form.push(("code_verifier", verifier.to_string()));
            }
            let form: Vec<(&str, &str)> = form.iter().map(|(k, v)| (*k, v.as_str())).collect();
            org.token(&form).await
        }
    };
    let wrong = "wrongwrongwrongwrongwrongwrongwrongwrongwrongwrong";
    let code = org.login(&app, API_USER, &[]).await.unwrap();
    assert_eq!(error_of(&exchange(code, Some(wrong)).await.1), ("invalid_grant", "invalid code verifier"));
    let code = org.login(&app, API_USER, &[]).await.unwrap();
    assert_eq!(error_of(&exchange(code, None).await.1), ("invalid_grant", "invalid code verifier"));

    // A tilde is refused even with a matching plain challenge.
    let tilde = "tilde~tilde~tilde~tilde~tilde~tilde~tilde~tilde~";
    let code = org
        .login(&app, API_USER, &[("code_challenge", tilde), ("code_challenge_method", "plain")])
        .await
        .unwrap();
    assert_eq!(error_of(&exchange(code, Some(tilde)).await.1), ("invalid_grant", "invalid code verifier"));

    // The CLI's 171-character verifier with no method (S256 assumed) works; so does plain.
    let long: &'static str =
        Box::leak("A1b2C3d4E5-_".repeat(15).chars().take(171).collect::<String>().into_boxed_str());
    let long_challenge = challenge(long);
    let code = org.login(&app, API_USER, &[("code_challenge", &long_challenge)]).await.unwrap();
    assert_eq!(exchange(code, Some(long)).await.0, 200);
    let plain = "plainplainplainplainplainplainplainplainplain";
    let code = org
        .login(&app, API_USER, &[("code_challenge", plain), ("code_challenge_method", "plain")])
        .await
        .unwrap();
    assert_eq!(exchange(code, Some(plain)).await.0, 200);
}

#[tokio::test]
async fn client_secret_rules_for_the_web_server_flow() {
    let org = Org::start().await;
    let strict = org.add_app("Strict_App", &AppXml::default().render());
    let optional =
        org.add_app("Optional_App", &AppXml { secret_optional: true, ..Default::default() }.render());
    let without_secret = |app: &TestApp, code: &str, secret: Option<&str>| {
        let mut form = vec![
            ("grant_type", "authorization_code".to_string()),
            ("code", code.to_string()),
            ("client_id", app.key.clone()),
            ("redirect_uri", CALLBACK.to_string()),
            ("code_verifier", VERIFIER.to_string()),
        ];
        if let Some(secret) = secret {
            form.push(("client_secret", secret.to_string()));
        }
        form
    };
    for (app, secret, expected) in [
        (&strict, None, Some(("invalid_client", "invalid client credentials"))),
        (&strict, Some("wrong-secret-0000"), Some(("invalid_client", "invalid client credentials"))),
        (&optional, Some("wrong-secret-0000"), Some(("invalid_client", "invalid client credentials"))),
        (&optional, None, None),
    ] {
        let code = org.login(app, API_USER, &[]).await.unwrap();
        let form = without_secret(app, &code, secret);
        let form: Vec<(&str, &str)> = form.iter().map(|(k, v)| (*k, v.as_str())).collect();
        let (status, body) = org.token(&form).await;
        match expected {
            Some(error) => assert_eq!((status, error_of(&body)), (400, error)),
            None => assert_eq!(status, 200, "{body}"),
        }
    }
}

#[tokio::test]
async fn refresh_revoke_and_introspect() {
    let org = Org::start().await;
    let app = org.add_app("Flow_App", &AppXml::default().render());
    let lenient =
        org.add_app("Lenient_App", &AppXml { secret_for_refresh: false, ..Default::default() }.render());
    let tokens = org.tokens(&app, API_USER).await;
    let refresh_token = tokens["refresh_token"].as_str().unwrap();

    let (_, body) = org.refresh(&app, refresh_token, false).await;
    assert_eq!(error_of(&body), ("invalid_client", "invalid client credentials"));
    let (status, body) = org.refresh(&app, refresh_token, true).await;
    assert_eq!(status, 200);
    assert!(body.get("refresh_token").is_none(), "no rotation: no new refresh token");
    let refreshed = body["access_token"].as_str().unwrap().to_string();
    assert_eq!(org.get("/services/data/v66.0", &refreshed).await.status(), 200);
    // A refresh token is bound to its app.
    let (_, body) = org.refresh(&lenient, refresh_token, false).await;
    assert_eq!(error_of(&body), ("invalid_grant", "expired access/refresh token"));
    let lenient_tokens = org.tokens(&lenient, API_USER).await;
    let (status, _) = org.refresh(&lenient, lenient_tokens["refresh_token"].as_str().unwrap(), false).await;
    assert_eq!(status, 200);

    let introspect = |token: String| {
        let org = &org;
        let app = &app;
        async move {
            let response = org
                .http
                .post(org.url("/services/oauth2/introspect"))
                .basic_auth(&app.key, Some(&app.secret))
                .form(&[("token", token.as_str())])
                .send()
                .await
                .unwrap();
            response.json::<serde_json::Value>().await.unwrap()
        }
    };
    let active = introspect(refreshed.clone()).await;
    assert_eq!(active["active"], true);
    assert_eq!(active["username"], API_USER.0);
    assert_eq!(active["client_id"], app.key.as_str());
    assert!(active["exp"].as_i64().unwrap() > active["iat"].as_i64().unwrap());

    let revoked = org
        .http
        .post(org.url("/services/oauth2/revoke"))
        .form(&[("token", refresh_token)])
        .send()
        .await
        .unwrap();
    assert_eq!(revoked.status(), 200);
    let (_, body) = org.refresh(&app, refresh_token, true).await;
    assert_eq!(error_of(&body), ("invalid_grant", "expired access/refresh token"));
    assert_eq!(
        org.get("/services/data/v66.0", &refreshed).await.status(),
        401,
        "revoking the refresh token revokes its sessions"
    );
    assert_eq!(introspect(refreshed).await["active"], false);
    let unknown = org
        .http
        .post(org.url("/services/oauth2/revoke"))
        .form(&[("token", "nonsense")])
        .send()
        .await
        .unwrap();
    assert_eq!(unknown.status(), 400);
}

#[tokio::test]
async fn token_endpoint_refuses_bad_requests_clearly() {
    let org = Org::start().await;
    let (status, body) = org.token(&[("grant_type", "password")]).await;
    assert_eq!((status, error_of(&body)), (400, ("unsupported_grant_type", "grant type not supported")));
    let response =
        org.http.post(org.url("/services/oauth2/token")).body(vec![0xff, 0xfe, 0x00]).send().await.unwrap();
    assert_eq!(response.status(), 400);
    let (_, body) = org.token(&[("grant_type", "authorization_code"), ("client_id", "nobody")]).await;
    assert_eq!(error_of(&body), ("invalid_client_id", "client identifier invalid"));
}
