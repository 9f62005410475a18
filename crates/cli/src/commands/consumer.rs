//! `insights consumer`: the app's consumer key from the org and where its secret is; the
//! secret itself only with `--show-secret`.

use clap::Args;
use insights_org_client::consumer::{SecretSource, consumer_credentials};
use secrecy::ExposeSecret;

use super::connect::{ConnectionArgs, block_on, connect};
use super::output::outln;
use super::settings_args::SettingsArgs;
use super::{Outcome, exit};

/// Flags of `insights consumer`.
#[derive(Debug, Args)]
pub struct ConsumerArgs {
    #[command(flatten)]
    pub settings: SettingsArgs,

    #[command(flatten)]
    pub connection: ConnectionArgs,

    /// Print the consumer secret too.
    #[arg(long)]
    pub show_secret: bool,

    /// Print as JSON.
    #[arg(long)]
    pub json: bool,
}

/// Runs the command.
pub fn run(args: ConsumerArgs) -> Outcome {
    let settings = args.settings.load()?;
    block_on(async move {
        let session = connect(&args.connection, &settings.api_version).await?;
        let credentials = consumer_credentials(&session.client, &settings.app.api_name).await;
        session.close("consumer").await;
        let credentials = credentials?;
        let source = credentials.secret_source.map(|source| match source {
            SecretSource::SecretStore => "secret store",
            SecretSource::Environment => "INSIGHTS_CLIENT_SECRET",
            SecretSource::OrgRestApi => "the org's REST credentials resource",
        });
        let secret = credentials
            .consumer_secret
            .as_ref()
            .filter(|_| args.show_secret)
            .map(|secret| secret.expose_secret().to_owned());
        if args.json {
            let json = serde_json::json!({
                "app": settings.app.api_name,
                "org_id": credentials.org_id,
                "consumer_key": credentials.consumer_key,
                "secret_source": credentials.secret_source,
                "consumer_secret": secret,
            });
            outln!("{}", serde_json::to_string_pretty(&json)?);
        } else {
            outln!("Consumer key:    {}", credentials.consumer_key);
            match (source, secret) {
                (Some(_), Some(secret)) => outln!("Consumer secret: {secret}"),
                (Some(source), None) => outln!("Consumer secret: (from {source}; --show-secret prints it)"),
                (None, _) => outln!(
                    "Consumer secret: not available: not in the secret store, INSIGHTS_CLIENT_SECRET \
                     is unset, and the org does not give it over REST; copy it from Setup › App Manager \
                     › View › Manage Consumer Details"
                ),
            }
        }
        Ok(if credentials.consumer_secret.is_some() { exit::OK } else { exit::CHECK_FAILED })
    })?
}
