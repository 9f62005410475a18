//! The one error type of this crate: every way talking to an org can fail.

/// How long a raw server body may be when kept in an error (longer bodies are cut).
const BODY_EXCERPT_CHARS: usize = 2_000;

/// Errors from connecting to an org, the Metadata SOAP API, REST, and the secret store.
///
/// No variant carries an access token or a consumer secret.
#[derive(Debug, thiserror::Error)]
pub enum OrgError {
    /// `--target-org` was given but the Salesforce CLI is not installed.
    #[error(
        "`--target-org` needs the Salesforce CLI (`sf`), which was not found on PATH; install it \
         (https://developer.salesforce.com/tools/salesforcecli) or pass --instance-url and \
         --access-token (or SF_INSTANCE_URL and SF_ACCESS_TOKEN)"
    )]
    SfCliMissing,

    /// `sf org display` ran but did not give a usable URL and token.
    #[error("`sf org display --target-org {alias}` failed: {message}")]
    SfCli {
        /// The alias or username asked for.
        alias: String,
        /// What went wrong, from the CLI's JSON or our parsing.
        message: String,
    },

    /// Only half of an explicit connection was given.
    #[error("{0}")]
    IncompleteConnection(String),

    /// The instance URL could not be parsed or has no host.
    #[error("invalid instance URL `{url}`: {reason}")]
    InvalidInstanceUrl {
        /// The URL as given.
        url: String,
        /// Why it is not usable.
        reason: String,
    },

    /// A token would travel over plain http to a host that is not loopback.
    #[error(
        "refusing to send an access token to {url} over plain http; use https (http is only \
         allowed for 127.0.0.0/8, localhost and ::1)"
    )]
    InsecureInstanceUrl {
        /// The URL as given.
        url: String,
    },

    /// The org did not answer (connect error, timeout) even after retries.
    #[error("could not reach the org for {operation} after {attempts} attempt(s): {source}")]
    Unreachable {
        /// What we were doing.
        operation: String,
        /// How many times we tried.
        attempts: u32,
        /// The transport error (URL stripped).
        #[source]
        source: reqwest::Error,
    },

    /// The session (access token) is invalid or expired.
    #[error(
        "the org rejected the session ({detail}); log in again with `sf org login web \
         --instance-url <URL>` and use --target-org, or set a new SF_ACCESS_TOKEN"
    )]
    SessionInvalid {
        /// The org's own words (fault string or REST message).
        detail: String,
    },

    /// The Metadata API answered with a SOAP fault.
    #[error("{operation} failed: {fault_code}: {fault_string}")]
    SoapFault {
        /// The SOAP operation.
        operation: String,
        /// `faultcode`, e.g. `sf:INVALID_CROSS_REFERENCE_KEY`.
        fault_code: String,
        /// `faultstring`.
        fault_string: String,
    },

    /// A REST call answered with an error list.
    #[error("{operation} failed (HTTP {status}): {}", format_rest_errors(.errors))]
    Rest {
        /// What we were doing.
        operation: String,
        /// HTTP status.
        status: u16,
        /// The org's `[{errorCode, message}]` list.
        errors: Vec<RestError>,
    },

    /// An HTTP status we do not understand, with the body kept for debugging.
    #[error("{operation} failed with HTTP {status}: {body}")]
    HttpStatus {
        /// What we were doing.
        operation: String,
        /// HTTP status.
        status: u16,
        /// The start of the raw body.
        body: String,
    },

    /// The org answered with a redirect; redirects are never followed.
    #[error(
        "{operation}: the org answered HTTP {status} with a redirect to {location}, which is not \
         followed (the session is sent only to the instance URL); use the org's own instance URL, \
         e.g. https://MyDomain.my.salesforce.com"
    )]
    Redirected {
        /// What we were doing.
        operation: String,
        /// The 3xx status.
        status: u16,
        /// Where the redirect pointed (query left out).
        location: String,
    },

    /// The instance URL answered with a web page instead of the API.
    #[error(
        "{operation}: the instance URL answered with an HTML page (HTTP {status}), not the \
         Salesforce API; check that it is the org's instance URL, e.g. \
         https://MyDomain.my.salesforce.com"
    )]
    NotAnApi {
        /// What we were doing.
        operation: String,
        /// The HTTP status.
        status: u16,
    },

    /// The answer could not be read (the body is kept for callers that show it; the message
    /// stays one sentence).
    #[error("unexpected answer to {operation}: {reason}")]
    UnexpectedResponse {
        /// What we were doing.
        operation: String,
        /// What was wrong with it.
        reason: String,
        /// The start of the raw body.
        body: String,
    },

    /// The org does not offer the API version we need.
    #[error(
        "the org does not offer API version {wanted} (it offers {offered}); set api_version in \
         insights.toml to a version the org supports"
    )]
    ApiVersionUnsupported {
        /// The configured version.
        wanted: String,
        /// The versions the org lists (highest last).
        offered: String,
    },

    /// The org refuses to create new Connected Apps (Spring '26 and later).
    #[error(
        "the org refused to create the Connected App: {problem}\n\
         Since Spring '26 (API 66.0) Salesforce no longer lets orgs create new Connected Apps; \
         existing ones keep working. Ask Salesforce Support to enable Connected App creation for \
         this org, or switch to an External Client App with this line in insights.toml: \
         app_kind = \"external-client-app\""
    )]
    NewConnectedAppsBlocked {
        /// The org's own message.
        problem: String,
    },

    /// Something we looked up is not in the org.
    #[error("{what} not found in the org")]
    NotFound {
        /// What was missing, e.g. `user bob@example.com`.
        what: String,
    },

    /// A retrieved zip holds an entry that would escape the output folder.
    #[error("refusing to unzip entry `{name}`: absolute or `..` paths are not allowed")]
    UnsafeZipEntry {
        /// The entry name.
        name: String,
    },

    /// A retrieved zip is refused as a whole (links, duplicates, too many entries, too large).
    #[error("refusing the zip: {reason}")]
    ZipRefused {
        /// Why, in one sentence.
        reason: String,
    },

    /// A zip could not be read or written.
    #[error("zip error: {0}")]
    Zip(#[from] zip::result::ZipError),

    /// A local file operation failed.
    #[error("{action} {path}: {source}")]
    Io {
        /// What we tried (e.g. `writing`).
        action: &'static str,
        /// The path involved.
        path: std::path::PathBuf,
        /// The IO error.
        #[source]
        source: std::io::Error,
    },

    /// A secret store key part is not safe to use as a file name.
    #[error("invalid secret store key `{0}` (letters, digits, `_` and `-` only)")]
    InvalidSecretKey(String),
}

