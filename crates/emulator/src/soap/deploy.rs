//! `deploy`, `checkDeployStatus`, `cancelDeploy` and `deployRecentValidation`.
//!
//! Progress model: `deploy` stores the zip and answers `Queued`; the first
//! `checkDeployStatus` moves it to `InProgress`; the second validates the whole zip and, when
//! it is clean and not `checkOnly`, applies it, all in one transaction, then answers
//! `Succeeded` or `Failed`. Later polls repeat the stored result. A cancel before completion
//! leaves the org untouched.

use chrono::Duration;
use rusqlite::Transaction;
use serde::{Deserialize, Serialize};

use super::Call;
use super::deploy_apply::complete_deploy;
use super::deploy_result::{DeployOutcome, DeployResultView, status};
use super::fault::SoapFault;
use super::xml_out::XmlOut;
use super::xml_tree::Element;
use super::zip_package::{decode_base64, read_zip};
use crate::clock::parse_iso;
use crate::ids::{self, prefix};
use crate::state::InjectedDeployFailure;
use crate::store::StoreError;
use crate::store::metadata::{self as store, DeployRow};

/// How long a successful validation can be quick-deployed.
const VALIDATION_DAYS: i64 = 10;

const TEST_LEVELS: [&str; 5] =
    ["NoTestRun", "RunSpecifiedTests", "RunLocalTests", "RunAllTestsInOrg", "RunRelevantTests"];

/// A deploy's options and bookkeeping, stored as JSON beside the zip.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct DeployRequest {
    pub check_only: bool,
    pub rollback_on_error: bool,
    pub single_package: bool,
    pub ignore_warnings: bool,
    pub test_level: Option<String>,
    pub run_tests: Vec<String>,
    pub created_by: String,
    pub created_by_name: String,
    /// Failures queued through `/__emulator/deploy-failures` when this deploy arrived.
    pub injected: Vec<InjectedDeployFailure>,
    pub canceled_by: Option<(String, String)>,
    /// Set on a successful validation once it has been quick-deployed.
    pub quick_deployed: bool,
    /// Bytes of the zip (kept after the zip itself is dropped).
    pub zip_size: i64,
}

impl DeployRequest {
    fn from_options(options: Option<&Element>) -> Result<Self, SoapFault> {
        let flag = |name: &str, default: bool| options.and_then(|o| o.child_bool(name)).unwrap_or(default);
        let test_level = options.and_then(|o| o.child_text("testLevel")).filter(|t| !t.is_empty());
        if let Some(level) = test_level
            && !TEST_LEVELS.contains(&level)
        {
            return Err(SoapFault::client(format!(
                "'{level}' is not a valid value for the enum 'TestLevel'"
            )));
        }
        Ok(Self {
            check_only: flag("checkOnly", false),
            rollback_on_error: flag("rollbackOnError", true),
            single_package: flag("singlePackage", false),
            ignore_warnings: flag("ignoreWarnings", false),
            test_level: test_level.map(String::from),
            run_tests: options
                .map(|o| o.children_named("runTests").map(|t| t.text.trim().to_string()).collect())
                .unwrap_or_default(),
            ..Self::default()
        })
    }

    fn to_json(&self) -> Result<String, SoapFault> {
        serde_json::to_string(self).map_err(|error| SoapFault::unknown_exception(error.to_string()))
    }

    fn from_json(text: &str) -> Result<Self, SoapFault> {
        serde_json::from_str(text)
            .map_err(|error| SoapFault::unknown_exception(format!("stored deploy unreadable: {error}")))
    }
}

/// `deploy`: reads the zip (faults when it is not one), stores the request, answers Queued.
pub fn deploy(call: &Call<'_>, operation: &Element) -> Result<String, SoapFault> {
    let zip_text = operation.child("ZipFile").map(|z| z.text.as_str()).unwrap_or_default();
    let zip = decode_base64(zip_text).map_err(|e| SoapFault::invalid_operation(e.to_string()))?;
    read_zip(&zip).map_err(|e| SoapFault::invalid_operation(e.to_string()))?;
    let mut request = DeployRequest::from_options(operation.child("DeployOptions"))?;
    request.created_by = call.user_id.clone();
    request.created_by_name = call.user_name.clone();
    request.injected = call.state.deploy_failures.take_all();
    request.zip_size = i64::try_from(zip.len()).unwrap_or(i64::MAX);
    let id = insert(call, request, zip)?;
    tracing::info!(deploy_id = %id, "deploy queued");
    Ok(async_result("deployResponse", &id))
}

