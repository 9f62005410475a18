//! Reading typed values out of the TOML table, applying overrides, and the value rules.

use toml::{Table, Value};

use super::keys::{self, Kind};
use super::scopes;
use super::{AppKind, AppSettings, PermissionSetSettings, Settings, api_name_from_label};
use crate::model::rules;
use crate::problem::{Problem, Problems};

const SECTIONS: &[&str] = &["app", "permission_set"];

/// Reports keys the config does not know, with a "did you mean" where one is close.
pub fn check_unknown_keys(table: &Table, text: &str, source: &str, problems: &mut Problems) {
    for (name, value) in table {
        if SECTIONS.contains(&name.as_str()) {
            let Some(section) = value.as_table() else {
                problems.push(problem(
                    text,
                    source,
                    name,
                    format!("[{name}] must be a table"),
                    "write it as a [section]",
                ));
                continue;
            };
            for inner in section.keys() {
                check_known(&format!("{name}.{inner}"), text, source, problems);
            }
        } else {
            check_known(name, text, source, problems);
        }
    }
}

fn check_known(key: &str, text: &str, source: &str, problems: &mut Problems) {
    if keys::kind_of(key).is_some() {
        return;
    }
    let fix = match keys::closest(key) {
        Some(close) => format!("did you mean `{close}`? See the example insights.toml for every key"),
        None => "remove it; the example insights.toml lists every key".to_string(),
    };
    problems.push(problem(text, source, key, format!("unknown key `{key}`"), &fix));
}

/// Sets `key` in the table from an override's string value.
pub fn apply_override(table: &mut Table, key: &str, value: &str, origin: &str) -> Result<(), Problem> {
    let kind = keys::kind_of(key).ok_or_else(|| {
        Problem::new(origin, key, format!("unknown key `{key}`"), "use a key from the example insights.toml")
    })?;
    let parsed = match kind {
        Kind::Text => Value::String(value.to_string()),
        Kind::Bool => match value.trim() {
            "true" => Value::Boolean(true),
            "false" => Value::Boolean(false),
            other => {
                return Err(Problem::new(
                    origin,
                    key,
                    format!("'{other}' is not true or false"),
                    "write true or false",
                ));
            }
        },
        Kind::Integer => match value.trim().parse::<i64>() {
            Ok(number) => Value::Integer(number),
            Err(_) => {
                return Err(Problem::new(
                    origin,
                    key,
                    format!("'{value}' is not a whole number"),
                    "write a number such as 30",
                ));
            }
        },
        Kind::List => Value::Array(split_list(key, value).into_iter().map(Value::String).collect()),
    };
    match key.split_once('.') {
        Some((section, inner)) => {
            let entry = table.entry(section.to_string()).or_insert_with(|| Value::Table(Table::new()));
            if let Value::Table(section) = entry {
                section.insert(inner.to_string(), parsed);
            }
        }
        None => {
            table.insert(key.to_string(), parsed);
        }
    }
    Ok(())
}

/// Splits a comma-separated override. For scopes, `refresh_token, offline_access` stays one
/// value, as Setup shows it.
fn split_list(key: &str, value: &str) -> Vec<String> {
    let joined = value.replace("refresh_token, offline_access", "refresh_token+offline_access");
    joined
        .split(',')
        .map(str::trim)
        .filter(|v| !v.is_empty())
        .map(|v| {
            if key == "app.scopes" {
                v.replace("refresh_token+offline_access", "refresh_token, offline_access")
            } else {
                v.to_string()
            }
        })
        .collect()
}

