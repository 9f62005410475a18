//! Metadata API deploys against the in-process emulator: the clean path, progress over polls,
//! every validation rule a real org applies (refusal and allowed path), checkOnly and quick
//! deploys, cancel, and injected failures. Every response body is checked against the XSD.

mod soap_common;

use insights_emulator::store::access;
use soap_common::*;

const SINGLE: &str = "<rollbackOnError>true</rollbackOnError><singlePackage>true</singlePackage>";

async fn app_count(org: &Org) -> usize {
    let answer = org
        .call("<listMetadata><queries><type>ConnectedApp</type></queries><asOfVersion>66.0</asOfVersion></listMetadata>")
        .await;
    assert_eq!(answer.status, 200, "{}", answer.body);
    all(&answer.body, "fullName").len()
}

#[tokio::test]
async fn clean_deploy_goes_in_progress_then_succeeds_and_links_the_permission_set() {
    let dir = tempfile::tempdir().unwrap();
    let org = start(dir.path()).await;

    let id = org.deploy(&standard_zip(""), SINGLE).await;
    assert!(id.starts_with("0Af") && id.len() == 18, "{id}");
    let bodies = org.poll_deploy(&id).await;
    assert_eq!(bodies.len(), 2, "first poll in progress, second final");
    assert_eq!(first(&bodies[0], "status"), "InProgress");
    assert_eq!(first(&bodies[0], "done"), "false");

    let last = &bodies[1];
    assert_eq!(first(last, "status"), "Succeeded", "{last}");
    assert_eq!(first(last, "success"), "true");
    assert_eq!(first(last, "numberComponentsTotal"), "2");
    assert_eq!(first(last, "numberComponentsDeployed"), "2");
    assert_eq!(first(last, "numberComponentErrors"), "0");
    let types = all(last, "componentType");
    assert!(types.contains(&"ConnectedApp".to_string()) && types.contains(&"PermissionSet".to_string()));
    assert!(types.contains(&String::new()), "package.xml success has an empty componentType");
    assert!(all(last, "fileName").contains(&"connectedApps/Insights_Plus.connectedApp".to_string()));
    assert!(all(last, "created").iter().filter(|c| *c == "true").count() >= 2);

    let grants = org.emulator.store().read(access::setup_entity_access).unwrap();
    let kinds: Vec<_> = grants.iter().map(|g| g.setup_entity_type.as_str()).collect();
    assert!(kinds.contains(&"ConnectedApplication") && kinds.contains(&"ApexClass"), "{kinds:?}");
}

#[tokio::test]
async fn cli_shaped_zip_under_a_root_folder_with_directory_entries_deploys() {
    let dir = tempfile::tempdir().unwrap();
    let org = start(dir.path()).await;
    let app = connected_app("owner@example.com", CALLBACK, "", &[]);
    let zip = zip(&[
        ("zip/", ""),
        ("zip/package.xml", &package(&[("ConnectedApp", &["Cli_App"])])),
        ("zip/connectedApps/", ""),
        ("zip/connectedApps/Cli_App.connectedApp", &app),
    ]);
    let options = "<rollbackOnError>true</rollbackOnError><ignoreWarnings>false</ignoreWarnings><checkOnly>false</checkOnly><singlePackage>false</singlePackage><purgeOnDelete>false</purgeOnDelete>";
    let last = org.deploy_and_wait(&zip, options).await;
    assert_eq!(first(&last, "status"), "Succeeded", "{last}");
    let files = all(&last, "fileName");
    assert!(files.contains(&"zip/connectedApps/Cli_App.connectedApp".to_string()), "{files:?}");
    assert!(files.contains(&"zip/package.xml".to_string()));
}

/// Deploys `zip`, expects a Failed deploy whose problems include `expected`, and an org
/// without new apps.
async fn assert_refused(org: &Org, zip: &[u8], expected: &str) -> String {
    let before = app_count(org).await;
    let last = org.deploy_and_wait(zip, SINGLE).await;
    assert_eq!(first(&last, "status"), "Failed", "{last}");
    assert_eq!(first(&last, "success"), "false");
    let found = problems(&last);
    assert!(found.iter().any(|p| p == expected), "expected {expected:?} among {found:?}");
    assert!(all(&last, "componentFailures").len() + found.len() > 0);
    assert_eq!(app_count(org).await, before, "a failed deploy changes nothing");
    last
}

