//! `cargo xtask sf-cli`: a pinned Node.js and Salesforce CLI (`sf`) in `target/sf-cli/`, never
//! installed globally, and the one way to run that `sf` offline (shared by the interop tests
//! and `cargo xtask bench`).
//!
//! Node.js 22 comes from the npm registry itself (`node-<os>-<arch>` ships the binary); the
//! CLI is then installed with npm into a local folder with that node first on `PATH`. Every
//! run gets a fresh `HOME`, no telemetry, no update checks and no background update process
//! (see `../shared/salesforce/sf-cli-notes.md` §1).

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use anyhow::{Context, bail};

/// The pinned Node.js (the CLI needs 22 or later).
pub const NODE_VERSION: &str = "22.23.5";
/// The pinned Salesforce CLI.
pub const SF_CLI_VERSION: &str = "2.150.6";
/// The command that installs both.
pub const INSTALL_COMMAND: &str = "cargo xtask sf-cli";

/// Environment of every `sf` run: no telemetry, no update check, no detached `sf update`, no
/// DNS check on the instance host, no retries against Salesforce's public hosts, and the
/// file keychain (in the run's `HOME`).
pub const OFFLINE_ENV: &[(&str, &str)] = &[
    ("SF_DISABLE_TELEMETRY", "true"),
    ("SF_SKIP_NEW_VERSION_CHECK", "true"),
    ("SF_DISABLE_AUTOUPDATE", "true"),
    ("SF_AUTOUPDATE_DISABLE", "true"),
    ("SF_DISABLE_DNS_CHECK", "true"),
    ("SF_DOMAIN_RETRY", "0"),
    ("SF_USE_GENERIC_UNIX_KEYCHAIN", "true"),
];

/// Inherited variables that would point `sf` at another org, config or home.
const CLEARED_ENV: &[&str] = &[
    "SF_ACCESS_TOKEN",
    "SF_INSTANCE_URL",
    "SF_TARGET_ORG",
    "SF_ORG_METADATA_REST_DEPLOY",
    "SFDX_ACCESS_TOKEN",
    "SFDX_INSTANCE_URL",
    "XDG_CONFIG_HOME",
    "XDG_DATA_HOME",
    "XDG_CACHE_HOME",
    "NODE_OPTIONS",
];

/// The installed CLI: a node binary and the CLI's entry script.
#[derive(Debug, Clone)]
pub struct SfCli {
    /// `target/sf-cli/node/bin/node`.
    pub node: PathBuf,
    /// `target/sf-cli/cli/node_modules/@salesforce/cli/bin/run.js`.
    pub run_js: PathBuf,
}

/// `target/sf-cli` of the workspace (`$CARGO_TARGET_DIR/sf-cli` when that is set).
pub fn install_dir(root: &Path) -> PathBuf {
    std::env::var_os("CARGO_TARGET_DIR").map_or_else(|| root.join("target"), PathBuf::from).join("sf-cli")
}

fn stamp_text() -> String {
    format!("node {NODE_VERSION}\nsf {SF_CLI_VERSION}\n")
}

impl SfCli {
    fn at(dir: &Path) -> Self {
        Self {
            node: dir.join("node").join("bin").join("node"),
            run_js: dir
                .join("cli")
                .join("node_modules")
                .join("@salesforce")
                .join("cli")
                .join("bin")
                .join("run.js"),
        }
    }

    /// The CLI installed in `target/sf-cli`, or why there is none (naming the missing piece
    /// and the install command).
    pub fn locate(root: &Path) -> Result<Self, String> {
        let dir = install_dir(root);
        let cli = Self::at(&dir);
        let stamp = std::fs::read_to_string(dir.join("installed")).unwrap_or_default();
        let missing = if !cli.node.is_file() {
            Some(format!("Node.js {NODE_VERSION} ({})", cli.node.display()))
        } else if !cli.run_js.is_file() {
            Some(format!("@salesforce/cli {SF_CLI_VERSION} ({})", cli.run_js.display()))
        } else if stamp != stamp_text() {
            Some(format!("a verified install of sf {SF_CLI_VERSION} ({})", dir.join("installed").display()))
        } else {
            None
        };
        match missing {
            Some(what) => {
                Err(format!("the Salesforce CLI is not installed: missing {what}; run `{INSTALL_COMMAND}`"))
            }
            None => Ok(cli),
        }
    }

    /// `sf ARGS…` with the offline environment and `home` as its `HOME` (created if needed).
    pub fn command(&self, home: &Path, args: &[&str]) -> Command {
        let _ = std::fs::create_dir_all(home);
        let mut command = Command::new(&self.node);
        command.arg(&self.run_js).args(args).env("HOME", home).env("PATH", self.path_env());
        for name in CLEARED_ENV {
            command.env_remove(name);
        }
        command.envs(OFFLINE_ENV.iter().copied()).stdin(Stdio::null());
        command
    }

