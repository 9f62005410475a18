//! The sObjects the emulated org exposes to SOQL and `sobjects/{type}/{id}`: their fields,
//! relationships, and records built from the org database.

use rusqlite::Connection;
use serde_json::{Map, Value, json};

use crate::store::{StoreError, access, apps, org, users};

/// An object's shape: canonical name, scalar fields, relationships (name, target object).
pub struct ObjectSchema {
    /// Canonical object name.
    pub name: &'static str,
    /// Scalar fields.
    pub fields: &'static [&'static str],
    /// Relationship fields and the objects they point to.
    pub relationships: &'static [(&'static str, &'static str)],
}

const SCHEMAS: &[ObjectSchema] = &[
    ObjectSchema {
        name: "User",
        fields: &[
            "Id",
            "Username",
            "Name",
            "FirstName",
            "LastName",
            "Email",
            "IsActive",
            "ProfileId",
            "UserType",
        ],
        relationships: &[("Profile", "Profile")],
    },
    ObjectSchema { name: "Profile", fields: &["Id", "Name"], relationships: &[] },
    ObjectSchema {
        name: "PermissionSet",
        fields: &["Id", "Name", "Label", "NamespacePrefix", "IsOwnedByProfile", "ProfileId"],
        relationships: &[],
    },
    ObjectSchema {
        name: "PermissionSetAssignment",
        fields: &["Id", "AssigneeId", "PermissionSetId"],
        relationships: &[("Assignee", "User"), ("PermissionSet", "PermissionSet")],
    },
    ObjectSchema {
        name: "SetupEntityAccess",
        fields: &["Id", "ParentId", "SetupEntityId", "SetupEntityType"],
        relationships: &[("Parent", "PermissionSet")],
    },
    ObjectSchema {
        name: "Organization",
        fields: &[
            "Id",
            "Name",
            "InstanceName",
            "IsSandbox",
            "TrialExpirationDate",
            "NamespacePrefix",
            "OrganizationType",
        ],
        relationships: &[],
    },
    ObjectSchema {
        name: "ConnectedApplication",
        fields: &["Id", "Name", "OptionsAllowAdminApprovedUsersOnly"],
        relationships: &[],
    },
    ObjectSchema {
        name: "ApexClass",
        fields: &["Id", "Name", "NamespacePrefix", "Status"],
        relationships: &[],
    },
];

/// The schema of an object (name matched case-insensitively).
pub fn schema(object: &str) -> Option<&'static ObjectSchema> {
    SCHEMAS.iter().find(|schema| schema.name.eq_ignore_ascii_case(object))
}

/// The id prefix of an object's records.
pub fn key_prefix(object: &str) -> Option<&'static str> {
    use crate::ids::prefix;
    Some(match object {
        "User" => prefix::USER,
        "Profile" => prefix::PROFILE,
        "PermissionSet" => prefix::PERMISSION_SET,
        "PermissionSetAssignment" => prefix::PERMISSION_SET_ASSIGNMENT,
        "SetupEntityAccess" => prefix::SETUP_ENTITY_ACCESS,
        "Organization" => prefix::ORGANIZATION,
        "ConnectedApplication" => prefix::CONNECTED_APP,
        "ApexClass" => prefix::APEX_CLASS,
        _ => return None,
    })
}

/// A record: canonical field names to values; relationships hold nested records.
pub type Record = Map<String, Value>;

/// `attributes` of a record.
pub fn attributes(version: &str, object: &str, id: &Value) -> Value {
    let id = id.as_str().unwrap_or_default();
    json!({ "type": object, "url": format!("/services/data/{version}/sobjects/{object}/{id}") })
}

/// Every record of an object, relationships filled in.
pub fn records(connection: &Connection, object: &str) -> Result<Vec<Record>, StoreError> {
    let rows: Vec<Record> = match object {
        "User" => users::all(connection)?
            .into_iter()
            .map(|user| {
                record(json!({
                    "Id": user.id, "Username": user.username, "Name": user.name(),
                    "FirstName": user.first_name, "LastName": user.last_name, "Email": user.email,
                    "IsActive": user.active, "ProfileId": user.profile_id, "UserType": "Standard",
                    "Profile": { "Id": user.profile_id, "Name": user.profile_name },
                }))
            })
            .collect(),
        "Profile" => users::profiles(connection)?
            .into_iter()
            .map(|profile| record(json!({ "Id": profile.id, "Name": profile.name })))
            .collect(),
        "PermissionSet" => {
            access::permission_sets(connection)?.into_iter().map(|set| permission_set(&set)).collect()
        }
        "PermissionSetAssignment" => {
            let all_users = records(connection, "User")?;
            let sets = access::permission_sets(connection)?;
            access::assignments(connection)?
                .into_iter()
                .map(|assignment| {
                    let mut row = record(json!({
                        "Id": assignment.id, "AssigneeId": assignment.assignee_id,
                        "PermissionSetId": assignment.permission_set_id,
                    }));
                    row.insert("Assignee".into(), find_by_id(&all_users, &assignment.assignee_id));
                    let set = sets.iter().find(|set| set.id == assignment.permission_set_id);
                    row.insert(
                        "PermissionSet".into(),
                        set.map_or(Value::Null, |set| Value::Object(permission_set(set))),
                    );
                    row
                })
                .collect()
        }
        "SetupEntityAccess" => {
            let sets = access::permission_sets(connection)?;
            access::setup_entity_access(connection)?
                .into_iter()
                .map(|grant| {
                    let mut row = record(json!({
                        "Id": grant.id, "ParentId": grant.parent_id,
                        "SetupEntityId": grant.setup_entity_id, "SetupEntityType": grant.setup_entity_type,
                    }));
                    let set = sets.iter().find(|set| set.id == grant.parent_id);
                    row.insert(
                        "Parent".into(),
                        set.map_or(Value::Null, |set| Value::Object(permission_set(set))),
                    );
                    row
                })
                .collect()
        }
        "Organization" => org::get(connection)?
            .into_iter()
            .map(|org| {
                record(json!({
                    "Id": org.id, "Name": org.name, "InstanceName": org.instance_name,
                    "IsSandbox": false, "TrialExpirationDate": null, "NamespacePrefix": null,
                    "OrganizationType": "Developer Edition",
                }))
            })
            .collect(),
        "ConnectedApplication" => apps::all(connection)?
            .into_iter()
            .map(|app| {
                let approved = crate::oauth::policy::app_policy(&app.xml).is_admin_approved;
                record(json!({
                    "Id": app.id, "Name": app.full_name, "OptionsAllowAdminApprovedUsersOnly": approved,
                }))
            })
            .collect(),
        "ApexClass" => org::apex_classes(connection)?
            .into_iter()
            .map(|class| {
                record(json!({
                    "Id": class.id, "Name": class.name, "NamespacePrefix": null, "Status": "Active",
                }))
            })
            .collect(),
        _ => Vec::new(),
    };
    Ok(rows)
}

fn record(value: Value) -> Record {
    match value {
        Value::Object(map) => map,
        _ => Map::new(),
    }
}

fn permission_set(set: &access::PermissionSet) -> Record {
    record(json!({
        "Id": set.id, "Name": set.name, "Label": set.label, "NamespacePrefix": null,
        "IsOwnedByProfile": false, "ProfileId": null,
    }))
}

fn find_by_id(rows: &[Record], id: &str) -> Value {
    rows.iter()
        .find(|row| row.get("Id").and_then(Value::as_str) == Some(id))
        .map_or(Value::Null, |row| Value::Object(row.clone()))
}
