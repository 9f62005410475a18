//! The browser modes with a scripted "browser": the loopback callback (our listener catches the
//! redirect) and the pasted redirect URL. The browser posts the emulator's login form.

mod support;

use std::sync::{Arc, Mutex};
use std::time::Duration;

use insights_auth_check::flow::names;
use insights_auth_check::login::BoxFuture;
use insights_auth_check::{FlowConfig, Login, LoginPrompt, LoginUi, Url, default_scopes, run_flow};
use support::{ADMIN_USER, API_USER, ENDPOINT, TestOrg};

/// A browser that logs in (as the prompt's user, else the API user) and follows the redirect
/// to the loopback callback, or keeps it for pasting.
struct ScriptedBrowser {
    http: reqwest::Client,
    pasted: Arc<Mutex<Vec<String>>>,
    prompts: Arc<Mutex<Vec<LoginPrompt>>>,
}

impl ScriptedBrowser {
    fn new() -> Self {
        let http = reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .timeout(Duration::from_secs(30))
            .build()
            .expect("client");
        Self { http, pasted: Arc::default(), prompts: Arc::default() }
    }
}

async fn log_in(http: &reqwest::Client, url: &Url, username: &str) -> String {
    let password = if username == ADMIN_USER.0 { ADMIN_USER.1 } else { API_USER.1 };
    let mut form: Vec<(String, String)> = url.query_pairs().into_owned().collect();
    form.push(("username".into(), username.into()));
    form.push(("password".into(), password.into()));
    let mut endpoint = url.clone();
    endpoint.set_query(None);
    let response = http.post(endpoint).form(&form).send().await.expect("login form");
    response.headers()["location"].to_str().expect("location").to_owned()
}

impl LoginUi for ScriptedBrowser {
    fn open_authorize_url(&self, url: &Url, prompt: &LoginPrompt) {
        self.prompts.lock().expect("prompts").push(prompt.clone());
        let http = self.http.clone();
        let url = url.clone();
        let username = prompt.username.clone().unwrap_or_else(|| API_USER.0.into());
        let pasted = self.pasted.clone();
        let paste = prompt.paste_redirect;
        let task = tokio::spawn(async move {
            let location = log_in(&http, &url, &username).await;
            if paste {
                pasted.lock().expect("pasted").push(location);
            } else {
                // The browser follows the redirect to our loopback listener.
                http.get(location).send().await.expect("callback reached");
            }
        });
        if paste {
            // The person pastes only after logging in.
            tokio::task::block_in_place(|| {
                tokio::runtime::Handle::current().block_on(task).expect("browser task");
            });
        }
    }

    fn read_pasted_redirect(&self) -> BoxFuture<'_, std::io::Result<String>> {
        Box::pin(async {
            self.pasted.lock().expect("pasted").pop().ok_or_else(|| std::io::Error::other("nothing pasted"))
        })
    }
}

fn config(org: &TestOrg, browser: Arc<ScriptedBrowser>) -> FlowConfig {
    FlowConfig {
        app: org.app(),
        scopes: default_scopes(),
        insights_endpoint: ENDPOINT.into(),
        login: Login::Browser { ui: browser, redirect_timeout: Duration::from_secs(30) },
        denied_user: Some(support::login_user(ADMIN_USER)),
        revoke: false,
        propagation: org.quick_propagation(),
        http_timeout: Duration::from_secs(30),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn loopback_callback_mode_passes_every_check() {
    let port =
        std::net::TcpListener::bind("127.0.0.1:0").expect("free port").local_addr().expect("addr").port();
    let callback = format!("http://127.0.0.1:{port}/oauth/callback");
    let org = TestOrg::with_app_and_callback(&callback).await;
    let browser = Arc::new(ScriptedBrowser::new());
    let mut config = config(&org, browser.clone());
    config.app.redirect_uri = Some(callback);

    let report = run_flow(&config).await.expect("runs");
    assert!(report.passed, "{}", serde_json::to_string_pretty(&report).unwrap_or_default());
    let prompts = browser.prompts.lock().expect("prompts");
    // The main login, two code probes, the denied user: each its own authorization.
    assert_eq!(prompts.len(), 4);
    assert!(prompts.iter().all(|prompt| !prompt.paste_redirect));
    assert_eq!(prompts[3].username.as_deref(), Some(ADMIN_USER.0));
    assert_eq!(report.check(names::PROBE_DENIED_USER).map(|check| check.passed), Some(true));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn pasted_redirect_mode_passes_every_check() {
    let callback = "https://insights.example.com/oauth/callback";
    let org = TestOrg::with_app_and_callback(callback).await;
    let browser = Arc::new(ScriptedBrowser::new());
    let mut config = config(&org, browser.clone());
    config.app.redirect_uri = Some(callback.into());

    let report = run_flow(&config).await.expect("runs");
    assert!(report.passed, "{}", serde_json::to_string_pretty(&report).unwrap_or_default());
    assert!(browser.prompts.lock().expect("prompts").iter().all(|prompt| prompt.paste_redirect));
}

/// A browser in which nobody ever logs in: it only remembers what it was asked.
#[derive(Default)]
struct AbandonedBrowser {
    prompts: Mutex<Vec<LoginPrompt>>,
}

impl LoginUi for AbandonedBrowser {
    fn open_authorize_url(&self, _url: &Url, prompt: &LoginPrompt) {
        self.prompts.lock().expect("prompts").push(prompt.clone());
    }

    fn read_pasted_redirect(&self) -> BoxFuture<'_, std::io::Result<String>> {
        Box::pin(async { Err(std::io::Error::other("nothing pasted")) })
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_main_login_that_times_out_skips_the_probes_that_need_a_login() {
    let port =
        std::net::TcpListener::bind("127.0.0.1:0").expect("free port").local_addr().expect("addr").port();
    let callback = format!("http://127.0.0.1:{port}/oauth/callback");
    let org = TestOrg::with_app_and_callback(&callback).await;
    let browser = Arc::new(AbandonedBrowser::default());
    let mut config = config(&org, Arc::new(ScriptedBrowser::new()));
    config.login = Login::Browser { ui: browser.clone(), redirect_timeout: Duration::from_millis(300) };
    config.app.redirect_uri = Some(callback);

    let report = run_flow(&config).await.expect("runs");
    let json = serde_json::to_string_pretty(&report).unwrap_or_default();
    assert!(!report.passed, "{json}");
    assert_eq!(report.check(names::AUTHORIZE).map(|check| check.passed), Some(false), "{json}");
    // Only the main login was asked for: no probe waited for another one.
    let prompts = browser.prompts.lock().expect("prompts");
    assert_eq!(prompts.len(), 1, "{json}");
    assert_eq!(prompts[0].purpose, "main login");
    for name in [names::PROBE_NO_VERIFIER, names::PROBE_NO_SECRET, names::PROBE_DENIED_USER] {
        let check = report.check(name).unwrap_or_else(|| panic!("{name} reported: {json}"));
        assert!(!check.passed, "{json}");
        assert_eq!(check.observed, insights_auth_check::flow::MAIN_LOGIN_FAILED, "{json}");
    }
    // The probes that need no login still ran.
    let no_token = report.check(names::PROBE_NO_TOKEN).expect("no-token probe");
    assert!(no_token.passed, "{json}");
}
