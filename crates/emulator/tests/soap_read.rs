//! retrieve / checkRetrieveStatus, readMetadata, listMetadata and describeMetadata against
//! the in-process emulator. Every response body is checked against the XSD.

mod soap_common;

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use soap_common::*;

const SINGLE: &str = "<singlePackage>true</singlePackage>";
const SECRET: &str = "RetrieveSecret0123456789abcdefXYZ";

async fn org_with_app(dir: &std::path::Path) -> Org {
    let org = start(dir).await;
    let secret = format!("\n        <consumerSecret>{SECRET}</consumerSecret>");
    let last = org.deploy_and_wait(&standard_zip(&secret), SINGLE).await;
    assert_eq!(first(&last, "status"), "Succeeded", "{last}");
    org
}

async fn retrieve(org: &Org, request: &str) -> String {
    let answer = org.call(&format!("<retrieve>{request}</retrieve>")).await;
    assert_eq!(answer.status, 200, "{}", answer.body);
    let id = first(&answer.body, "id");
    assert!(id.starts_with("09S") && id.len() == 18);
    // The Salesforce CLI sends no includeZip: absent means true.
    let answer = org
        .call(&format!("<checkRetrieveStatus><asyncProcessId>{id}</asyncProcessId></checkRetrieveStatus>"))
        .await;
    assert_eq!(answer.status, 200, "{}", answer.body);
    assert_eq!(first(&answer.body, "done"), "true");
    assert_eq!(first(&answer.body, "status"), "Succeeded");
    answer.body
}

#[tokio::test]
async fn cli_retrieve_returns_an_unpackaged_zip_with_the_key_and_never_the_secret() {
    let dir = tempfile::tempdir().unwrap();
    let org = org_with_app(dir.path()).await;
    let key = org
        .emulator
        .store()
        .read(|c| insights_emulator::store::apps::by_full_name(c, "Insights_Plus"))
        .unwrap()
        .unwrap()
        .consumer_key;

    // As the Salesforce CLI sends it: <request>, <members> before <name>, no singlePackage.
    let body = retrieve(
        &org,
        "<request><apiVersion>66.0</apiVersion><unpackaged><types><members>Insights_Plus</members><name>ConnectedApp</name></types><version>66.0</version></unpackaged></request>",
    )
    .await;
    assert!(
        all(&body, "fileName").contains(&"unpackaged/connectedApps/Insights_Plus.connectedApp".to_string())
    );
    let zip = STANDARD.decode(first(&body, "zipFile")).expect("base64 zip");
    let files = unzip(&zip);
    let names: Vec<_> = files.iter().map(|(name, _)| name.as_str()).collect();
    assert_eq!(names, ["unpackaged/package.xml", "unpackaged/connectedApps/Insights_Plus.connectedApp"]);
    let app = &files[1].1;
    assert!(app.contains(&format!("<consumerKey>{key}</consumerKey>")), "{app}");
    assert!(!app.contains("consumerSecret") && !app.contains(SECRET), "{app}");
    assert!(app.starts_with("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<ConnectedApp xmlns="));
    assert!(files[0].1.contains("<members>Insights_Plus</members>"));
    assert!(!body.contains(SECRET));

    // The retrieved file redeployed to the same org is refused for its consumerKey.
    let redeploy = zip_of_retrieved(&files);
    let last = org.deploy_and_wait(&redeploy, "<singlePackage>false</singlePackage>").await;
    assert_eq!(problems(&last), vec!["You cannot provide a Consumer Key".to_string()]);
}

fn zip_of_retrieved(files: &[(String, String)]) -> Vec<u8> {
    let entries: Vec<(&str, &str)> = files.iter().map(|(n, c)| (n.as_str(), c.as_str())).collect();
    zip(&entries)
}

