//! Faults mid-way (issue 8, point 4).
//!
//! 1. `cargo xtask provision` interrupted at each step: the steps before it run, the step's own
//!    `insights` process is SIGKILLed when its `-vv` log reaches a chosen point (a queued
//!    validation, a stored secret before the app exists, a quick deploy sent but not applied, an
//!    applied deploy not yet read back, an assignment made but not reported, tokens issued…),
//!    then the whole provision runs again. It must pass and leave the org exactly as an
//!    uninterrupted run does: app and permission set as read back (consumer key aside), the
//!    assignments, the SetupEntityAccess links, the generated files, one stored secret that works
//!    (`verify-setup`, which runs the auth check, passes).
//! 2. `insights emulator serve` SIGKILLed while deploys and assignment writes are in flight: it
//!    restarts on the same state folder, the database is intact, every deploy is applied whole
//!    or not at all, and the work reruns to completion.

use std::collections::{BTreeMap, BTreeSet};
use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::Stdio;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use insights_e2e::{Workspace, failed, repo_root};
use insights_metadata::template::Templates;
use insights_org_client::retry::PollPolicy;
use insights_org_client::xml_tree::render_metadata_document;
use insights_org_client::{
    ClientOptions, Connection, ConnectionSource, DeployOptions, NoProgress, OrgClient,
};
use secrecy::SecretString;
use xtask::embedded::EmbeddedOrg;
use xtask::insights::Insights;
use xtask::provision::ProvisionArgs;

/// The steps of `cargo xtask provision`, as it runs them (`xtask/src/provision.rs`).
const STEPS: [&str; 7] = ["generate", "review", "validate", "deploy", "assign", "consumer", "auth-check"];

/// The `insights` arguments of a step, and whether it talks to the org.
fn step_args(step: &str, generated: &str) -> (Vec<String>, bool) {
    let (args, on_org): (&[&str], bool) = match step {
        "generate" => (&["generate", "--out", generated, "--json"], false),
        "review" => (&["review", "--json"], false),
        "validate" => (&["deploy", "--check-only"], true),
        "deploy" => (&["deploy"], true),
        "assign" => (&["assign", "--json"], true),
        "consumer" => (&["consumer", "--json"], true),
        _ => (&["auth-check", "--json"], true),
    };
    (args.iter().map(|a| a.to_string()).collect(), on_org)
}

/// Where a step is killed: when the `nth` log line containing `marker` has been printed
/// (`None`: right after it starts).
struct Cut {
    step: &'static str,
    marker: Option<&'static str>,
    nth: usize,
}

const CUTS: &[Cut] = &[
    Cut { step: "generate", marker: None, nth: 0 },
    Cut { step: "review", marker: None, nth: 0 },
    Cut { step: "validate", marker: Some("deploy started"), nth: 1 },
    Cut { step: "deploy", marker: Some("consumer secret stored"), nth: 1 },
    Cut { step: "deploy", marker: Some("deployRecentValidation"), nth: 1 },
    Cut { step: "deploy", marker: Some("deploy finished"), nth: 2 },
    Cut { step: "assign", marker: Some("SELECT AssigneeId"), nth: 1 },
    Cut { step: "assign", marker: Some("permission set assigned"), nth: 1 },
    Cut { step: "consumer", marker: Some("readMetadata"), nth: 1 },
    Cut { step: "auth-check", marker: Some("authorization code exchanged"), nth: 1 },
    Cut { step: "auth-check", marker: Some("invalid code verifier"), nth: 1 },
];

/// What the org holds that provisioning is about, with ids replaced by names.
#[derive(Debug, PartialEq, Eq)]
struct Snapshot {
    app: String,
    permission_set: String,
    assignments: BTreeSet<(String, String)>,
    links: BTreeSet<(String, String, String)>,
    apps: i64,
}

fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_multi_thread().worker_threads(1).enable_all().build().expect("runtime")
}

