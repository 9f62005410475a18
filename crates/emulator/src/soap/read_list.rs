//! `readMetadata`, `listMetadata` and `describeMetadata`.

use super::Call;
use super::deploy::store_fault;
use super::fault::SoapFault;
use super::org_components::{LISTABLE_TYPES, OrgComponent, components, render_compact};
use super::xml_out::XmlOut;
use super::xml_tree::Element;

/// Types readMetadata returns records for.
const READABLE_TYPES: [&str; 7] = [
    "ConnectedApp",
    "PermissionSet",
    "ExternalClientApplication",
    "ExtlClntAppOauthSettings",
    "ExtlClntAppGlobalOauthSettings",
    "ExtlClntAppConfigurablePolicies",
    "ExtlClntAppOauthConfigurablePolicies",
];

/// `readMetadata{type, fullNames*}`: one record per name found, with `xsi:type`.
pub fn read_metadata(call: &Call<'_>, operation: &Element) -> Result<String, SoapFault> {
    let type_name = operation.child_text("type").unwrap_or_default().to_string();
    if !READABLE_TYPES.contains(&type_name.as_str()) {
        return Err(SoapFault::invalid_type(&type_name));
    }
    let wanted: Vec<String> =
        operation.children_named("fullNames").map(|n| n.text.trim().to_string()).collect();
    let found = load(call, &type_name)?;
    let mut out = XmlOut::default();
    out.open("readMetadataResponse").open("result");
    for name in &wanted {
        let Some(component) = found.iter().find(|c| c.full_name.eq_ignore_ascii_case(name)) else {
            continue;
        };
        let Some(document) = &component.document else {
            continue;
        };
        let mut record = String::new();
        for child in &document.children {
            render_compact(child, &mut record);
        }
        out.open_typed("records", &type_name)
            .leaf("fullName", &component.full_name)
            .raw(&record)
            .close("records");
    }
    out.close("result").close("readMetadataResponse");
    Ok(out.into_string())
}

/// `listMetadata{queries*, asOfVersion}`: FileProperties of every component of each type.
pub fn list_metadata(call: &Call<'_>, operation: &Element) -> Result<String, SoapFault> {
    let queries: Vec<String> = operation
        .children_named("queries")
        .map(|q| q.child_text("type").unwrap_or_default().to_string())
        .collect();
    if queries.len() > 3 {
        return Err(SoapFault::invalid_operation("listMetadata accepts at most 3 queries per call"));
    }
    let mut out = XmlOut::default();
    out.open("listMetadataResponse");
    for type_name in &queries {
        if !LISTABLE_TYPES.contains(&type_name.as_str()) {
            return Err(SoapFault::invalid_type(type_name));
        }
        for component in load(call, type_name)? {
            write_file_properties(&mut out, "result", &component, &component.file_name, call);
        }
    }
    out.close("listMetadataResponse");
    Ok(out.into_string())
}

fn load(call: &Call<'_>, type_name: &str) -> Result<Vec<OrgComponent>, SoapFault> {
    let now = call.state.clock.now_iso();
    call.state
        .store
        .read(|connection| components(connection, type_name, &now))
        .map_err(store_fault)?
        .ok_or_else(|| SoapFault::invalid_type(type_name))
}

/// Writes one `FileProperties` element named `element`.
pub fn write_file_properties(
    out: &mut XmlOut,
    element: &str,
    component: &OrgComponent,
    file_name: &str,
    call: &Call<'_>,
) {
    out.open(element)
        .leaf("createdById", &call.user_id)
        .leaf("createdByName", &call.user_name)
        .leaf("createdDate", &component.created_date)
        .leaf("fileName", file_name)
        .leaf("fullName", &component.full_name)
        .leaf("id", &component.id)
        .leaf("lastModifiedById", &call.user_id)
        .leaf("lastModifiedByName", &call.user_name)
        .leaf("lastModifiedDate", &component.last_modified_date)
        .leaf("manageableState", "unmanaged")
        .leaf("type", component.type_name)
        .close(element);
}

/// `describeMetadata`: the types this org supports.
pub fn describe_metadata(_call: &Call<'_>) -> Result<String, SoapFault> {
    let mut out = XmlOut::default();
    out.open("describeMetadataResponse").open("result");
    for (directory, in_folder, meta_file, suffix, xml_name) in [
        ("classes", false, true, "cls", "ApexClass"),
        ("connectedApps", false, false, "connectedApp", "ConnectedApp"),
        ("permissionsets", false, false, "permissionset", "PermissionSet"),
        ("externalClientApps", false, false, "eca", "ExternalClientApplication"),
        ("extlClntAppOauthSettings", false, false, "ecaOauth", "ExtlClntAppOauthSettings"),
        ("extlClntAppGlobalOauthSets", false, false, "ecaGlblOauth", "ExtlClntAppGlobalOauthSettings"),
        ("extlClntAppPolicies", false, false, "ecaPlcy", "ExtlClntAppConfigurablePolicies"),
        ("extlClntAppOauthPolicies", false, false, "ecaOauthPlcy", "ExtlClntAppOauthConfigurablePolicies"),
    ] {
        out.open("metadataObjects")
            .leaf("directoryName", directory)
            .bool("inFolder", in_folder)
            .bool("metaFile", meta_file)
            .leaf("suffix", suffix)
            .leaf("xmlName", xml_name)
            .close("metadataObjects");
    }
    out.leaf("organizationNamespace", "")
        .bool("partialSaveAllowed", true)
        .bool("testRequired", false)
        .close("result")
        .close("describeMetadataResponse");
    Ok(out.into_string())
}
