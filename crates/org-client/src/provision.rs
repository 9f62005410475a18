//! Create versus update: deploy the generated package (validate, then quick-deploy), keep a
//! new app's consumer secret, and check afterwards that the app and its permission set link
//! are really in the org.

use std::path::PathBuf;
use std::time::Duration;

use secrecy::{ExposeSecret, SecretString};

use crate::OrgError;
use crate::client::OrgClient;
use crate::diff::DeployedState;
use crate::metadata_api::deploy::DeployResult;
use crate::metadata_api::poll::{DeployObserver, DeployOutcome};
use crate::metadata_api::read::{CONNECTED_APP, EXTERNAL_CLIENT_APPLICATION, PERMISSION_SET};
use crate::rest::{QueryResult, soql_quote};
use crate::secret_store::{SecretStore, generate_consumer_secret};
use crate::soap::requests::DeployOptions;
use insights_metadata::config::{AppKind, SWITCH_TO_ECA_LINE};

/// Builds the deploy zip; `Some(secret)` for the create deploy (adds `<consumerSecret>`).
pub trait DeployPackage {
    /// The zip bytes (package.xml at the root).
    fn zip_for_deploy(&self, consumer_secret: Option<&SecretString>) -> Result<Vec<u8>, String>;

    /// Which kind of app the package deploys.
    fn app_kind(&self) -> AppKind {
        AppKind::ConnectedApp
    }
}

impl DeployPackage for insights_metadata::Generated {
    fn zip_for_deploy(&self, consumer_secret: Option<&SecretString>) -> Result<Vec<u8>, String> {
        let secret = consumer_secret
            .map(|secret| insights_metadata::model::ConsumerSecret::new(secret.expose_secret()));
        Ok(self.deploy_zip(secret.as_ref()))
    }

    fn app_kind(&self) -> AppKind {
        self.app_kind
    }
}

/// What to deploy and how.
#[derive(Debug, Clone)]
pub struct DeployPlan {
    /// The ConnectedApp's full name.
    pub app_api_name: String,
    /// The PermissionSet's full name.
    pub permission_set: String,
    /// Validate only.
    pub check_only: bool,
    /// How long to wait for each deploy step.
    pub wait: Duration,
    /// Whether the app exists, when already known (saves a readMetadata call).
    pub app_exists: Option<bool>,
    /// Where a new app's consumer secret is kept.
    pub secret_store: SecretStore,
}

/// What a deploy did.
#[derive(Debug, Clone)]
pub struct DeployReport {
    /// How the (last) deploy ended.
    pub outcome: DeployOutcome,
    /// True when the app did not exist before (a create deploy).
    pub creates_app: bool,
    /// The validation's id when the default validate-then-quick-deploy flow ran.
    pub validation_id: Option<String>,
    /// True when the validation was quick-deployed (false: a full deploy followed it).
    pub quick_deployed: bool,
    /// Where the new app's consumer secret was stored.
    pub secret_stored_at: Option<PathBuf>,
    /// Problems found when reading the app back (empty: all good).
    pub verification_problems: Vec<String>,
    /// An explanation to show besides the org's failures, e.g. for orgs that refuse new apps.
    pub explanation: Option<String>,
}

impl DeployReport {
    /// The finished result, if the deploy finished.
    pub fn result(&self) -> Option<&DeployResult> {
        match &self.outcome {
            DeployOutcome::Finished(result) => Some(result),
            DeployOutcome::StillRunning { .. } => None,
        }
    }

    /// True when the deploy finished successfully and the read-back found no problem.
    pub fn succeeded(&self) -> bool {
        self.result().is_some_and(|result| result.success) && self.verification_problems.is_empty()
    }
}

