//! `deploy`, `checkDeployStatus`, `cancelDeploy` and `deployRecentValidation`, and what they
//! answer (`DeployResult`, `DeployMessage`).

use base64::Engine as _;

use crate::OrgError;
use crate::client::{OrgClient, Resend};
use crate::soap::requests::{self, DeployOptions};
use crate::soap::{flag, number, text};
use crate::xml_tree::Element;

/// `DeployStatus`.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub enum DeployStatus {
    /// Queued, not started.
    Pending,
    /// Running.
    InProgress,
    /// Finishing.
    Finalizing,
    /// Finishing failed.
    FinalizingFailed,
    /// Done, everything saved (or validated).
    Succeeded,
    /// Done with some failures (only without rollbackOnError).
    SucceededPartial,
    /// Done, nothing saved.
    Failed,
    /// Being canceled.
    Canceling,
    /// Canceled.
    Canceled,
    /// A value this client does not know.
    Other(String),
}

impl DeployStatus {
    fn parse(text: &str) -> Self {
        match text {
            "Pending" => Self::Pending,
            "InProgress" => Self::InProgress,
            "Finalizing" => Self::Finalizing,
            "FinalizingFailed" => Self::FinalizingFailed,
            "Succeeded" => Self::Succeeded,
            "SucceededPartial" => Self::SucceededPartial,
            "Failed" => Self::Failed,
            "Canceling" => Self::Canceling,
            "Canceled" => Self::Canceled,
            other => Self::Other(other.to_owned()),
        }
    }
}

impl std::fmt::Display for DeployStatus {
    fn fmt(&self, formatter: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::Other(text) => formatter.write_str(text),
            known => write!(formatter, "{known:?}"),
        }
    }
}

/// One `DeployMessage` (a component success or failure).
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct DeployMessage {
    /// e.g. `ConnectedApp`; empty for package.xml.
    pub component_type: String,
    /// The component's full name.
    pub full_name: String,
    /// The file in the zip, e.g. `connectedApps/X.connectedApp`.
    pub file_name: String,
    /// Line of the problem, when the org gives one.
    pub line_number: Option<u32>,
    /// Column of the problem, when the org gives one.
    pub column_number: Option<u32>,
    /// The problem text (failures).
    pub problem: Option<String>,
    /// `Error`, `Warning` or `Info`.
    pub problem_type: Option<String>,
    /// Created by this deploy.
    pub created: bool,
    /// Changed by this deploy.
    pub changed: bool,
    /// Succeeded.
    pub success: bool,
}

impl DeployMessage {
    fn parse(element: &Element) -> Self {
        let optional_number = |name| text(element, name).and_then(|value| value.parse().ok());
        Self {
            component_type: text(element, "componentType").unwrap_or_default(),
            full_name: text(element, "fullName").unwrap_or_default(),
            file_name: text(element, "fileName").unwrap_or_default(),
            line_number: optional_number("lineNumber"),
            column_number: optional_number("columnNumber"),
            problem: text(element, "problem"),
            problem_type: text(element, "problemType"),
            created: flag(element, "created"),
            changed: flag(element, "changed"),
            success: flag(element, "success"),
        }
    }
}

/// `DeployResult`, as much as this tool reads.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct DeployResult {
    /// The async process id (`0Af…`).
    pub id: String,
    /// Finished (successfully or not).
    pub done: bool,
    /// Where it stands.
    pub status: DeployStatus,
    /// Whether it succeeded.
    pub success: bool,
    /// Validation only.
    pub check_only: bool,
    /// Components handled so far.
    pub number_components_deployed: u32,
    /// Components in the package.
    pub number_components_total: u32,
    /// Components that failed.
    pub number_component_errors: u32,
    /// e.g. `Processing Type: ConnectedApp`.
    pub state_detail: Option<String>,
    /// Whole-request failure code (no component details).
    pub error_status_code: Option<String>,
    /// Whole-request failure message.
    pub error_message: Option<String>,
    /// `details/componentFailures`.
    pub component_failures: Vec<DeployMessage>,
    /// `details/componentSuccesses` (package.xml left out).
    pub component_successes: Vec<DeployMessage>,
}

