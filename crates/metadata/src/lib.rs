//! Config, templates, typed model, validation and rendering of the Insights+ Connected App
//! metadata.
//!
//! The flow is `insights.toml` ⇒ [`config::Settings`] ⇒ filled [`template::Templates`] ⇒
//! schema-checked XML ([`schema`]) ⇒ typed views ([`model`]) ⇒ canonical files and a deploy
//! zip ([`generate()`]). Every step reports all of its problems at once ([`Problems`]). This
//! crate does no network IO and never writes a consumer secret to a file.

pub mod config;
mod generate;
pub mod model;
mod problem;
pub mod review;
pub mod schema;
pub mod template;
pub mod write;
pub mod xml;

pub use generate::{
    DEPLOY_ZIP, EcaComponent, Generated, GeneratedFile, generate, insert_in_order, zip_files,
};
pub use problem::{Problem, Problems};
