//! End-to-end OAuth 2.0 web server flow with PKCE, refresh, the Insights+ call, and policy probes.
//!
//! Proves that an API user can reach the Insights+ Apex REST endpoint through the provisioned
//! Connected App, and only the way the app intends: with PKCE (S256), with the consumer secret,
//! with the permission set. Two entry points:
//!
//! - [`run_flow`]: a login (a person in a browser, or the emulator's login form), the code
//!   exchange, the Insights+ call, a refresh, and the probes, each with its own authorization;
//! - [`run_unattended`]: for CI, from a refresh token: refresh, call, introspect, and the probes
//!   that need no login.
//!
//! Both return a [`Report`] of [`Check`]s. The crate prints nothing (it logs through `tracing`),
//! and tokens, the secret, the verifier and codes live only in `secrecy` types: they never reach
//! a log, an error or a report. Requests to anything but https (or http on loopback) are refused.

pub mod authorize;
pub mod check_names;
pub mod error;
pub mod explain;
pub mod flow;
pub mod insights_call;
pub mod login;
pub mod loopback;
pub mod oauth;
pub mod propagation;
pub mod report;
pub mod transport;
pub mod unattended;

pub use authorize::{AuthorizeOptions, PendingAuthorization};
pub use error::{AuthCheckError, OrgError, StepError};
pub use explain::likely_cause;
pub use flow::{FlowConfig, default_scopes, run_flow};
pub use login::{Login, LoginPrompt, LoginUi, LoginUser, emulator_login};
pub use oauth::{OAuthApp, Secret, Tokens};
pub use propagation::PropagationWait;
pub use report::{Check, Mode, Report};
pub use transport::http_client;
pub use unattended::{UnattendedConfig, run_unattended};
pub use url::Url;

/// The Insights+ path used when the config names none.
pub const DEFAULT_INSIGHTS_ENDPOINT: &str = "/services/apexrest/insights/v1/status";
