//! The Metadata SOAP API (`POST /services/Soap/m/{version}[/{orgId}]`), wire-compatible with
//! the Metadata API WSDL: deploy and its status calls, retrieve, readMetadata, listMetadata and
//! describeMetadata. Requests are read leniently by local name and dispatched on the first
//! element of the Body; answers and faults are shaped as Salesforce shapes them.

mod body;
pub mod deploy;
mod deploy_apply;
pub mod deploy_package;
pub mod deploy_result;
pub mod deploy_rules;
pub mod envelope;
pub mod fault;
mod org_components;
mod read_list;
mod retrieve;
pub mod xml_out;
pub mod xml_tree;
pub mod zip_package;

use axum::Router;
use axum::body::Body;
use axum::extract::{Path, State};
use axum::http::header;
use axum::response::{IntoResponse, Response};
use axum::routing::post;

use self::fault::SoapFault;
use self::xml_tree::Element;
use crate::state::AppState;

/// Routes of the Metadata SOAP API.
pub fn router() -> Router<AppState> {
    Router::new()
        .route("/services/Soap/m/{version}", post(handle))
        .route("/services/Soap/m/{version}/{org_id}", post(handle_with_org))
}

/// The caller of one SOAP call: the shared state and the session's user.
pub struct Call<'a> {
    pub state: &'a AppState,
    pub user_id: String,
    pub user_name: String,
    /// The API version from the URL, e.g. `66.0`.
    pub api_version: String,
}

async fn handle_with_org(
    State(state): State<AppState>,
    Path((version, _org_id)): Path<(String, String)>,
    body: Body,
) -> Response {
    respond(state, version, body).await
}

async fn handle(State(state): State<AppState>, Path(version): Path<String>, body: Body) -> Response {
    respond(state, version, body).await
}

async fn respond(state: AppState, version: String, body: Body) -> Response {
    let bytes = match body::read_limited(body).await {
        Ok(bytes) => bytes,
        Err(fault) => return fault.into_response(),
    };
    // Parsing, validation and SQLite work are blocking; keep them off the async workers.
    let answer = tokio::task::spawn_blocking(move || serve(&state, &version, &bytes)).await;
    match answer {
        Ok(Ok(xml)) => {
            ([(header::CONTENT_TYPE, "text/xml; charset=utf-8")], xml_out::envelope(&xml)).into_response()
        }
        Ok(Err(fault)) => fault.into_response(),
        Err(error) => {
            tracing::error!(%error, "SOAP call panicked");
            SoapFault::unknown_exception("An unexpected error occurred").into_response()
        }
    }
}

fn serve(state: &AppState, version: &str, bytes: &[u8]) -> Result<String, SoapFault> {
    if !is_api_version(version) {
        return Err(SoapFault::sf(
            "UNSUPPORTED_API_VERSION",
            format!("Invalid Api version specified on URL: {version}"),
        ));
    }
    let request = envelope::parse_request(bytes)?;
    let call = authorize(state, request.session_id.as_deref(), version)?;
    tracing::debug!(operation = %request.operation.name, "metadata API call");
    dispatch(&call, &request.operation)
}

fn dispatch(call: &Call<'_>, operation: &Element) -> Result<String, SoapFault> {
    match operation.name.as_str() {
        "deploy" => deploy::deploy(call, operation),
        "checkDeployStatus" => deploy::check_deploy_status(call, operation),
        "cancelDeploy" => deploy::cancel_deploy(call, operation),
        "deployRecentValidation" => deploy::deploy_recent_validation(call, operation),
        "retrieve" => retrieve::retrieve(call, operation),
        "checkRetrieveStatus" => retrieve::check_retrieve_status(call, operation),
        "readMetadata" => read_list::read_metadata(call, operation),
        "listMetadata" => read_list::list_metadata(call, operation),
        "describeMetadata" => read_list::describe_metadata(call),
        other => Err(SoapFault::client(format!(
            "No operation available for request {{{}}}{other}",
            xml_out::METADATA_NS
        ))),
    }
}

/// Checks the session header: a valid session with API access and metadata rights.
fn authorize<'a>(
    state: &'a AppState,
    session_id: Option<&str>,
    version: &str,
) -> Result<Call<'a>, SoapFault> {
    let session_id = session_id.ok_or_else(SoapFault::invalid_session)?;
    let session =
        state.session(session_id).map_err(deploy::store_fault)?.ok_or_else(SoapFault::invalid_session)?;
    if !session.has_api_scope() {
        return Err(SoapFault::sf("INVALID_SESSION_ID", "This session is not valid for use with the API"));
    }
    if !session.modify_all_data {
        return Err(SoapFault::sf(
            "INSUFFICIENT_ACCESS",
            "use of the Metadata API requires a user with the ModifyAllData or ModifyMetadata permissions",
        ));
    }
    let user_name = state
        .store
        .read(|connection| crate::store::users::by_id(connection, &session.user_id))
        .map_err(deploy::store_fault)?
        .map(|user| user.name())
        .filter(|name| !name.is_empty())
        .unwrap_or_else(|| session.username.clone());
    Ok(Call { state, user_id: session.user_id, user_name, api_version: version.to_string() })
}

fn is_api_version(version: &str) -> bool {
    version.split_once('.').is_some_and(|(major, minor)| {
        !major.is_empty()
            && major.bytes().all(|b| b.is_ascii_digit())
            && !minor.is_empty()
            && minor.bytes().all(|b| b.is_ascii_digit())
    })
}
