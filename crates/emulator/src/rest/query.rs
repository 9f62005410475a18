//! `GET /services/data/vNN.0/query?q=…`: runs a parsed SOQL query over the records of
//! [`super::objects`], or with `columns=true` describes the columns it selects.

use serde_json::{Map, Value, json};

use super::error::ApiError;
use super::objects::{self, ObjectSchema, Record};
use super::soql::{self, Literal, Query};
use crate::ids;
use crate::state::AppState;

use axum::http::StatusCode;

/// Runs a query; `version` is `v66.0`-shaped, for record URLs.
pub fn run(state: &AppState, version: &str, text: &str) -> Result<Value, ApiError> {
    let query = soql::parse(text)
        .map_err(|message| ApiError::new(StatusCode::BAD_REQUEST, "MALFORMED_QUERY", message))?;
    let schema = objects::schema(&query.object).ok_or_else(|| unsupported_object(&query.object))?;
    let selected = resolve_fields(schema, &query)?;
    let conditions = query
        .conditions
        .iter()
        .map(|(field, literal)| Ok((resolve_field(schema, field)?, literal)))
        .collect::<Result<Vec<_>, ApiError>>()?;
    let rows = state.store.read(|connection| objects::records(connection, schema.name))?;
    let mut output = Vec::new();
    for row in rows {
        if !conditions.iter().all(|(path, literal)| matches(lookup(&row, path), literal)) {
            continue;
        }
        if query.limit.is_some_and(|limit| output.len() >= limit) {
            break;
        }
        output.push(Value::Object(project(version, schema, &row, &selected)));
    }
    Ok(json!({ "totalSize": output.len(), "done": true, "records": output }))
}

/// `GET …/query?q=…&columns=true`: the columns a query selects, without running it (the
/// Salesforce CLI's `sf data query` asks for them to lay out its table). Fields of one
/// relationship share a column whose `joinColumns` hold them.
pub fn columns(text: &str) -> Result<Value, ApiError> {
    let query = soql::parse(text)
        .map_err(|message| ApiError::new(StatusCode::BAD_REQUEST, "MALFORMED_QUERY", message))?;
    let schema = objects::schema(&query.object).ok_or_else(|| unsupported_object(&query.object))?;
    let mut output: Vec<Value> = Vec::new();
    for path in resolve_fields(schema, &query)? {
        let leaf = column(path.parts.join("."), path.parts[path.parts.len() - 1].clone());
        if path.target.is_none() {
            output.push(leaf);
            continue;
        }
        let relation = &path.parts[0];
        let existing = output.iter_mut().find(|column| column["columnName"] == json!(relation));
        let parent = match existing {
            Some(parent) => parent,
            None => {
                let mut parent = column(relation.clone(), relation.clone());
                parent["apexType"] = json!(path.target);
                output.push(parent);
                output.last_mut().expect("just pushed")
            }
        };
        if let Some(joins) = parent["joinColumns"].as_array_mut() {
            joins.push(leaf);
        }
    }
    let id_selected = output.iter().any(|column| column["columnName"] == json!("Id"));
    Ok(json!({
        "columnMetadata": output,
        "entityName": schema.name,
        "groupBy": false,
        "idSelected": id_selected,
        "keyPrefix": objects::key_prefix(schema.name),
    }))
}

/// One column's metadata; the type is inferred from the field's name.
fn column(display_name: String, name: String) -> Value {
    let apex_type = if name == "Id" || name.ends_with("Id") {
        "Id"
    } else if name.starts_with("Is") || name.starts_with("Options") {
        "Boolean"
    } else {
        "String"
    };
    json!({
        "aggregate": false, "apexType": apex_type, "booleanType": apex_type == "Boolean",
        "columnName": name, "custom": false, "displayName": display_name, "foreignKeyName": null,
        "insertable": false, "joinColumns": [], "numberType": false,
        "textType": apex_type == "String", "updatable": false,
    })
}

fn unsupported_object(object: &str) -> ApiError {
    ApiError::new(
        StatusCode::BAD_REQUEST,
        "INVALID_TYPE",
        format!(
            "sObject type '{object}' is not supported. If you are attempting to use a custom object, be sure to append the '__c' after the entity name. Please reference your WSDL or the describe call for the appropriate names."
        ),
    )
}

