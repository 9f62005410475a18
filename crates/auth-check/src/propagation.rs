//! Waiting out a fresh deploy: for minutes after a Connected App is created or changed, a real
//! org answers `invalid_client_id` or `redirect_uri_mismatch`. Those two answers are retried
//! with backoff inside a window, and the wait is logged as what it is.

use std::future::Future;
use std::time::Duration;

use crate::error::StepError;

/// The org codes that can mean "not propagated yet".
pub const PROPAGATION_CODES: [&str; 2] = ["invalid_client_id", "redirect_uri_mismatch"];

/// How long to keep retrying propagation errors, and how fast.
#[derive(Clone, Debug)]
pub struct PropagationWait {
    /// Total time to keep retrying; zero disables retries.
    pub window: Duration,
    /// Delay before the first retry; doubled after each one.
    pub first_delay: Duration,
    /// Longest delay between two retries.
    pub max_delay: Duration,
}

impl Default for PropagationWait {
    fn default() -> Self {
        Self {
            window: Duration::from_secs(600),
            first_delay: Duration::from_secs(2),
            max_delay: Duration::from_secs(30),
        }
    }
}

/// True when the error is one a fresh deploy produces.
pub fn is_propagation_error(error: &StepError) -> bool {
    error.org_error().is_some_and(|org| PROPAGATION_CODES.contains(&org.code.as_str()))
}

/// An error that wraps a step error (so retries can look inside).
pub(crate) trait HasStepError: std::fmt::Display {
    /// The step error inside.
    fn step_error(&self) -> &StepError;
}

impl HasStepError for StepError {
    fn step_error(&self) -> &StepError {
        self
    }
}

/// Runs `attempt` until it stops failing with a propagation error or the window is spent.
/// Returns the last outcome and how many retries it took.
pub(crate) async fn retry_while_propagating<T, E, F, Fut>(
    wait: &PropagationWait,
    step: &str,
    mut attempt: F,
) -> (Result<T, E>, u32)
where
    E: HasStepError,
    F: FnMut() -> Fut,
    Fut: Future<Output = Result<T, E>>,
{
    let started = tokio::time::Instant::now();
    let mut delay = wait.first_delay;
    let mut retries = 0;
    loop {
        let outcome = attempt().await;
        let Err(error) = &outcome else {
            return (outcome, retries);
        };
        if !is_propagation_error(error.step_error()) {
            return (outcome, retries);
        }
        let elapsed = started.elapsed();
        if elapsed + delay > wait.window {
            if retries > 0 {
                tracing::warn!(
                    step,
                    waited_seconds = elapsed.as_secs(),
                    "the org still answers {} after the propagation window; giving up",
                    error.step_error()
                );
            }
            return (outcome, retries);
        }
        tracing::info!(
            step,
            retry_in_seconds = delay.as_secs_f32(),
            waited_seconds = elapsed.as_secs(),
            window_seconds = wait.window.as_secs(),
            "the org answered {}: a newly deployed or changed Connected App takes minutes \
             to propagate; retrying",
            error.step_error()
        );
        tokio::time::sleep(delay).await;
        retries += 1;
        delay = (delay * 2).min(wait.max_delay);
    }
}

#[cfg(test)]
mod tests {
    use std::cell::Cell;

    use super::*;
    use crate::error::OrgError;

    fn org(code: &str) -> StepError {
        StepError::Org(OrgError::new(code, None))
    }

    fn quick(window_ms: u64) -> PropagationWait {
        PropagationWait {
            window: Duration::from_millis(window_ms),
            first_delay: Duration::from_millis(1),
            max_delay: Duration::from_millis(4),
        }
    }

    #[tokio::test]
    async fn retries_propagation_errors_until_success() {
        let calls = Cell::new(0);
        let (outcome, retries) = retry_while_propagating(&quick(5_000), "test", || {
            calls.set(calls.get() + 1);
            let n = calls.get();
            async move { if n < 3 { Err(org("invalid_client_id")) } else { Ok::<_, StepError>(n) } }
        })
        .await;
        assert_eq!(outcome.expect("succeeds"), 3);
        assert_eq!(retries, 2);
    }

    #[tokio::test]
    async fn other_errors_are_not_retried() {
        let calls = Cell::new(0);
        let (outcome, retries) = retry_while_propagating(&quick(5_000), "test", || {
            calls.set(calls.get() + 1);
            async { Err::<(), StepError>(org("invalid_client")) }
        })
        .await;
        assert!(outcome.is_err());
        assert_eq!((retries, calls.get()), (0, 1));
    }

    #[tokio::test]
    async fn zero_window_means_no_retry() {
        let (outcome, retries) = retry_while_propagating(&quick(0), "test", || async {
            Err::<(), StepError>(org("redirect_uri_mismatch"))
        })
        .await;
        assert!(outcome.is_err());
        assert_eq!(retries, 0);
    }
}
