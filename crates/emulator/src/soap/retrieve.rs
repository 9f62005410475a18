//! `retrieve` and `checkRetrieveStatus`. The retrieve runs on the first status check and
//! answers the zip (`unpackaged/` root unless `singlePackage`) with its FileProperties.

use serde::{Deserialize, Serialize};

use super::Call;
use super::deploy::{async_result, store_fault};
use super::fault::SoapFault;
use super::org_components::{OrgComponent, components};
use super::read_list::write_file_properties;
use super::xml_out::XmlOut;
use super::xml_tree::Element;
use super::zip_package::{encode_base64, write_zip};
use crate::ids::{self, prefix};
use crate::store::metadata::{self as store, RetrieveRow};
use insights_metadata::xml::{self as mdxml, Element as MdElement, METADATA_NS};

/// The request as stored until it runs.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
struct RetrieveRequest {
    api_version: String,
    single_package: bool,
    /// (type, members) pairs of `unpackaged`.
    types: Vec<(String, Vec<String>)>,
    package_names: Vec<String>,
}

/// What a finished retrieve shows (the zip is stored beside it).
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
struct RetrieveOutcome {
    /// (fileName, fullName, type, id, createdDate, lastModifiedDate).
    file_properties: Vec<(String, String, String, String, String, String)>,
    /// (fileName, problem).
    messages: Vec<(String, String)>,
}

/// `retrieve{retrieveRequest}` (the Salesforce CLI sends `<request>`): queues the retrieve.
pub fn retrieve(call: &Call<'_>, operation: &Element) -> Result<String, SoapFault> {
    let request_element = operation
        .child("retrieveRequest")
        .or_else(|| operation.child("request"))
        .ok_or_else(|| SoapFault::invalid_operation("retrieve needs a retrieveRequest"))?;
    let api_version = request_element
        .child_text("apiVersion")
        .filter(|v| !v.is_empty())
        .map_or_else(|| call.api_version.clone(), String::from);
    let request = RetrieveRequest {
        api_version,
        single_package: request_element.child_bool("singlePackage").unwrap_or(false),
        types: request_element
            .child("unpackaged")
            .map(|package| {
                package
                    .children_named("types")
                    .map(|t| {
                        let name = t.child_text("name").unwrap_or_default().to_string();
                        let members =
                            t.children_named("members").map(|m| m.text.trim().to_string()).collect();
                        (name, members)
                    })
                    .collect()
            })
            .unwrap_or_default(),
        package_names: request_element
            .children_named("packageNames")
            .map(|p| p.text.trim().to_string())
            .collect(),
    };
    let request_json =
        serde_json::to_string(&request).map_err(|e| SoapFault::unknown_exception(e.to_string()))?;
    let row = RetrieveRow {
        id: ids::new_id(prefix::RETRIEVE),
        status: "Pending".into(),
        zip: None,
        result_json: request_json,
        polls: 0,
        created_date: call.state.clock.now_iso(),
    };
    call.state.store.with_tx(|tx| store::insert_retrieve(tx, &row)).map_err(store_fault)?;
    Ok(async_result("retrieveResponse", &row.id))
}

/// `checkRetrieveStatus{asyncProcessId, includeZip}`; `includeZip` absent means true.
pub fn check_retrieve_status(call: &Call<'_>, operation: &Element) -> Result<String, SoapFault> {
    let id = operation.child_text("asyncProcessId").unwrap_or_default().to_string();
    let include_zip = operation.child_bool("includeZip").unwrap_or(true);
    let now = call.state.clock.now_iso();
    let row = call
        .state
        .store
        .with_tx(|tx| {
            let Some(mut row) = store::retrieve(tx, &id)? else {
                return Ok(None);
            };
            row.polls += 1;
            if row.status == "Pending" {
                let request: RetrieveRequest = serde_json::from_str(&row.result_json).unwrap_or_default();
                let (zip, outcome) = run(tx, &request, &now)?;
                row.zip = Some(zip);
                row.result_json = serde_json::to_string(&outcome)
                    .map_err(|e| crate::store::StoreError::Corrupt(e.to_string()))?;
                row.status = "Succeeded".into();
            }
            store::update_retrieve(tx, &row)?;
            Ok(Some(row))
        })
        .map_err(store_fault)?
        .ok_or_else(SoapFault::invalid_cross_reference_key)?;
    let outcome: RetrieveOutcome = serde_json::from_str(&row.result_json).unwrap_or_default();

    let mut out = XmlOut::default();
    out.open("checkRetrieveStatusResponse").open("result").bool("done", true);
    for (file_name, full_name, type_name, record_id, created, modified) in &outcome.file_properties {
        let component = OrgComponent {
            type_name: static_type(type_name),
            full_name: full_name.clone(),
            id: record_id.clone(),
            file_name: file_name.clone(),
            content: Vec::new(),
            extra_files: Vec::new(),
            document: None,
            created_date: created.clone(),
            last_modified_date: modified.clone(),
        };
        write_file_properties(&mut out, "fileProperties", &component, file_name, call);
    }
    out.leaf("id", &row.id);
    for (file_name, problem) in &outcome.messages {
        out.open("messages").leaf("fileName", file_name).leaf("problem", problem).close("messages");
    }
    let zip = if include_zip { encode_base64(row.zip.as_deref().unwrap_or_default()) } else { String::new() };
    out.leaf("status", &row.status)
        .bool("success", true)
        .leaf("zipFile", &zip)
        .close("result")
        .close("checkRetrieveStatusResponse");
    Ok(out.into_string())
}