/// A resolved field: canonical path and, for a relationship field, the target object.
#[derive(Clone, Debug)]
struct FieldPath {
    parts: Vec<String>,
    target: Option<&'static str>,
}

fn resolve_fields(schema: &ObjectSchema, query: &Query) -> Result<Vec<FieldPath>, ApiError> {
    query.fields.iter().map(|field| resolve_field(schema, field)).collect()
}

fn no_such_column(field: &str, object: &str) -> ApiError {
    ApiError::new(
        StatusCode::BAD_REQUEST,
        "INVALID_FIELD",
        format!(
            "No such column '{field}' on entity '{object}'. If you are attempting to use a custom field, be sure to append the '__c' after the custom field name. Please reference your WSDL or the describe call for the appropriate names."
        ),
    )
}

fn resolve_field(schema: &ObjectSchema, field: &str) -> Result<FieldPath, ApiError> {
    let canonical = |schema: &ObjectSchema, name: &str| {
        schema
            .fields
            .iter()
            .find(|candidate| candidate.eq_ignore_ascii_case(name))
            .map(|name| name.to_string())
    };
    match field.split_once('.') {
        None => Ok(FieldPath {
            parts: vec![canonical(schema, field).ok_or_else(|| no_such_column(field, schema.name))?],
            target: None,
        }),
        Some((relation, name)) => {
            let (relation, target) = schema
                .relationships
                .iter()
                .find(|(candidate, _)| candidate.eq_ignore_ascii_case(relation))
                .ok_or_else(|| no_such_column(field, schema.name))?;
            let target_schema = objects::schema(target).ok_or_else(|| no_such_column(field, schema.name))?;
            let name = canonical(target_schema, name).ok_or_else(|| no_such_column(field, schema.name))?;
            Ok(FieldPath { parts: vec![relation.to_string(), name], target: Some(target) })
        }
    }
}

fn lookup<'a>(row: &'a Record, path: &FieldPath) -> &'a Value {
    let mut current = row.get(&path.parts[0]).unwrap_or(&Value::Null);
    for part in &path.parts[1..] {
        current = current.get(part).unwrap_or(&Value::Null);
    }
    current
}

fn matches(value: &Value, literal: &Literal) -> bool {
    match (value, literal) {
        (Value::Null, Literal::Null) => true,
        (Value::Bool(value), Literal::Bool(expected)) => value == expected,
        (Value::String(value), Literal::Text(expected)) => {
            // Id fields compare 15 and 18-character forms alike; text compares ignoring case.
            match (ids::normalize(value), ids::normalize(expected)) {
                (Some(left), Some(right)) if value.len() == 18 => left == right,
                _ => value.eq_ignore_ascii_case(expected),
            }
        }
        (Value::Number(value), Literal::Number(expected)) => value.to_string() == *expected,
        _ => false,
    }
}

fn project(version: &str, schema: &ObjectSchema, row: &Record, selected: &[FieldPath]) -> Map<String, Value> {
    let mut output = Map::new();
    output.insert(
        "attributes".into(),
        objects::attributes(version, schema.name, row.get("Id").unwrap_or(&Value::Null)),
    );
    for path in selected {
        match path.target {
            None => {
                output.insert(path.parts[0].clone(), lookup(row, path).clone());
            }
            Some(target) => {
                let related = row.get(&path.parts[0]).unwrap_or(&Value::Null);
                if related.is_null() {
                    output.insert(path.parts[0].clone(), Value::Null);
                    continue;
                }
                let entry = output
                    .entry(path.parts[0].clone())
                    .or_insert_with(|| json!({ "attributes": objects::attributes(version, target, related.get("Id").unwrap_or(&Value::Null)) }));
                if let Value::Object(nested) = entry {
                    nested.insert(
                        path.parts[1].clone(),
                        related.get(&path.parts[1]).cloned().unwrap_or(Value::Null),
                    );
                }
            }
        }
    }
    output
}
