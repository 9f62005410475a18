//! Switching `app_kind` with an app of the other kind already in the org: the compare shows an
//! "App kind" row (so diff fails and deploy goes ahead), and the org's refusal of the taken
//! name is explained with the fix.

mod common;

use std::time::Duration;

use common::{CONFIG, TestOrg};

use insights_metadata::Generated;
use insights_metadata::config::AppKind;
use insights_org_client::diff::{APP_KIND, Comparison, DesiredState, compare};
use insights_org_client::provision::{
    DeployPlan, DeployReport, deploy_app, name_taken_by_other_kind, read_deployed_state,
};
use insights_org_client::{NoProgress, OrgClient};

fn generated(kind: AppKind) -> Generated {
    common::generate(&format!("app_kind = \"{}\"\n{CONFIG}", kind.config_value())).1
}

impl TestOrg {
    /// Deploys `generated`, telling the deploy whether the app exists as the CLI does.
    async fn deploy_generated(&self, client: &OrgClient, generated: &Generated) -> DeployReport {
        let deployed = self.compare(client, generated).await.1;
        let plan = DeployPlan {
            app_api_name: "Insights_API_Authorization".into(),
            permission_set: generated.permission_set_name().to_owned(),
            check_only: false,
            wait: Duration::from_secs(60),
            app_exists: Some(deployed == Some(generated.app_kind)),
            secret_store: self.store(),
        };
        let report = deploy_app(client, generated, &plan, &NoProgress).await.expect("deploy runs");
        assert!(report.creates_app, "an app of the other kind is not the one to update");
        report
    }

    async fn compare(&self, client: &OrgClient, generated: &Generated) -> (Comparison, Option<AppKind>) {
        let desired = DesiredState::from_generated(generated).expect("desired");
        let deployed = read_deployed_state(
            client,
            generated.app_kind,
            "Insights_API_Authorization",
            generated.permission_set_name(),
        )
        .await
        .expect("reads");
        (compare(&desired, &deployed), deployed.app_kind)
    }
}

fn assert_kind_row(comparison: &Comparison, desired: &str, deployed: &str) {
    assert!(!comparison.is_identical());
    let first = &comparison.rows[0];
    assert_eq!(first.setting, APP_KIND);
    assert!(!first.matches);
    assert_eq!((first.desired.as_str(), first.deployed.as_str()), (desired, deployed));
}

#[tokio::test]
async fn an_eca_config_on_an_org_with_the_connected_app_differs_and_the_taken_name_is_explained() {
    let org = TestOrg::start_with(CONFIG, true).await;
    let client = org.client().await;
    let connected_app = generated(AppKind::ConnectedApp);
    assert!(org.deploy_generated(&client, &connected_app).await.succeeded());
    assert!(org.compare(&client, &connected_app).await.0.is_identical());

    let eca = generated(AppKind::ExternalClientApp);
    let (comparison, found) = org.compare(&client, &eca).await;
    assert_eq!(found, Some(AppKind::ConnectedApp));
    assert_kind_row(&comparison, "External Client App", "Connected App");

    // The deploy goes ahead; the org refuses the name, and the report says why and what to do.
    let report = org.deploy_generated(&client, &eca).await;
    assert!(!report.succeeded());
    let expected = name_taken_by_other_kind("Insights_API_Authorization", AppKind::ExternalClientApp);
    assert_eq!(report.explanation.as_deref(), Some(expected.as_str()));
}

#[tokio::test]
async fn a_default_config_on_an_org_with_only_the_eca_differs() {
    let org = TestOrg::start_with(CONFIG, false).await;
    let client = org.client().await;
    let eca = generated(AppKind::ExternalClientApp);
    assert!(org.deploy_generated(&client, &eca).await.succeeded());
    assert!(org.compare(&client, &eca).await.0.is_identical());

    let (comparison, found) = org.compare(&client, &generated(AppKind::ConnectedApp)).await;
    assert_eq!(found, Some(AppKind::ExternalClientApp));
    assert_kind_row(&comparison, "Connected App", "External Client App");
}

#[test]
fn a_name_taken_by_the_other_kind_is_explained_with_the_fix() {
    let text = name_taken_by_other_kind("Insights_API_Authorization", AppKind::ExternalClientApp);
    assert!(text.contains("already has a Connected App named Insights_API_Authorization"), "{text}");
    assert!(
        text.contains("choose another app.api_name") && text.contains("remove the Connected App in Setup")
    );
    assert_eq!(text.matches(". ").count(), 0, "one sentence: {text}");
}