/// Deploys the package: create (with a fresh consumer secret) or update (without), validating
/// first and quick-deploying the validation unless `check_only`.
pub async fn deploy_app(
    client: &OrgClient,
    package: &dyn DeployPackage,
    plan: &DeployPlan,
    observer: &dyn DeployObserver,
) -> Result<DeployReport, OrgError> {
    let app_exists = match plan.app_exists {
        Some(known) => known,
        None => client.read_app_of_kind(package.app_kind(), &plan.app_api_name).await?.is_some(),
    };
    let creates_app = !app_exists;
    let secret = creates_app.then(generate_consumer_secret);
    let zip = package.zip_for_deploy(secret.as_ref()).map_err(|reason| OrgError::UnexpectedResponse {
        operation: "building the deploy zip".into(),
        reason,
        body: String::new(),
    })?;
    let mut report = DeployReport {
        outcome: DeployOutcome::StillRunning { id: String::new(), last: None },
        creates_app,
        validation_id: None,
        quick_deployed: false,
        secret_stored_at: None,
        verification_problems: Vec::new(),
        explanation: None,
    };

    // Validate first: nothing is saved unless the whole package would deploy.
    let validate = DeployOptions { check_only: true, ..DeployOptions::default() };
    let validation_id = client.deploy(&zip, &validate).await?;
    observer.started(&validation_id, true);
    report.outcome = client.wait_for_deploy(&validation_id, plan.wait, observer).await?;
    report.validation_id = Some(validation_id.clone());
    if plan.check_only || !finished_ok(&report.outcome) {
        report.explanation = explain(client, &report.outcome, creates_app, package.app_kind(), plan).await?;
        return Ok(report);
    }

    // Keep the secret before the org can save the app, so it is never lost.
    if let Some(secret) = &secret {
        let org_id = client.org_id().await?;
        report.secret_stored_at = Some(plan.secret_store.save(&org_id, &plan.app_api_name, secret)?);
    }
    let deploy_id = match client.deploy_recent_validation(&validation_id).await {
        Ok(id) => {
            report.quick_deployed = true;
            id
        }
        Err(OrgError::SoapFault { fault_code, fault_string, .. }) => {
            tracing::warn!(%fault_code, %fault_string, "quick deploy refused; deploying in full");
            client.deploy(&zip, &DeployOptions::default()).await?
        }
        Err(error) => return Err(error),
    };
    observer.started(&deploy_id, false);
    report.outcome = client.wait_for_deploy(&deploy_id, plan.wait, observer).await?;
    report.explanation = explain(client, &report.outcome, creates_app, package.app_kind(), plan).await?;
    if finished_ok(&report.outcome) {
        report.verification_problems =
            verify_deployed(client, package.app_kind(), &plan.app_api_name, &plan.permission_set).await?;
    }
    Ok(report)
}

fn finished_ok(outcome: &DeployOutcome) -> bool {
    matches!(outcome, DeployOutcome::Finished(result) if result.success)
}

/// Explains a failed create deploy: the app's name is taken by an app of the other kind, or
/// the org refuses new Connected Apps.
async fn explain(
    client: &OrgClient,
    outcome: &DeployOutcome,
    creates_app: bool,
    kind: AppKind,
    plan: &DeployPlan,
) -> Result<Option<String>, OrgError> {
    if let Some(blocked) = explain_failure(outcome, creates_app, kind) {
        return Ok(Some(blocked));
    }
    let failed = matches!(outcome, DeployOutcome::Finished(result) if !result.success);
    if creates_app && failed && client.read_app_of_kind(other_kind(kind), &plan.app_api_name).await?.is_some()
    {
        return Ok(Some(name_taken_by_other_kind(&plan.app_api_name, kind)));
    }
    Ok(None)
}

/// The other kind of app.
pub fn other_kind(kind: AppKind) -> AppKind {
    match kind {
        AppKind::ConnectedApp => AppKind::ExternalClientApp,
        AppKind::ExternalClientApp => AppKind::ConnectedApp,
    }
}

/// The explanation for a new app whose API name an app of the other kind already has.
pub fn name_taken_by_other_kind(app_api_name: &str, wanted: AppKind) -> String {
    let other = other_kind(wanted).display_name();
    format!(
        "The org already has a {other} named {app_api_name}, so the {} cannot be created with that \
         name: choose another app.api_name in insights.toml, or remove the {other} in Setup, then \
         run the command again.",
        wanted.display_name()
    )
}

/// An org that refuses new Connected Apps gets an explanation besides its own message, with
/// the one config line that switches to an External Client App.
fn explain_failure(outcome: &DeployOutcome, creates_app: bool, kind: AppKind) -> Option<String> {
    let DeployOutcome::Finished(result) = outcome else { return None };
    if !creates_app || result.success || kind != AppKind::ConnectedApp {
        return None;
    }
    result
        .failures()
        .into_iter()
        .filter(|failure| failure.component_type == CONNECTED_APP || failure.component_type.is_empty())
        .filter_map(|failure| failure.problem)
        .find(|problem| refuses_new_connected_apps(problem))
        .map(|problem| new_connected_apps_blocked(&problem))
}

/// The explanation for an org that no longer allows new Connected Apps.
pub fn new_connected_apps_blocked(problem: &str) -> String {
    format!(
        "the org refused to create the Connected App: {problem}\n\
         This org no longer allows new Connected Apps (Salesforce stopped creating them from \
         Spring '26 unless Support turns it back on; existing ones keep working). Provision an \
         External Client App instead, with the same settings and checks: add this line to \
         insights.toml (top level, before [app]) and run the same command again:\n    \
         {SWITCH_TO_ECA_LINE}"
    )
}