#[tokio::test]
async fn package_and_file_mismatches_fail() {
    let dir = tempfile::tempdir().unwrap();
    let org = start(dir.path()).await;
    let app = connected_app("owner@example.com", CALLBACK, "", &[]);

    let unlisted = zip(&[
        ("package.xml", &package(&[("ConnectedApp", &["A"])])),
        ("connectedApps/A.connectedApp", &app),
        ("connectedApps/B.connectedApp", &app),
    ]);
    let last = assert_refused(
        &org,
        &unlisted,
        "ConnectedApp 'B' is in the zip (connectedApps/B.connectedApp) but is not named in package.xml",
    )
    .await;
    assert!(all(&last, "fileName").contains(&"connectedApps/B.connectedApp".to_string()));

    let missing = zip(&[
        ("package.xml", &package(&[("ConnectedApp", &["A", "Ghost"])])),
        ("connectedApps/A.connectedApp", &app),
    ]);
    assert_refused(&org, &missing, "An object 'Ghost' of type ConnectedApp was named in package.xml, but was not found in zipped directory").await;

    let unknown = zip(&[
        ("package.xml", &package(&[("ConnectedApp", &["A"]), ("CustomWidget", &["W"])])),
        ("connectedApps/A.connectedApp", &app),
    ]);
    assert_refused(&org, &unknown, "Unknown type name 'CustomWidget' specified in package.xml").await;

    let no_package = zip(&[("connectedApps/A.connectedApp", &app)]);
    assert_refused(&org, &no_package, "No package.xml found").await;

    // The allowed path: the same app, listed.
    let listed = zip(&[
        ("package.xml", &package(&[("ConnectedApp", &["A"])])),
        ("connectedApps/A.connectedApp", &app),
    ]);
    assert_eq!(first(&org.deploy_and_wait(&listed, SINGLE).await, "status"), "Succeeded");
}

fn single_app_zip(name: &str, app: &str) -> Vec<u8> {
    let file = format!("connectedApps/{name}.connectedApp");
    zip(&[("package.xml", &package(&[("ConnectedApp", &[name])])), (&file, app)])
}

#[tokio::test]
async fn schema_and_connected_app_rules_fail_with_line_numbers() {
    let dir = tempfile::tempdir().unwrap();
    let org = start(dir.path()).await;

    let no_email = connected_app("owner@example.com", CALLBACK, "", &[])
        .replace("    <contactEmail>owner@example.com</contactEmail>\n", "");
    let last =
        assert_refused(&org, &single_app_zip("A", &no_email), "Required field is missing: contactEmail")
            .await;
    assert!(!all(&last, "lineNumber").is_empty(), "schema problems carry a line");

    let bad_email = connected_app("not-an-email", CALLBACK, "", &[]);
    assert_refused(
        &org,
        &single_app_zip("A", &bad_email),
        "contactEmail: 'not-an-email' is not a valid email address",
    )
    .await;

    let bad_callback = connected_app("owner@example.com", "not a url", "", &[]);
    let last = org.deploy_and_wait(&single_app_zip("A", &bad_callback), SINGLE).await;
    assert_eq!(first(&last, "status"), "Failed");
    assert!(
        problems(&last).iter().any(|p| p.contains("'not a url' is not a valid URL")),
        "{:?}",
        problems(&last)
    );

    let bad_enum = connected_app("owner@example.com", CALLBACK, "", &[])
        .replace("<ipRelaxation>BYPASS</ipRelaxation>", "<ipRelaxation>RELAXED</ipRelaxation>");
    let last = org.deploy_and_wait(&single_app_zip("A", &bad_enum), SINGLE).await;
    assert!(
        problems(&last).iter().any(|p| p.contains("'RELAXED' is not an IP relaxation value")),
        "{:?}",
        problems(&last)
    );

    let out_of_order = connected_app("owner@example.com", CALLBACK, "", &[])
        .replace("    <label>Insights Plus</label>\n", "")
        .replace("    <oauthPolicy>", "    <label>Insights Plus</label>\n    <oauthPolicy>");
    let last = org.deploy_and_wait(&single_app_zip("A", &out_of_order), SINGLE).await;
    assert_eq!(first(&last, "status"), "Failed", "elements out of WSDL order are refused");

    let bad_name = connected_app("owner@example.com", CALLBACK, "", &[]);
    let last = org.deploy_and_wait(&single_app_zip("Bad__Name", &bad_name), SINGLE).await;
    assert!(
        problems(&last).iter().any(|p| p.contains("two consecutive underscores")),
        "{:?}",
        problems(&last)
    );

    assert_eq!(app_count(&org).await, 0);
}

