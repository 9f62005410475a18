//! `readMetadata` and `listMetadata` for the types this tool manages.

use crate::OrgError;
use crate::client::{OrgClient, Resend};
use crate::metadata_api::deploy::missing;
use crate::soap::requests;
use crate::soap::text;
use crate::xml_tree::{self, Element};

/// The ConnectedApp metadata type.
pub const CONNECTED_APP: &str = "ConnectedApp";
/// The PermissionSet metadata type.
pub const PERMISSION_SET: &str = "PermissionSet";

/// One record of `readMetadata`: its full name and its elements.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MetadataRecord {
    /// The metadata type, e.g. `ConnectedApp`.
    pub type_name: String,
    /// The component's full name.
    pub full_name: String,
    /// The record element (children as in a metadata file, plus `fullName`).
    pub element: Element,
}

impl MetadataRecord {
    /// The record as a metadata file (`<ConnectedApp xmlns=…>`), without `fullName`.
    pub fn to_metadata_xml(&self) -> String {
        xml_tree::render_metadata_document(&self.element, &self.type_name, &["fullName"])
    }
}

/// One `FileProperties` of `listMetadata`.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct FileProperties {
    /// The component's full name.
    pub full_name: String,
    /// The record id (for a ConnectedApp, the ConnectedApplication id).
    pub id: String,
    /// The metadata type.
    pub type_name: String,
    /// e.g. `connectedApps/X.connectedApp`.
    pub file_name: String,
}

impl OrgClient {
    /// `readMetadata`: the records that exist (names the org does not know are left out, as
    /// Salesforce answers them with an empty record or none).
    pub async fn read_metadata(
        &self,
        type_name: &str,
        full_names: &[&str],
    ) -> Result<Vec<MetadataRecord>, OrgError> {
        let body = requests::read_metadata(type_name, full_names);
        let response = self.soap_call("readMetadata", &body, Resend::Safe).await?;
        let result = response.child("result").ok_or_else(|| missing("readMetadata", "result"))?;
        let records = result
            .children_named("records")
            .filter_map(|record| {
                let full_name = text(record, "fullName")?;
                Some(MetadataRecord { type_name: type_name.to_owned(), full_name, element: record.clone() })
            })
            .collect();
        Ok(records)
    }

    /// `readMetadata` of one component; `None` when the org does not have it.
    pub async fn read_one(
        &self,
        type_name: &str,
        full_name: &str,
    ) -> Result<Option<MetadataRecord>, OrgError> {
        let records = self.read_metadata(type_name, &[full_name]).await?;
        Ok(records.into_iter().find(|record| record.full_name == full_name))
    }

    /// `listMetadata` for up to three types.
    pub async fn list_metadata(&self, type_names: &[&str]) -> Result<Vec<FileProperties>, OrgError> {
        let body = requests::list_metadata(type_names, self.api_version());
        let response = self.soap_call("listMetadata", &body, Resend::Safe).await?;
        let files = response
            .children_named("result")
            .map(|result| FileProperties {
                full_name: text(result, "fullName").unwrap_or_default(),
                id: text(result, "id").unwrap_or_default(),
                type_name: text(result, "type").unwrap_or_default(),
                file_name: text(result, "fileName").unwrap_or_default(),
            })
            .collect();
        Ok(files)
    }
}
