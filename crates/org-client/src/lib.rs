//! Talks to a Salesforce org (real or emulated): the Metadata SOAP API (deploy, status,
//! retrieve, read, list), REST (query, sObjects), permission set assignment, the consumer
//! secret store, and the comparison of generated against deployed metadata.
//!
//! Knows nothing of terminals or command lines: callers get typed results and errors, and
//! progress through [`metadata_api::poll::DeployObserver`]. Every request has a timeout and
//! transient failures are retried with backoff ([`retry::RetryPolicy`]).

pub mod assign;
pub mod client;
pub mod connection;
pub mod consumer;
pub mod diff;
mod error;
#[doc(hidden)]
pub mod fuzzing;
pub mod metadata_api;
pub mod provision;
pub mod rest;
pub mod retry;
pub mod secret_store;
pub mod soap;
pub mod xml_tree;

pub use client::{ClientOptions, OrgClient};
pub use connection::{Connection, ConnectionRequest, ConnectionSource};
pub use error::{OrgError, RestError};
pub use metadata_api::deploy::{DeployMessage, DeployResult, DeployStatus};
pub use metadata_api::poll::{DeployObserver, DeployOutcome, NoProgress};
pub use soap::requests::DeployOptions;