#[tokio::test]
async fn single_package_retrieve_with_wildcards_and_missing_members() {
    let dir = tempfile::tempdir().unwrap();
    let org = org_with_app(dir.path()).await;
    let body = retrieve(
        &org,
        "<retrieveRequest><apiVersion>66.0</apiVersion><singlePackage>true</singlePackage><unpackaged>\
         <types><members>*</members><name>PermissionSet</name></types>\
         <types><members>Missing_App</members><name>ConnectedApp</name></types>\
         <types><members>X</members><name>NoSuchType</name></types>\
         <types><members>Insights_Rest_API</members><name>ApexClass</name></types></unpackaged></retrieveRequest>",
    )
    .await;
    let problems = problems(&body);
    assert!(
        problems.contains(&"Entity of type 'ConnectedApp' named 'Missing_App' cannot be found".to_string()),
        "{problems:?}"
    );
    assert!(problems.contains(&"Entity type: 'NoSuchType' is unknown".to_string()));
    let files = unzip(&STANDARD.decode(first(&body, "zipFile")).unwrap());
    let names: Vec<_> = files.iter().map(|(name, _)| name.as_str()).collect();
    assert!(names.contains(&"package.xml"));
    assert!(names.contains(&"permissionsets/Insights_Plus_API.permissionset"));
    assert!(names.contains(&"classes/Insights_Rest_API.cls"));
    assert!(names.contains(&"classes/Insights_Rest_API.cls-meta.xml"));

    // includeZip=false leaves the zip out.
    let id = first(&org.call("<retrieve><retrieveRequest><apiVersion>66.0</apiVersion><singlePackage>true</singlePackage></retrieveRequest></retrieve>").await.body, "id");
    let answer = org
        .call(&format!("<checkRetrieveStatus><asyncProcessId>{id}</asyncProcessId><includeZip>false</includeZip></checkRetrieveStatus>"))
        .await;
    assert_eq!(first(&answer.body, "zipFile"), "");
}

#[tokio::test]
async fn read_metadata_returns_typed_records_with_the_key_only() {
    let dir = tempfile::tempdir().unwrap();
    let org = org_with_app(dir.path()).await;
    let answer = org
        .call("<readMetadata><type>ConnectedApp</type><fullNames>Insights_Plus</fullNames><fullNames>Absent</fullNames></readMetadata>")
        .await;
    assert_eq!(answer.status, 200, "{}", answer.body);
    assert!(answer.body.contains("<records xsi:type=\"ConnectedApp\"><fullName>Insights_Plus</fullName><contactEmail>owner@example.com</contactEmail>"), "{}", answer.body);
    assert!(first(&answer.body, "consumerKey").starts_with("3MVG9"));
    assert!(!answer.body.contains("consumerSecret") && !answer.body.contains(SECRET));
    assert_eq!(all(&answer.body, "permissionSetName"), vec!["Insights_Plus_API".to_string()]);

    let answer = org
        .call(
            "<readMetadata><type>PermissionSet</type><fullNames>Insights_Plus_API</fullNames></readMetadata>",
        )
        .await;
    assert!(
        answer.body.contains("<records xsi:type=\"PermissionSet\"><fullName>Insights_Plus_API</fullName>")
    );
    assert_eq!(first(&answer.body, "apexClass"), "Insights_Rest_API");

    let answer =
        org.call("<readMetadata><type>CustomWidget</type><fullNames>X</fullNames></readMetadata>").await;
    assert_eq!(answer.status, 500);
    assert_eq!(first(&answer.body, "faultcode"), "sf:INVALID_TYPE");
}

#[tokio::test]
async fn list_and_describe_metadata() {
    let dir = tempfile::tempdir().unwrap();
    let org = org_with_app(dir.path()).await;
    let answer = org
        .call("<listMetadata><queries><type>ConnectedApp</type></queries><queries><type>ApexClass</type></queries><asOfVersion>66.0</asOfVersion></listMetadata>")
        .await;
    assert_eq!(answer.status, 200, "{}", answer.body);
    assert_eq!(
        all(&answer.body, "fullName"),
        vec!["Insights_Plus".to_string(), "Insights_Rest_API".to_string()]
    );
    assert!(all(&answer.body, "fileName").contains(&"connectedApps/Insights_Plus.connectedApp".to_string()));
    assert!(all(&answer.body, "id").iter().any(|id| id.starts_with("0H4")));

    let answer = org.call("<listMetadata><queries><type>Nope</type></queries><asOfVersion>66.0</asOfVersion></listMetadata>").await;
    assert_eq!((answer.status, first(&answer.body, "faultcode").as_str()), (500, "sf:INVALID_TYPE"));

    let answer = org.call("<describeMetadata><asOfVersion>66.0</asOfVersion></describeMetadata>").await;
    assert_eq!(answer.status, 200);
    assert!(all(&answer.body, "xmlName").contains(&"ConnectedApp".to_string()));
}
