//! `sobjects/{type}/{id}` reads, and PermissionSetAssignment create and delete.

use axum::Json;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde_json::{Map, Value, json};

use super::error::ApiError;
use super::objects;
use crate::ids::{self, prefix};
use crate::state::AppState;
use crate::store::access::{self, AssignOutcome};
use crate::store::{Session, StoreError, users};

/// `GET sobjects/{type}/{id}`: every field of one record.
pub fn get(state: &AppState, version: &str, object: &str, id: &str) -> Result<Response, ApiError> {
    let schema = objects::schema(object).ok_or_else(ApiError::not_found)?;
    let id = ids::normalize(id).ok_or_else(ApiError::not_found)?;
    let rows = state.store.read(|connection| objects::records(connection, schema.name))?;
    let row = rows
        .into_iter()
        .find(|row| row.get("Id").and_then(Value::as_str) == Some(id.as_str()))
        .ok_or_else(ApiError::not_found)?;
    let mut output = Map::new();
    output.insert("attributes".into(), objects::attributes(version, schema.name, &json!(id)));
    for (name, value) in row {
        // Relationship objects are not part of a record's fields; their ids are.
        if !value.is_object() {
            output.insert(name, value);
        }
    }
    Ok(Json(Value::Object(output)).into_response())
}

fn cannot(operation: &str, object: &str) -> ApiError {
    ApiError::new(
        StatusCode::METHOD_NOT_ALLOWED,
        "METHOD_NOT_ALLOWED",
        format!("The emulated org does not support {operation} of {object} records"),
    )
}

fn require_admin(session: &Session) -> Result<(), ApiError> {
    if session.modify_all_data {
        Ok(())
    } else {
        Err(ApiError::new(
            StatusCode::BAD_REQUEST,
            "INSUFFICIENT_ACCESS_OR_READONLY",
            "insufficient access rights on cross-reference id",
        ))
    }
}

/// The id in a field of the body, normalised; errors name the field as Salesforce does.
fn id_field(body: &Map<String, Value>, field: &str, key_prefix: &str) -> Result<String, ApiError> {
    let value = body.iter().find(|(name, _)| name.eq_ignore_ascii_case(field)).map(|(_, value)| value);
    let text = match value {
        None | Some(Value::Null) => {
            return Err(ApiError::new(
                StatusCode::BAD_REQUEST,
                "REQUIRED_FIELD_MISSING",
                format!("Required fields are missing: [{field}]"),
            )
            .with_fields(&[field]));
        }
        Some(Value::String(text)) => text.as_str(),
        Some(other) => {
            return Err(ApiError::new(
                StatusCode::BAD_REQUEST,
                "JSON_PARSER_ERROR",
                format!("Cannot deserialize instance of reference from {other} value for field {field}"),
            ));
        }
    };
    let id = ids::normalize(text).filter(|id| id.starts_with(key_prefix));
    id.ok_or_else(|| {
        ApiError::new(
            StatusCode::BAD_REQUEST,
            "MALFORMED_ID",
            format!("{field}: id value of incorrect type: {text}"),
        )
        .with_fields(&[field])
    })
}

/// `POST sobjects/{type}`: only PermissionSetAssignment can be created.
pub fn create(state: &AppState, session: &Session, object: &str, body: &[u8]) -> Result<Response, ApiError> {
    let schema = objects::schema(object).ok_or_else(ApiError::not_found)?;
    if schema.name != "PermissionSetAssignment" {
        return Err(cannot("creation", schema.name));
    }
    let body: Map<String, Value> = serde_json::from_slice(body).map_err(|error| {
        ApiError::new(
            StatusCode::BAD_REQUEST,
            "JSON_PARSER_ERROR",
            format!("The request body is not a JSON object: {error}"),
        )
    })?;
    require_admin(session)?;
    let assignee = id_field(&body, "AssigneeId", prefix::USER)?;
    let permission_set = id_field(&body, "PermissionSetId", prefix::PERMISSION_SET)?;
    let outcome = state.store.with_tx(|tx| {
        if users::by_id(tx, &assignee)?.is_none() {
            return Ok(Err("AssigneeId"));
        }
        let exists = access::permission_sets(tx)?.iter().any(|set| set.id == permission_set);
        if !exists {
            return Ok(Err("PermissionSetId"));
        }
        Ok::<_, StoreError>(Ok(access::assign(tx, &assignee, &permission_set)?))
    })?;
    match outcome {
        Err(field) => Err(ApiError::new(
            StatusCode::BAD_REQUEST,
            "INVALID_CROSS_REFERENCE_KEY",
            "invalid cross reference id",
        )
        .with_fields(&[field])),
        Ok(AssignOutcome::Duplicate) => Err(ApiError::new(
            StatusCode::BAD_REQUEST,
            "DUPLICATE_VALUE",
            format!(
                "Duplicate PermissionSetAssignment. Assignee: {assignee}; Permission Set: {permission_set}"
            ),
        )
        .with_fields(&[])),
        Ok(AssignOutcome::Created(id)) => {
            tracing::info!(%id, %assignee, %permission_set, "permission set assigned");
            Ok((StatusCode::CREATED, Json(json!({ "id": id, "success": true, "errors": [] })))
                .into_response())
        }
    }
}

/// `DELETE sobjects/{type}/{id}`: only PermissionSetAssignment can be deleted.
pub fn delete(state: &AppState, session: &Session, object: &str, id: &str) -> Result<Response, ApiError> {
    let schema = objects::schema(object).ok_or_else(ApiError::not_found)?;
    if schema.name != "PermissionSetAssignment" {
        return Err(cannot("deletion", schema.name));
    }
    require_admin(session)?;
    let id = ids::normalize(id).ok_or_else(ApiError::not_found)?;
    if state.store.with_tx(|tx| access::unassign(tx, &id))? {
        tracing::info!(%id, "permission set assignment deleted");
        Ok(StatusCode::NO_CONTENT.into_response())
    } else {
        Err(ApiError::not_found())
    }
}