fn insert(call: &Call<'_>, request: DeployRequest, zip: Vec<u8>) -> Result<String, SoapFault> {
    let row = DeployRow {
        id: ids::new_id(prefix::DEPLOY),
        status: status::PENDING.into(),
        check_only: request.check_only,
        created_date: call.state.clock.now_iso(),
        polls: 0,
        result_json: None,
        zip,
        options_json: request.to_json()?,
    };
    call.state.store.with_tx(|tx| store::insert_deploy(tx, &row)).map_err(store_fault)?;
    Ok(row.id)
}

/// An `AsyncResult` response: not done, Queued.
pub fn async_result(response: &str, id: &str) -> String {
    let mut out = XmlOut::default();
    out.open(response)
        .open("result")
        .bool("done", false)
        .leaf("id", id)
        .leaf("state", "Queued")
        .close("result")
        .close(response);
    out.into_string()
}

/// `checkDeployStatus`: advances the deploy one step and answers its `DeployResult`.
pub fn check_deploy_status(call: &Call<'_>, operation: &Element) -> Result<String, SoapFault> {
    let id = operation.child_text("asyncProcessId").unwrap_or_default().to_string();
    let include_details = operation.child_bool("includeDetails").unwrap_or(false);
    let settings = call.state.settings.get();
    let now = call.state.clock.now_iso();
    let step = call
        .state
        .store
        .with_tx(|tx| {
            let Some(mut row) = store::deploy(tx, &id)? else {
                return Ok(None);
            };
            let request = DeployRequest::from_json(&row.options_json).map_err(corrupt)?;
            row.polls += 1;
            if row.status == status::PENDING {
                row.status = status::IN_PROGRESS.into();
            } else if row.status == status::IN_PROGRESS {
                let outcome = complete_deploy(tx, &row, &request, settings.allow_new_connected_apps, &now)?;
                row.status = if outcome.succeeded() { status::SUCCEEDED } else { status::FAILED }.into();
                // Only a successful validation is needed again (deployRecentValidation).
                if !(row.check_only && outcome.succeeded()) {
                    store::clear_deploy_zip(tx, &row.id)?;
                }
                row.result_json =
                    Some(serde_json::to_string(&outcome).map_err(|e| StoreError::Corrupt(e.to_string()))?);
            }
            store::update_deploy(
                tx,
                &row.id,
                &row.status,
                row.polls,
                row.result_json.as_deref(),
                &row.options_json,
            )?;
            Ok(Some((row, request)))
        })
        .map_err(store_fault)?;
    let (row, request) = step.ok_or_else(SoapFault::invalid_cross_reference_key)?;
    let outcome: Option<DeployOutcome> = match &row.result_json {
        Some(json) => {
            Some(serde_json::from_str(json).map_err(|e| SoapFault::unknown_exception(e.to_string()))?)
        }
        None => None,
    };
    if status::is_done(&row.status) {
        tracing::info!(deploy_id = %row.id, status = %row.status, "deploy finished");
    }
    let view = DeployResultView {
        id: &row.id,
        status: &row.status,
        check_only: row.check_only,
        ignore_warnings: request.ignore_warnings,
        rollback_on_error: request.rollback_on_error,
        run_tests_enabled: false,
        created_by: &request.created_by,
        created_by_name: &request.created_by_name,
        created_date: &row.created_date,
        canceled_by: request.canceled_by.as_ref().map(|(id, name)| (id.as_str(), name.as_str())),
        outcome: outcome.as_ref(),
        include_details,
        zip_size: request.zip_size,
    };
    let mut out = XmlOut::default();
    out.open("checkDeployStatusResponse");
    view.write(&mut out);
    out.close("checkDeployStatusResponse");
    Ok(out.into_string())
}

