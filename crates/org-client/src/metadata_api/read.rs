//! `readMetadata` and `listMetadata` for the types this tool manages.

use insights_metadata::config::AppKind;
use insights_metadata::model::external_client_app as eca;

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

/// The ExternalClientApplication metadata type.
pub const EXTERNAL_CLIENT_APPLICATION: &str = "ExternalClientApplication";

impl OrgClient {
    /// The app with this API name, of either kind, as a ConnectedApp-shaped record (for an
    /// External Client App, the view of its components with the consumer key). ConnectedApp is
    /// read first; `None` when the org has neither.
    pub async fn read_app(&self, app_api_name: &str) -> Result<Option<(AppKind, Element)>, OrgError> {
        self.read_app_preferring(AppKind::ConnectedApp, app_api_name).await
    }

    /// As [`OrgClient::read_app`], reading the `preferred` kind first: the other kind is
    /// returned only when the org has no app of the preferred kind with this name.
    pub async fn read_app_preferring(
        &self,
        preferred: AppKind,
        app_api_name: &str,
    ) -> Result<Option<(AppKind, Element)>, OrgError> {
        for kind in [preferred, crate::provision::other_kind(preferred)] {
            if let Some(element) = self.read_app_of_kind(kind, app_api_name).await? {
                return Ok(Some((kind, element)));
            }
        }
        Ok(None)
    }

    /// The app of a known kind (see [`OrgClient::read_app`]).
    pub async fn read_app_of_kind(
        &self,
        kind: AppKind,
        app_api_name: &str,
    ) -> Result<Option<Element>, OrgError> {
        match kind {
            AppKind::ConnectedApp => Ok(self.read_one(CONNECTED_APP, app_api_name).await?.map(|r| r.element)),
            AppKind::ExternalClientApp => self.read_external_client_app(app_api_name).await,
        }
    }

    /// Reads the header and the four components named by the generator's convention
    /// (`NAME_oauth`, `NAME_glbloauth`, `NAME_plcy`, `NAME_oauthPlcy`) and returns their
    /// ConnectedApp-shaped view; `None` without a header.
    async fn read_external_client_app(&self, app_api_name: &str) -> Result<Option<Element>, OrgError> {
        let mut documents = Vec::new();
        for eca_type in eca::ECA_TYPES {
            let name = eca_type.component_name(app_api_name);
            match self.read_one(eca_type.type_name, &name).await? {
                Some(record) => documents.push((eca_type, record.to_metadata_xml())),
                None if eca_type == eca::HEADER => return Ok(None),
                None => {}
            }
        }
        let parsed: Vec<(eca::EcaType, insights_metadata::xml::Element)> = documents
            .iter()
            .filter_map(|(eca_type, text)| Some((*eca_type, insights_metadata::xml::parse(text).ok()?)))
            .collect();
        let mut parts = eca::EcaParts::default();
        for (eca_type, root) in &parsed {
            parts.set(*eca_type, root);
        }
        let view = insights_metadata::xml::render(&eca::connected_app_view(&parts));
        xml_tree::parse(&view).map(Some).map_err(|reason| OrgError::UnexpectedResponse {
            operation: "reading the External Client App".into(),
            reason,
            body: String::new(),
        })
    }
}
