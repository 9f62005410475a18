//! Every key `insights.toml` accepts, its type, and how environment variables name it.

/// The type of a config value, for parsing overrides given as strings.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// A string.
    Text,
    /// `true` or `false`.
    Bool,
    /// A whole number.
    Integer,
    /// A list of strings; in overrides, comma-separated.
    List,
}

/// `(dotted key, kind)` for every accepted key.
pub const KEYS: &[(&str, Kind)] = &[
    ("api_version", Kind::Text),
    ("app_kind", Kind::Text),
    ("assign_to", Kind::List),
    ("insights_endpoint", Kind::Text),
    ("templates_dir", Kind::Text),
    ("app.label", Kind::Text),
    ("app.api_name", Kind::Text),
    ("app.contact_email", Kind::Text),
    ("app.description", Kind::Text),
    ("app.callback_urls", Kind::List),
    ("app.allow_insecure_callback", Kind::Bool),
    ("app.scopes", Kind::List),
    ("app.require_pkce", Kind::Bool),
    ("app.require_secret_for_web_server_flow", Kind::Bool),
    ("app.require_secret_for_refresh_token_flow", Kind::Bool),
    ("app.permitted_users", Kind::Text),
    ("app.ip_relaxation", Kind::Text),
    ("app.refresh_token_policy", Kind::Text),
    ("app.session_timeout_minutes", Kind::Integer),
    ("permission_set.api_name", Kind::Text),
    ("permission_set.label", Kind::Text),
    ("permission_set.description", Kind::Text),
    ("permission_set.existing", Kind::Bool),
    ("permission_set.apex_classes", Kind::List),
];

/// The kind of a dotted key, if it is one.
pub fn kind_of(key: &str) -> Option<Kind> {
    KEYS.iter().find(|(k, _)| *k == key).map(|(_, kind)| *kind)
}

/// The environment variable that overrides a key: `app.contact_email` ⇒
/// `INSIGHTS_APP_CONTACT_EMAIL`.
pub fn env_name(key: &str) -> String {
    format!("INSIGHTS_{}", key.replace('.', "_").to_ascii_uppercase())
}

/// The key an environment variable overrides, if it names one.
pub fn key_for_env(name: &str) -> Option<&'static str> {
    KEYS.iter().map(|(k, _)| *k).find(|k| env_name(k) == name)
}

/// The closest known key, for "did you mean" hints.
pub fn closest(key: &str) -> Option<&'static str> {
    let last = key.rsplit('.').next().unwrap_or(key);
    KEYS.iter()
        .map(|(k, _)| *k)
        .min_by_key(|k| distance(k.rsplit('.').next().unwrap_or(k), last))
        .filter(|k| distance(k.rsplit('.').next().unwrap_or(k), last) <= 3)
}

fn distance(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut previous: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.chars().enumerate() {
        let mut current = vec![i + 1];
        for (j, cb) in b.iter().enumerate() {
            let cost = usize::from(ca != *cb);
            current.push((previous[j] + cost).min(previous[j + 1] + 1).min(current[j] + 1));
        }
        previous = current;
    }
    previous[b.len()]
}

/// The key whose environment variable is closest to `name`, for "did you mean" hints.
pub fn closest_env(name: &str) -> Option<&'static str> {
    KEYS.iter()
        .map(|(k, _)| (*k, distance(&env_name(k), name)))
        .filter(|(_, d)| *d <= 3)
        .min_by_key(|(_, d)| *d)
        .map(|(k, _)| k)
}
