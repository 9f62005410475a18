//! `retrieve` of an unpackaged package.xml, `checkRetrieveStatus`, and unzipping the answer
//! into a folder (through [`super::unzip`], which refuses unsafe zips).

use std::time::Duration;

use base64::Engine as _;
use tokio::time::Instant;

use crate::OrgError;
use crate::client::{OrgClient, Resend};
use crate::metadata_api::deploy::{AsyncResult, missing};
use crate::soap::requests;
use crate::soap::{flag, text};

pub use super::unzip::{unzip_into, zip_entries};

/// How long a retrieve may take before we give up.
const RETRIEVE_WAIT: Duration = Duration::from_secs(600);

/// A finished retrieve.
#[derive(Debug, Clone)]
pub struct RetrieveResult {
    /// The async process id.
    pub id: String,
    /// The zip (singlePackage: package.xml at the root).
    pub zip: Vec<u8>,
    /// Problems the org reported per file (e.g. a member it does not have).
    pub messages: Vec<(String, String)>,
}

impl OrgClient {
    /// Retrieves the listed (type, members) and waits for the zip.
    pub async fn retrieve(&self, members: &[(&str, Vec<String>)]) -> Result<RetrieveResult, OrgError> {
        let body = requests::retrieve(self.api_version(), members);
        let response = self.soap_call("retrieve", &body, Resend::Safe).await?;
        let started = AsyncResult::parse("retrieve", &response)?;
        tracing::info!(id = %started.id, "retrieve started");
        self.wait_for_retrieve(&started.id).await
    }

    async fn wait_for_retrieve(&self, id: &str) -> Result<RetrieveResult, OrgError> {
        let deadline = Instant::now() + RETRIEVE_WAIT;
        let policy = self.options().poll;
        let mut poll = 0;
        loop {
            tokio::time::sleep(policy.delay_before(poll)).await;
            poll += 1;
            let body = requests::check_retrieve_status(id, true);
            let response = match self.soap_call("checkRetrieveStatus", &body, Resend::Safe).await {
                Ok(response) => response,
                Err(error) if error.soap_fault_code() == Some("INVALID_CROSS_REFERENCE_KEY") && poll <= 3 => {
                    continue;
                }
                Err(error) => return Err(error),
            };
            let result = response.child("result").ok_or_else(|| missing("checkRetrieveStatus", "result"))?;
            if !flag(result, "done") {
                if Instant::now() >= deadline {
                    return Err(OrgError::UnexpectedResponse {
                        operation: "checkRetrieveStatus".into(),
                        reason: format!("retrieve {id} did not finish within {} s", RETRIEVE_WAIT.as_secs()),
                        body: String::new(),
                    });
                }
                continue;
            }
            let status = text(result, "status").unwrap_or_default();
            if status != "Succeeded" {
                let code = text(result, "errorStatusCode").unwrap_or_else(|| status.clone());
                let message = text(result, "errorMessage").unwrap_or_default();
                return Err(OrgError::SoapFault {
                    operation: "retrieve".into(),
                    fault_code: code,
                    fault_string: message,
                });
            }
            let zip_text = text(result, "zipFile").unwrap_or_default();
            let zip = base64::engine::general_purpose::STANDARD
                .decode(zip_text.split_whitespace().collect::<String>())
                .map_err(|error| OrgError::UnexpectedResponse {
                    operation: "checkRetrieveStatus".into(),
                    reason: format!("zipFile is not base64 ({error})"),
                    body: String::new(),
                })?;
            let messages = result
                .children_named("messages")
                .map(|message| {
                    (
                        text(message, "fileName").unwrap_or_default(),
                        text(message, "problem").unwrap_or_default(),
                    )
                })
                .collect();
            return Ok(RetrieveResult { id: id.to_owned(), zip, messages });
        }
    }
}
