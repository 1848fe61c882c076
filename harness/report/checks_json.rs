//! `checks.json`: one run's verdicts for machines (shape: `schemas/checks.schema.json`).

use crate::conform::judge::CheckResult;
use crate::conform::run::ScenarioRun;
use crate::scenario::ExpectedOutcome;
use serde_json::{Value, json};

/// The `checks.json` document of `run`.
pub fn render(run: &ScenarioRun) -> Value {
    let client = &run.client;
    json!({
        "bbh_version": env!("CARGO_PKG_VERSION"),
        "scenario": run.scenario.name,
        "profile": run.scenario.profile.name(),
        "api_version": api_version(run),
        "client": {
            "command": run.command,
            "exit_code": client.exit_code,
            "signal": client.signal,
            "timed_out": client.timed_out,
            "flooded": client.flooded,
            "interrupted": client.interrupted,
            "stdout_bytes": run.stdout.total,
            "stderr_bytes": run.stderr.total,
            "stdout_truncated": run.stdout.truncated(),
            "stderr_truncated": run.stderr.truncated(),
        },
        "duration_ms": u64::try_from(run.duration.as_millis()).unwrap_or(u64::MAX),
        "outcome": if run.failed() { "fail" } else { "pass" },
        "checks": run.results.iter().map(check).collect::<Vec<_>>(),
    })
}

/// The API version the client used: that of the first versioned request (`/v1/`, `/v2/`),
/// `None` when the client sent none.
pub fn api_version(run: &ScenarioRun) -> Option<&'static str> {
    run.traffic.exchanges.iter().find_map(|exchange| {
        let path = &exchange.request.path;
        if path == "/v1" || path.starts_with("/v1/") {
            Some("v1")
        } else if path == "/v2" || path.starts_with("/v2/") {
            Some("v2")
        } else {
            None
        }
    })
}

fn check(result: &CheckResult) -> Value {
    json!({
        "id": result.id,
        "title": result.title,
        "level": result.level.name(),
        "requirements": result.requirements,
        "status": result.verdict.status.name(),
        "reason": result.verdict.reason,
        "exchanges": result.verdict.exchanges,
        "expected": result.expected.map(|expected| match expected {
            ExpectedOutcome::Pass => "pass",
            ExpectedOutcome::Fail => "fail",
        }),
        "baselined": result.baselined,
        "counts": result.is_unexpected_failure() || result.is_stale(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::report::fixtures;

    use crate::report::fixtures::{errors, validator};

    #[test]
    fn the_document_matches_its_schema_and_the_run() {
        let mut run = fixtures::run();
        run.results[2].expected = Some(ExpectedOutcome::Fail);
        run.results[2].baselined = true;
        let document = render(&run);
        let validator = validator("checks.schema.json");
        assert_eq!(errors(&validator, &document), Vec::<String>::new());
        assert_eq!(document["scenario"], "oauth-success");
        assert_eq!(document["profile"], "documented");
        assert_eq!(document["api_version"], "v2");
        assert_eq!(document["duration_ms"], 1234);
        assert_eq!(document["client"]["stderr_bytes"], 100);
        assert_eq!(document["client"]["stderr_truncated"], true);
        assert_eq!(document["client"]["stdout_truncated"], false);
        assert_eq!(document["outcome"], "pass");
        let state = &document["checks"][2];
        assert_eq!(state["id"], "state-sent");
        assert_eq!(state["expected"], "fail");
        assert_eq!(state["baselined"], true);
        assert_eq!(state["counts"], false);
        assert_eq!(state["exchanges"], json!([1, 3]));
        let pkce = &document["checks"][1];
        assert_eq!(pkce["level"], "recommended");
        assert_eq!(pkce["status"], "fail");
        assert_eq!(pkce["counts"], false);
        assert_eq!(pkce["expected"], Value::Null);
    }

    #[test]
    fn an_unexpected_required_failure_fails_the_run() {
        let run = fixtures::run();
        let document = render(&run);
        assert_eq!(document["outcome"], "fail");
        assert_eq!(document["checks"][2]["counts"], true);
    }

    #[test]
    fn the_schema_is_tight() {
        let validator = validator("checks.schema.json");
        let mut document = render(&fixtures::run());
        document["extra"] = json!(1);
        document["checks"][0]["status"] = json!("passed");
        document["checks"][1]
            .as_object_mut()
            .unwrap()
            .remove("counts");
        let found = errors(&validator, &document);
        assert_eq!(found.len(), 3, "{found:?}");
    }

    #[test]
    fn a_run_without_versioned_traffic_has_no_api_version() {
        let mut run = fixtures::run();
        run.traffic = crate::conform::traffic::Traffic::new(Vec::new(), false);
        assert_eq!(render(&run)["api_version"], Value::Null);
    }
}
