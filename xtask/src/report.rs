//! Check results and how they are shown: a table for people, JSON for machines, JUnit XML for
//! CI systems that show test results.

use std::fmt::Write as _;

use serde::Serialize;
use tabled::settings::Style;
use tabled::{Table, Tabled};

/// One check of `verify-setup`, or one step of `provision`.
#[derive(Debug, Clone, Serialize, Tabled)]
pub struct Check {
    /// The group: `setting`, `assignment`, `auth`, `step`.
    #[tabled(rename = "Group")]
    pub group: String,
    /// What is checked.
    #[tabled(rename = "Check")]
    pub name: String,
    /// What the setup guide (or the config) wants.
    #[tabled(rename = "Expected")]
    pub expected: String,
    /// What the org has or did.
    #[tabled(rename = "Observed")]
    pub observed: String,
    /// Whether they agree.
    #[tabled(rename = "Result", display = "pass_fail")]
    pub passed: bool,
}

fn pass_fail(passed: &bool) -> String {
    if *passed { "pass".into() } else { "FAIL".into() }
}

/// Output formats.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Format {
    /// A table for people.
    Table,
    /// One JSON document.
    Json,
    /// JUnit XML, one test case per check.
    Junit,
}

/// Renders the checks in `format`.
pub fn render(checks: &[Check], format: Format, suite: &str) -> String {
    match format {
        Format::Table => Table::new(checks).with(Style::sharp()).to_string(),
        Format::Json => {
            let failed = checks.iter().filter(|c| !c.passed).count();
            let document = serde_json::json!({ "suite": suite, "passed": failed == 0, "failed": failed, "checks": checks });
            serde_json::to_string_pretty(&document).unwrap_or_default()
        }
        Format::Junit => junit(checks, suite),
    }
}

fn junit(checks: &[Check], suite: &str) -> String {
    let failures = checks.iter().filter(|c| !c.passed).count();
    let mut out = String::from("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n");
    let _ = writeln!(
        out,
        "<testsuites name=\"{}\" tests=\"{}\" failures=\"{failures}\">",
        escape(suite),
        checks.len()
    );
    let _ = writeln!(
        out,
        "  <testsuite name=\"{}\" tests=\"{}\" failures=\"{failures}\">",
        escape(suite),
        checks.len()
    );
    for check in checks {
        let _ = write!(
            out,
            "    <testcase classname=\"{}.{}\" name=\"{}\"",
            escape(suite),
            escape(&check.group),
            escape(&check.name)
        );
        if check.passed {
            out.push_str("/>\n");
        } else {
            let _ = writeln!(
                out,
                ">\n      <failure message=\"expected {}, observed {}\"/>\n    </testcase>",
                escape(&check.expected),
                escape(&check.observed)
            );
        }
    }
    out.push_str("  </testsuite>\n</testsuites>\n");
    out
}

fn escape(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
        .replace('\n', "&#10;")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn check(name: &str, passed: bool) -> Check {
        Check {
            group: "setting".into(),
            name: name.into(),
            expected: "a<b".into(),
            observed: "c".into(),
            passed,
        }
    }

    #[test]
    fn junit_counts_failures_and_escapes() {
        let xml = render(
            &[check("IP Relaxation", true), check("Timeout \"Value\"", false)],
            Format::Junit,
            "verify-setup",
        );
        assert!(xml.contains("tests=\"2\" failures=\"1\""));
        assert!(xml.contains("name=\"Timeout &quot;Value&quot;\""));
        assert!(xml.contains("<failure message=\"expected a&lt;b, observed c\"/>"));
    }

    #[test]
    fn json_says_whether_everything_passed() {
        let json: serde_json::Value =
            serde_json::from_str(&render(&[check("x", false)], Format::Json, "s")).unwrap();
        assert_eq!(json["passed"], false);
        assert_eq!(json["failed"], 1);
    }
}