#[tokio::test]
async fn permission_set_and_apex_class_references_must_exist() {
    let dir = tempfile::tempdir().unwrap();
    let org = start(dir.path()).await;

    let app = connected_app("owner@example.com", CALLBACK, "", &["Nowhere_Set"]);
    assert_refused(
        &org,
        &single_app_zip("A", &app),
        "In field: permissionSetName - no PermissionSet named Nowhere_Set found",
    )
    .await;

    let set = permission_set("No_Such_Class");
    let zip_with_bad_class = zip(&[
        ("package.xml", &package(&[("PermissionSet", &["P"])])),
        ("permissionsets/P.permissionset", &set),
    ]);
    let last = org.deploy_and_wait(&zip_with_bad_class, SINGLE).await;
    assert_eq!(first(&last, "status"), "Failed");
    assert_eq!(
        problems(&last),
        vec!["In field: apexClass - no ApexClass named No_Such_Class found".to_string()]
    );

    // Allowed: the set deployed first, then an app that names it (set exists in the org).
    let good_set = zip(&[
        ("package.xml", &package(&[("PermissionSet", &["P"])])),
        ("permissionsets/P.permissionset", &permission_set("Insights_Rest_API")),
    ]);
    assert_eq!(first(&org.deploy_and_wait(&good_set, SINGLE).await, "status"), "Succeeded");
    let app = connected_app("owner@example.com", CALLBACK, "", &["P"]);
    assert_eq!(first(&org.deploy_and_wait(&single_app_zip("A", &app), SINGLE).await, "status"), "Succeeded");

    // Redeploying the app without permissionSetName removes its link.
    let unlinked = connected_app("owner@example.com", CALLBACK, "", &[]);
    let last = org.deploy_and_wait(&single_app_zip("A", &unlinked), SINGLE).await;
    assert_eq!(first(&last, "status"), "Succeeded");
    assert!(all(&last, "changed").contains(&"true".to_string()));
    let grants = org.emulator.store().read(access::setup_entity_access).unwrap();
    assert!(grants.iter().all(|g| g.setup_entity_type != "ConnectedApplication"), "{grants:?}");
}

#[tokio::test]
async fn consumer_key_and_secret_follow_the_org_rules() {
    let dir = tempfile::tempdir().unwrap();
    let org = start(dir.path()).await;
    let key = "InsightsKey12345678";
    let secret = "S3cretS3cretS3cretS3cretS3cret99";
    let with_both = format!(
        "\n        <consumerKey>{key}</consumerKey>\n        <consumerSecret>{secret}</consumerSecret>"
    );

    // Given on create: used.
    let app = connected_app("owner@example.com", CALLBACK, &with_both, &[]);
    assert_eq!(first(&org.deploy_and_wait(&single_app_zip("A", &app), SINGLE).await, "status"), "Succeeded");
    let stored =
        org.emulator.store().read(|c| insights_emulator::store::apps::by_full_name(c, "A")).unwrap().unwrap();
    assert_eq!(stored.consumer_key, key);
    assert_eq!(stored.consumer_secret, secret);
    assert!(!stored.xml.contains(secret), "the stored XML never holds the secret");

    // The same key on another new app: taken.
    let other = connected_app(
        "owner@example.com",
        CALLBACK,
        &format!("\n        <consumerKey>{key}</consumerKey>"),
        &[],
    );
    assert_refused(&org, &single_app_zip("B", &other), "The consumer key is already taken.").await;

    // A key or a secret on an update: refused.
    let update_key = connected_app(
        "owner@example.com",
        CALLBACK,
        &format!("\n        <consumerKey>{key}</consumerKey>"),
        &[],
    );
    assert_refused(&org, &single_app_zip("A", &update_key), "You cannot provide a Consumer Key").await;
    let update_secret = connected_app(
        "owner@example.com",
        CALLBACK,
        &format!("\n        <consumerSecret>{secret}</consumerSecret>"),
        &[],
    );
    assert_refused(&org, &single_app_zip("A", &update_secret), "You cannot provide a Consumer Secret").await;

    // A secret of the wrong shape: refused.
    let short =
        connected_app("owner@example.com", CALLBACK, "\n        <consumerSecret>short</consumerSecret>", &[]);
    let last = org.deploy_and_wait(&single_app_zip("C", &short), SINGLE).await;
    assert!(
        problems(&last).iter().any(|p| p.contains("consumer secret must be 8 to 256")),
        "{:?}",
        problems(&last)
    );

    // Absent on create: generated, unique.
    let plain = connected_app("owner@example.com", CALLBACK, "", &[]);
    assert_eq!(
        first(&org.deploy_and_wait(&single_app_zip("D", &plain), SINGLE).await, "status"),
        "Succeeded"
    );
    let generated =
        org.emulator.store().read(|c| insights_emulator::store::apps::by_full_name(c, "D")).unwrap().unwrap();
    assert!(generated.consumer_key.len() >= 32 && generated.consumer_key != key);
    assert!(generated.consumer_secret.len() >= 32);

    // An update without key or secret keeps both.
    assert_eq!(
        first(&org.deploy_and_wait(&single_app_zip("A", &plain), SINGLE).await, "status"),
        "Succeeded"
    );
    let kept =
        org.emulator.store().read(|c| insights_emulator::store::apps::by_full_name(c, "A")).unwrap().unwrap();
    assert_eq!((kept.consumer_key.as_str(), kept.consumer_secret.as_str()), (key, secret));

    // Finished deploys keep no zip (the create zip held the secret).
    let zips: i64 = org
        .emulator
        .store()
        .read(
            |c| Ok(c.query_row("SELECT count(*) FROM deploys WHERE zip IS NOT NULL", [], |row| row.get(0))?),
        )
        .unwrap();
    assert_eq!(zips, 0);
}

