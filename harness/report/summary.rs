//! The terse human summary `bbh conform` prints: per scenario a header line and one line per
//! check, the client's end when abnormal, stale baseline entries, and a closing count. No
//! colors: it must read the same in a CI log.
//!
//! Labels: `PASS`; `FAIL` (fails the run); `WARN` (a recommended check failed, or one expected
//! to pass); `XFAIL` (an expected failure, from `expect:` or the baseline); `STALE` (expected
//! to fail, now passes: fails the run); `SKIP` (does not apply).

use crate::conform::check::Status;
use crate::conform::judge::CheckResult;
use crate::conform::run::ScenarioRun;
use crate::report::checks_json::api_version;
use crate::report::junit::exchanges;
use crate::scenario::ExpectedOutcome;
use std::fmt::Write;

/// How one result reads in the summary.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Label {
    Pass,
    Fail,
    Warn,
    Xfail,
    Stale,
    Skip,
}

impl Label {
    fn of(result: &CheckResult) -> Label {
        match result.verdict.status {
            Status::Pass if result.is_stale() => Label::Stale,
            Status::Pass => Label::Pass,
            Status::Skip => Label::Skip,
            Status::Fail if result.is_unexpected_failure() => Label::Fail,
            Status::Fail if result.expected == Some(ExpectedOutcome::Fail) => Label::Xfail,
            Status::Fail => Label::Warn,
        }
    }

    fn text(self) -> &'static str {
        match self {
            Label::Pass => "PASS",
            Label::Fail => "FAIL",
            Label::Warn => "WARN",
            Label::Xfail => "XFAIL",
            Label::Stale => "STALE",
            Label::Skip => "SKIP",
        }
    }
}

/// The summary of `runs`; `baseline_stale` lists the stale baseline entries
/// (`scenario:check`), which fail the run.
pub fn render(runs: &[ScenarioRun], baseline_stale: &[String]) -> String {
    let mut out = String::new();
    let mut counts = [0usize; 6];
    let mut failed_runs = 0;
    for run in runs {
        let failed = run.failed();
        failed_runs += usize::from(failed);
        let version = api_version(run)
            .map(|v| format!(", {v}"))
            .unwrap_or_default();
        let _ = writeln!(
            out,
            "{} ({}{version}): {}",
            run.scenario.name,
            run.scenario.profile.name(),
            if failed { "FAIL" } else { "PASS" },
        );
        for result in &run.results {
            let label = Label::of(result);
            counts[label as usize] += 1;
            let _ = write!(out, "  {:<5} {}", label.text(), result.id);
            if label == Label::Stale {
                let _ = write!(out, ": expected to fail, now passes");
                if result.baselined {
                    let _ = write!(out, " (remove it from the baseline)");
                }
            } else if label != Label::Pass {
                let verdict = &result.verdict;
                let _ = write!(out, ": {}{}", verdict.reason, exchanges(&verdict.exchanges));
            }
            out.push('\n');
        }
        if !run.client.succeeded() {
            let _ = writeln!(out, "  client: {}", run.client.describe());
        }
        if run.traffic.truncated {
            let _ = writeln!(out, "  transcript cut off: the client flooded the server");
        }
    }
    for entry in baseline_stale {
        let _ = writeln!(
            out,
            "STALE baseline entry {entry}: the check passes or does not exist; remove it"
        );
    }
    let [pass, fail, warn, xfail, stale, skip] = counts;
    let _ = writeln!(
        out,
        "{}: {} scenarios ({} failed), checks: {pass} passed, {fail} failed, {warn} warnings, \
         {xfail} expected failures, {stale} stale, {skip} skipped; {} stale baseline entries",
        if failed_runs > 0 || !baseline_stale.is_empty() {
            "FAIL"
        } else {
            "PASS"
        },
        runs.len(),
        failed_runs,
        baseline_stale.len(),
    );
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::report::fixtures;

    #[test]
    fn one_line_per_check_and_a_closing_count() {
        let mut run = fixtures::run();
        run.results[3].verdict = crate::conform::check::Verdict::skip("no refresh happened");
        let mut second = fixtures::run();
        second.scenario.name = "pagination".to_owned();
        second.results[2].expected = Some(ExpectedOutcome::Fail);
        second.results[2].baselined = true;
        second.results[0].expected = Some(ExpectedOutcome::Fail);
        second.results[0].baselined = true;
        second.client.exit_code = Some(1);
        let text = render(&[run, second], &["gone:no-such-check".to_owned()]);
        assert_eq!(
            text,
            "\
oauth-success (documented, v2): FAIL
  PASS  journey-complete
  WARN  pkce-s256: authorization request without code_challenge (exchange 1)
  FAIL  state-sent: state is 3 characters (exchanges 1, 3)
  SKIP  refresh-rotation: no refresh happened
pagination (documented, v2): FAIL
  STALE journey-complete: expected to fail, now passes (remove it from the baseline)
  WARN  pkce-s256: authorization request without code_challenge (exchange 1)
  XFAIL state-sent: state is 3 characters (exchanges 1, 3)
  SKIP  refresh-rotation: no refresh happened
  client: exit code 1
STALE baseline entry gone:no-such-check: the check passes or does not exist; remove it
FAIL: 2 scenarios (2 failed), checks: 1 passed, 1 failed, 2 warnings, 1 expected failures, 1 stale, 2 skipped; 1 stale baseline entries
"
        );
    }

    #[test]
    fn a_clean_run_passes_and_a_timeout_is_named() {
        let mut run = fixtures::run();
        run.results.truncate(1);
        assert!(render(std::slice::from_ref(&run), &[]).ends_with(
            "PASS: 1 scenarios (0 failed), checks: 1 passed, 0 failed, 0 warnings, 0 expected failures, 0 stale, 0 skipped; 0 stale baseline entries\n"
        ));
        run.client.timed_out = true;
        run.traffic.truncated = true;
        let text = render(&[run], &[]);
        assert!(
            text.starts_with("oauth-success (documented, v2): FAIL\n"),
            "{text}"
        );
        assert!(text.contains("  client: killed at the timeout\n"));
        assert!(text.contains("  transcript cut off: the client flooded the server\n"));
    }
}