/// `cancelDeploy`: a deploy not yet finished becomes Canceled and changes nothing.
pub fn cancel_deploy(call: &Call<'_>, operation: &Element) -> Result<String, SoapFault> {
    let id = operation.child_text("String").unwrap_or_default().to_string();
    let canceled_by = (call.user_id.clone(), call.user_name.clone());
    let now = call.state.clock.now_iso();
    let answer = call
        .state
        .store
        .with_tx(|tx| {
            let Some(row) = store::deploy(tx, &id)? else {
                return Ok(Err(SoapFault::invalid_cross_reference_key()));
            };
            if status::is_done(&row.status) {
                return Ok(Err(SoapFault::sf("INVALID_ID_FIELD", "Deployment already completed")));
            }
            let mut request = DeployRequest::from_json(&row.options_json).map_err(corrupt)?;
            request.canceled_by = Some(canceled_by);
            let outcome = DeployOutcome { completed_date: now.clone(), ..DeployOutcome::default() };
            let result_json =
                serde_json::to_string(&outcome).map_err(|e| StoreError::Corrupt(e.to_string()))?;
            let options_json =
                serde_json::to_string(&request).map_err(|e| StoreError::Corrupt(e.to_string()))?;
            store::update_deploy(
                tx,
                &row.id,
                status::CANCELED,
                row.polls,
                Some(&result_json),
                &options_json,
            )?;
            store::clear_deploy_zip(tx, &row.id)?;
            Ok(Ok(row.id))
        })
        .map_err(store_fault)??;
    let mut out = XmlOut::default();
    out.open("cancelDeployResponse")
        .open("result")
        .bool("done", true)
        .leaf("id", &answer)
        .close("result")
        .close("cancelDeployResponse");
    Ok(out.into_string())
}

/// `deployRecentValidation`: quick-deploys the zip of a checkOnly deploy that succeeded in the
/// last 10 days (once).
pub fn deploy_recent_validation(call: &Call<'_>, operation: &Element) -> Result<String, SoapFault> {
    let validation_id = operation.child_text("validationId").unwrap_or_default().to_string();
    let now = call.state.clock.now();
    let refused = || {
        SoapFault::sf(
            "INVALID_ID_FIELD",
            format!(
                "{validation_id} is not a successful validation (checkOnly deploy) from the last \
                 {VALIDATION_DAYS} days that has not been deployed yet; validate again"
            ),
        )
    };
    let zip_and_request =
        call.state.store.with_tx(|tx| take_validation(tx, &validation_id, now)).map_err(store_fault)?;
    let (zip, validation) = zip_and_request.ok_or_else(refused)?;
    let request = DeployRequest {
        check_only: false,
        created_by: call.user_id.clone(),
        created_by_name: call.user_name.clone(),
        injected: call.state.deploy_failures.take_all(),
        canceled_by: None,
        quick_deployed: false,
        ..validation
    };
    let id = insert(call, request, zip)?;
    let mut out = XmlOut::default();
    out.open("deployRecentValidationResponse").leaf("result", &id).close("deployRecentValidationResponse");
    Ok(out.into_string())
}

fn take_validation(
    tx: &Transaction,
    validation_id: &str,
    now: chrono::DateTime<chrono::Utc>,
) -> Result<Option<(Vec<u8>, DeployRequest)>, StoreError> {
    let Some(row) = store::deploy(tx, validation_id)? else {
        return Ok(None);
    };
    let Ok(mut request) = DeployRequest::from_json(&row.options_json) else {
        return Ok(None);
    };
    let recent =
        parse_iso(&row.created_date).is_some_and(|created| now - created <= Duration::days(VALIDATION_DAYS));
    if !row.check_only || row.status != status::SUCCEEDED || !recent || request.quick_deployed {
        return Ok(None);
    }
    request.quick_deployed = true;
    let options_json = serde_json::to_string(&request).map_err(|e| StoreError::Corrupt(e.to_string()))?;
    store::update_deploy(tx, &row.id, &row.status, row.polls, row.result_json.as_deref(), &options_json)?;
    store::clear_deploy_zip(tx, &row.id)?;
    Ok(Some((row.zip, request)))
}

fn corrupt(fault: SoapFault) -> StoreError {
    StoreError::Corrupt(fault.message)
}

/// A database failure as the fault a real org answers for an internal error.
pub fn store_fault(error: StoreError) -> SoapFault {
    tracing::error!(%error, "metadata API store failure");
    SoapFault::unknown_exception("An unexpected error occurred in the org database")
}
