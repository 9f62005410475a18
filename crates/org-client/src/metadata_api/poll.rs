//! Waiting for a deploy: `checkDeployStatus` with a growing delay, progress reports, and a
//! wait limit after which the deploy is reported as still running (not failed).

use std::time::Duration;

use tokio::time::Instant;

use crate::OrgError;
use crate::client::OrgClient;
use crate::metadata_api::deploy::DeployResult;

/// How many early polls may answer INVALID_CROSS_REFERENCE_KEY: an org can take a moment
/// before a fresh deploy id is known to the status call.
const EARLY_POLLS_TOLERATING_UNKNOWN_ID: u32 = 3;

/// Receives deploy progress (the CLI draws a progress bar or prints lines).
pub trait DeployObserver: Send + Sync {
    /// A deploy (or validation) was accepted by the org.
    fn started(&self, _id: &str, _check_only: bool) {}
    /// A status check answered.
    fn progress(&self, _result: &DeployResult) {}
}

/// An observer that ignores everything.
#[derive(Debug, Default, Clone, Copy)]
pub struct NoProgress;

impl DeployObserver for NoProgress {}

/// How waiting for a deploy ended.
#[derive(Debug, Clone)]
pub enum DeployOutcome {
    /// The org finished it: see `success`, `status` and the failures.
    Finished(DeployResult),
    /// The wait limit passed first; the deploy goes on in the org.
    StillRunning {
        /// The deploy id, to resume with `insights deploy --resume ID`.
        id: String,
        /// The last status seen, if any.
        last: Option<DeployResult>,
    },
}

impl OrgClient {
    /// Polls `checkDeployStatus` until the deploy is done or `wait` has passed.
    pub async fn wait_for_deploy(
        &self,
        id: &str,
        wait: Duration,
        observer: &dyn DeployObserver,
    ) -> Result<DeployOutcome, OrgError> {
        let deadline = Instant::now() + wait;
        let policy = self.options().poll;
        let mut last = None;
        let mut poll = 0;
        loop {
            let now = Instant::now();
            if now >= deadline {
                tracing::info!(id, "the wait limit passed; the deploy is still running");
                return Ok(DeployOutcome::StillRunning { id: id.to_owned(), last });
            }
            tokio::time::sleep(policy.delay_before(poll).min(deadline - now)).await;
            poll += 1;
            let result = match self.check_deploy_status(id, true).await {
                Ok(result) => result,
                Err(error)
                    if error.soap_fault_code() == Some("INVALID_CROSS_REFERENCE_KEY")
                        && poll <= EARLY_POLLS_TOLERATING_UNKNOWN_ID =>
                {
                    tracing::debug!(id, poll, "deploy id not known yet, polling again");
                    continue;
                }
                Err(error) => return Err(error),
            };
            tracing::debug!(
                id,
                status = %result.status,
                deployed = result.number_components_deployed,
                total = result.number_components_total,
                "deploy status"
            );
            observer.progress(&result);
            if result.done {
                return Ok(DeployOutcome::Finished(result));
            }
            last = Some(result);
        }
    }
}
