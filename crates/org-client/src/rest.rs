//! REST calls: SOQL queries, sObject create/delete, and the org id.

use serde::de::DeserializeOwned;

use crate::OrgError;
use crate::client::{OrgClient, Resend, rest_error, rest_json};

/// A `query` answer.
#[derive(Debug, Clone, serde::Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct QueryResult<T> {
    /// Rows found.
    pub total_size: u64,
    /// Whether every row is in `records`.
    pub done: bool,
    /// The rows.
    pub records: Vec<T>,
}

/// An sObject create answer.
#[derive(Debug, Clone, serde::Deserialize)]
pub struct CreateResult {
    /// The new record's id.
    pub id: String,
    /// Whether it worked.
    pub success: bool,
}

#[derive(Debug, serde::Deserialize)]
struct UserInfo {
    organization_id: Option<String>,
}

#[derive(Debug, serde::Deserialize)]
#[serde(rename_all = "PascalCase")]
struct IdRow {
    id: String,
}

/// Quotes a value for a SOQL string literal.
pub fn soql_quote(value: &str) -> String {
    let mut quoted = String::with_capacity(value.len() + 2);
    quoted.push('\'');
    for character in value.chars() {
        match character {
            '\'' | '\\' => {
                quoted.push('\\');
                quoted.push(character);
            }
            '\n' => quoted.push_str("\\n"),
            '\r' => quoted.push_str("\\r"),
            other => quoted.push(other),
        }
    }
    quoted.push('\'');
    quoted
}

impl OrgClient {
    /// Runs a SOQL query (`GET …/query?q=`, URL-encoded) and returns its first page.
    pub async fn query<T: DeserializeOwned>(&self, soql: &str) -> Result<QueryResult<T>, OrgError> {
        let url = self.data_url("query");
        tracing::debug!(soql, "query");
        let answer = self
            .send("query", Resend::Safe, |http| {
                http.get(&url).query(&[("q", soql)]).bearer_auth(self.token())
            })
            .await?;
        rest_json("query", &answer)
    }

    /// Creates an sObject record (`POST …/sobjects/TYPE`).
    pub async fn create_sobject(
        &self,
        sobject: &str,
        fields: &serde_json::Value,
    ) -> Result<CreateResult, OrgError> {
        let url = self.data_url(&format!("sobjects/{sobject}"));
        let operation = format!("creating {sobject}");
        // A repeated create answers DUPLICATE_VALUE for the records we create, which callers
        // treat as done, so resending after a 5xx is safe.
        let answer = self
            .send(&operation, Resend::Safe, |http| http.post(&url).json(fields).bearer_auth(self.token()))
            .await?;
        rest_json(&operation, &answer)
    }

    /// Deletes an sObject record (`DELETE …/sobjects/TYPE/ID`).
    pub async fn delete_sobject(&self, sobject: &str, id: &str) -> Result<(), OrgError> {
        let url = self.data_url(&format!("sobjects/{sobject}/{id}"));
        let operation = format!("deleting {sobject} {id}");
        let answer =
            self.send(&operation, Resend::Safe, |http| http.delete(&url).bearer_auth(self.token())).await?;
        if (200..300).contains(&answer.status) {
            return Ok(());
        }
        Err(rest_error(&operation, &answer))
    }

    /// GETs a path under the versioned data API and reads the JSON.
    pub(crate) async fn get_json<T: DeserializeOwned>(
        &self,
        operation: &str,
        url: &str,
    ) -> Result<T, OrgError> {
        let answer =
            self.send(operation, Resend::Safe, |http| http.get(url).bearer_auth(self.token())).await?;
        rest_json(operation, &answer)
    }

    /// The org id: from `/services/oauth2/userinfo`, else `SELECT Id FROM Organization`.
    pub async fn org_id(&self) -> Result<String, OrgError> {
        let url = self.instance_path("/services/oauth2/userinfo");
        match self.get_json::<UserInfo>("reading userinfo", &url).await {
            Ok(UserInfo { organization_id: Some(id) }) if !id.is_empty() => return Ok(id),
            Ok(_) => tracing::debug!("userinfo has no organization_id"),
            Err(error @ OrgError::SessionInvalid { .. }) => return Err(error),
            Err(error) => tracing::debug!("userinfo failed, querying Organization: {error}"),
        }
        let rows: QueryResult<IdRow> = self.query("SELECT Id FROM Organization").await?;
        rows.records
            .into_iter()
            .next()
            .map(|row| row.id)
            .ok_or_else(|| OrgError::NotFound { what: "the Organization record".into() })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quotes_soql_literals() {
        assert_eq!(soql_quote("a@b.com"), "'a@b.com'");
        assert_eq!(soql_quote("o'brien\\x"), "'o\\'brien\\\\x'");
    }
}
