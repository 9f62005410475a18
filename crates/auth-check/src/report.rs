//! The result model: one row per check (what was expected, what the org did, pass or fail),
//! serialisable to JSON.

use serde::Serialize;

use crate::error::{OrgError, StepError};
use crate::explain::likely_cause;

/// One check of the auth flow or one policy probe.
#[derive(Clone, Debug, Serialize)]
pub struct Check {
    /// What was checked, e.g. `token exchange without code_verifier`.
    pub check: String,
    /// What the setup guide requires, e.g. `refused (invalid_grant)`.
    pub expected: String,
    /// What happened.
    pub observed: String,
    /// Whether `observed` meets `expected`.
    pub passed: bool,
    /// The org's error, when it sent one.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub org_error: Option<OrgError>,
    /// The likely cause of that error in this setup.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub likely_cause: Option<String>,
}

impl Check {
    /// A step that should succeed and did.
    pub fn passed(check: &str, expected: &str, observed: impl Into<String>) -> Self {
        Self {
            check: check.into(),
            expected: expected.into(),
            observed: observed.into(),
            passed: true,
            org_error: None,
            likely_cause: None,
        }
    }

    /// A step that should succeed and failed.
    pub fn failed(check: &str, expected: &str, error: &StepError) -> Self {
        let org_error = error.org_error().cloned();
        Self {
            check: check.into(),
            expected: expected.into(),
            observed: observed_text(error),
            passed: false,
            likely_cause: org_error.as_ref().and_then(likely_cause).map(str::to_owned),
            org_error,
        }
    }

    /// A step that could not run because an earlier one failed.
    pub fn skipped(check: &str, expected: &str, reason: &str) -> Self {
        Self {
            check: check.into(),
            expected: expected.into(),
            observed: format!("not run: {reason}"),
            passed: false,
            org_error: None,
            likely_cause: None,
        }
    }

    /// A probe: the org must refuse with one of `codes`; an acceptance is a failure.
    pub fn probe<T>(check: &str, codes: &[&str], outcome: &Result<T, StepError>) -> Self {
        let expected = format!("refused ({})", codes.join(" or "));
        match outcome {
            Ok(_) => Self {
                check: check.into(),
                expected,
                observed: "accepted: the app is less protected than the setup guide requires".into(),
                passed: false,
                org_error: None,
                likely_cause: None,
            },
            Err(StepError::Org(org)) => {
                let refused_as_expected = codes.iter().any(|code| *code == org.code);
                let observed = if refused_as_expected {
                    format!("refused: {org}")
                } else {
                    format!("refused for another reason: {org}")
                };
                Self {
                    check: check.into(),
                    expected,
                    observed,
                    passed: refused_as_expected,
                    likely_cause: likely_cause(org).map(str::to_owned),
                    org_error: Some(org.clone()),
                }
            }
            Err(other) => Self::failed(check, &expected, other),
        }
    }
}

fn observed_text(error: &StepError) -> String {
    match error {
        StepError::Org(org) => format!("refused: {org}"),
        other => other.to_string(),
    }
}

/// Which way the check ran.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Mode {
    /// A person logs in through a browser (loopback or pasted redirect).
    Interactive,
    /// The emulator's login form is posted as a seeded user.
    Emulator,
    /// CI: a refresh token from the environment, no login.
    Unattended,
}

/// Every check of one run.
#[derive(Clone, Debug, Serialize)]
pub struct Report {
    /// How the check ran.
    pub mode: Mode,
    /// The checks, in the order they ran.
    pub checks: Vec<Check>,
    /// True when every check passed.
    pub passed: bool,
}

impl Report {
    /// A report from its checks.
    pub fn new(mode: Mode, checks: Vec<Check>) -> Self {
        let passed = !checks.is_empty() && checks.iter().all(|check| check.passed);
        Self { mode, checks, passed }
    }

    /// The check with this name, if it ran.
    pub fn check(&self, name: &str) -> Option<&Check> {
        self.checks.iter().find(|check| check.check == name)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accepted_probe_fails_and_refusal_passes() {
        let accepted: Result<(), StepError> = Ok(());
        assert!(!Check::probe("p", &["invalid_client"], &accepted).passed);

        let refused: Result<(), StepError> =
            Err(StepError::Org(OrgError::new("invalid_client", Some("invalid client credentials".into()))));
        let check = Check::probe("p", &["invalid_client"], &refused);
        assert!(check.passed);
        assert_eq!(check.expected, "refused (invalid_client)");
        assert!(check.likely_cause.is_some());

        let other: Result<(), StepError> = Err(StepError::Org(OrgError::new("invalid_client_id", None)));
        let check = Check::probe("p", &["invalid_client"], &other);
        assert!(!check.passed);
        assert!(check.observed.contains("another reason"));
    }

    #[test]
    fn report_serialises_and_needs_every_check() {
        let report = Report::new(
            Mode::Emulator,
            vec![Check::passed("a", "ok", "ok"), Check::skipped("b", "ok", "a failed")],
        );
        assert!(!report.passed);
        let json = serde_json::to_value(&report).expect("serialises");
        assert_eq!(json["mode"], "emulator");
        assert_eq!(json["checks"][1]["passed"], false);
        assert!(!Report::new(Mode::Unattended, Vec::new()).passed);
    }
}
