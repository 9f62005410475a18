//! Backoff policies: retrying transient HTTP failures, and pacing deploy/retrieve status polls.

use std::time::Duration;

use rand::Rng;

/// Retries of one HTTP request after connect errors, 5xx and 429 answers.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RetryPolicy {
    /// Tries in all, the first included.
    pub max_attempts: u32,
    /// Delay before the second try; doubles after each try.
    pub base_delay: Duration,
    /// Upper bound of one delay.
    pub max_delay: Duration,
}

impl Default for RetryPolicy {
    fn default() -> Self {
        Self { max_attempts: 5, base_delay: Duration::from_millis(500), max_delay: Duration::from_secs(8) }
    }
}

impl RetryPolicy {
    /// The delay after failed try number `attempt` (1-based): exponential, capped, with jitter
    /// in the upper half so that many clients do not retry in step.
    pub fn delay_after(&self, attempt: u32) -> Duration {
        let exponent = attempt.saturating_sub(1).min(16);
        let full = self.base_delay.saturating_mul(1u32 << exponent).min(self.max_delay);
        let half = full / 2;
        let jitter_nanos = rand::thread_rng().gen_range(0..=half.as_nanos().min(u64::MAX as u128) as u64);
        half + Duration::from_nanos(jitter_nanos)
    }
}

/// Pacing of `checkDeployStatus` / `checkRetrieveStatus` polls, suited to a real org.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct PollPolicy {
    /// Delay before the first status check.
    pub first_delay: Duration,
    /// Each delay is the previous one times this.
    pub factor: f64,
    /// Upper bound of one delay.
    pub max_delay: Duration,
}

impl Default for PollPolicy {
    fn default() -> Self {
        Self { first_delay: Duration::from_millis(750), factor: 1.5, max_delay: Duration::from_secs(10) }
    }
}

impl PollPolicy {
    /// The delay before poll number `poll` (0-based).
    pub fn delay_before(&self, poll: u32) -> Duration {
        let grown = self.first_delay.as_secs_f64() * self.factor.powi(poll.min(64) as i32);
        Duration::from_secs_f64(grown.min(self.max_delay.as_secs_f64()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn retry_delays_grow_and_stay_capped() {
        let policy = RetryPolicy::default();
        for attempt in 1..=10 {
            let full = (policy.base_delay * 2u32.pow(attempt - 1)).min(policy.max_delay);
            let delay = policy.delay_after(attempt);
            assert!(delay >= full / 2 && delay <= full, "attempt {attempt}: {delay:?}");
        }
    }

    #[test]
    fn polls_start_soon_then_slow_down_to_the_cap() {
        let policy = PollPolicy::default();
        assert_eq!(policy.delay_before(0), Duration::from_millis(750));
        assert_eq!(policy.delay_before(1), Duration::from_millis(1125));
        assert_eq!(policy.delay_before(30), Duration::from_secs(10));
    }
}
