//! The loopback callback: listen on 127.0.0.1 at the callback URL's port, accept exactly one
//! redirect to the callback path, answer the browser, and stop.

use std::time::Duration;

use secrecy::SecretString;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use url::Url;

use crate::authorize::PendingAuthorization;
use crate::error::StepError;

/// Longest request head the listener reads.
const MAX_HEAD: usize = 16 * 1024;
/// How long one browser connection may take to send its request.
const READ_TIMEOUT: Duration = Duration::from_secs(10);

/// A listener bound to the callback URL's port on 127.0.0.1.
#[derive(Debug)]
pub struct CallbackListener {
    listener: TcpListener,
    path: String,
}

impl CallbackListener {
    /// Binds 127.0.0.1 (never another interface) at the callback URL's port.
    pub async fn bind(callback: &Url) -> Result<Self, StepError> {
        let port = callback
            .port_or_known_default()
            .ok_or_else(|| StepError::Redirect("the callback URL has no port".into()))?;
        let listener = TcpListener::bind(("127.0.0.1", port))
            .await
            .map_err(|error| StepError::Redirect(format!("cannot listen on 127.0.0.1:{port}: {error}")))?;
        tracing::debug!(port, "listening for the login redirect");
        Ok(Self { listener, path: callback.path().to_owned() })
    }

    /// The port actually bound.
    pub fn port(&self) -> Option<u16> {
        self.listener.local_addr().ok().map(|address| address.port())
    }

    /// Waits for the one redirect to the callback path and reads it against the pending
    /// request's state. Other paths (a favicon) get 404 and do not count.
    pub async fn accept_redirect(
        self,
        pending: &PendingAuthorization,
        timeout: Duration,
    ) -> Result<SecretString, StepError> {
        let wait = async {
            loop {
                let (mut stream, _) = self.listener.accept().await.map_err(|error| {
                    StepError::Redirect(format!("accepting the browser connection: {error}"))
                })?;
                let Some(target) = read_target(&mut stream).await else {
                    respond(&mut stream, "400 Bad Request", "Not a login redirect.").await;
                    continue;
                };
                let path = target.split('?').next().unwrap_or_default();
                if path != self.path {
                    respond(&mut stream, "404 Not Found", "Not the callback path.").await;
                    continue;
                }
                let outcome = pending.read_redirect(&target);
                let (status, message) = match &outcome {
                    Ok(_) => ("200 OK", "Login received. You can close this tab."),
                    Err(StepError::StateMismatch) => {
                        ("400 Bad Request", "The state does not match this login; it was refused.")
                    }
                    Err(_) => ("200 OK", "The org refused the login; see the auth-check report."),
                };
                respond(&mut stream, status, message).await;
                return outcome;
            }
        };
        tokio::time::timeout(timeout, wait).await.unwrap_or_else(|_| {
            Err(StepError::Redirect(format!(
                "no redirect reached the callback within {} seconds",
                timeout.as_secs()
            )))
        })
    }
}

/// Reads the request line and returns its target (path and query), for GET requests only.
async fn read_target(stream: &mut TcpStream) -> Option<String> {
    let mut head = Vec::with_capacity(1024);
    let mut buffer = [0u8; 1024];
    let read = async {
        while !head.windows(4).any(|window| window == b"\r\n\r\n") && head.len() < MAX_HEAD {
            let n = stream.read(&mut buffer).await.ok()?;
            if n == 0 {
                break;
            }
            head.extend_from_slice(&buffer[..n]);
        }
        Some(())
    };
    tokio::time::timeout(READ_TIMEOUT, read).await.ok()??;
    let line = head.split(|byte| *byte == b'\n').next()?;
    let line = std::str::from_utf8(line).ok()?.trim_end();
    let mut parts = line.split(' ');
    let (method, target) = (parts.next()?, parts.next()?);
    (method == "GET" && target.starts_with('/')).then(|| target.to_owned())
}

async fn respond(stream: &mut TcpStream, status: &str, message: &str) {
    let body = format!(
        "<!doctype html><html><head><title>insights auth-check</title></head>\
         <body><p>{message}</p></body></html>"
    );
    let response = format!(
        "HTTP/1.1 {status}\r\nContent-Type: text/html; charset=utf-8\r\nContent-Length: {}\r\n\
         Cache-Control: no-store\r\nConnection: close\r\n\r\n{body}",
        body.len()
    );
    if let Err(error) = stream.write_all(response.as_bytes()).await {
        tracing::debug!(%error, "could not answer the browser");
    }
    let _ = stream.shutdown().await;
}

#[cfg(test)]
mod tests {
    use secrecy::ExposeSecret;

    use super::*;
    use crate::authorize::AuthorizeOptions;
    use crate::oauth::OAuthApp;

    fn pending() -> PendingAuthorization {
        let app = OAuthApp {
            login_url: Url::parse("http://127.0.0.1:9").expect("url"),
            client_id: "key".into(),
            client_secret: SecretString::from("s"),
            redirect_uri: Some("http://127.0.0.1:0/cb".into()),
        };
        PendingAuthorization::new(&app, &["api".into()], &AuthorizeOptions::default()).expect("builds")
    }

    async fn listen() -> (CallbackListener, u16) {
        let listener =
            CallbackListener::bind(&Url::parse("http://127.0.0.1:0/cb").expect("url")).await.expect("binds");
        let port = listener.port().expect("port");
        (listener, port)
    }

    #[tokio::test]
    async fn accepts_the_redirect_with_the_expected_state_after_ignoring_other_paths() {
        let pending = pending();
        let state = pending.state_for_tests().expose_secret().to_owned();
        let (listener, port) = listen().await;
        let browser = tokio::spawn(async move {
            let http = reqwest::Client::new();
            let favicon =
                http.get(format!("http://127.0.0.1:{port}/favicon.ico")).send().await.expect("sent");
            let redirect = http
                .get(format!("http://127.0.0.1:{port}/cb?code=the-code&state={state}"))
                .send()
                .await
                .expect("sent");
            (favicon.status().as_u16(), redirect.status().as_u16())
        });
        let code = listener.accept_redirect(&pending, Duration::from_secs(20)).await.expect("code");
        assert_eq!(code.expose_secret(), "the-code");
        assert_eq!(browser.await.expect("joins"), (404, 200));
    }

    #[tokio::test]
    async fn a_wrong_state_ends_the_wait_as_a_mismatch() {
        let pending = pending();
        let (listener, port) = listen().await;
        let browser = tokio::spawn(async move {
            reqwest::get(format!("http://127.0.0.1:{port}/cb?code=c&state=forged"))
                .await
                .expect("sent")
                .status()
                .as_u16()
        });
        let outcome = listener.accept_redirect(&pending, Duration::from_secs(20)).await;
        assert!(matches!(outcome, Err(StepError::StateMismatch)));
        assert_eq!(browser.await.expect("joins"), 400);
    }
}
