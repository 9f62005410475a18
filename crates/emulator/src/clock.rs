//! The org's clock: system time plus an offset that the `clock/advance` test control moves.
//! Every expiry (codes, sessions, refresh token policies, propagation delay) reads this clock.

use std::sync::Arc;
use std::sync::atomic::{AtomicI64, Ordering};

use chrono::{DateTime, Duration, SecondsFormat, Utc};

/// The org's notion of "now". Cheap to clone; clones share the offset.
#[derive(Clone, Debug, Default)]
pub struct Clock {
    offset_seconds: Arc<AtomicI64>,
}

impl Clock {
    /// The org's current time.
    pub fn now(&self) -> DateTime<Utc> {
        Utc::now() + Duration::seconds(self.offset_seconds.load(Ordering::Relaxed))
    }

    /// The org's current time in whole seconds since the Unix epoch.
    pub fn now_epoch(&self) -> i64 {
        self.now().timestamp()
    }

    /// The org's current time as Salesforce writes a dateTime: `2026-01-31T12:00:00.000Z`.
    pub fn now_iso(&self) -> String {
        format_iso(self.now())
    }

    /// Moves the clock forward (a negative value is refused by the caller).
    pub fn advance(&self, seconds: i64) {
        self.offset_seconds.fetch_add(seconds, Ordering::Relaxed);
    }
}

/// Formats a time as Salesforce's dateTime (UTC, milliseconds, `Z`).
pub fn format_iso(time: DateTime<Utc>) -> String {
    time.to_rfc3339_opts(SecondsFormat::Millis, true)
}

/// Parses a dateTime written by [`format_iso`] (or any RFC 3339 time).
pub fn parse_iso(text: &str) -> Option<DateTime<Utc>> {
    DateTime::parse_from_rfc3339(text).ok().map(|time| time.with_timezone(&Utc))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn advance_moves_now_forward() {
        let clock = Clock::default();
        let before = clock.now_epoch();
        clock.advance(3600);
        assert!(clock.now_epoch() >= before + 3600);
    }

    #[test]
    fn iso_round_trips() {
        let clock = Clock::default();
        let text = clock.now_iso();
        assert!(text.ends_with('Z'));
        assert_eq!(parse_iso(&text).map(format_iso), Some(text));
    }
}