/// Reads every setting with its default, validating as it goes.
/// `overridden` maps each key set by an environment variable or flag to where it came from, so
/// that a problem with its value names that origin rather than a line of the file.
pub fn build(
    table: &Table,
    text: &str,
    source: &str,
    overridden: &[(String, String)],
    problems: &mut Problems,
) -> Settings {
    let mut reader = Reader { table, text, source, overridden, problems };
    let label = reader.text("app.label").unwrap_or_else(|| "Insights API Authorization".into());
    let api_name = reader.text("app.api_name").unwrap_or_else(|| api_name_from_label(&label));
    let contact_email = reader.required_text(
        "app.contact_email",
        "the admin or team responsible for the app, e.g. \"salesforce-admin@example.com\"",
    );
    let callback_urls = reader.list("app.callback_urls").unwrap_or_default();
    let allow_insecure_callback = reader.boolean("app.allow_insecure_callback").unwrap_or(false);
    let scopes = reader
        .list("app.scopes")
        .unwrap_or_else(|| vec!["api".into(), "refresh_token, offline_access".into()]);
    let permitted_users = reader.text("app.permitted_users").unwrap_or_else(|| "admin_approved".into());
    let ip_relaxation = reader.text("app.ip_relaxation").unwrap_or_else(|| "BYPASS".into());
    let refresh_token_policy = reader.text("app.refresh_token_policy").unwrap_or_else(|| "infinite".into());
    let session_timeout = reader.integer("app.session_timeout_minutes").unwrap_or(30);
    let ps_label = reader.text("permission_set.label").unwrap_or_else(|| "Insights API Access".into());
    let ps_api_name =
        reader.text("permission_set.api_name").unwrap_or_else(|| api_name_from_label(&ps_label));

    let app = AppSettings {
        metadata_scopes: check_scopes(&mut reader, &scopes),
        admin_approved: check_permitted_users(&mut reader, &permitted_users),
        label: label.clone(),
        api_name,
        contact_email,
        description: reader.text("app.description").or_else(|| {
            Some("Authorizes API users to call the Insights+ Apex REST API with the OAuth 2.0 web server flow and PKCE.".into())
        }),
        callback_urls,
        allow_insecure_callback,
        scopes,
        require_pkce: reader.boolean("app.require_pkce").unwrap_or(true),
        require_secret_for_web_server_flow: reader.boolean("app.require_secret_for_web_server_flow").unwrap_or(true),
        require_secret_for_refresh_token_flow: reader.boolean("app.require_secret_for_refresh_token_flow").unwrap_or(true),
        ip_relaxation,
        refresh_token_policy,
        session_timeout_minutes: u32::try_from(session_timeout).unwrap_or(0),
    };
    let permission_set = PermissionSetSettings {
        api_name: ps_api_name,
        description: reader.text("permission_set.description").or_else(|| {
            Some(format!("Grants access to the {label} connected app and the Insights+ Apex REST API."))
        }),
        label: ps_label,
        existing: reader.boolean("permission_set.existing").unwrap_or(false),
        apex_classes: reader
            .list("permission_set.apex_classes")
            .unwrap_or_else(|| vec!["Insights_Rest_API".into()]),
    };
    let app_kind = check_app_kind(&mut reader);
    let settings = Settings {
        source: source.to_string(),
        api_version: reader.text("api_version").unwrap_or_else(|| "66.0".into()),
        app_kind,
        assign_to: reader.list("assign_to").unwrap_or_default(),
        insights_endpoint: reader
            .text("insights_endpoint")
            .unwrap_or_else(|| "/services/apexrest/insights/v1/status".into()),
        templates_dir: reader.text("templates_dir").map(Into::into),
        app,
        permission_set,
    };
    check_settings(&mut reader, &settings);
    settings
}

fn check_scopes(reader: &mut Reader<'_>, scopes: &[String]) -> Vec<String> {
    let mut metadata = Vec::new();
    for duplicate in rules::duplicates(scopes) {
        reader.fail("app.scopes", format!("scope \"{duplicate}\" is listed twice"), "list each scope once");
    }
    for scope in scopes {
        match scopes::metadata_scope(scope) {
            Some(value) if !metadata.iter().any(|m| m == value) => metadata.push(value.to_string()),
            Some(_) => {}
            None => reader.fail(
                "app.scopes",
                format!("unknown OAuth scope \"{scope}\""),
                "use OAuth scope names such as \"api\", \"refresh_token, offline_access\", \"web\", \"full\", \"openid\"",
            ),
        }
    }
    if metadata.is_empty() && !scopes.is_empty() {
        return metadata;
    }
    if scopes.is_empty() {
        reader.fail(
            "app.scopes",
            "no OAuth scope selected".into(),
            "the guide selects \"api\" and \"refresh_token, offline_access\"",
        );
    }
    metadata
}

fn check_app_kind(reader: &mut Reader<'_>) -> AppKind {
    match reader.text("app_kind").as_deref() {
        None | Some("connected-app") => AppKind::ConnectedApp,
        Some("external-client-app") => AppKind::ExternalClientApp,
        Some(other) => {
            reader.fail(
                "app_kind",
                format!("'{other}' is not an app kind"),
                "use \"connected-app\" (the default) or \"external-client-app\" (for orgs that no longer allow new Connected Apps)",
            );
            AppKind::ConnectedApp
        }
    }
}

fn check_permitted_users(reader: &mut Reader<'_>, value: &str) -> bool {
    match value {
        "admin_approved" => true,
        "all_users" => false,
        other => {
            reader.fail(
                "app.permitted_users",
                format!("'{other}' is not a Permitted Users value"),
                "use \"admin_approved\" (Admin approved users are pre-authorized) or \"all_users\" (All users may self-authorize)",
            );
            true
        }
    }
}