/// One entry of a REST error list (`[{"errorCode": …, "message": …}]`).
#[derive(Debug, Clone, PartialEq, Eq, serde::Deserialize, serde::Serialize)]
pub struct RestError {
    /// e.g. `DUPLICATE_VALUE`, `INVALID_SESSION_ID`.
    #[serde(rename = "errorCode", alias = "statusCode", default)]
    pub error_code: String,
    /// The org's message.
    #[serde(default)]
    pub message: String,
}

fn format_rest_errors(errors: &[RestError]) -> String {
    let parts: Vec<String> =
        errors.iter().map(|error| format!("{}: {}", error.error_code, error.message)).collect();
    parts.join("; ")
}

impl OrgError {
    /// True when the connection flags themselves are wrong: a bad or insecure instance URL, or
    /// one of `--instance-url`/`--access-token` without the other (exit code 2).
    pub fn is_usage_problem(&self) -> bool {
        matches!(
            self,
            Self::IncompleteConnection(_)
                | Self::InsecureInstanceUrl { .. }
                | Self::InvalidInstanceUrl { .. }
        )
    }

    /// True for the org being unreachable or refusing the session (exit code 3).
    pub fn is_connection_problem(&self) -> bool {
        matches!(
            self,
            Self::Unreachable { .. }
                | Self::SessionInvalid { .. }
                | Self::SfCliMissing
                | Self::SfCli { .. }
                | Self::InsecureInstanceUrl { .. }
                | Self::InvalidInstanceUrl { .. }
                | Self::ApiVersionUnsupported { .. }
                | Self::Redirected { .. }
                | Self::NotAnApi { .. }
        )
    }

    /// The SOAP fault code without its `sf:` prefix, when this is a SOAP fault.
    pub fn soap_fault_code(&self) -> Option<&str> {
        match self {
            Self::SoapFault { fault_code, .. } => Some(fault_code.rsplit(':').next().unwrap_or(fault_code)),
            _ => None,
        }
    }
}

/// Cuts a raw body to a size fit for an error message.
pub(crate) fn body_excerpt(body: &str) -> String {
    if body.chars().count() <= BODY_EXCERPT_CHARS {
        return body.to_owned();
    }
    let cut: String = body.chars().take(BODY_EXCERPT_CHARS).collect();
    format!("{cut}…")
}
