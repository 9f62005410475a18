//! Idempotent permission set assignment: look up users and the permission set, skip existing
//! assignments, create the rest, and count DUPLICATE_VALUE as already assigned.

use crate::OrgError;
use crate::client::OrgClient;
use crate::rest::{QueryResult, soql_quote};

/// What happened for one user.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum AssignmentStatus {
    /// A new PermissionSetAssignment was created (`assign`), or the user has the permission
    /// set (read-only check).
    Assigned,
    /// The user already had the permission set.
    AlreadyAssigned,
    /// The user does not have the permission set (read-only check only).
    NotAssigned,
}

/// The outcome for one user.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Assignment {
    /// The username.
    pub username: String,
    /// The user's id.
    pub user_id: String,
    /// What happened.
    pub status: AssignmentStatus,
}

#[derive(Debug, serde::Deserialize)]
#[serde(rename_all = "PascalCase")]
struct IdRow {
    id: String,
}

#[derive(Debug, serde::Deserialize)]
#[serde(rename_all = "PascalCase")]
struct AssignmentRow {
    assignee_id: String,
}

/// Assigns the permission set named `permission_set` to each username.
pub async fn assign_permission_set(
    client: &OrgClient,
    permission_set: &str,
    usernames: &[String],
) -> Result<Vec<Assignment>, OrgError> {
    let permission_set_id = permission_set_id(client, permission_set).await?;
    let mut outcomes = Vec::new();
    for username in usernames {
        let user_id = user_id(client, username).await?;
        let status = assign_one(client, &permission_set_id, &user_id).await?;
        tracing::info!(username, ?status, permission_set, "permission set assignment");
        outcomes.push(Assignment { username: username.clone(), user_id, status });
    }
    Ok(outcomes)
}

/// Reports, without changing anything, whether each username has the permission set.
pub async fn check_permission_set(
    client: &OrgClient,
    permission_set: &str,
    usernames: &[String],
) -> Result<Vec<Assignment>, OrgError> {
    let permission_set_id = permission_set_id(client, permission_set).await?;
    let mut outcomes = Vec::new();
    for username in usernames {
        let user_id = user_id(client, username).await?;
        // A check reports the state: "assigned" (AlreadyAssigned is what `assign` did nothing for).
        let status = if is_assigned(client, &permission_set_id, &user_id).await? {
            AssignmentStatus::Assigned
        } else {
            AssignmentStatus::NotAssigned
        };
        outcomes.push(Assignment { username: username.clone(), user_id, status });
    }
    Ok(outcomes)
}

async fn is_assigned(client: &OrgClient, permission_set_id: &str, user_id: &str) -> Result<bool, OrgError> {
    let soql = format!(
        "SELECT AssigneeId FROM PermissionSetAssignment WHERE PermissionSetId = {} AND AssigneeId = {}",
        soql_quote(permission_set_id),
        soql_quote(user_id)
    );
    let existing: QueryResult<AssignmentRow> = client.query(&soql).await?;
    Ok(existing.records.iter().any(|row| row.assignee_id == user_id))
}

/// The id of the permission set with this API name.
pub async fn permission_set_id(client: &OrgClient, name: &str) -> Result<String, OrgError> {
    let soql = format!("SELECT Id FROM PermissionSet WHERE Name = {}", soql_quote(name));
    let rows: QueryResult<IdRow> = client.query(&soql).await?;
    rows.records.into_iter().next().map(|row| row.id).ok_or_else(|| OrgError::NotFound {
        what: format!("permission set {name} (deploy first: `insights deploy`)"),
    })
}

async fn user_id(client: &OrgClient, username: &str) -> Result<String, OrgError> {
    let soql = format!("SELECT Id FROM User WHERE Username = {}", soql_quote(username));
    let rows: QueryResult<IdRow> = client.query(&soql).await?;
    rows.records
        .into_iter()
        .next()
        .map(|row| row.id)
        .ok_or_else(|| OrgError::NotFound { what: format!("user {username}") })
}

async fn assign_one(
    client: &OrgClient,
    permission_set_id: &str,
    user_id: &str,
) -> Result<AssignmentStatus, OrgError> {
    if is_assigned(client, permission_set_id, user_id).await? {
        return Ok(AssignmentStatus::AlreadyAssigned);
    }
    let fields = serde_json::json!({
        "AssigneeId": user_id,
        "PermissionSetId": permission_set_id,
    });
    match client.create_sobject("PermissionSetAssignment", &fields).await {
        Ok(_) => Ok(AssignmentStatus::Assigned),
        Err(OrgError::Rest { errors, .. })
            if errors.iter().any(|error| error.error_code == "DUPLICATE_VALUE") =>
        {
            Ok(AssignmentStatus::AlreadyAssigned)
        }
        Err(error) => Err(error),
    }
}
