//! Token endpoint benchmark (not a test): 50 concurrent clients exchange refresh tokens
//! against an in-process emulator for a bounded time, then the run prints requests per second
//! and the process's peak resident memory (VmHWM).
//!
//! Run: `cargo bench -p insights-emulator --bench token_endpoint`
//! (`BENCH_SECONDS` and `BENCH_CLIENTS` change the defaults of 10 seconds and 50 clients).

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use insights_emulator::store::apps;
use insights_emulator::{Emulator, EmulatorOptions};
use sha2::{Digest, Sha256};

const CALLBACK: &str = "http://localhost:1717/OauthRedirect";
const VERIFIER: &str = "benchmark-verifier-benchmark-verifier-benchmark-verifier";
const APP_XML: &str = r#"<?xml version="1.0" encoding="UTF-8"?>
<ConnectedApp xmlns="http://soap.sforce.com/2006/04/metadata">
    <contactEmail>bench@example.com</contactEmail>
    <label>Bench</label>
    <oauthConfig>
        <callbackUrl>http://localhost:1717/OauthRedirect</callbackUrl>
        <isAdminApproved>false</isAdminApproved>
        <isConsumerSecretOptional>false</isConsumerSecretOptional>
        <isPkceRequired>true</isPkceRequired>
        <isSecretRequiredForRefreshToken>true</isSecretRequiredForRefreshToken>
        <scopes>Api</scopes>
        <scopes>RefreshToken</scopes>
    </oauthConfig>
    <oauthPolicy>
        <ipRelaxation>ENFORCE</ipRelaxation>
        <refreshTokenPolicy>infinite</refreshTokenPolicy>
    </oauthPolicy>
</ConnectedApp>
"#;

fn setting(name: &str, default: u64) -> u64 {
    std::env::var(name).ok().and_then(|value| value.parse().ok()).unwrap_or(default)
}

fn peak_rss_kib() -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|line| line.starts_with("VmHWM:"))?;
    line.split_whitespace().nth(1)?.parse().ok()
}

async fn refresh_token(
    http: &reqwest::Client,
    base: &str,
    key: &str,
    secret: &str,
) -> Result<String, String> {
    let challenge = URL_SAFE_NO_PAD.encode(Sha256::digest(VERIFIER.as_bytes()));
    let login = http
        .post(format!("{base}/services/oauth2/authorize"))
        .form(&[
            ("response_type", "code"),
            ("client_id", key),
            ("redirect_uri", CALLBACK),
            ("code_challenge", &challenge),
            ("username", "api@insights-emulator.test"),
            ("password", "Api-User-Pass-1"),
        ])
        .send()
        .await
        .map_err(|error| error.to_string())?;
    let location = login
        .headers()
        .get("location")
        .and_then(|value| value.to_str().ok())
        .ok_or("login did not redirect")?;
    let url = url::Url::parse(location).map_err(|error| error.to_string())?;
    let code = url
        .query_pairs()
        .find(|(name, _)| name == "code")
        .map(|(_, value)| value.into_owned())
        .ok_or("no code")?;
    let tokens: serde_json::Value = http
        .post(format!("{base}/services/oauth2/token"))
        .form(&[
            ("grant_type", "authorization_code"),
            ("code", &code),
            ("client_id", key),
            ("client_secret", secret),
            ("redirect_uri", CALLBACK),
            ("code_verifier", VERIFIER),
        ])
        .send()
        .await
        .map_err(|error| error.to_string())?
        .json()
        .await
        .map_err(|error| error.to_string())?;
    tokens["refresh_token"].as_str().map(str::to_string).ok_or_else(|| format!("no refresh token: {tokens}"))
}

#[tokio::main]
async fn main() -> Result<(), String> {
    let seconds = setting("BENCH_SECONDS", 10);
    let clients = setting("BENCH_CLIENTS", 50);
    let dir = tempfile::tempdir().map_err(|error| error.to_string())?;
    let emulator = Emulator::start(EmulatorOptions {
        state_dir: dir.path().to_path_buf(),
        port: 0,
        test_controls: false,
    })
    .await
    .map_err(|error| error.to_string())?;
    let key = "3MVG9BenchmarkConsumerKey0001".to_string();
    let secret = "BenchmarkSecret0123456789ABCDEF0123".to_string();
    let now = emulator.clock().now_iso();
    emulator
        .store()
        .with_tx(|tx| apps::insert(tx, "Bench_App", APP_XML, &key, &secret, &now))
        .map_err(|error| error.to_string())?;
    let base = emulator.instance_url().to_string();

    let ok = Arc::new(AtomicU64::new(0));
    let failed = Arc::new(AtomicU64::new(0));
    let deadline = Instant::now() + Duration::from_secs(seconds);
    let started = Instant::now();
    let mut tasks = Vec::new();
    for _ in 0..clients {
        let http = reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .timeout(Duration::from_secs(30))
            .build()
            .map_err(|error| error.to_string())?;
        let token = refresh_token(&http, &base, &key, &secret).await?;
        let (base, key, secret) = (base.clone(), key.clone(), secret.clone());
        let (ok, failed) = (ok.clone(), failed.clone());
        tasks.push(tokio::spawn(async move {
            while Instant::now() < deadline {
                let response = http
                    .post(format!("{base}/services/oauth2/token"))
                    .form(&[
                        ("grant_type", "refresh_token"),
                        ("refresh_token", token.as_str()),
                        ("client_id", key.as_str()),
                        ("client_secret", secret.as_str()),
                    ])
                    .send()
                    .await;
                let success = match response {
                    Ok(response) => response.status().is_success() && response.bytes().await.is_ok(),
                    Err(_) => false,
                };
                let counter = if success { &ok } else { &failed };
                counter.fetch_add(1, Ordering::Relaxed);
            }
        }));
    }
    let setup = started.elapsed();
    let measured = Instant::now();
    for task in tasks {
        let _ = task.await;
    }
    let elapsed = measured.elapsed().as_secs_f64();
    let ok = ok.load(Ordering::Relaxed);
    let failed = failed.load(Ordering::Relaxed);
    println!(
        "token endpoint (refresh_token grant), {clients} concurrent clients, {elapsed:.1} s (setup {:.1} s)",
        setup.as_secs_f64()
    );
    println!("  requests ok: {ok}, failed: {failed}");
    println!("  throughput: {:.0} requests/second", ok as f64 / elapsed);
    match peak_rss_kib() {
        Some(kib) => {
            println!("  peak RSS (VmHWM, whole process incl. clients): {:.1} MiB", kib as f64 / 1024.0)
        }
        None => println!("  peak RSS: unavailable (no /proc/self/status)"),
    }
    emulator.shutdown().await;
    if failed > 0 {
        return Err(format!("{failed} requests failed"));
    }
    Ok(())
}