fn check_settings(reader: &mut Reader<'_>, settings: &Settings) {
    let app = &settings.app;
    let version_ok = settings
        .api_version
        .split_once('.')
        .is_some_and(|(major, minor)| major.parse::<u32>().is_ok_and(|m| m >= 59) && minor == "0");
    if !version_ok {
        reader.fail(
            "api_version",
            format!("'{}' is not a supported API version", settings.api_version),
            "use 59.0 or later (isPkceRequired needs 59.0); the default is 66.0",
        );
    }
    for (key, name) in
        [("app.api_name", &app.api_name), ("permission_set.api_name", &settings.permission_set.api_name)]
    {
        if let Some(message) = rules::api_name_problem(name) {
            reader.fail(key, message, "letters, digits and single underscores, starting with a letter, e.g. Insights_API_Authorization");
        }
    }
    if app.label.trim().is_empty() {
        reader.fail(
            "app.label",
            "the label is empty".into(),
            "give the app a name, e.g. \"Insights API Authorization\"",
        );
    }
    if let Some(message) = rules::email_problem(&app.contact_email).filter(|_| !app.contact_email.is_empty())
    {
        reader.fail("app.contact_email", message, "give an address such as salesforce-admin@example.com");
    }
    check_callbacks(reader, app);
    if !rules::IP_RELAXATION.iter().any(|(v, _)| *v == app.ip_relaxation) {
        let hint = rules::IP_RELAXATION
            .iter()
            .find(|(v, _)| v.eq_ignore_ascii_case(&app.ip_relaxation))
            .map_or(String::new(), |(v, _)| format!("did you mean {v}? "));
        reader.fail(
            "app.ip_relaxation",
            format!("'{}' is not an IP relaxation value", app.ip_relaxation),
            &format!(
                "{hint}use BYPASS (Relax IP restrictions), ENFORCE, BYPASS_2FACTOR or ENFORCE_RELAXREFRESH"
            ),
        );
    }
    if let Some(message) = rules::refresh_token_policy_problem(&app.refresh_token_policy) {
        reader.fail(
            "app.refresh_token_policy",
            message,
            "\"infinite\" is \"Refresh token is valid until revoked\"",
        );
    }
    if !rules::SESSION_TIMEOUTS.contains(&app.session_timeout_minutes) {
        reader.fail(
            "app.session_timeout_minutes",
            format!("{} is not a session timeout Salesforce offers", app.session_timeout_minutes),
            "use 15, 30, 60, 120, 240, 480, 720 or 1440 (the guide uses 30)",
        );
    }
    let permission_set = &settings.permission_set;
    if permission_set.label.trim().is_empty() {
        reader.fail("permission_set.label", "the label is empty".into(), "give the permission set a label");
    }
    for duplicate in rules::duplicates(&permission_set.apex_classes) {
        reader.fail(
            "permission_set.apex_classes",
            format!("Apex class {duplicate} is listed twice"),
            "list each class once",
        );
    }
    for class in &permission_set.apex_classes {
        if let Some(message) = rules::api_name_problem(class) {
            reader.fail(
                "permission_set.apex_classes",
                message,
                "give the Apex class name, e.g. Insights_Rest_API",
            );
        }
    }
    for duplicate in rules::duplicates(&settings.assign_to) {
        reader.fail("assign_to", format!("user {duplicate} is listed twice"), "list each username once");
    }
    for user in &settings.assign_to {
        if rules::email_problem(user).is_some() {
            reader.fail(
                "assign_to",
                format!("'{user}' is not a Salesforce username"),
                "usernames look like email addresses, e.g. api.user@example.com",
            );
        }
    }
    if !settings.insights_endpoint.starts_with("/services/apexrest/") {
        reader.fail(
            "insights_endpoint",
            format!("'{}' is not an Apex REST path", settings.insights_endpoint),
            "give the path under /services/apexrest/, e.g. /services/apexrest/insights/v1/status",
        );
    }
}

