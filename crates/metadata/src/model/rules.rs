//! The value rules a real org applies beyond the schema: names, emails, URLs, policy strings.
//!
//! Several of these fields are plain `xsd:string` in the WSDL although the org accepts only a
//! few values (`ipRelaxation`, `refreshTokenPolicy`), so the schema check alone lets typos
//! through. The generator and the emulator both apply these rules.

use std::collections::HashSet;

use super::{ConnectedApp, PermissionSet};
use crate::problem::{Problem, Problems};
use crate::xml::Element;

/// `oauthPolicy.ipRelaxation` values and their Setup labels.
pub const IP_RELAXATION: &[(&str, &str)] = &[
    ("ENFORCE", "Enforce IP restrictions"),
    ("BYPASS_2FACTOR", "Relax IP restrictions with second factor"),
    ("BYPASS", "Relax IP restrictions"),
    ("ENFORCE_RELAXREFRESH", "Relax IP restrictions for refresh tokens"),
];

/// Session timeout values (minutes) Setup offers.
pub const SESSION_TIMEOUTS: &[u32] = &[15, 30, 60, 120, 240, 480, 720, 1440];

/// Units of `specific_lifetime` / `specific_inactivity` refresh token policies.
pub const REFRESH_TOKEN_UNITS: &[&str] = &["HOURS", "DAYS", "MONTHS"];

/// Checks a metadata API name (fullName): letters, digits and single underscores, starting
/// with a letter, not ending with an underscore, at most 80 characters.
pub fn api_name_problem(name: &str) -> Option<String> {
    let first_ok = name.chars().next().is_some_and(|c| c.is_ascii_alphabetic());
    let chars_ok = name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_');
    if name.is_empty() {
        Some("the API name is empty".into())
    } else if !first_ok {
        Some(format!("API name '{name}' must begin with a letter"))
    } else if !chars_ok {
        Some(format!("API name '{name}' may contain only letters, digits and underscores"))
    } else if name.contains("__") {
        Some(format!("API name '{name}' must not contain two consecutive underscores"))
    } else if name.ends_with('_') {
        Some(format!("API name '{name}' must not end with an underscore"))
    } else if name.len() > 80 {
        Some(format!("API name '{name}' is longer than 80 characters"))
    } else {
        None
    }
}

/// Checks an email address's syntax: one `@`, a local part, a dotted domain, no spaces.
pub fn email_problem(email: &str) -> Option<String> {
    let valid = email.split_once('@').is_some_and(|(local, domain)| {
        !local.is_empty()
            && !domain.contains('@')
            && domain.contains('.')
            && !domain.starts_with('.')
            && !domain.ends_with('.')
            && !domain.contains("..")
    }) && !email.chars().any(|c| c.is_whitespace() || c == '<' || c == '>' || c == ',');
    (!valid).then(|| format!("'{email}' is not a valid email address"))
}

/// Checks that a callback URL is an absolute URL with a host.
pub fn callback_url_problem(callback: &str) -> Option<String> {
    match url::Url::parse(callback) {
        Err(error) => Some(format!("'{callback}' is not a valid URL ({error})")),
        Ok(parsed) if matches!(parsed.scheme(), "http" | "https") && parsed.host().is_none() => {
            Some(format!("'{callback}' has no host"))
        }
        Ok(parsed) if parsed.fragment().is_some() => {
            Some(format!("'{callback}' must not contain a #fragment"))
        }
        Ok(_) => None,
    }
}

/// True for `http` URLs on a loopback host, which OAuth allows without TLS.
pub fn is_loopback_url(parsed: &url::Url) -> bool {
    match parsed.host() {
        Some(url::Host::Domain(domain)) => domain.eq_ignore_ascii_case("localhost"),
        Some(url::Host::Ipv4(ip)) => ip.is_loopback(),
        Some(url::Host::Ipv6(ip)) => ip.is_loopback(),
        None => false,
    }
}

/// Checks a refresh token policy string.
pub fn refresh_token_policy_problem(policy: &str) -> Option<String> {
    if matches!(policy, "infinite" | "zero") {
        return None;
    }
    let mut parts = policy.split(':');
    let kind = parts.next().unwrap_or_default();
    let amount = parts.next();
    let unit = parts.next();
    let well_formed = matches!(kind, "specific_lifetime" | "specific_inactivity")
        && amount.is_some_and(|a| a.parse::<u32>().is_ok_and(|n| n >= 1))
        && unit.is_some_and(|u| REFRESH_TOKEN_UNITS.contains(&u))
        && parts.next().is_none();
    (!well_formed).then(|| {
        format!(
            "'{policy}' is not a refresh token policy: use infinite, zero, \
             specific_lifetime:N:UNIT or specific_inactivity:N:UNIT (UNIT is HOURS, DAYS or MONTHS)"
        )
    })
}

/// Checks a consumer key or secret, 8 to 256 characters. Keys that Salesforce generates also
/// hold `.` and `_`, so keys may; secrets are letters and digits only.
pub fn credential_problem(what: &str, value: &str) -> Option<String> {
    let is_key = what.contains("key");
    let allowed = |c: char| c.is_ascii_alphanumeric() || (is_key && matches!(c, '.' | '_'));
    let ok = (8..=256).contains(&value.len()) && value.chars().all(allowed);
    match (ok, is_key) {
        (true, _) => None,
        (false, true) => Some(format!("the {what} must be 8 to 256 letters, digits, dots and underscores")),
        (false, false) => Some(format!("the {what} must be 8 to 256 letters and digits")),
    }
}

