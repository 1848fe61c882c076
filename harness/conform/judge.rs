//! Runs every check over one run's evidence and applies the scenario's `expect:` section: a
//! listed check that does not apply is a failure ("not testable"), a listed outcome is the
//! expected one, and only required failures that nobody expected count against the run.

use crate::conform::check::{Level, Status, Verdict};
use crate::conform::checks;
use crate::conform::evidence::Evidence;
use crate::scenario::ExpectedOutcome;

/// One check's result in a run, as reported.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CheckResult {
    /// The check id.
    pub id: &'static str,
    /// What the client must do.
    pub title: &'static str,
    /// Required or recommended, for this scenario's profile and app.
    pub level: Level,
    /// The requirements it enforces.
    pub requirements: &'static [&'static str],
    /// What it found.
    pub verdict: Verdict,
    /// The outcome the scenario's `expect:` or the baseline file expects, if any.
    pub expected: Option<ExpectedOutcome>,
    /// Whether the expectation came from the baseline file.
    pub baselined: bool,
}

impl CheckResult {
    /// A result for `verdict`, nothing expected yet.
    pub fn new(
        id: &'static str,
        title: &'static str,
        level: Level,
        requirements: &'static [&'static str],
        verdict: Verdict,
    ) -> CheckResult {
        CheckResult {
            id,
            title,
            level,
            requirements,
            verdict,
            expected: None,
            baselined: false,
        }
    }

    /// A failure that fails the run: required, and not expected to fail.
    pub fn is_unexpected_failure(&self) -> bool {
        self.level == Level::Required
            && self.verdict.status == Status::Fail
            && self.expected != Some(ExpectedOutcome::Fail)
    }

    /// An expected failure that now passes: the expectation is stale.
    pub fn is_stale(&self) -> bool {
        self.expected == Some(ExpectedOutcome::Fail) && self.verdict.status == Status::Pass
    }
}

/// Every registered check's result for one run, in registry order.
pub fn judge(evidence: &Evidence) -> Vec<CheckResult> {
    checks::all()
        .map(|check| {
            let mut verdict = check.evaluate(evidence);
            let expected = evidence
                .scenario
                .expect
                .checks
                .iter()
                .find(|expected| expected.id == check.id());
            if expected.is_some() && verdict.status == Status::Skip {
                verdict = Verdict::fail(format!("not testable: {}", verdict.reason), []);
            }
            let mut result = CheckResult::new(
                check.id(),
                check.title(),
                check.level_in(evidence),
                check.requirements(),
                verdict,
            );
            result.expected = expected.map(|expected| expected.outcome);
            result
        })
        .collect()
}
