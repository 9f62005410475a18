//! The outcome of a deploy and its `DeployResult` XML, in the WSDL's element order.

use serde::{Deserialize, Serialize};

use super::xml_out::XmlOut;

/// One `componentSuccesses` / `componentFailures` entry (`DeployMessage`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
pub struct DeployMessage {
    pub changed: bool,
    pub column_number: Option<i64>,
    /// Always written: the Salesforce CLI throws on a message without it
    /// (`""` only for package.xml, as Salesforce does).
    pub component_type: String,
    pub created: bool,
    pub created_date: String,
    pub deleted: bool,
    /// The path inside the zip, as the client sent it.
    pub file_name: String,
    pub full_name: String,
    pub id: Option<String>,
    pub line_number: Option<i64>,
    pub problem: Option<String>,
    pub problem_type: Option<String>,
    pub success: bool,
}

impl DeployMessage {
    pub fn failure(
        component_type: &str,
        full_name: &str,
        file_name: &str,
        problem: impl Into<String>,
        created_date: &str,
    ) -> Self {
        Self {
            component_type: component_type.to_string(),
            created_date: created_date.to_string(),
            file_name: file_name.to_string(),
            full_name: full_name.to_string(),
            problem: Some(problem.into()),
            problem_type: Some("Error".into()),
            ..Self::default()
        }
    }

    pub fn at_line(mut self, line: Option<i64>) -> Self {
        self.line_number = line;
        self
    }

    fn write(&self, out: &mut XmlOut, element: &str) {
        out.open(element).bool("changed", self.changed);
        if let Some(column) = self.column_number {
            out.int("columnNumber", column);
        }
        out.leaf("componentType", &self.component_type)
            .bool("created", self.created)
            .leaf("createdDate", &self.created_date)
            .bool("deleted", self.deleted)
            .leaf("fileName", &self.file_name)
            .leaf("fullName", &self.full_name)
            .leaf_opt("id", self.id.as_deref());
        if let Some(line) = self.line_number {
            out.int("lineNumber", line);
        }
        out.leaf_opt("problem", self.problem.as_deref())
            .leaf_opt("problemType", self.problem_type.as_deref())
            .bool("success", self.success)
            .close(element);
    }
}

/// What validating (and maybe applying) a deploy produced; stored as JSON with the deploy.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
pub struct DeployOutcome {
    pub failures: Vec<DeployMessage>,
    pub successes: Vec<DeployMessage>,
    pub number_components_total: i64,
    pub number_components_deployed: i64,
    pub number_component_errors: i64,
    /// A whole-request failure (no component details), e.g. `UNKNOWN_EXCEPTION`.
    pub error_status_code: Option<String>,
    pub error_message: Option<String>,
    pub completed_date: String,
}

impl DeployOutcome {
    pub fn succeeded(&self) -> bool {
        self.failures.is_empty() && self.error_status_code.is_none()
    }
}

/// The status values of `DeployStatus` this emulator uses.
pub mod status {
    pub const PENDING: &str = "Pending";
    pub const IN_PROGRESS: &str = "InProgress";
    pub const SUCCEEDED: &str = "Succeeded";
    pub const FAILED: &str = "Failed";
    pub const CANCELED: &str = "Canceled";

    /// Whether a deploy in this status is finished.
    pub fn is_done(status: &str) -> bool {
        matches!(status, SUCCEEDED | FAILED | CANCELED)
    }
}

/// Everything a `DeployResult` element shows.
#[derive(Debug, Clone)]
pub struct DeployResultView<'a> {
    pub id: &'a str,
    pub status: &'a str,
    pub check_only: bool,
    pub ignore_warnings: bool,
    pub rollback_on_error: bool,
    pub run_tests_enabled: bool,
    pub created_by: &'a str,
    pub created_by_name: &'a str,
    pub created_date: &'a str,
    pub canceled_by: Option<(&'a str, &'a str)>,
    pub outcome: Option<&'a DeployOutcome>,
    pub include_details: bool,
    pub zip_size: i64,
}

impl DeployResultView<'_> {
    /// Writes `<result>` (a `DeployResult`) in WSDL order.
    pub fn write(&self, out: &mut XmlOut) {
        let done = status::is_done(self.status);
        let success = self.status == status::SUCCEEDED;
        let outcome = self.outcome;
        out.open("result");
        if let Some((user_id, user_name)) = self.canceled_by {
            out.leaf("canceledBy", user_id).leaf("canceledByName", user_name);
        }
        out.bool("checkOnly", self.check_only);
        if done {
            let completed = outcome.map_or(self.created_date, |o| o.completed_date.as_str());
            out.leaf("completedDate", completed);
        }
        out.leaf("createdBy", self.created_by)
            .leaf("createdByName", self.created_by_name)
            .leaf("createdDate", self.created_date);
        out.open("details");
        if self.include_details {
            if let Some(outcome) = outcome {
                for failure in &outcome.failures {
                    failure.write(out, "componentFailures");
                }
                for success in &outcome.successes {
                    success.write(out, "componentSuccesses");
                }
            }
            write_empty_run_test_result(out);
        }
        out.close("details");
        out.bool("done", done);
        if let Some(outcome) = outcome {
            out.leaf_opt("errorMessage", outcome.error_message.as_deref())
                .leaf_opt("errorStatusCode", outcome.error_status_code.as_deref());
        }
        out.leaf("id", self.id)
            .bool("ignoreWarnings", self.ignore_warnings)
            .leaf("lastModifiedDate", outcome.map_or(self.created_date, |o| o.completed_date.as_str()))
            .int("numberComponentErrors", outcome.map_or(0, |o| o.number_component_errors))
            .int("numberComponentsDeployed", outcome.map_or(0, |o| o.number_components_deployed))
            .int("numberComponentsTotal", outcome.map_or(0, |o| o.number_components_total))
            .int("numberTestErrors", 0)
            .int("numberTestsCompleted", 0)
            .int("numberTestsTotal", 0)
            .bool("rollbackOnError", self.rollback_on_error)
            .bool("runTestsEnabled", self.run_tests_enabled)
            .leaf("startDate", self.created_date);
        if self.status == status::IN_PROGRESS {
            out.leaf("stateDetail", "Processing Type: ConnectedApp");
        }
        out.leaf("status", self.status)
            .bool("success", success)
            .int("zipSize", self.zip_size)
            .close("result");
    }
}

fn write_empty_run_test_result(out: &mut XmlOut) {
    out.open("runTestResult")
        .int("numFailures", 0)
        .int("numTestsRun", 0)
        .leaf("totalTime", "0.0")
        .close("runTestResult");
}
