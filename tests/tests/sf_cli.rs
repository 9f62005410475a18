//! Interop with the Salesforce CLI (`sf`, pinned, installed in `target/sf-cli` by
//! `cargo xtask sf-cli`): the CLI logs in to `insights emulator serve`, deploys the project
//! `insights generate` wrote, sees a broken copy fail, retrieves files that match ours,
//! assigns the permission set and finds the assignment with SOQL.
//!
//! Each test has its own org (a temp state folder) and its own `HOME`. When the CLI is not
//! installed the tests say so on stderr and pass: CI installs it first (`.ci/run`).

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::Output;
use std::time::Duration;

use insights_metadata::config::{Overrides, Settings};
use serde_json::Value;
use xtask::embedded::EmbeddedOrg;
use xtask::insights::Insights;
use xtask::sf_cli::SfCli;

const ALIAS: &str = "emu";
const API_USER: &str = "api@insights-emulator.test";

/// The installed CLI, or `None` after saying on stderr why the test is skipped.
fn installed_sf(test: &str) -> Option<SfCli> {
    match SfCli::locate(&insights_e2e::repo_root()) {
        Ok(sf) => Some(sf),
        Err(reason) => {
            // Straight to stderr, past the test harness's capture, so the skip shows in every run.
            let _ =
                writeln!(std::io::stderr(), "SKIPPED {test}: {reason} (the sf CLI interop tests need it)");
            None
        }
    }
}

/// One test's world: an emulator org, a generated project, the CLI logged in with its own HOME.
struct Interop {
    sf: SfCli,
    dir: tempfile::TempDir,
    org: EmbeddedOrg,
    settings: Settings,
}

/// What one `sf … --json` run ended with.
struct SfRun {
    code: Option<i32>,
    json: Value,
    stderr: String,
}

impl SfRun {
    fn from(output: Output) -> Self {
        let stdout = String::from_utf8_lossy(&output.stdout);
        Self {
            code: output.status.code(),
            json: serde_json::from_str(stdout.trim()).unwrap_or(Value::Null),
            stderr: String::from_utf8_lossy(&output.stderr).into_owned(),
        }
    }

    fn expect_success(self, what: &str) -> Value {
        assert_eq!(self.code, Some(0), "{what} failed: {:#}\n{}", self.json, self.stderr);
        self.json
    }
}

impl Interop {
    /// Starts an org, writes the project with `insights generate` and logs the CLI in.
    fn start(sf: SfCli) -> Self {
        let dir = tempfile::tempdir().expect("a temp dir");
        let root = insights_e2e::repo_root();
        let config = root.join("insights.toml");
        let insights = Insights {
            binary: insights_e2e::insights_binary(),
            workdir: root,
            env: Vec::new(),
            global_flags: vec!["-q".into()],
            org_flags: Vec::new(),
        };
        let org = EmbeddedOrg::start(&insights, &dir.path().join("org"), true).expect("the emulator starts");
        let out = dir.path().join("project");
        let (config_arg, out_arg) = (config.display().to_string(), out.display().to_string());
        let generated =
            insights.run(&["generate", "--config", &config_arg, "--out", &out_arg]).expect("insights runs");
        assert!(generated.success(), "insights generate failed: {}", generated.reason());
        let settings =
            Settings::load(Some(&config), &Overrides::default()).expect("the example config is valid");
        let interop = Self { sf, dir, org, settings };
        let mut login =
            interop.sf_command(&["org", "login", "access-token", "--no-prompt", "--alias", ALIAS]);
        login
            .args(["--instance-url", &interop.org.instance_url])
            .env("SF_ACCESS_TOKEN", &interop.org.access_token);
        let login = SfRun::from(login.output().expect("sf runs")).expect_success("sf org login access-token");
        assert_eq!(login["result"]["username"], "admin@insights-emulator.test");
        assert_eq!(login["result"]["isDevHub"], false, "the org is no Dev Hub");
        interop
    }

    fn home(&self) -> PathBuf {
        self.dir.path().join("home")
    }

    /// The generated project (source format, `sfdx-project.json` at its root).
    fn project(&self) -> PathBuf {
        self.dir.path().join("project")
    }