fn snapshot(workspace: &Workspace) -> Snapshot {
    runtime().block_on(async {
        let settings = workspace.settings(&[]);
        let org = workspace.open_org().await;
        let (_, app) = org.client.read_app(&settings.app.api_name).await.expect("read").expect("the app");
        // The consumer key is the org's own, different in each org.
        let app: String = render_metadata_document(&app, "ConnectedApp", &[])
            .lines()
            .filter(|line| !line.contains("<consumerKey>"))
            .map(|line| format!("{line}\n"))
            .collect();
        let permission_set = org
            .client
            .read_one("PermissionSet", &settings.permission_set.api_name)
            .await
            .expect("read")
            .expect("the permission set");
        let permission_set = render_metadata_document(&permission_set.element, "PermissionSet", &[]);
        let (assignments, links, apps) = org
            .emulator
            .store()
            .read(|c| {
                let mut statement = c.prepare(
                    "SELECT u.username, p.name FROM permission_set_assignments a
                     JOIN users u ON u.id = a.assignee_id JOIN permission_sets p ON p.id = a.permission_set_id",
                )?;
                let assignments = statement
                    .query_map([], |r| Ok((r.get(0)?, r.get(1)?)))?
                    .collect::<Result<BTreeSet<(String, String)>, _>>()?;
                let mut statement = c.prepare(
                    "SELECT p.name, s.setup_entity_type, COALESCE(a.full_name, k.name, s.setup_entity_id)
                     FROM setup_entity_access s JOIN permission_sets p ON p.id = s.parent_id
                     LEFT JOIN connected_apps a ON a.id = s.setup_entity_id
                     LEFT JOIN apex_classes k ON k.id = s.setup_entity_id",
                )?;
                let links = statement
                    .query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))?
                    .collect::<Result<BTreeSet<(String, String, String)>, _>>()?;
                let apps: i64 = c.query_row("SELECT COUNT(*) FROM connected_apps", [], |r| r.get(0))?;
                Ok((assignments, links, apps))
            })
            .expect("org database read");
        org.close().await;
        Snapshot { app, permission_set, assignments, links, apps }
    })
}

/// Every file under `dir`, by relative path.
fn files(dir: &Path) -> BTreeMap<String, Vec<u8>> {
    let mut found = BTreeMap::new();
    let mut pending = vec![dir.to_path_buf()];
    while let Some(folder) = pending.pop() {
        let Ok(entries) = std::fs::read_dir(&folder) else { continue };
        for entry in entries.flatten() {
            let path = entry.path();
            if path.is_dir() {
                pending.push(path);
            } else {
                let relative = path.strip_prefix(dir).expect("under dir").display().to_string();
                found.insert(relative, std::fs::read(&path).expect("readable"));
            }
        }
    }
    found
}

fn runner(workspace: &Workspace) -> Insights {
    workspace.org_args(&[]).connect(&repo_root(), true).expect("the embedded org target").insights
}

/// Runs one step as the xtask does, and asserts that it succeeded.
fn run_step(insights: &Insights, step: &str, generated: &str) {
    let (args, on_org) = step_args(step, generated);
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    let out = if on_org { insights.run_on_org(&args) } else { insights.run(&args) }.expect("step runs");
    assert!(out.success(), "step {step} failed before the cut: {}", out.reason());
}

/// Runs `step` with `-vv` and SIGKILLs it at the cut; panics when it ended on its own first.
fn run_killed(insights: &Insights, cut: &Cut, generated: &str) {
    let (mut args, on_org) = step_args(cut.step, generated);
    if on_org {
        args.extend(insights.org_flags.iter().cloned());
    }
    let mut all = vec!["-vv".to_string()];
    all.extend(args);
    let all: Vec<&str> = all.iter().map(String::as_str).collect();
    let mut child = insights
        .command(&all)
        .env("NO_COLOR", "1")
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .expect("step spawned");
    let stderr = child.stderr.take().expect("stderr");
    if let Some(marker) = cut.marker {
        let mut seen = 0;
        let mut lines = BufReader::new(stderr).lines();
        while seen < cut.nth {
            match lines.next() {
                Some(Ok(line)) if line.contains(marker) => seen += 1,
                Some(Ok(_)) => {}
                _ => {
                    panic!("{}: `{marker}` was not logged {} times before the step ended", cut.step, cut.nth)
                }
            }
        }
        child.kill().expect("killed");
    } else {
        child.kill().expect("killed");
        drop(stderr);
    }
    let status = child.wait().expect("reaped");
    assert_eq!(status.code(), None, "{} at {:?} finished before it was killed", cut.step, cut.marker);
}

