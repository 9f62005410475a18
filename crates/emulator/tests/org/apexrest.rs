//! Apex REST: the Insights+ resource answers only users granted `Insights_Rest_API`.

use crate::common::*;

const ENDPOINT: &str = "/services/apexrest/insights/v1/status";

#[tokio::test]
async fn insights_resource_needs_a_session_and_class_access() {
    let org = Org::start().await;
    let (status, body) = org.json(ENDPOINT, "").await;
    assert_eq!((status, rest_error(&body).0), (401, "INVALID_SESSION_ID"));
    let (status, _) = org.json(ENDPOINT, "00DHn0000000001!bogus").await;
    assert_eq!(status, 401);

    let (status, body) = org.json(ENDPOINT, &org.emulator.admin_access_token()).await;
    assert_eq!(status, 200, "System Administrator has access");
    assert_eq!(body["status"], "ok");

    let app = org.add_app("Apex_App", &AppXml::default().render());
    let token = org.tokens(&app, API_USER).await["access_token"].as_str().unwrap().to_string();
    let (status, body) = org.json(ENDPOINT, &token).await;
    assert_eq!(
        (status, rest_error(&body)),
        (403, ("FORBIDDEN", "You do not have access to the Apex class named: Insights_Rest_API"))
    );

    let set = org.add_permission_set("Apex_PS", &[], &["Insights_Rest_API"]);
    assert_eq!(org.assign(API_USER.0, &set).await.status(), 201);
    let (status, body) = org.json(ENDPOINT, &token).await;
    assert_eq!(status, 200);
    assert_eq!(body["username"], API_USER.0);
    let posted = org
        .http
        .post(org.url("/services/apexrest/insights/v1/events"))
        .bearer_auth(&token)
        .send()
        .await
        .unwrap();
    assert_eq!(posted.status(), 200);

    let (status, body) = org.json("/services/apexrest/other/v1", &token).await;
    assert_eq!((status, rest_error(&body).0), (404, "NOT_FOUND"));
}
