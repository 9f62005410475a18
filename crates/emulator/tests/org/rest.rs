//! REST: versions, SOQL, sObjects, permission set assignments, credentials, error shapes.

use serde_json::json;

use crate::common::*;

fn q(soql: &str) -> String {
    format!(
        "/services/data/v66.0/query?q={}",
        url::form_urlencoded::byte_serialize(soql.as_bytes()).collect::<String>()
    )
}

#[tokio::test]
async fn versions_and_resources() {
    let org = Org::start().await;
    let versions: serde_json::Value =
        org.http.get(org.url("/services/data")).send().await.unwrap().json().await.unwrap();
    let list = versions.as_array().unwrap();
    assert_eq!(list.first().unwrap()["version"], "31.0");
    assert_eq!(
        list.last().unwrap(),
        &json!({ "label": "Spring '26", "url": "/services/data/v66.0", "version": "66.0" })
    );

    let token = org.emulator.admin_access_token();
    let (status, resources) = org.json("/services/data/v51.0/", &token).await;
    assert_eq!(status, 200, "trailing slash accepted");
    assert_eq!(resources["query"], "/services/data/v51.0/query");
    // The Salesforce CLI keeps the instance URL with a trailing slash: `//services/...`.
    let (status, resources) = org.json("//services/data/v51.0", &token).await;
    assert_eq!((status, &resources["query"]), (200, &json!("/services/data/v51.0/query")), "doubled slash");
    let (status, body) = org.json("/services/data/v99.0", &token).await;
    assert_eq!((status, rest_error(&body).0), (404, "NOT_FOUND"));
    let (status, body) = org.json("/services/data/v66.0", "").await;
    assert_eq!((status, rest_error(&body)), (401, ("INVALID_SESSION_ID", "Session expired or invalid")));
    let (status, body) =
        org.json("/services/data/v66.0/tooling/sobjects/SourceMember/describe", &token).await;
    assert_eq!((status, rest_error(&body).0), (404, "NOT_FOUND"));
}

#[tokio::test]
async fn soql_subset_answers_the_cli_queries() {
    let org = Org::start().await;
    let token = org.emulator.admin_access_token();
    let (status, body) =
        org.json(&q("SELECT Id FROM User WHERE Username='api@insights-emulator.test'"), &token).await;
    assert_eq!(status, 200);
    assert_eq!(body["totalSize"], 1);
    assert_eq!(body["records"][0]["Id"], org.user_id(API_USER.0).as_str());
    assert_eq!(body["records"][0]["attributes"]["type"], "User");

    let (status, body) = org.json(&q("SELECT Id FROM ScratchOrgInfo limit 1"), &token).await;
    assert_eq!((status, rest_error(&body).0), (400, "INVALID_TYPE"));
    let (status, body) = org.json(&q("SELECT Id FROM User WHERE Name LIKE 'a%'"), &token).await;
    assert_eq!((status, rest_error(&body).0), (400, "MALFORMED_QUERY"));
    let (status, body) = org.json(&q("SELECT Nope FROM User"), &token).await;
    assert_eq!((status, rest_error(&body).0), (400, "INVALID_FIELD"));
    let (status, body) = org.json("/services/data/v66.0/query", &token).await;
    assert_eq!((status, rest_error(&body).0), (400, "MALFORMED_QUERY"));

    let (_, body) = org.json(&q("SELECT Name, InstanceName, IsSandbox, TrialExpirationDate, NamespacePrefix, OrganizationType FROM Organization"), &token).await;
    assert_eq!(body["totalSize"], 1);
    assert_eq!(body["records"][0]["IsSandbox"], false);

    let (_, body) =
        org.json(&q("select id, profile.name from user where isactive = true limit 2"), &token).await;
    assert_eq!(body["totalSize"], 2);
    assert!(body["records"][0]["Profile"]["Name"].is_string());
}

