//! Where the instance URL and access token come from, in order of precedence: explicit values,
//! `SF_INSTANCE_URL` + `SF_ACCESS_TOKEN`, the Salesforce CLI (`sf org display`), or none (the
//! caller then starts the embedded emulator).

use std::io::Read;
use std::net::IpAddr;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use secrecy::{ExposeSecret, SecretString};
use url::Url;

use crate::OrgError;

/// How long `sf org display` may take (Node start-up alone is ~2 s).
const SF_CLI_TIMEOUT: Duration = Duration::from_secs(90);

/// The environment variable holding the instance URL.
pub const ENV_INSTANCE_URL: &str = "SF_INSTANCE_URL";
/// The environment variable holding the access token.
pub const ENV_ACCESS_TOKEN: &str = "SF_ACCESS_TOKEN";

/// What the user asked for on the command line (all optional).
#[derive(Debug, Default, Clone)]
pub struct ConnectionRequest {
    /// `--instance-url`.
    pub instance_url: Option<String>,
    /// `--access-token`.
    pub access_token: Option<SecretString>,
    /// `--target-org ALIAS`.
    pub target_org: Option<String>,
}

/// Where a connection came from, for logs and messages.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ConnectionSource {
    /// `--instance-url` and `--access-token`.
    Explicit,
    /// `SF_INSTANCE_URL` and `SF_ACCESS_TOKEN`.
    Environment,
    /// `sf org display --target-org ALIAS`.
    SalesforceCli {
        /// The alias or username.
        alias: String,
    },
    /// The embedded emulator, started because no org was named.
    EmbeddedEmulator,
}

/// An org's instance URL and a session for it.
#[derive(Debug, Clone)]
pub struct Connection {
    /// e.g. `https://example.my.salesforce.com` or `http://127.0.0.1:PORT`.
    pub instance_url: Url,
    /// The OAuth access token, used as the SOAP session id too.
    pub access_token: SecretString,
    /// Where it came from.
    pub source: ConnectionSource,
}

impl Connection {
    /// Checks the URL and builds a connection: tokens go only over https, or to loopback.
    pub fn new(
        instance_url: &str,
        access_token: SecretString,
        source: ConnectionSource,
    ) -> Result<Self, OrgError> {
        let instance_url = checked_instance_url(instance_url)?;
        Ok(Self { instance_url, access_token, source })
    }
}

/// Resolves the request against the environment and the Salesforce CLI.
/// `Ok(None)` means no org was named: the caller may start the embedded emulator.
pub fn resolve(request: &ConnectionRequest) -> Result<Option<Connection>, OrgError> {
    match (&request.instance_url, &request.access_token) {
        (Some(url), Some(token)) => {
            return Connection::new(url, token.clone(), ConnectionSource::Explicit).map(Some);
        }
        (Some(_), None) | (None, Some(_)) if request.target_org.is_none() => {
            let from_env = environment_connection()?;
            return match from_env {
                Some(connection) => Ok(Some(connection)),
                None => Err(OrgError::IncompleteConnection(
                    "--instance-url and --access-token must be given together".into(),
                )),
            };
        }
        _ => {}
    }
    if let Some(connection) = environment_connection()? {
        return Ok(Some(connection));
    }
    match &request.target_org {
        Some(alias) => sf_org_display(alias).map(Some),
        None => Ok(None),
    }
}

fn environment_connection() -> Result<Option<Connection>, OrgError> {
    let url = non_empty_env(ENV_INSTANCE_URL);
    let token = non_empty_env(ENV_ACCESS_TOKEN);
    match (url, token) {
        (Some(url), Some(token)) => {
            Connection::new(&url, SecretString::from(token), ConnectionSource::Environment).map(Some)
        }
        (None, None) => Ok(None),
        _ => Err(OrgError::IncompleteConnection(format!(
            "{ENV_INSTANCE_URL} and {ENV_ACCESS_TOKEN} must be set together"
        ))),
    }
}

fn non_empty_env(name: &str) -> Option<String> {
    std::env::var(name).ok().filter(|value| !value.trim().is_empty())
}

/// Parses an instance URL and refuses plain http except to loopback.
pub fn checked_instance_url(raw: &str) -> Result<Url, OrgError> {
    let invalid =
        |reason: &str| OrgError::InvalidInstanceUrl { url: raw.to_owned(), reason: reason.to_owned() };
    let url = Url::parse(raw.trim()).map_err(|error| invalid(&error.to_string()))?;
    let host = url.host_str().ok_or_else(|| invalid("it has no host"))?;
    match url.scheme() {
        "https" => Ok(url),
        "http" if is_loopback_host(host) => Ok(url),
        "http" => Err(OrgError::InsecureInstanceUrl { url: raw.to_owned() }),
        _ => Err(invalid("the scheme must be https, or http on a loopback host")),
    }
}