    fn sf_command(&self, args: &[&str]) -> std::process::Command {
        let mut command = self.sf.command(&self.home(), args);
        command.arg("--json").current_dir(self.project());
        command
    }

    /// `sf ARGS… --json` in `project`, against the org.
    fn sf_in(&self, project: &Path, args: &[&str]) -> SfRun {
        let mut command = self.sf_command(args);
        command.args(["--target-org", ALIAS]).current_dir(project);
        SfRun::from(command.output().expect("sf runs"))
    }

    /// A SOQL query straight to the org's REST API (the org's view, not the CLI's).
    fn org_query(&self, soql: &str) -> Value {
        let runtime =
            tokio::runtime::Builder::new_current_thread().enable_all().build().expect("a tokio runtime");
        runtime
            .block_on(async {
                reqwest::Client::new()
                    .get(format!("{}/services/data/v66.0/query", self.org.instance_url))
                    .query(&[("q", soql)])
                    .bearer_auth(&self.org.access_token)
                    .timeout(Duration::from_secs(10))
                    .send()
                    .await?
                    .json::<Value>()
                    .await
            })
            .expect("the org answers the query")
    }

    fn app_count(&self) -> Value {
        let soql = format!(
            "SELECT Id, Name FROM ConnectedApplication WHERE Name = '{}'",
            self.settings.app.api_name
        );
        self.org_query(&soql)["totalSize"].clone()
    }

    fn deploy(&self, project: &Path) -> SfRun {
        self.sf_in(project, &["project", "deploy", "start", "--source-dir", "force-app", "--wait", "5"])
    }
}

/// Source files under `force-app`, by relative path, without the org-managed consumer key.
fn source_files(project: &Path) -> Vec<(String, String)> {
    fn walk(dir: &Path, base: &Path, files: &mut Vec<(String, String)>) {
        for entry in std::fs::read_dir(dir).expect("a readable folder").flatten() {
            let path = entry.path();
            if path.is_dir() {
                walk(&path, base, files);
            } else {
                let text = std::fs::read_to_string(&path).expect("a text file");
                let text: Vec<&str> =
                    text.lines().filter(|line| !line.trim().starts_with("<consumerKey>")).collect();
                let name = path.strip_prefix(base).unwrap_or(&path).display().to_string();
                files.push((name, text.join("\n")));
            }
        }
    }
    let mut files = Vec::new();
    let base = project.join("force-app");
    walk(&base, &base, &mut files);
    files.sort();
    files
}

fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).expect("a folder");
    for entry in std::fs::read_dir(from).expect("a readable folder").flatten() {
        let target = to.join(entry.file_name());
        if entry.path().is_dir() {
            copy_dir(&entry.path(), &target);
        } else {
            std::fs::copy(entry.path(), &target).expect("a copied file");
        }
    }
}

#[test]
fn sf_deploys_our_project_and_retrieves_the_same_files() {
    let Some(sf) = installed_sf("sf_deploys_our_project_and_retrieves_the_same_files") else { return };
    let interop = Interop::start(sf);
    assert_eq!(interop.app_count(), 0);

    let deployed = interop.deploy(&interop.project()).expect_success("sf project deploy start");
    assert_eq!(
        (&deployed["result"]["status"], &deployed["result"]["success"]),
        (&"Succeeded".into(), &true.into())
    );
    let mut files: Vec<(String, String)> = deployed["result"]["files"]
        .as_array()
        .expect("deployed files")
        .iter()
        .map(|file| {
            (
                file["type"].as_str().unwrap_or_default().into(),
                file["state"].as_str().unwrap_or_default().into(),
            )
        })
        .collect();
    files.sort();
    assert_eq!(
        files,
        [("ConnectedApp".into(), "Created".into()), ("PermissionSet".into(), "Created".into())]
    );
    assert_eq!(interop.app_count(), 1, "the app is in the org");

    // Retrieve into a copy of the project whose metadata files are gone.
    let copy = interop.dir.path().join("retrieved");
    copy_dir(&interop.project(), &copy);
    std::fs::remove_dir_all(copy.join("force-app")).expect("force-app removed");
    std::fs::create_dir(copy.join("force-app")).expect("an empty package directory");
    let app = format!("ConnectedApp:{}", interop.settings.app.api_name);
    let set = format!("PermissionSet:{}", interop.settings.permission_set.api_name);
    let retrieved = interop
        .sf_in(&copy, &["project", "retrieve", "start", "--metadata", &app, "--metadata", &set])
        .expect_success("sf project retrieve start");
    assert_eq!(retrieved["result"]["status"], "Succeeded");
    let ours = source_files(&interop.project());
    assert_eq!(ours.len(), 2, "{ours:?}");
    assert_eq!(source_files(&copy), ours, "retrieved files match the generated ones");
    let retrieved_app = std::fs::read_to_string(
        copy.join("force-app/main/default/connectedApps")
            .join(format!("{}.connectedApp-meta.xml", interop.settings.app.api_name)),
    )
    .expect("the retrieved app");
    assert!(retrieved_app.contains("<consumerKey>"), "the org adds its consumer key");
}