impl DeployResult {
    /// Reads a `<result>` of `checkDeployStatusResponse`.
    pub(crate) fn parse(result: &Element) -> Self {
        let details = result.child("details");
        let messages = |name: &str| -> Vec<DeployMessage> {
            details
                .map(|details| details.children_named(name).map(DeployMessage::parse).collect())
                .unwrap_or_default()
        };
        let successes = messages("componentSuccesses")
            .into_iter()
            .filter(|message| message.full_name != "package.xml")
            .collect();
        Self {
            id: text(result, "id").unwrap_or_default(),
            done: flag(result, "done"),
            status: DeployStatus::parse(result.child_text("status").unwrap_or_default()),
            success: flag(result, "success"),
            check_only: flag(result, "checkOnly"),
            number_components_deployed: number(result, "numberComponentsDeployed"),
            number_components_total: number(result, "numberComponentsTotal"),
            number_component_errors: number(result, "numberComponentErrors"),
            state_detail: text(result, "stateDetail"),
            error_status_code: text(result, "errorStatusCode"),
            error_message: text(result, "errorMessage"),
            component_failures: messages("componentFailures"),
            component_successes: successes,
        }
    }

    /// The failures to show: component failures, or one row made of errorStatusCode and
    /// errorMessage when the org gave no component details.
    pub fn failures(&self) -> Vec<DeployMessage> {
        if !self.component_failures.is_empty() {
            return self.component_failures.clone();
        }
        if self.success && self.status == DeployStatus::Succeeded {
            return Vec::new();
        }
        let code = self.error_status_code.clone().unwrap_or_else(|| "UNKNOWN".into());
        let message = self
            .error_message
            .clone()
            .unwrap_or_else(|| format!("the deploy ended with status {}", self.status));
        vec![DeployMessage {
            component_type: String::new(),
            full_name: "(whole deploy)".into(),
            file_name: String::new(),
            line_number: None,
            column_number: None,
            problem: Some(format!("{code}: {message}")),
            problem_type: Some("Error".into()),
            created: false,
            changed: false,
            success: false,
        }]
    }
}

/// `AsyncResult` of `deploy` / `retrieve`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct AsyncResult {
    pub id: String,
    pub done: bool,
    pub state: String,
}

impl AsyncResult {
    pub(crate) fn parse(operation: &str, response: &Element) -> Result<Self, OrgError> {
        let result = response.child("result").ok_or_else(|| missing(operation, "result"))?;
        let id = text(result, "id").ok_or_else(|| missing(operation, "result/id"))?;
        Ok(Self { id, done: flag(result, "done"), state: text(result, "state").unwrap_or_default() })
    }
}

pub(crate) fn missing(operation: &str, what: &str) -> OrgError {
    OrgError::UnexpectedResponse {
        operation: operation.to_owned(),
        reason: format!("<{what}> is missing"),
        body: String::new(),
    }
}

impl OrgClient {
    /// Starts a deploy of a zip; returns the async process id. Never resent after the
    /// request may have reached the org.
    pub async fn deploy(&self, zip: &[u8], options: &DeployOptions) -> Result<String, OrgError> {
        let zip_base64 = base64::engine::general_purpose::STANDARD.encode(zip);
        let body = requests::deploy(&zip_base64, options);
        let response = self.soap_call("deploy", &body, Resend::OnlyIfNotSent).await?;
        let started = AsyncResult::parse("deploy", &response)?;
        tracing::info!(id = %started.id, state = %started.state, check_only = options.check_only, "deploy started");
        Ok(started.id)
    }

    /// One `checkDeployStatus` call.
    pub async fn check_deploy_status(
        &self,
        id: &str,
        include_details: bool,
    ) -> Result<DeployResult, OrgError> {
        let body = requests::check_deploy_status(id, include_details);
        let response = self.soap_call("checkDeployStatus", &body, Resend::Safe).await?;
        let result = response.child("result").ok_or_else(|| missing("checkDeployStatus", "result"))?;
        Ok(DeployResult::parse(result))
    }

    /// Asks the org to cancel a deploy; returns whether the cancel is already done.
    pub async fn cancel_deploy(&self, id: &str) -> Result<bool, OrgError> {
        let body = requests::cancel_deploy(id);
        let response = self.soap_call("cancelDeploy", &body, Resend::Safe).await?;
        let result = response.child("result").ok_or_else(|| missing("cancelDeploy", "result"))?;
        Ok(flag(result, "done"))
    }

    /// Quick-deploys a successful validation; returns the new deploy id.
    pub async fn deploy_recent_validation(&self, validation_id: &str) -> Result<String, OrgError> {
        let body = requests::deploy_recent_validation(validation_id);
        let response = self.soap_call("deployRecentValidation", &body, Resend::OnlyIfNotSent).await?;
        text(&response, "result").ok_or_else(|| missing("deployRecentValidation", "result"))
    }
}