fn refuses_new_connected_apps(problem: &str) -> bool {
    let lower = problem.to_lowercase();
    lower.contains("connected app")
        && ["creat", "no longer", "not allowed", "disabled", "external client app"]
            .iter()
            .any(|hint| lower.contains(hint))
}

/// Reads the app back and checks the pre-authorization: `isAdminApproved`, the
/// `permissionSetName` element, and the SetupEntityAccess row. Returns the problems found.
pub async fn verify_deployed(
    client: &OrgClient,
    kind: AppKind,
    app_api_name: &str,
    permission_set: &str,
) -> Result<Vec<String>, OrgError> {
    let state = read_deployed_state(client, kind, app_api_name, permission_set).await?;
    let mut problems = Vec::new();
    let (Some(app), Some(found)) = (&state.connected_app, state.app_kind) else {
        problems.push(format!("the org reports success but has no app {app_api_name}"));
        return Ok(problems);
    };
    if found != kind {
        problems.push(format!(
            "the org reports success but has no {} {app_api_name} (only a {})",
            kind.display_name(),
            found.display_name()
        ));
        return Ok(problems);
    }
    if app.path("oauthConfig/isAdminApproved").map(|e| e.text.trim()) != Some("true") {
        problems.push("the org dropped isAdminApproved: users are not pre-authorized".into());
    }
    let listed = app.children_named("permissionSetName").any(|name| name.text.trim() == permission_set);
    if !listed {
        problems.push(format!(
            "the org dropped the pre-authorization: {permission_set} is not in permissionSetName"
        ));
    }
    let linked = state.linked_permission_sets.unwrap_or_default();
    if listed && !linked.iter().any(|name| name == permission_set) {
        problems.push(format!(
            "the org dropped the pre-authorization: no SetupEntityAccess links {permission_set} to \
             {app_api_name}; add the app under the permission set's Assigned Connected Apps"
        ));
    }
    Ok(problems)
}

#[derive(Debug, serde::Deserialize)]
#[serde(rename_all = "PascalCase")]
struct SetupEntityAccessRow {
    parent: Option<ParentRow>,
}

#[derive(Debug, serde::Deserialize)]
#[serde(rename_all = "PascalCase")]
struct ParentRow {
    name: String,
}

/// Reads what the org has: the app (a ConnectedApp, or an External Client App's
/// ConnectedApp-shaped view; the `kind` the configuration asks for is read first, the other
/// kind only when that one is absent), the permission set and the permission set links of the app.
pub async fn read_deployed_state(
    client: &OrgClient,
    kind: AppKind,
    app_api_name: &str,
    permission_set: &str,
) -> Result<DeployedState, OrgError> {
    let connected_app = client.read_app_preferring(kind, app_api_name).await?;
    let permission_set_record = client.read_one(PERMISSION_SET, permission_set).await?;
    let linked_permission_sets = match &connected_app {
        Some((kind, _)) => Some(linked_permission_sets_of(client, *kind, app_api_name).await?),
        None => None,
    };
    Ok(DeployedState {
        app_kind: connected_app.as_ref().map(|(found, _)| *found),
        connected_app: connected_app.map(|(_, element)| element),
        permission_set: permission_set_record.map(|record| record.element),
        linked_permission_sets,
    })
}

/// The permission sets SetupEntityAccess links to the app (facts §1.8).
pub async fn linked_permission_sets(client: &OrgClient, app_api_name: &str) -> Result<Vec<String>, OrgError> {
    linked_permission_sets_of(client, AppKind::ConnectedApp, app_api_name).await
}

/// As [`linked_permission_sets`] for either kind (an ECA's id comes from listing
/// ExternalClientApplication; the SetupEntityAccess query is the same).
pub async fn linked_permission_sets_of(
    client: &OrgClient,
    kind: AppKind,
    app_api_name: &str,
) -> Result<Vec<String>, OrgError> {
    let type_name = match kind {
        AppKind::ConnectedApp => CONNECTED_APP,
        AppKind::ExternalClientApp => EXTERNAL_CLIENT_APPLICATION,
    };
    let files = client.list_metadata(&[type_name]).await?;
    let Some(app_id) = files
        .into_iter()
        .find(|file| file.full_name == app_api_name)
        .map(|file| file.id)
        .filter(|id| !id.is_empty())
    else {
        return Ok(Vec::new());
    };
    let soql = format!(
        "SELECT Id, ParentId, Parent.Name FROM SetupEntityAccess \
         WHERE SetupEntityType = 'ConnectedApplication' AND SetupEntityId = {}",
        soql_quote(&app_id)
    );
    let rows: QueryResult<SetupEntityAccessRow> = client.query(&soql).await?;
    Ok(rows.records.into_iter().filter_map(|row| row.parent.map(|parent| parent.name)).collect())
}
