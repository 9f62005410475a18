//! Load run (a measurement, not a test): against one in-process emulator, ROUNDS rounds of
//! 200 concurrent logins + token exchanges (each code raced 5 times), 600 concurrent refreshes,
//! and 20 concurrent deploys; prints throughput per phase and the process's peak resident
//! memory (VmHWM, clients included).
//!
//! Run: `cargo run --release -p insights-emulator --example load` (`LOAD_ROUNDS`, default 3).

#[path = "../tests/load_common/mod.rs"]
mod load_common;

use std::time::Instant;

use insights_emulator::{Emulator, EmulatorOptions};
use load_common::*;

fn peak_rss_mib() -> Option<f64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|line| line.starts_with("VmHWM:"))?;
    Some(line.split_whitespace().nth(1)?.parse::<f64>().ok()? / 1024.0)
}

async fn all<T: Send + 'static>(tasks: Vec<tokio::task::JoinHandle<T>>) -> Vec<T> {
    let mut out = Vec::new();
    for task in tasks {
        out.push(task.await.expect("task"));
    }
    out
}

#[tokio::main]
async fn main() {
    let rounds: usize = std::env::var("LOAD_ROUNDS").ok().and_then(|value| value.parse().ok()).unwrap_or(3);
    let dir = tempfile::tempdir().expect("tempdir");
    let emulator =
        Emulator::start(EmulatorOptions { state_dir: dir.path().into(), port: 0, test_controls: false })
            .await
            .expect("starts");
    add_app(&emulator);
    let base = emulator.instance_url().to_string();
    let http = http();
    for round in 1..=rounds {
        let started = Instant::now();
        let logins: Vec<_> = (0..200)
            .map(|_| {
                let (http, base) = (http.clone(), base.clone());
                tokio::spawn(async move { login_code(&http, &base).await.expect("login") })
            })
            .collect();
        let codes = all(logins).await;
        let login_secs = started.elapsed().as_secs_f64();
        let started = Instant::now();
        let exchanges: Vec<_> = codes
            .iter()
            .flat_map(|code| std::iter::repeat_n(code.clone(), 5))
            .map(|code| {
                let (http, base) = (http.clone(), base.clone());
                tokio::spawn(async move { redeem(&http, &base, &code).await.ok() })
            })
            .collect();
        let won: Vec<_> = all(exchanges).await.into_iter().flatten().collect();
        let exchange_secs = started.elapsed().as_secs_f64();
        let started = Instant::now();
        let refreshes: Vec<_> = won
            .iter()
            .flat_map(|tokens| {
                std::iter::repeat_n(tokens["refresh_token"].as_str().unwrap_or_default().to_owned(), 3)
            })
            .map(|token| {
                let (http, base) = (http.clone(), base.clone());
                tokio::spawn(async move { refresh(&http, &base, &token).await.is_ok() })
            })
            .collect();
        let refreshed = all(refreshes).await.into_iter().filter(|ok| *ok).count();
        let refresh_secs = started.elapsed().as_secs_f64();
        let started = Instant::now();
        let session = emulator.admin_access_token();
        let deploys: Vec<_> = (0..20)
            .map(|index| {
                let (http, base, session) = (http.clone(), base.clone(), session.clone());
                tokio::spawn(async move {
                    deploy_and_wait(&http, &base, &session, &app_zip(round * 100 + index))
                        .await
                        .is_ok_and(|s| s == "Succeeded")
                })
            })
            .collect();
        let deployed = all(deploys).await.into_iter().filter(|ok| *ok).count();
        let deploy_secs = started.elapsed().as_secs_f64();
        println!(
            "round {round}: 200 logins {:.0}/s; 1000 racing exchanges ({} won) {:.0}/s; {refreshed} refreshes {:.0}/s; \
             {deployed}/20 deploys in {deploy_secs:.2} s",
            200.0 / login_secs,
            won.len(),
            1000.0 / exchange_secs,
            600.0 / refresh_secs,
        );
    }
    match peak_rss_mib() {
        Some(mib) => println!("peak RSS (VmHWM, emulator and clients in one process): {mib:.1} MiB"),
        None => println!("peak RSS: unavailable"),
    }
    emulator.shutdown().await;
}