#[tokio::test]
async fn check_only_changes_nothing_and_quick_deploy_applies_the_validation() {
    let dir = tempfile::tempdir().unwrap();
    let org = start(dir.path()).await;
    let validation_id = org.deploy(&standard_zip(""), &format!("<checkOnly>true</checkOnly>{SINGLE}")).await;
    let last = org.poll_deploy(&validation_id).await.pop().unwrap();
    assert_eq!(first(&last, "status"), "Succeeded");
    assert_eq!(first(&last, "checkOnly"), "true");
    assert_eq!(app_count(&org).await, 0, "checkOnly leaves the org unchanged");

    let answer = org
        .call(&format!(
            "<deployRecentValidation><validationId>{validation_id}</validationId></deployRecentValidation>"
        ))
        .await;
    assert_eq!(answer.status, 200, "{}", answer.body);
    let quick_id = first(&answer.body, "result");
    assert_ne!(quick_id, validation_id);
    let last = org.poll_deploy(&quick_id).await.pop().unwrap();
    assert_eq!(first(&last, "status"), "Succeeded", "{last}");
    assert_eq!(first(&last, "checkOnly"), "false");
    assert_eq!(app_count(&org).await, 1);

    // A validation is quick-deployed once; a non-validation id is refused.
    let again = org
        .call(&format!(
            "<deployRecentValidation><validationId>{validation_id}</validationId></deployRecentValidation>"
        ))
        .await;
    assert_eq!(again.status, 500);
    assert_eq!(first(&again.body, "faultcode"), "sf:INVALID_ID_FIELD");
    let not_validation = org
        .call(&format!(
            "<deployRecentValidation><validationId>{quick_id}</validationId></deployRecentValidation>"
        ))
        .await;
    assert_eq!(not_validation.status, 500);
}

#[tokio::test]
async fn a_validation_older_than_ten_days_cannot_be_quick_deployed() {
    let dir = tempfile::tempdir().unwrap();
    let org = start(dir.path()).await;
    let validation_id = org.deploy(&standard_zip(""), &format!("<checkOnly>true</checkOnly>{SINGLE}")).await;
    org.poll_deploy(&validation_id).await;
    org.emulator.clock().advance(11 * 24 * 3600);
    let answer = org
        .call(&format!(
            "<deployRecentValidation><validationId>{validation_id}</validationId></deployRecentValidation>"
        ))
        .await;
    assert_eq!(answer.status, 500);
    assert!(first(&answer.body, "faultstring").contains("last 10 days"));
}

#[tokio::test]
async fn cancel_before_completion_changes_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let org = start(dir.path()).await;
    let id = org.deploy(&standard_zip(""), SINGLE).await;
    let answer = org.call(&format!("<cancelDeploy><String>{id}</String></cancelDeploy>")).await;
    assert_eq!(answer.status, 200, "{}", answer.body);
    assert_eq!(first(&answer.body, "done"), "true");
    let last = org.poll_deploy(&id).await.pop().unwrap();
    assert_eq!(first(&last, "status"), "Canceled");
    assert_eq!(app_count(&org).await, 0);
    let late = org.call(&format!("<cancelDeploy><String>{id}</String></cancelDeploy>")).await;
    assert_eq!(late.status, 500);
}

#[tokio::test]
async fn injected_failure_fails_the_next_deploy_only() {
    let dir = tempfile::tempdir().unwrap();
    let org = start(dir.path()).await;
    let status = org
        .control(
            "deploy-failures",
            serde_json::json!({"fullName": "Insights_Plus", "problem": "Injected: try again"}),
        )
        .await;
    assert!((200..300).contains(&status), "deploy-failures control answered {status}");
    let last = org.deploy_and_wait(&standard_zip(""), SINGLE).await;
    assert_eq!(first(&last, "status"), "Failed");
    assert_eq!(problems(&last), vec!["Injected: try again".to_string()]);
    assert_eq!(app_count(&org).await, 0);
    assert_eq!(first(&org.deploy_and_wait(&standard_zip(""), SINGLE).await, "status"), "Succeeded");
}