    /// `PATH` with the pinned node's folder first.
    fn path_env(&self) -> std::ffi::OsString {
        let mut parts: Vec<PathBuf> = self.node.parent().map(Path::to_path_buf).into_iter().collect();
        if let Some(path) = std::env::var_os("PATH") {
            parts.extend(std::env::split_paths(&path));
        }
        std::env::join_paths(parts).unwrap_or_default()
    }
}

/// The npm package that ships the Node.js binary for this machine.
fn node_package() -> anyhow::Result<String> {
    let os = match std::env::consts::OS {
        "linux" => "linux",
        "macos" => "darwin",
        other => {
            bail!("no pinned Node.js package for {other}: install Node.js 22 and @salesforce/cli yourself")
        }
    };
    let arch = match std::env::consts::ARCH {
        "x86_64" => "x64",
        "aarch64" => "arm64",
        other => bail!("no pinned Node.js package for {other}"),
    };
    Ok(format!("node-{os}-{arch}@{NODE_VERSION}"))
}

/// Installs Node.js and the CLI into `target/sf-cli` unless that exact pair is there already.
pub fn install(root: &Path) -> anyhow::Result<SfCli> {
    if let Ok(cli) = SfCli::locate(root) {
        eprintln!(
            "sf CLI {SF_CLI_VERSION} (Node.js {NODE_VERSION}) already installed in {}",
            install_dir(root).display()
        );
        return Ok(cli);
    }
    let dir = install_dir(root);
    let cli = SfCli::at(&dir);
    let _ = std::fs::remove_file(dir.join("installed"));
    std::fs::create_dir_all(&dir).with_context(|| format!("creating {}", dir.display()))?;
    if !cli.node.is_file() {
        install_node(&dir)?;
    }
    if !cli.run_js.is_file() {
        install_cli(&dir, &cli)?;
    }
    let version = cli.command(&dir.join("home"), &["--version"]).output().context("running sf --version")?;
    let printed = String::from_utf8_lossy(&version.stdout);
    if !version.status.success() || !printed.contains(SF_CLI_VERSION) {
        bail!(
            "the installed sf does not run: `sf --version` printed {:?} {}",
            printed.trim(),
            String::from_utf8_lossy(&version.stderr).trim()
        );
    }
    std::fs::write(dir.join("installed"), stamp_text()).context("writing the install stamp")?;
    eprintln!("installed {} in {}", printed.trim(), dir.display());
    Ok(cli)
}

fn run(command: &mut Command, what: &str) -> anyhow::Result<()> {
    let status =
        command.status().with_context(|| format!("{what}: could not start it (is npm installed?)"))?;
    if !status.success() {
        bail!("{what} failed ({status})");
    }
    Ok(())
}

fn install_node(dir: &Path) -> anyhow::Result<()> {
    let package = node_package()?;
    let download = dir.join("download");
    let _ = std::fs::remove_dir_all(&download);
    std::fs::create_dir_all(&download)?;
    eprintln!("fetching Node.js {NODE_VERSION} ({package}) from the npm registry");
    run(
        Command::new("npm")
            .args(["pack", "--silent", "--pack-destination"])
            .arg(&download)
            .arg(&package)
            .current_dir(&download)
            .stdout(Stdio::null()),
        "npm pack",
    )?;
    let tarball = std::fs::read_dir(&download)?
        .filter_map(Result::ok)
        .map(|entry| entry.path())
        .find(|path| path.extension().is_some_and(|ext| ext == "tgz"))
        .context("npm pack wrote no .tgz")?;
    run(Command::new("tar").arg("-xzf").arg(&tarball).arg("-C").arg(&download), "extracting Node.js")?;
    let node = dir.join("node");
    let _ = std::fs::remove_dir_all(&node);
    std::fs::rename(download.join("package"), &node).context("moving Node.js into place")?;
    let _ = std::fs::remove_dir_all(&download);
    Ok(())
}

fn install_cli(dir: &Path, cli: &SfCli) -> anyhow::Result<()> {
    let folder = dir.join("cli");
    let _ = std::fs::remove_dir_all(&folder);
    std::fs::create_dir_all(&folder)?;
    std::fs::write(folder.join("package.json"), "{\"name\": \"sf-cli-local\", \"private\": true}\n")?;
    eprintln!("installing @salesforce/cli {SF_CLI_VERSION} with npm (about a minute)");
    run(
        Command::new("npm")
            .args(["install", "--no-audit", "--no-fund", "--loglevel=error", "--update-notifier=false"])
            .arg(format!("@salesforce/cli@{SF_CLI_VERSION}"))
            .current_dir(&folder)
            .env("PATH", cli.path_env()),
        "npm install @salesforce/cli",
    )
}
