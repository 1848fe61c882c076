//! The JUnit XML report for CI (via `quick-junit`): one `<testsuite>` per scenario, one
//! `<testcase>` per check (classname: the scenario, name: the check id).
//!
//! Mapping, chosen so the CI status equals `bbh conform`'s exit code:
//! - pass → success; skip → `<skipped>` with the reason;
//! - a failure that fails the run (required, not expected) → `<failure type="required">`
//!   with the reason and the exchange ids;
//! - an expected failure that now passes (stale) → `<failure type="stale-expectation">`;
//! - a recommended failure → success, with the reason in `<system-out>` and the property
//!   `bbh.outcome=warn` (a SHOULD never turns CI red);
//! - an expected failure (scenario `expect:` or baseline) → success, with the reason in
//!   `<system-out>` and `bbh.outcome=xfail`;
//! - a client killed at the timeout → an extra testcase `client` failing with type `timeout`.

use crate::conform::check::Status;
use crate::conform::judge::CheckResult;
use crate::conform::run::ScenarioRun;
use crate::report::ReportError;
use crate::report::checks_json::api_version;
use crate::scenario::ExpectedOutcome;
use quick_junit::{NonSuccessKind, Property, Report, TestCase, TestCaseStatus, TestSuite};
use std::path::Path;

/// The JUnit report of `runs`.
pub fn report(runs: &[ScenarioRun]) -> Report {
    let mut report = Report::new("bbh conform");
    for run in runs {
        report.add_test_suite(suite(run));
    }
    report.set_time(runs.iter().map(|run| run.duration).sum());
    report
}

/// Writes the JUnit report of `runs` to `path`, atomically.
pub fn write(path: &Path, runs: &[ScenarioRun]) -> Result<(), ReportError> {
    let xml = report(runs)
        .to_string()
        .map_err(|source| ReportError::Junit {
            path: path.to_owned(),
            source,
        })?;
    super::write_atomic(path, xml.as_bytes())
}

fn suite(run: &ScenarioRun) -> TestSuite {
    let name = &run.scenario.name;
    let mut suite = TestSuite::new(name.as_str());
    suite.set_time(run.duration);
    suite.add_property(Property::new("bbh.profile", run.scenario.profile.name()));
    if let Some(version) = api_version(run) {
        suite.add_property(Property::new("bbh.api_version", version));
    }
    suite.add_property(Property::new("bbh.client", run.client.describe()));
    for result in &run.results {
        suite.add_test_case(case(name, result));
    }
    let client_failure = if run.client.timed_out {
        Some("timeout")
    } else if run.client.interrupted {
        Some("interrupted")
    } else {
        None
    };
    if let Some(kind) = client_failure {
        let mut status = TestCaseStatus::non_success(NonSuccessKind::Failure);
        status.set_type(kind).set_message(run.client.describe());
        let mut case = TestCase::new("client", status);
        case.set_classname(name.as_str());
        suite.add_test_case(case);
    }
    suite
}

fn case(scenario: &str, result: &CheckResult) -> TestCase {
    let verdict = &result.verdict;
    let message = format!("{}{}", verdict.reason, exchanges(&verdict.exchanges));
    let (status, outcome) = match verdict.status {
        Status::Pass if result.is_stale() => {
            let mut status = TestCaseStatus::non_success(NonSuccessKind::Failure);
            status
                .set_type("stale-expectation")
                .set_message(format!("expected to fail, but passes: {message}"));
            (status, "stale")
        }
        Status::Pass => (TestCaseStatus::success(), "pass"),
        Status::Skip => {
            let mut status = TestCaseStatus::skipped();
            status.set_message(message.as_str());
            (status, "skip")
        }
        Status::Fail if result.is_unexpected_failure() => {
            let mut status = TestCaseStatus::non_success(NonSuccessKind::Failure);
            status.set_type("required").set_message(message.as_str());
            (status, "fail")
        }
        Status::Fail if result.expected == Some(ExpectedOutcome::Fail) => {
            (TestCaseStatus::success(), "xfail")
        }
        Status::Fail => (TestCaseStatus::success(), "warn"),
    };
    let mut case = TestCase::new(result.id, status);
    case.set_classname(scenario);
    case.add_property(Property::new("bbh.level", result.level.name()));
    case.add_property(Property::new("bbh.outcome", outcome));
    case.add_property(Property::new(
        "bbh.requirements",
        result.requirements.join(" "),
    ));
    if result.baselined {
        case.add_property(Property::new("bbh.baselined", "true"));
    }
    if matches!(outcome, "xfail" | "warn") {
        case.set_system_out(format!("{outcome}: {}: {message}", result.title));
    }
    case
}