fn check_callbacks(reader: &mut Reader<'_>, app: &AppSettings) {
    if app.callback_urls.is_empty() {
        reader.fail(
            "app.callback_urls",
            "no callback URL given".into(),
            "add the URL of the application that calls the Insights+ API, e.g. callback_urls = [\"https://insights.example.com/oauth/callback\"]",
        );
    }
    for duplicate in rules::duplicates(&app.callback_urls) {
        reader.fail(
            "app.callback_urls",
            format!("callback URL {duplicate} is listed twice"),
            "list each URL once",
        );
    }
    for callback in &app.callback_urls {
        if let Some(message) = rules::callback_url_problem(callback) {
            reader.fail(
                "app.callback_urls",
                message,
                "use an absolute https URL such as https://insights.example.com/oauth/callback",
            );
            continue;
        }
        let Ok(parsed) = url::Url::parse(callback) else { continue };
        let insecure = parsed.scheme() == "http" && !rules::is_loopback_url(&parsed);
        if insecure && !app.allow_insecure_callback {
            reader.fail(
                "app.callback_urls",
                format!("'{callback}' uses plain http on a host that is not loopback"),
                "use https (http is only for localhost / 127.0.0.1), or set app.allow_insecure_callback = true",
            );
        }
        if !matches!(parsed.scheme(), "http" | "https") {
            reader.fail(
                "app.callback_urls",
                format!("'{callback}' is not an https URL"),
                "the web server flow redirects to a web application: use https://… (or http://localhost… \
                 for local development)",
            );
        }
    }
}

struct Reader<'a> {
    table: &'a Table,
    text: &'a str,
    source: &'a str,
    overridden: &'a [(String, String)],
    problems: &'a mut Problems,
}

impl Reader<'_> {
    fn value(&self, key: &str) -> Option<&Value> {
        match key.split_once('.') {
            Some((section, inner)) => self.table.get(section)?.as_table()?.get(inner),
            None => self.table.get(key),
        }
    }

    fn fail(&mut self, key: &str, message: String, fix: &str) {
        let origin = self.overridden.iter().rev().find(|(k, _)| k == key).map(|(_, origin)| origin);
        let problem = match origin {
            Some(origin) => Problem::new(origin.as_str(), key, message, fix),
            None => problem(self.text, self.source, key, message, fix),
        };
        self.problems.push(problem);
    }

    fn text(&mut self, key: &str) -> Option<String> {
        match self.value(key)? {
            Value::String(s) => Some(s.trim().to_string()),
            other => {
                let found = other.type_str();
                self.fail(
                    key,
                    format!("expected a string, found a {found}"),
                    "put the value in double quotes",
                );
                None
            }
        }
    }

    fn required_text(&mut self, key: &str, example: &str) -> String {
        match self.text(key) {
            Some(value) if !value.is_empty() => value,
            _ => {
                let env = keys::env_name(key);
                self.fail(
                    key,
                    "is required and has no default".into(),
                    &format!("set {key} to {example} (or {env})"),
                );
                String::new()
            }
        }
    }

    fn boolean(&mut self, key: &str) -> Option<bool> {
        match self.value(key)? {
            Value::Boolean(b) => Some(*b),
            other => {
                let found = other.type_str();
                self.fail(
                    key,
                    format!("expected true or false, found a {found}"),
                    "write true or false without quotes",
                );
                None
            }
        }
    }

    fn integer(&mut self, key: &str) -> Option<i64> {
        match self.value(key)? {
            Value::Integer(n) => Some(*n),
            other => {
                let found = other.type_str();
                self.fail(
                    key,
                    format!("expected a whole number, found a {found}"),
                    "write a number without quotes, e.g. 30",
                );
                None
            }
        }
    }

    fn list(&mut self, key: &str) -> Option<Vec<String>> {
        match self.value(key)? {
            Value::Array(items) => {
                let strings: Option<Vec<String>> =
                    items.iter().map(|v| v.as_str().map(|s| s.trim().to_string())).collect();
                if strings.is_none() {
                    self.fail(key, "expected a list of strings".into(), "write e.g. [\"one\", \"two\"]");
                }
                strings
            }
            Value::String(single) => Some(vec![single.trim().to_string()]),
            other => {
                let found = other.type_str();
                self.fail(
                    key,
                    format!("expected a list of strings, found a {found}"),
                    "write e.g. [\"one\", \"two\"]",
                );
                None
            }
        }
    }
}

fn problem(text: &str, source: &str, key: &str, message: String, fix: &str) -> Problem {
    let problem = Problem::new(source, key, message, fix);
    match line_of_key(text, key) {
        Some(line) => problem.at_line(line),
        None => problem,
    }
}

/// The line where a dotted key is set in the TOML text, if it is.
fn line_of_key(text: &str, key: &str) -> Option<usize> {
    let (section, name) = match key.split_once('.') {
        Some((section, name)) => (Some(section), name),
        None => (None, key),
    };
    let mut current: Option<String> = None;
    for (index, line) in text.lines().enumerate() {
        let trimmed = line.trim();
        if let Some(header) = trimmed.strip_prefix('[').and_then(|h| h.strip_suffix(']')) {
            current = Some(header.trim().to_string());
            continue;
        }
        let Some((left, _)) = trimmed.split_once('=') else { continue };
        if left.trim() == name && current.as_deref() == section {
            return Some(index + 1);
        }
    }
    None
}