/// The org's rules for a ConnectedApp, beyond the schema.
pub fn check_connected_app(app: &ConnectedApp, root: &Element, file: &str) -> Problems {
    let mut problems = Problems::default();
    let mut add = |path: &str, message: String, fix: &str| {
        let line = line_of(root, path);
        problems.push(Problem::new(file, path, message, fix).at_line(line));
    };
    if let Some(message) = api_name_problem(&app.full_name) {
        add("fullName", message, "rename the file to a valid API name");
    }
    if let Some(message) = email_problem(&app.contact_email) {
        add("contactEmail", message, "give the admin contact's address, e.g. admin@example.com");
    }
    if app.label.trim().is_empty() {
        add("label", "the label is empty".into(), "give the app a name");
    }
    if let Some(config) = &app.oauth_config {
        if config.callback_urls.is_empty() {
            add("oauthConfig/callbackUrl", "no callback URL".into(), "give at least one callback URL");
        }
        for callback in &config.callback_urls {
            if let Some(message) = callback_url_problem(callback) {
                add(
                    "oauthConfig/callbackUrl",
                    message,
                    "use an absolute URL such as https://app.example.com/oauth/callback",
                );
            }
        }
        for duplicate in duplicates(&config.scopes) {
            add("oauthConfig/scopes", format!("scope {duplicate} is listed twice"), "list each scope once");
        }
        if let Some(message) =
            config.consumer_key.as_deref().and_then(|k| credential_problem("consumer key", k))
        {
            add("oauthConfig/consumerKey", message, "leave it out and let the org generate one");
        }
        if let Some(message) =
            config.consumer_secret.as_ref().and_then(|s| credential_problem("consumer secret", s.expose()))
        {
            add("oauthConfig/consumerSecret", message, "leave it out and let the org generate one");
        }
    }
    if let Some(policy) = &app.oauth_policy {
        if !IP_RELAXATION.iter().any(|(value, _)| *value == policy.ip_relaxation) {
            let values: Vec<_> = IP_RELAXATION.iter().map(|(v, _)| *v).collect();
            add(
                "oauthPolicy/ipRelaxation",
                format!("'{}' is not an IP relaxation value", policy.ip_relaxation),
                &format!("use one of {} (BYPASS = Relax IP restrictions)", values.join(", ")),
            );
        }
        if let Some(message) = refresh_token_policy_problem(&policy.refresh_token_policy) {
            add("oauthPolicy/refreshTokenPolicy", message, "infinite = Refresh token is valid until revoked");
        }
    }
    let timeout = app.session_policy.as_ref().and_then(|p| p.session_timeout);
    if let Some(timeout) = timeout.filter(|t| !SESSION_TIMEOUTS.contains(t)) {
        add(
            "sessionPolicy/sessionTimeout",
            format!("{timeout} minutes is not a session timeout Salesforce offers"),
            "use one of 15, 30, 60, 120, 240, 480, 720, 1440",
        );
    }
    for duplicate in duplicates(&app.permission_set_names) {
        add(
            "permissionSetName",
            format!("permission set {duplicate} is listed twice"),
            "list each permission set once",
        );
    }
    problems
}

/// The org's rules for a PermissionSet, beyond the schema.
pub fn check_permission_set(permission_set: &PermissionSet, root: &Element, file: &str) -> Problems {
    let mut problems = Problems::default();
    if let Some(message) = api_name_problem(&permission_set.full_name) {
        problems.push(Problem::new(file, "fullName", message, "rename the file to a valid API name"));
    }
    if permission_set.label.trim().is_empty() {
        problems.push(
            Problem::new(file, "label", "the label is empty", "give the permission set a label")
                .at_line(line_of(root, "label")),
        );
    }
    let classes: Vec<String> = permission_set.class_accesses.iter().map(|c| c.apex_class.clone()).collect();
    for duplicate in duplicates(&classes) {
        problems.push(
            Problem::new(
                file,
                "classAccesses/apexClass",
                format!("Apex class {duplicate} is listed twice"),
                "list each class once",
            )
            .at_line(line_of(root, "classAccesses")),
        );
    }
    problems
}

/// Values that occur more than once, each reported once.
pub fn duplicates(values: &[String]) -> Vec<String> {
    let mut seen = HashSet::new();
    let mut reported = HashSet::new();
    values.iter().filter(|v| !seen.insert(v.as_str()) && reported.insert(v.as_str())).cloned().collect()
}

/// The line of the first element at `path` (`a/b`), or the root's line.
fn line_of(root: &Element, path: &str) -> usize {
    let mut element = root;
    for name in path.split('/') {
        match element.child(name) {
            Some(child) => element = child,
            None => break,
        }
    }
    element.line
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn consumer_keys_may_hold_dots_and_underscores_but_secrets_may_not() {
        assert_eq!(credential_problem("consumer key", "3MVG9abc.DEF_ghi123"), None);
        assert!(credential_problem("consumer secret", "abc.DEF_ghi123").is_some());
        assert!(credential_problem("consumer key", "short").is_some());
        assert!(credential_problem("consumer key", "has space in it").is_some());
        assert_eq!(credential_problem("consumer secret", "A1b2C3d4E5f6G7h8"), None);
    }
}
