//! Entry points for the fuzz targets in `fuzz/` (and their regression tests): the crate's
//! private answer parsing, reachable with any body. Not part of the API.

use crate::client::HttpAnswer;
use crate::metadata_api::deploy::{AsyncResult, DeployResult};
use crate::metadata_api::read::MetadataRecord;
use crate::soap::read_soap_answer;

/// The operations whose answers the client reads.
const OPERATIONS: [&str; 7] = [
    "deploy",
    "checkDeployStatus",
    "cancelDeploy",
    "deployRecentValidation",
    "checkRetrieveStatus",
    "readMetadata",
    "listMetadata",
];

/// Reads `body` as the answer (with HTTP `status`) to every operation, as the client would,
/// and renders what it got (results, records, error messages). Returns the error messages.
pub fn soap_answer(status: u16, body: &str) -> Vec<String> {
    let answer = HttpAnswer { status, body: body.to_owned(), location: None };
    let mut messages = Vec::new();
    for operation in OPERATIONS {
        match read_soap_answer(operation, &answer) {
            Ok(response) => {
                if let Err(error) = AsyncResult::parse(operation, &response) {
                    messages.push(error.to_string());
                }
                if let Some(result) = response.child("result") {
                    let deploy = DeployResult::parse(result);
                    let _ = (deploy.failures(), deploy.status.to_string());
                    for record in result.children_named("records") {
                        let record = MetadataRecord {
                            type_name: "ConnectedApp".into(),
                            full_name: String::new(),
                            element: record.clone(),
                        };
                        let _ = record.to_metadata_xml();
                    }
                }
            }
            Err(error) => messages.push(error.to_string()),
        }
    }
    messages
}