/// ` (exchanges 3, 7)`, or nothing.
pub(crate) fn exchanges(ids: &[u64]) -> String {
    if ids.is_empty() {
        return String::new();
    }
    let ids: Vec<String> = ids.iter().map(u64::to_string).collect();
    let noun = if ids.len() == 1 {
        "exchange"
    } else {
        "exchanges"
    };
    format!(" ({noun} {})", ids.join(", "))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::report::fixtures;

    fn xml(runs: &[ScenarioRun]) -> String {
        report(runs).to_string().unwrap()
    }

    #[test]
    fn one_suite_per_scenario_one_case_per_check() {
        let mut second = fixtures::run();
        second.scenario.name = "pagination".to_owned();
        second.results[2].expected = Some(ExpectedOutcome::Fail);
        second.results[2].baselined = true;
        let xml = xml(&[fixtures::run(), second]);
        assert!(
            xml.contains(
                r#"<testsuites name="bbh conform" tests="8" skipped="2" failures="1" errors="0""#
            ),
            "{xml}"
        );
        assert!(
            xml.contains(
                r#"<testsuite name="oauth-success" tests="4" skipped="1" errors="0" failures="1""#
            ),
            "{xml}"
        );
        assert!(
            xml.contains(
                r#"<testsuite name="pagination" tests="4" skipped="1" errors="0" failures="0""#
            ),
            "{xml}"
        );
        assert!(xml.contains(r#"<testcase name="journey-complete" classname="oauth-success""#));
        assert!(
            xml.contains(
                r#"<failure message="state is 3 characters (exchanges 1, 3)" type="required"/>"#
            ),
            "{xml}"
        );
        assert!(xml.contains(r#"<skipped message="no refresh happened"/>"#));
        assert!(xml.contains(r#"<property name="bbh.outcome" value="warn"/>"#));
        assert!(xml.contains("<system-out>warn: Authorization requests carry an S256 PKCE challenge: authorization request without code_challenge (exchange 1)</system-out>"), "{xml}");
        assert!(xml.contains(r#"<property name="bbh.outcome" value="xfail"/>"#));
        assert!(xml.contains(r#"<property name="bbh.baselined" value="true"/>"#));
        let parsed = Report::deserialize_from_str(&xml).unwrap();
        assert_eq!(parsed.test_suites.len(), 2);
        assert_eq!(parsed.test_suites[0].test_cases.len(), 4);
    }

    #[test]
    fn stale_expectations_and_timeouts_fail() {
        let mut run = fixtures::run();
        run.results[0].expected = Some(ExpectedOutcome::Fail);
        run.client.timed_out = true;
        run.client.exit_code = None;
        let xml = xml(&[run]);
        assert!(xml.contains(r#"type="stale-expectation""#), "{xml}");
        assert!(
            xml.contains(r#"<testcase name="client" classname="oauth-success""#),
            "{xml}"
        );
        assert!(
            xml.contains(r#"<failure message="killed at the timeout" type="timeout"/>"#),
            "{xml}"
        );
    }

    #[test]
    fn an_interrupted_client_fails_its_suite() {
        let mut run = fixtures::run();
        run.client.interrupted = true;
        run.client.exit_code = None;
        run.client.signal = Some(15);
        assert!(run.failed());
        let xml = xml(&[run]);
        assert!(
            xml.contains(
                r#"<failure message="killed because bbh conform was interrupted" type="interrupted"/>"#
            ),
            "{xml}"
        );
    }

    #[test]
    fn write_replaces_the_file() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("junit.xml");
        std::fs::write(&path, "old").unwrap();
        write(&path, &[fixtures::run()]).unwrap();
        let text = std::fs::read_to_string(&path).unwrap();
        assert!(text.starts_with("<?xml"), "{text}");
        assert_eq!(exchanges(&[]), "");
    }
}
