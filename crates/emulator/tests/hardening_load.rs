//! Correctness under load on one emulator: 200 concurrent token exchanges, each
//! authorization code raced 5 times (exactly one success per code), refresh tokens used
//! concurrently (all consistent), and 20 concurrent deploys (each app saved exactly once).
//! Throughput and peak memory are measured by `examples/load.rs`, not asserted here.

mod load_common;

use std::collections::BTreeSet;

use futures_like::join_all;
use insights_emulator::store::{apps, tokens};
use insights_emulator::{Emulator, EmulatorOptions};
use load_common::*;

/// `join_all` for spawned tasks without an extra dependency.
mod futures_like {
    pub async fn join_all<T: Send + 'static>(tasks: Vec<tokio::task::JoinHandle<T>>) -> Vec<T> {
        let mut out = Vec::with_capacity(tasks.len());
        for task in tasks {
            out.push(task.await.expect("task"));
        }
        out
    }
}

const CODES: usize = 200;
const RACERS: usize = 5;
const DEPLOYS: usize = 20;

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn codes_are_single_use_and_refresh_tokens_consistent_under_races() {
    let dir = tempfile::tempdir().expect("tempdir");
    let emulator =
        Emulator::start(EmulatorOptions { state_dir: dir.path().into(), port: 0, test_controls: false })
            .await
            .expect("starts");
    add_app(&emulator);
    let base = emulator.instance_url().to_string();
    let http = http();

    // 200 logins at once: 200 distinct codes.
    let logins: Vec<_> = (0..CODES)
        .map(|_| {
            let (http, base) = (http.clone(), base.clone());
            tokio::spawn(async move { login_code(&http, &base).await })
        })
        .collect();
    let codes: Vec<String> = join_all(logins).await.into_iter().map(|code| code.expect("login")).collect();
    assert_eq!(codes.iter().collect::<BTreeSet<_>>().len(), CODES, "every login got its own code");

    // Each code redeemed 5 times at once, all 1,000 exchanges in flight together.
    let exchanges: Vec<_> = codes
        .iter()
        .flat_map(|code| std::iter::repeat_n(code.clone(), RACERS))
        .map(|code| {
            let (http, base) = (http.clone(), base.clone());
            tokio::spawn(async move { (code.clone(), redeem(&http, &base, &code).await) })
        })
        .collect();
    let results = join_all(exchanges).await;
    let mut access = BTreeSet::new();
    let mut refresh_tokens = Vec::new();
    for code in &codes {
        let outcomes: Vec<_> =
            results.iter().filter(|(c, _)| c == code).map(|(_, outcome)| outcome).collect();
        let wins: Vec<_> = outcomes.iter().filter_map(|outcome| outcome.as_ref().ok()).collect();
        assert_eq!(wins.len(), 1, "exactly one of {RACERS} redemptions succeeds: {outcomes:?}");
        for (status, body) in outcomes.iter().filter_map(|outcome| outcome.as_ref().err()) {
            assert_eq!(*status, 400, "{body}");
            assert!(body.contains("invalid_grant"), "the losers get invalid_grant: {body}");
        }
        access.insert(wins[0]["access_token"].as_str().expect("access token").to_owned());
        refresh_tokens.push(wins[0]["refresh_token"].as_str().expect("refresh token").to_owned());
    }
    assert_eq!(access.len(), CODES, "no access token handed out twice");
    assert_eq!(
        refresh_tokens.iter().collect::<BTreeSet<_>>().len(),
        CODES,
        "no refresh token handed out twice"
    );

    // Every refresh token used 3 times at once: all succeed, each answer a fresh, valid session.
    let refreshes: Vec<_> = refresh_tokens
        .iter()
        .flat_map(|token| std::iter::repeat_n(token.clone(), 3))
        .map(|token| {
            let (http, base) = (http.clone(), base.clone());
            tokio::spawn(async move { refresh(&http, &base, &token).await })
        })
        .collect();
    let refreshed: Vec<String> = join_all(refreshes)
        .await
        .into_iter()
        .map(|outcome| outcome.expect("refresh succeeds")["access_token"].as_str().expect("token").to_owned())
        .collect();
    assert_eq!(
        refreshed.iter().collect::<BTreeSet<_>>().len(),
        CODES * 3,
        "each refresh mints its own session"
    );
    emulator
        .store()
        .read(|connection| {
            for token in &refresh_tokens {
                assert!(tokens::find_refresh_token(connection, token)?.is_some(), "refresh token kept");
            }
            for token in access.iter().chain(&refreshed) {
                assert!(tokens::find_access_token(connection, token)?.is_some(), "session stored");
            }
            Ok(())
        })
        .expect("store");
    emulator.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn concurrent_deploys_each_land_exactly_once() {
    let dir = tempfile::tempdir().expect("tempdir");
    let emulator =
        Emulator::start(EmulatorOptions { state_dir: dir.path().into(), port: 0, test_controls: false })
            .await
            .expect("starts");
    let base = emulator.instance_url().to_string();
    let session = emulator.admin_access_token();
    let http = http();
    let before = emulator.store().read(apps::all).expect("apps").len();
    let deploys: Vec<_> = (0..DEPLOYS)
        .map(|index| {
            let (http, base, session) = (http.clone(), base.clone(), session.clone());
            tokio::spawn(async move { deploy_and_wait(&http, &base, &session, &app_zip(index)).await })
        })
        .collect();
    for (index, outcome) in join_all(deploys).await.into_iter().enumerate() {
        assert_eq!(outcome.as_deref(), Ok("Succeeded"), "deploy {index}");
    }
    let all = emulator.store().read(apps::all).expect("apps");
    assert_eq!(all.len(), before + DEPLOYS, "every deploy saved one app, none twice");
    let names: BTreeSet<_> = all.iter().map(|app| app.full_name.clone()).collect();
    let keys: BTreeSet<_> = all.iter().map(|app| app.consumer_key.clone()).collect();
    assert_eq!(names.len(), all.len(), "app names are unique");
    assert_eq!(keys.len(), all.len(), "consumer keys are unique");
    for index in 0..DEPLOYS {
        assert!(names.contains(&format!("Load_Deploy_{index}")), "Load_Deploy_{index}");
    }
    emulator.shutdown().await;
}