fn interrupted_run(cut: &Cut, reference: &Snapshot, reference_files: &BTreeMap<String, Vec<u8>>) {
    let workspace = Workspace::new();
    let insights = runner(&workspace);
    let generated = workspace.root().join("insights-generated");
    let generated_text = generated.display().to_string();
    let position = STEPS.iter().position(|s| *s == cut.step).expect("a step");
    for step in &STEPS[..position] {
        run_step(&insights, step, &generated_text);
    }
    run_killed(&insights, cut, &generated_text);
    if cut.step == "generate" {
        // A kill while writing leaves torn files behind: half of each.
        for (path, bytes) in reference_files {
            let target = generated.join(path);
            std::fs::create_dir_all(target.parent().expect("a folder")).expect("folder");
            std::fs::write(&target, &bytes[..bytes.len() / 2]).expect("torn file");
        }
    }
    let label = format!("{} killed at {:?}", cut.step, cut.marker);
    let rerun = workspace.provision();
    assert!(rerun.passed, "{label}: the rerun failed: {:#?}", rerun.steps);
    assert_eq!(&snapshot(&workspace), reference, "{label}: the org differs from an uninterrupted run");
    assert_eq!(&files(&generated), reference_files, "{label}: the generated files differ");
    assert_eq!(files(&workspace.secret_store()).len(), 1, "{label}: one stored secret");
    let verification = workspace.verify(&[]);
    assert_eq!(verification.exit_code, 0, "{label}: verify-setup: {:#?}", failed(&verification));
}

#[test]
fn provision_killed_at_each_step_reruns_to_the_same_org() {
    let reference = Workspace::new();
    assert!(reference.provision().passed);
    let expected = snapshot(&reference);
    assert_eq!(expected.apps, 1);
    assert!(!expected.assignments.is_empty() && !expected.links.is_empty(), "{expected:#?}");
    let reference_files = files(&reference.root().join("insights-generated"));
    assert!(!reference_files.is_empty());
    // Every step is cut at least once.
    for step in STEPS {
        assert!(CUTS.iter().any(|c| c.step == step), "{step} is never interrupted");
    }
    // Four at a time: most of a run is waiting on deploy polls.
    for chunk in CUTS.chunks(4) {
        std::thread::scope(|scope| {
            for cut in chunk {
                scope.spawn(|| interrupted_run(cut, &expected, &reference_files));
            }
        });
    }
}

/// The label tag of a deploy made by the load (`None`: the config's own labels).
fn load_tag(label: Option<&str>) -> Option<String> {
    label.and_then(|l| l.strip_prefix("Load ")).map(|t| t.split(' ').next().unwrap_or("").to_string())
}

async fn client_for(server: &EmbeddedOrg) -> OrgClient {
    let token = SecretString::from(server.access_token.clone());
    let connection =
        Connection::new(&server.instance_url, token, ConnectionSource::Explicit).expect("connection");
    let options = ClientOptions {
        poll: PollPolicy {
            first_delay: Duration::from_millis(20),
            factor: 1.0,
            max_delay: Duration::from_millis(20),
        },
        ..ClientOptions::default()
    };
    OrgClient::connect(connection, "66.0", options).await.expect("client connects")
}