#[test]
fn sf_reports_the_component_failure_of_a_broken_copy() {
    let Some(sf) = installed_sf("sf_reports_the_component_failure_of_a_broken_copy") else { return };
    let interop = Interop::start(sf);
    let broken = interop.dir.path().join("broken");
    copy_dir(&interop.project(), &broken);
    let app_file = broken
        .join("force-app/main/default/connectedApps")
        .join(format!("{}.connectedApp-meta.xml", interop.settings.app.api_name));
    let xml = std::fs::read_to_string(&app_file).expect("the app file");
    assert!(
        xml.contains("<ipRelaxation>BYPASS</ipRelaxation>"),
        "the example config bypasses IP restrictions"
    );
    std::fs::write(&app_file, xml.replace("<ipRelaxation>BYPASS<", "<ipRelaxation>SOMETIMES<"))
        .expect("written");

    let failed = interop.deploy(&broken);
    assert_eq!(failed.code, Some(1), "a failed deploy exits 1: {:#}", failed.json);
    let result = &failed.json["result"];
    assert_eq!((&result["status"], &result["success"]), (&"Failed".into(), &false.into()));
    let failures = result["details"]["componentFailures"].as_array().expect("component failures");
    assert_eq!(failures.len(), 1, "{failures:#?}");
    assert_eq!(failures[0]["componentType"], "ConnectedApp");
    assert_eq!(failures[0]["fullName"], interop.settings.app.api_name.as_str());
    let problem = failures[0]["problem"].as_str().unwrap_or_default();
    assert!(problem.contains("ipRelaxation") && problem.contains("SOMETIMES"), "{problem}");
    assert_eq!(interop.app_count(), 0, "nothing was deployed");
}

#[test]
fn sf_assigns_the_permission_set_and_finds_the_assignment() {
    let Some(sf) = installed_sf("sf_assigns_the_permission_set_and_finds_the_assignment") else { return };
    let interop = Interop::start(sf);
    interop.deploy(&interop.project()).expect_success("sf project deploy start");
    let set = interop.settings.permission_set.api_name.clone();

    let assigned = interop
        .sf_in(&interop.project(), &["org", "assign", "permset", "--name", &set, "--on-behalf-of", API_USER])
        .expect_success("sf org assign permset");
    assert_eq!(assigned["result"]["successes"][0]["name"], API_USER);
    assert_eq!(assigned["result"]["failures"], Value::Array(Vec::new()));

    let soql = format!(
        "SELECT Id, Assignee.Username, PermissionSet.Name FROM PermissionSetAssignment WHERE PermissionSet.Name = '{set}'"
    );
    let found = interop
        .sf_in(&interop.project(), &["data", "query", "--query", &soql])
        .expect_success("sf data query");
    let records = found["result"]["records"].as_array().expect("records");
    assert_eq!(records.len(), 1, "{records:#?}");
    assert_eq!(records[0]["Assignee"]["Username"], API_USER);
    assert_eq!(
        interop.org_query(&soql)["records"][0]["Id"],
        records[0]["Id"],
        "the org holds that assignment"
    );
}
