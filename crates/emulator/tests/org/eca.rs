//! External Client Apps through the org's own APIs, in an org that refuses new Connected Apps:
//! the ECA deploy succeeds, its OAuth policies are enforced as a ConnectedApp's are, and the
//! Metadata API lists and reads it as ECA components (consumer key, never the secret).

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use insights_emulator::store::apps;
use insights_metadata::config::{Overrides, Settings};
use insights_metadata::template::Templates;

use crate::common::*;
use crate::deploy_then_oauth::{element, soap};

const CONFIG: &str = r#"
app_kind = "external-client-app"
[app]
label = "ECA Test App"
contact_email = "admin@example.com"
callback_urls = ["http://localhost:1717/OauthRedirect"]
[permission_set]
label = "ECA Test Access"
"#;

async fn deploy(org: &Org, zip: &[u8]) -> String {
    let answer = soap(
        org,
        &format!(
            "<deploy><ZipFile>{}</ZipFile><DeployOptions><singlePackage>true</singlePackage></DeployOptions></deploy>",
            STANDARD.encode(zip)
        ),
    )
    .await;
    let id = element(&answer, "id").unwrap_or_else(|| panic!("deploy id in {answer}"));
    for _ in 0..20 {
        let answer = soap(
            org,
            &format!("<checkDeployStatus><asyncProcessId>{id}</asyncProcessId><includeDetails>true</includeDetails></checkDeployStatus>"),
        )
        .await;
        if element(&answer, "done").as_deref() == Some("true") {
            return answer;
        }
    }
    panic!("deploy {id} did not finish within 20 polls");
}

#[tokio::test]
async fn an_eca_deploys_where_connected_apps_are_refused_and_its_policies_are_enforced() {
    let org = Org::start().await;
    org.control("org-settings", serde_json::json!({ "allow_new_connected_apps": false })).await;
    let settings = Settings::from_toml(CONFIG, "test", &Overrides::default()).unwrap();
    let generated = insights_metadata::generate(&settings, &Templates::builtin()).unwrap();

    let answer = deploy(&org, &generated.deploy_zip(None)).await;
    assert_eq!(element(&answer, "status").as_deref(), Some("Succeeded"), "{answer}");
    assert!(answer.contains("<componentType>ExtlClntAppGlobalOauthSettings</componentType>"), "{answer}");

    let stored =
        org.emulator.store().read(|c| apps::by_full_name(c, "ECA_Test_App")).unwrap().expect("stored");
    let app = TestApp { id: stored.id, key: stored.consumer_key, secret: stored.consumer_secret };

    // Admin approved: a user without the permission set is refused, as for a ConnectedApp.
    let code = org.login(&app, API_USER, &[]).await.unwrap();
    let (_, body) = org.exchange(&app, &code).await;
    assert_eq!(error_of(&body).0, "invalid_app_access", "{body}");

    let token = org.emulator.admin_access_token();
    let (_, body) = org
        .json(
            "/services/data/v66.0/query?q=SELECT+Id+FROM+PermissionSet+WHERE+Name='ECA_Test_Access'",
            &token,
        )
        .await;
    let set_id = body["records"][0]["Id"].as_str().expect("permission set deployed").to_string();
    assert_eq!(org.assign(API_USER.0, &set_id).await.status(), 201);

    // The secret is required for the web server flow.
    let code = org.login(&app, API_USER, &[]).await.unwrap();
    let without_secret = TestApp { id: app.id.clone(), key: app.key.clone(), secret: String::new() };
    let (status, body) = org.exchange(&without_secret, &code).await;
    assert_eq!((status, error_of(&body).0), (400, "invalid_client"), "{body}");

    let tokens = org.tokens(&app, API_USER).await;
    let (status, body) =
        org.json("/services/apexrest/insights/v1/status", tokens["access_token"].as_str().unwrap()).await;
    assert_eq!(status, 200, "{body}");

    // Listed and read as ECA components, not as a ConnectedApp.
    let listed = soap(&org, "<listMetadata><queries><type>ConnectedApp</type></queries><queries><type>ExternalClientApplication</type></queries><asOfVersion>66.0</asOfVersion></listMetadata>").await;
    assert!(listed.contains("<fileName>externalClientApps/ECA_Test_App.eca</fileName>"), "{listed}");
    assert!(!listed.contains("connectedApps/"), "{listed}");
    let read = soap(&org, "<readMetadata><type>ExtlClntAppGlobalOauthSettings</type><fullNames>ECA_Test_App_glbloauth</fullNames></readMetadata>").await;
    assert!(read.contains(&format!("<consumerKey>{}</consumerKey>", app.key)), "{read}");
    assert!(!read.contains(&app.secret), "{read}");

    // A ConnectedApp of the same name is refused: names are shared by both kinds.
    org.control("org-settings", serde_json::json!({ "allow_new_connected_apps": true })).await;
    let same_name = Settings::from_toml(
        &CONFIG.replace("app_kind = \"external-client-app\"", ""),
        "test",
        &Overrides::default(),
    )
    .unwrap();
    let connected = insights_metadata::generate(&same_name, &Templates::builtin()).unwrap();
    let answer = deploy(&org, &connected.deploy_zip(None)).await;
    assert_eq!(element(&answer, "status").as_deref(), Some("Failed"), "{answer}");
    assert!(
        answer.contains("An External Client App named &apos;ECA_Test_App&apos; already exists")
            || answer.contains("An External Client App named 'ECA_Test_App' already exists"),
        "{answer}"
    );
}