/// True for `localhost`, 127.0.0.0/8 and ::1.
pub fn is_loopback_host(host: &str) -> bool {
    if host.eq_ignore_ascii_case("localhost") {
        return true;
    }
    let bare = host.trim_start_matches('[').trim_end_matches(']');
    bare.parse::<IpAddr>().is_ok_and(|ip| ip.is_loopback())
}

/// Runs `sf org display --json --target-org ALIAS` and reads the URL and token.
fn sf_org_display(alias: &str) -> Result<Connection, OrgError> {
    let output = run_with_timeout(
        Command::new("sf").args(["org", "display", "--json", "--target-org", alias]),
        SF_CLI_TIMEOUT,
    )
    .map_err(|error| match error.kind() {
        std::io::ErrorKind::NotFound => OrgError::SfCliMissing,
        _ => OrgError::SfCli { alias: alias.to_owned(), message: error.to_string() },
    })?;
    parse_sf_org_display(alias, &output)
}

/// Reads `result.instanceUrl` and `result.accessToken` from `sf org display --json` output.
pub fn parse_sf_org_display(alias: &str, json: &str) -> Result<Connection, OrgError> {
    let failure = |message: String| OrgError::SfCli { alias: alias.to_owned(), message };
    let value: serde_json::Value =
        serde_json::from_str(json).map_err(|error| failure(format!("its output is not JSON ({error})")))?;
    let status = value.get("status").and_then(serde_json::Value::as_i64);
    if status.is_some_and(|status| status != 0) {
        let message = value.get("message").and_then(serde_json::Value::as_str).unwrap_or("no message");
        return Err(failure(message.to_owned()));
    }
    let field = |name: &str| {
        value
            .pointer(&format!("/result/{name}"))
            .and_then(serde_json::Value::as_str)
            .filter(|text| !text.is_empty())
            .ok_or_else(|| failure(format!("result.{name} is missing")))
    };
    let instance_url = field("instanceUrl")?;
    let access_token = SecretString::from(field("accessToken")?.to_owned());
    Connection::new(instance_url, access_token, ConnectionSource::SalesforceCli { alias: alias.to_owned() })
}

/// Runs a command, returning its stdout, and kills it when it takes longer than `timeout`.
fn run_with_timeout(command: &mut Command, timeout: Duration) -> std::io::Result<String> {
    let mut child = command.stdin(Stdio::null()).stdout(Stdio::piped()).stderr(Stdio::null()).spawn()?;
    let mut stdout = child.stdout.take().ok_or_else(|| std::io::Error::other("no stdout"))?;
    let reader = std::thread::spawn(move || {
        let mut text = String::new();
        stdout.read_to_string(&mut text).map(|_| text)
    });
    let deadline = Instant::now() + timeout;
    loop {
        if child.try_wait()?.is_some() {
            break;
        }
        if Instant::now() >= deadline {
            child.kill()?;
            child.wait()?;
            return Err(std::io::Error::new(
                std::io::ErrorKind::TimedOut,
                format!("no answer within {} s", timeout.as_secs()),
            ));
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    reader.join().map_err(|_| std::io::Error::other("reading its output failed"))?
}

/// Exposes the token only to build a header or a SOAP session header.
pub(crate) fn token_text(token: &SecretString) -> &str {
    token.expose_secret()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn plain_http_is_only_allowed_to_loopback() {
        for ok in [
            "https://example.my.salesforce.com",
            "http://127.0.0.1:8080",
            "http://127.2.3.4",
            "http://localhost:1717",
            "http://[::1]:9000",
        ] {
            assert!(checked_instance_url(ok).is_ok(), "{ok}");
        }
        for refused in ["http://example.com", "http://10.0.0.1", "http://[::2]"] {
            assert!(
                matches!(checked_instance_url(refused), Err(OrgError::InsecureInstanceUrl { .. })),
                "{refused}"
            );
        }
        assert!(matches!(checked_instance_url("ftp://127.0.0.1"), Err(OrgError::InvalidInstanceUrl { .. })));
    }

    #[test]
    fn reads_sf_org_display_json() {
        let json = r#"{"status":0,"result":{"id":"00D000000000001AAA",
            "instanceUrl":"https://acme.my.salesforce.com","accessToken":"00Dxx!token",
            "username":"admin@acme.com"}}"#;
        let connection = parse_sf_org_display("acme", json).unwrap();
        assert_eq!(connection.instance_url.as_str(), "https://acme.my.salesforce.com/");
        assert_eq!(token_text(&connection.access_token), "00Dxx!token");
        assert!(!format!("{connection:?}").contains("00Dxx!token"));
    }

    #[test]
    fn reports_sf_errors_with_their_message() {
        let json =
            r#"{"status":1,"name":"NoOrgFound","message":"No authorization information found for nope."}"#;
        let error = parse_sf_org_display("nope", json).unwrap_err().to_string();
        assert!(error.contains("No authorization information found"), "{error}");
        let error = parse_sf_org_display("x", r#"{"status":0,"result":{}}"#).unwrap_err();
        assert!(error.to_string().contains("result.instanceUrl"));
    }
}
