//! `insights retrieve --out DIR`: what the org has for our components, unzipped into a folder
//! in Metadata API format.

use std::path::PathBuf;

use anyhow::Context;
use clap::Args;
use insights_metadata::config::AppKind;
use insights_metadata::model::external_client_app as eca;
use insights_org_client::metadata_api::read::{CONNECTED_APP, PERMISSION_SET};
use insights_org_client::metadata_api::retrieve::unzip_into;

use super::connect::{ConnectionArgs, block_on, connect};
use super::output::outln;
use super::settings_args::SettingsArgs;
use super::{Outcome, exit};

/// Flags of `insights retrieve`.
#[derive(Debug, Args)]
pub struct RetrieveArgs {
    #[command(flatten)]
    pub settings: SettingsArgs,

    #[command(flatten)]
    pub connection: ConnectionArgs,

    /// The folder to unzip into (created if needed).
    #[arg(long, value_name = "DIR")]
    pub out: PathBuf,
}

/// Runs the command.
pub fn run(args: RetrieveArgs) -> Outcome {
    let settings = args.settings.load()?;
    block_on(async move {
        let session = connect(&args.connection, &settings.api_version).await?;
        let app = &settings.app.api_name;
        let mut members: Vec<(&str, Vec<String>)> = match settings.app_kind {
            AppKind::ConnectedApp => vec![(CONNECTED_APP, vec![app.clone()])],
            AppKind::ExternalClientApp => {
                eca::ECA_TYPES.iter().map(|t| (t.type_name, vec![t.component_name(app)])).collect()
            }
        };
        members.push((PERMISSION_SET, vec![settings.permission_set.api_name.clone()]));
        let retrieved = session.client.retrieve(&members).await;
        session.close("retrieve").await;
        let retrieved = retrieved?;
        for (file, problem) in &retrieved.messages {
            eprintln!("warning: {file}: {problem}");
        }
        let written = unzip_into(&retrieved.zip, &args.out)
            .with_context(|| format!("unzipping the retrieved metadata into {}", args.out.display()))?;
        for path in &written {
            outln!("{}", args.out.join(path).display());
        }
        Ok(exit::OK)
    })?
}