#[tokio::test]
async fn permission_set_assignments_and_setup_entity_access() {
    let org = Org::start().await;
    let token = org.emulator.admin_access_token();
    let app = org.add_app("Rest_App", &AppXml::default().render());
    let set = org.add_permission_set("Rest_PS", &[&app.id], &["Insights_Rest_API"]);

    let (_, body) = org.json(&q("SELECT Id FROM PermissionSet WHERE Name = 'Rest_PS'"), &token).await;
    assert_eq!(body["records"][0]["Id"], set.as_str());
    let soql = format!(
        "SELECT Id, ParentId, Parent.Name FROM SetupEntityAccess WHERE SetupEntityType = 'ConnectedApplication' AND SetupEntityId = '{}'",
        &app.id[..15]
    );
    let (_, body) = org.json(&q(&soql), &token).await;
    assert_eq!(body["totalSize"], 1, "15-character ids match too");
    assert_eq!(body["records"][0]["Parent"]["Name"], "Rest_PS");

    let created = org.assign(API_USER.0, &set).await;
    assert_eq!(created.status(), 201);
    let created: serde_json::Value = created.json().await.unwrap();
    assert_eq!(created["success"], true);
    let assignment = created["id"].as_str().unwrap().to_string();
    assert!(assignment.starts_with("0Pa") && assignment.len() == 18);

    let repeat = org.assign(API_USER.0, &set).await;
    assert_eq!(repeat.status(), 400);
    let body: serde_json::Value = repeat.json().await.unwrap();
    assert_eq!(rest_error(&body).0, "DUPLICATE_VALUE");
    let user_id = org.user_id(API_USER.0);
    assert!(
        rest_error(&body).1.starts_with(&format!("Duplicate PermissionSetAssignment. Assignee: {user_id}"))
    );

    let (_, body) = org
        .json(
            &q(&format!(
                "SELECT Id, PermissionSet.Name FROM PermissionSetAssignment WHERE AssigneeId = '{user_id}'"
            )),
            &token,
        )
        .await;
    assert_eq!(body["records"][0]["PermissionSet"]["Name"], "Rest_PS");

    // `sf data query` lays out its table from the query's columns (`columns=true`).
    let columns = q(
        "SELECT Id, Assignee.Username, PermissionSet.Name, PermissionSet.Label FROM PermissionSetAssignment",
    );
    let (status, body) = org.json(&format!("{columns}&columns=true"), &token).await;
    assert_eq!(status, 200);
    assert_eq!((&body["entityName"], &body["idSelected"]), (&json!("PermissionSetAssignment"), &json!(true)));
    let names: Vec<&str> = body["columnMetadata"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["columnName"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["Id", "Assignee", "PermissionSet"]);
    let joins = &body["columnMetadata"][2]["joinColumns"];
    assert_eq!(
        (&joins[0]["columnName"], &joins[1]["displayName"]),
        (&json!("Name"), &json!("PermissionSet.Label"))
    );

    let delete = |id: String| {
        let org = &org;
        let token = token.clone();
        async move {
            org.http
                .delete(org.url(&format!("/services/data/v66.0/sobjects/PermissionSetAssignment/{id}")))
                .bearer_auth(token)
                .send()
                .await
                .unwrap()
                .status()
        }
    };
    assert_eq!(delete(assignment.clone()).await, 204);
    assert_eq!(delete(assignment).await, 404);
}

#[tokio::test]
async fn assignment_input_errors_are_clear() {
    let org = Org::start().await;
    let token = org.emulator.admin_access_token();
    let post = |body: &'static str| {
        let org = &org;
        let token = token.clone();
        async move {
            let response = org
                .http
                .post(org.url("/services/data/v66.0/sobjects/PermissionSetAssignment"))
                .bearer_auth(token)
                .header("content-type", "application/json")
                .body(body)
                .send()
                .await
                .unwrap();
            let status = response.status().as_u16();
            (status, response.json::<serde_json::Value>().await.unwrap())
        }
    };
    let (status, body) = post("{not json").await;
    assert_eq!((status, rest_error(&body).0), (400, "JSON_PARSER_ERROR"));
    let (_, body) = post(r#"{"PermissionSetId":"0PSHn0000000001AAA"}"#).await;
    assert_eq!(rest_error(&body), ("REQUIRED_FIELD_MISSING", "Required fields are missing: [AssigneeId]"));
    let (_, body) = post(r#"{"AssigneeId":"nope","PermissionSetId":"nope"}"#).await;
    assert_eq!(rest_error(&body).0, "MALFORMED_ID");
    let (_, body) = post(r#"{"AssigneeId":"005Hn0000000001","PermissionSetId":"0PSHn0000000001"}"#).await;
    assert_eq!(rest_error(&body).0, "INVALID_CROSS_REFERENCE_KEY");
}

#[tokio::test]
async fn user_record_by_id() {
    let org = Org::start().await;
    let token = org.emulator.admin_access_token();
    let id = org.user_id(API_USER.0);
    let (status, body) = org.json(&format!("/services/data/v51.0/sobjects/User/{id}"), &token).await;
    assert_eq!(status, 200);
    assert_eq!(body["Username"], API_USER.0);
    let (status, _) = org.json("/services/data/v51.0/sobjects/User/005Hn0000000000AAA", &token).await;
    assert_eq!(status, 404);
}

#[tokio::test]
async fn credentials_resource_returns_the_secret_only_when_allowed() {
    let org = Org::start().await;
    let token = org.emulator.admin_access_token();
    let app = org.add_app("Cred_App", &AppXml::default().render());
    let (status, body) = org.json("/services/data/v66.0/apps/oauth/credentials/Cred_App", &token).await;
    assert_eq!(status, 200);
    let consumer_url = body["consumers"][0]["url"].as_str().unwrap().to_string();

    let (status, body) = org.json(&format!("{consumer_url}?part=key"), &token).await;
    assert_eq!(status, 200);
    assert_eq!(body["key"], app.key.as_str());
    assert!(body.get("secret").is_none());
    let (status, body) = org.json(&format!("{consumer_url}?part=keyandsecret"), &token).await;
    assert_eq!((status, rest_error(&body).0), (403, "INSUFFICIENT_ACCESS"));

    org.control("org-settings", json!({ "allow_consumer_secret_in_rest": true })).await;
    let (status, body) = org.json(&format!("{consumer_url}?part=keyandsecret"), &token).await;
    assert_eq!(status, 200);
    assert_eq!(body["secret"], app.secret.as_str());

    let api_user = org.add_app("Other_App", &AppXml::default().render());
    let user_token = org.tokens(&api_user, API_USER).await["access_token"].as_str().unwrap().to_string();
    let (status, _) = org.json(&format!("{consumer_url}?part=key"), &user_token).await;
    assert_eq!(status, 403, "only admins read credentials");
}