/// Deploys (app and permission set labelled alike) and assignment writes against the served
/// org until `deploys` deploys have finished; the tasks are still running when it returns.
async fn start_load(
    workspace: &Workspace,
    server: &EmbeddedOrg,
    round: usize,
    deploys: usize,
) -> Vec<tokio::task::JoinHandle<()>> {
    let finished = Arc::new(AtomicUsize::new(0));
    let mut tasks = Vec::new();
    for deployer in 0..2 {
        let client = client_for(server).await;
        let finished = finished.clone();
        let settings: Vec<_> = (0..50)
            .map(|n| {
                let app = format!("Load r{round}d{deployer}n{n} app");
                let set = format!("Load r{round}d{deployer}n{n} set");
                workspace.settings(&[
                    ("app.label", app.as_str()),
                    ("app.api_name", "Insights_API_Authorization"),
                    ("permission_set.label", set.as_str()),
                    ("permission_set.api_name", "Insights_API_Access"),
                ])
            })
            .collect();
        tasks.push(tokio::spawn(async move {
            for settings in settings {
                let generated = insights_metadata::generate(&settings, &Templates::builtin()).expect("valid");
                let Ok(id) = client.deploy(&generated.deploy_zip(None), &DeployOptions::default()).await
                else {
                    return;
                };
                if client.wait_for_deploy(&id, Duration::from_secs(30), &NoProgress).await.is_err() {
                    return;
                }
                finished.fetch_add(1, Ordering::SeqCst);
            }
        }));
    }
    let client = client_for(server).await;
    tasks.push(tokio::spawn(async move {
        let user: insights_org_client::rest::QueryResult<serde_json::Value> =
            match client.query("SELECT Id FROM User WHERE Username = 'admin@insights-emulator.test'").await {
                Ok(rows) => rows,
                Err(_) => return,
            };
        let Some(user_id) = user.records.first().and_then(|r| r["Id"].as_str()).map(String::from) else {
            return;
        };
        let Ok(set_id) = insights_org_client::assign::permission_set_id(&client, "Insights_API_Access").await
        else {
            return;
        };
        let body = serde_json::json!({ "AssigneeId": user_id, "PermissionSetId": set_id });
        loop {
            let Ok(created) = client.create_sobject("PermissionSetAssignment", &body).await else { return };
            if client.delete_sobject("PermissionSetAssignment", &created.id).await.is_err() {
                return;
            }
        }
    }));
    while finished.load(Ordering::SeqCst) < deploys {
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    tasks
}

/// The database is intact and the last deploy is there whole: app and permission set carry
/// the labels of the same deploy.
fn assert_consistent(workspace: &Workspace, round: usize) {
    runtime().block_on(async {
        let org = workspace.open_org().await;
        let (integrity, foreign_keys) = org
            .emulator
            .store()
            .read(|c| {
                let integrity: String = c.query_row("PRAGMA integrity_check", [], |r| r.get(0))?;
                let mut statement = c.prepare("PRAGMA foreign_key_check")?;
                let broken = statement.query_map([], |r| r.get::<_, String>(0))?.count();
                Ok((integrity, broken))
            })
            .expect("org database read");
        assert_eq!(integrity, "ok", "round {round}");
        assert_eq!(foreign_keys, 0, "round {round}: rows pointing at nothing");
        let (_, app) =
            org.client.read_app("Insights_API_Authorization").await.expect("read").expect("the app");
        let set =
            org.client.read_one("PermissionSet", "Insights_API_Access").await.expect("read").expect("set");
        let app_tag = load_tag(app.child_text("label"));
        let set_tag = load_tag(set.element.child_text("label"));
        assert!(app_tag.is_some(), "round {round}: no load deploy was applied before the kill");
        assert_eq!(app_tag, set_tag, "round {round}: a deploy was applied in part");
        org.close().await;
    });
}

#[test]
fn emulator_killed_while_writing_restarts_with_a_complete_state() {
    let workspace = Workspace::new();
    let insights = runner(&workspace);
    let serve = |insights: &Insights| {
        EmbeddedOrg::start(insights, &workspace.state_dir(), false).expect("the emulator starts")
    };
    let provision_on = |server: &EmbeddedOrg| {
        let mut org = workspace.org_args(&[]);
        org.instance_url = Some(server.instance_url.clone());
        org.access_token = Some(server.access_token.clone());
        // The interactive auth check needs the embedded org; verify-setup runs it below.
        let args = ProvisionArgs { org, dry_run: false, skip_auth_check: true, login_timeout: None };
        xtask::provision::run(&repo_root(), &args).expect("provision runs")
    };
    let mut server = serve(&insights);
    assert!(provision_on(&server).passed);
    let load_runtime = runtime();
    for round in 0..3 {
        let tasks = load_runtime.block_on(start_load(&workspace, &server, round, 2 + round));
        // SIGKILL (EmbeddedOrg's drop) while the other deploys and the assignment writes run.
        drop(server);
        for task in &tasks {
            task.abort();
        }
        assert_consistent(&workspace, round);
        server = serve(&insights);
    }
    // The rerun puts the config's labels back and completes.
    let rerun = provision_on(&server);
    assert!(rerun.passed, "{:#?}", rerun.steps);
    drop(server);
    // The assignment writes gave the admin the permission set (the kill may have come between
    // a create and its delete); the auth check's probe needs the admin without it.
    runtime().block_on(async {
        let org = workspace.open_org().await;
        let removed = org
            .emulator
            .store()
            .with_tx(|tx| {
                Ok(tx.execute(
                    "DELETE FROM permission_set_assignments WHERE assignee_id =
                         (SELECT id FROM users WHERE username = 'admin@insights-emulator.test')",
                    [],
                )?)
            })
            .expect("cleaned up");
        assert!(removed <= 1, "{removed} assignments of one permission set to one user");
        org.close().await;
    });
    let verification = workspace.verify(&[]);
    assert_eq!(verification.exit_code, 0, "{:#?}", failed(&verification));
}
