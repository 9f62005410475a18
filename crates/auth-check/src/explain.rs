//! The likely cause of each org error in this setup (a Connected App deployed from
//! `insights.toml`, pre-authorized through a permission set), phrased for the admin who runs
//! the check.

use crate::error::OrgError;

/// The likely cause of an org error, when one is known.
pub fn likely_cause(error: &OrgError) -> Option<&'static str> {
    let description = error.description.as_deref().unwrap_or("").to_ascii_lowercase();
    let cause = match error.code.as_str() {
        "invalid_app_access" => {
            "the user is not pre-authorized: the permission set is not assigned to this user, \
             or it is not linked to the app (permissionSetName with isAdminApproved=true)"
        }
        "invalid_client_id" => {
            "wrong consumer key, or the app was deployed moments ago and has not propagated yet \
             (it can take up to 10 minutes)"
        }
        "redirect_uri_mismatch" => {
            "the callback URL is not one of the app's callback URLs (exact match, port and \
             trailing slash included), or a recent change has not propagated yet"
        }
        "invalid_client" => {
            "wrong or missing consumer secret (it is set only when the app is created; use the \
             stored one)"
        }
        "invalid_grant" if description.contains("ip restricted") => {
            "IP relaxation is not applied: the app's ipRelaxation is not BYPASS (or not yet \
             deployed) and the user's profile restricts login IP ranges"
        }
        "invalid_grant" if description.contains("expired authorization code") => {
            "the authorization code was used too late (codes expire after about 15 minutes)"
        }
        "invalid_grant" if description.contains("invalid authorization code") => {
            "the code was already used or the redirect_uri differs from the authorize request"
        }
        "invalid_grant" if description.contains("code verifier") => {
            "the PKCE code_verifier is missing or does not match the code_challenge"
        }
        "invalid_grant" if description.contains("expired access/refresh token") => {
            "the refresh token was revoked, expired under the app's refreshTokenPolicy, or was \
             issued to another app"
        }
        "invalid_grant" if description.contains("authentication failure") => "wrong username or password",
        "invalid_grant" if description.contains("inactive") => "the user or org is inactive",
        "invalid_grant" => {
            "the org refused the grant: a missing code_verifier, a used or expired code, or a \
             revoked refresh token"
        }
        "invalid_request" if description.contains("code challenge") => {
            "the app requires PKCE (isPkceRequired) and no code_challenge was sent"
        }
        "invalid_request" => "a required parameter is missing or malformed",
        "unsupported_grant_type" => "the app or org does not allow this grant type",
        "access_denied" | "access-denied" => "the user declined access on the approval page",
        "OAUTH_APP_BLOCKED" | "OAUTH_APP_ACCESS_DENIED" => {
            "the app is blocked or the user is not allowed to use it (Connected App OAuth usage)"
        }
        "OAUTH_EC_APP_NOT_FOUND" => "the app is not installed or not found in this org",
        "INVALID_SESSION_ID" => {
            "the access token is missing, revoked, or past the app's session timeout; refresh it"
        }
        "FORBIDDEN" | "INSUFFICIENT_ACCESS" => {
            "the user lacks access to the Insights_Rest_API Apex class: the permission set \
             (classAccesses) is not assigned"
        }
        "NOT_FOUND" => {
            "the Insights+ path does not match the Apex class urlMapping, or the class is not \
             deployed (check insights_endpoint)"
        }
        "API_DISABLED_FOR_ORG" | "API_CURRENTLY_DISABLED" => {
            "the token lacks the api scope or the user lacks the API Enabled permission"
        }
        "REQUEST_LIMIT_EXCEEDED" => "the org's API request limit is exhausted",
        _ => return None,
    };
    Some(cause)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cause(code: &str, description: &str) -> Option<&'static str> {
        likely_cause(&OrgError::new(code, Some(description.to_owned())))
    }

    #[test]
    fn setup_specific_causes() {
        assert!(
            cause("invalid_app_access", "user is not admin approved to access this app")
                .is_some_and(|c| c.contains("permission set"))
        );
        assert!(cause("invalid_grant", "ip restricted").is_some_and(|c| c.contains("IP relaxation")));
        assert!(
            cause("invalid_client_id", "client identifier invalid").is_some_and(|c| c.contains("propagated"))
        );
        assert!(
            cause("redirect_uri_mismatch", "redirect_uri must match configuration")
                .is_some_and(|c| c.contains("callback URL"))
        );
        assert!(cause("invalid_client", "invalid client credentials").is_some_and(|c| c.contains("secret")));
        assert!(
            cause("invalid_grant", "expired access/refresh token").is_some_and(|c| c.contains("revoked"))
        );
        assert!(cause("invalid_grant", "expired authorization code").is_some_and(|c| c.contains("too late")));
        assert!(
            cause("INVALID_SESSION_ID", "Session expired or invalid")
                .is_some_and(|c| c.contains("session timeout"))
        );
        assert_eq!(cause("something_new", ""), None);
    }
}