fn static_type(type_name: &str) -> &'static str {
    match type_name {
        "ConnectedApp" => "ConnectedApp",
        "PermissionSet" => "PermissionSet",
        "ApexClass" => "ApexClass",
        other => insights_metadata::model::external_client_app::EcaType::by_name(other)
            .map_or("Package", |eca_type| eca_type.type_name),
    }
}

/// Builds the zip and the outcome from the org's current state.
fn run(
    connection: &rusqlite::Connection,
    request: &RetrieveRequest,
    now: &str,
) -> Result<(Vec<u8>, RetrieveOutcome), crate::store::StoreError> {
    let root = if request.single_package { "" } else { "unpackaged/" };
    let package_file = format!("{root}package.xml");
    let mut outcome = RetrieveOutcome::default();
    let mut files: Vec<(String, Vec<u8>)> = Vec::new();
    let mut package_types = Vec::new();
    for name in &request.package_names {
        outcome.messages.push((package_file.clone(), format!("No package named '{name}' found")));
    }
    for (type_name, members) in &request.types {
        let Some(available) = components(connection, type_name, now)? else {
            outcome.messages.push((package_file.clone(), format!("Entity type: '{type_name}' is unknown")));
            continue;
        };
        let wildcard = members.iter().any(|m| m == "*");
        let mut retrieved = Vec::new();
        for component in &available {
            if wildcard || members.iter().any(|m| m.eq_ignore_ascii_case(&component.full_name)) {
                retrieved.push(component.full_name.clone());
                let file_name = format!("{root}{}", component.file_name);
                outcome.file_properties.push((
                    file_name.clone(),
                    component.full_name.clone(),
                    component.type_name.to_string(),
                    component.id.clone(),
                    component.created_date.clone(),
                    component.last_modified_date.clone(),
                ));
                files.push((file_name, component.content.clone()));
                for (extra, content) in &component.extra_files {
                    files.push((format!("{root}{extra}"), content.clone()));
                }
            }
        }
        for member in members.iter().filter(|m| *m != "*") {
            if !available.iter().any(|c| c.full_name.eq_ignore_ascii_case(member)) {
                outcome.messages.push((
                    package_file.clone(),
                    format!("Entity of type '{type_name}' named '{member}' cannot be found"),
                ));
            }
        }
        if !retrieved.is_empty() {
            package_types.push((type_name.clone(), retrieved));
        }
    }
    outcome.file_properties.push((
        package_file.clone(),
        package_file.clone(),
        "Package".into(),
        String::new(),
        now.to_string(),
        now.to_string(),
    ));
    files.sort();
    files.insert(0, (package_file, package_xml(&package_types, &request.api_version).into_bytes()));
    let zip = write_zip(&files)
        .map_err(|e| crate::store::StoreError::Corrupt(format!("writing the retrieve zip: {e}")))?;
    Ok((zip, outcome))
}

fn package_xml(types: &[(String, Vec<String>)], api_version: &str) -> String {
    let mut children: Vec<MdElement> = types
        .iter()
        .map(|(name, members)| {
            let mut type_children: Vec<MdElement> =
                members.iter().map(|m| MdElement::with_text("members", m.clone())).collect();
            type_children.push(MdElement::with_text("name", name.clone()));
            MdElement::with_children("types", type_children)
        })
        .collect();
    children.push(MdElement::with_text("version", api_version));
    let mut root = MdElement::with_children("Package", children);
    root.attributes = vec![("xmlns".into(), METADATA_NS.into())];
    mdxml::render(&root)
}
