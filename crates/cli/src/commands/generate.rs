//! `insights generate --out DIR`: writes the metadata in source and Metadata API formats.

use std::path::PathBuf;

use anyhow::Context;
use clap::Args;

use super::output::outln;
use super::settings_args::SettingsArgs;
use super::{Outcome, exit};

/// Flags of `insights generate`.
#[derive(Debug, Args)]
pub struct GenerateArgs {
    #[command(flatten)]
    pub settings: SettingsArgs,

    /// The output folder (created if needed; other files in it are left alone).
    #[arg(long, default_value = "generated", value_name = "DIR")]
    pub out: PathBuf,

    /// Print the written files as JSON on stdout.
    #[arg(long)]
    pub json: bool,
}

/// Generates and writes every file.
pub fn run(args: GenerateArgs) -> Outcome {
    let (settings, generated) = args.settings.generate()?;
    let files = generated.files();
    let written = insights_metadata::write::write_files(&args.out, &files)
        .with_context(|| format!("writing the generated metadata into {}", args.out.display()))?;
    tracing::info!(app = %settings.app.api_name, files = written.len(), "metadata generated");
    if args.json {
        let paths: Vec<String> = written.iter().map(|p| p.display().to_string()).collect();
        outln!("{}", serde_json::json!({ "out": args.out.display().to_string(), "files": paths }));
    } else {
        for path in &written {
            outln!("{}", path.display());
        }
        eprintln!(
            "Generated {} files for {} in {} (source format at the root, Metadata API format under mdapi/).",
            written.len(),
            settings.app.api_name,
            args.out.display()
        );
    }
    Ok(exit::OK)
}
