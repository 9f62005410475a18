//! `retrieve` of an unpackaged package.xml, `checkRetrieveStatus`, and unzipping the answer
//! into a folder (entries with absolute or `..` paths are refused).

use std::io::{Cursor, Read};
use std::path::{Component, Path, PathBuf};
use std::time::Duration;

use base64::Engine as _;
use tokio::time::Instant;

use crate::OrgError;
use crate::client::{OrgClient, Resend};
use crate::metadata_api::deploy::{AsyncResult, missing};
use crate::soap::requests;
use crate::soap::{flag, text};

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

/// The files of a zip as (relative path, bytes), refusing unsafe names; directories skipped.
pub fn zip_entries(zip: &[u8]) -> Result<Vec<(PathBuf, Vec<u8>)>, OrgError> {
    let mut archive = zip::ZipArchive::new(Cursor::new(zip))?;
    let mut entries = Vec::new();
    for index in 0..archive.len() {
        let mut file = archive.by_index(index)?;
        let name = file.name()?.into_owned();
        let path = safe_relative_path(&name)?;
        if file.is_dir() {
            continue;
        }
        let mut bytes = Vec::new();
        file.read_to_end(&mut bytes).map_err(|source| OrgError::Io {
            action: "reading zip entry",
            path: path.clone(),
            source,
        })?;
        entries.push((path, bytes));
    }
    Ok(entries)
}

/// Unzips into `out_dir`; returns the written paths (relative to `out_dir`).
pub fn unzip_into(zip: &[u8], out_dir: &Path) -> Result<Vec<PathBuf>, OrgError> {
    let entries = zip_entries(zip)?;
    let mut written = Vec::new();
    for (relative, bytes) in entries {
        let target = out_dir.join(&relative);
        if let Some(parent) = target.parent() {
            std::fs::create_dir_all(parent).map_err(|source| OrgError::Io {
                action: "creating",
                path: parent.to_owned(),
                source,
            })?;
        }
        std::fs::write(&target, bytes).map_err(|source| OrgError::Io {
            action: "writing",
            path: target.clone(),
            source,
        })?;
        written.push(relative);
    }
    Ok(written)
}

fn safe_relative_path(name: &str) -> Result<PathBuf, OrgError> {
    let unsafe_entry = || OrgError::UnsafeZipEntry { name: name.to_owned() };
    if name.starts_with('/') || name.starts_with('\\') || name.contains(':') {
        return Err(unsafe_entry());
    }
    let path = PathBuf::from(name.replace('\\', "/"));
    for component in path.components() {
        match component {
            Component::Normal(_) | Component::CurDir => {}
            _ => return Err(unsafe_entry()),
        }
    }
    Ok(path)
}

#[cfg(test)]
mod tests {
    use std::io::Write;

    use super::*;

    fn zip_with(names: &[&str]) -> Vec<u8> {
        let mut writer = zip::ZipWriter::new(Cursor::new(Vec::new()));
        for name in names {
            writer.start_file(*name, zip::write::SimpleFileOptions::default()).unwrap();
            writer.write_all(b"x").unwrap();
        }
        writer.finish().unwrap().into_inner()
    }

    #[test]
    fn unzips_relative_entries() {
        let dir = tempfile::tempdir().unwrap();
        let written =
            unzip_into(&zip_with(&["package.xml", "connectedApps/A.connectedApp"]), dir.path()).unwrap();
        assert_eq!(written.len(), 2);
        assert_eq!(std::fs::read(dir.path().join("connectedApps/A.connectedApp")).unwrap(), b"x");
    }

    #[test]
    fn refuses_escaping_entries() {
        for bad in ["../evil.txt", "a/../../evil.txt", "/etc/evil", "C:/evil"] {
            let dir = tempfile::tempdir().unwrap();
            let error = unzip_into(&zip_with(&[bad]), dir.path()).unwrap_err();
            assert!(matches!(error, OrgError::UnsafeZipEntry { .. }), "{bad}: {error}");
        }
    }
}
