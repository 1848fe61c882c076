//! Assertions a scenario asks for over what the client produced, reported like checks:
//! `output-schema-valid` validates the client's output JSON against the scenario's
//! `expect.output_schema`.

use crate::conform::check::{Level, Verdict};
use crate::conform::evidence::ClientOutput;
use crate::conform::judge::CheckResult;
use crate::conform::run::ScenarioRun;
use serde_json::Value;
use std::path::Path;

/// The id of the output-schema assertion.
pub const OUTPUT_SCHEMA_ID: &str = "output-schema-valid";
const OUTPUT_SCHEMA_TITLE: &str = "The client's output matches the scenario's output schema";
const OUTPUT_SCHEMA_REQUIREMENTS: &[&str] = &["bbh:expect.output_schema"];

/// The `output-schema-valid` result when the scenario sets `expect.output_schema`: a failure
/// names every violation by JSON pointer (`/eob_ids/3: 5 is not of type "string"`); a schema
/// that cannot be read or compiled, or a client without output, fails with why.
pub fn output_schema(run: &ScenarioRun) -> Option<CheckResult> {
    let path = run.scenario.expect.output_schema.as_deref()?;
    let verdict = match &run.output {
        ClientOutput::Missing(why) => Verdict::fail(format!("not testable: {why}"), []),
        ClientOutput::Json(output) => validate(path, output),
    };
    Some(CheckResult::new(
        OUTPUT_SCHEMA_ID,
        OUTPUT_SCHEMA_TITLE,
        Level::Required,
        OUTPUT_SCHEMA_REQUIREMENTS,
        verdict,
    ))
}

fn validate(path: &Path, output: &Value) -> Verdict {
    let shown = path.display();
    let text = match std::fs::read_to_string(path) {
        Ok(text) => text,
        Err(error) => {
            return Verdict::fail(format!("cannot read output schema {shown}: {error}"), []);
        }
    };
    let schema: Value = match serde_json::from_str(&text) {
        Ok(schema) => schema,
        Err(error) => {
            return Verdict::fail(format!("output schema {shown} is not JSON: {error}"), []);
        }
    };
    let validator = match jsonschema::validator_for(&schema) {
        Ok(validator) => validator,
        Err(error) => {
            return Verdict::fail(
                format!("output schema {shown} is not a valid JSON Schema: {error}"),
                [],
            );
        }
    };
    let errors: Vec<String> = validator
        .iter_errors(output)
        .map(|error| {
            let pointer = error.instance_path().as_str();
            let pointer = if pointer.is_empty() {
                "(root)"
            } else {
                pointer
            };
            format!("{pointer}: {error}")
        })
        .collect();
    if errors.is_empty() {
        Verdict::pass(format!("the output matches {shown}"))
    } else {
        Verdict::fail(
            format!("the output does not match {shown}: {}", errors.join("; ")),
            [],
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::conform::check::Status;
    use crate::report::fixtures;
    use serde_json::json;

    const SCHEMA: &str = r#"{
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "type": "object",
        "required": ["patient_id", "eob_ids"],
        "properties": {
            "patient_id": {"type": ["string", "null"]},
            "eob_ids": {"type": "array", "items": {"type": "string"}}
        }
    }"#;

    fn run_with_schema(text: Option<&str>) -> (tempfile::TempDir, ScenarioRun) {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("output.schema.json");
        if let Some(text) = text {
            std::fs::write(&path, text).unwrap();
        }
        let mut run = fixtures::run();
        run.scenario.expect.output_schema = Some(path);
        (dir, run)
    }

    #[test]
    fn no_schema_no_result() {
        assert_eq!(output_schema(&fixtures::run()), None);
    }

    #[test]
    fn a_matching_output_passes() {
        let (_dir, run) = run_with_schema(Some(SCHEMA));
        let result = output_schema(&run).unwrap();
        assert_eq!(
            result.verdict.status,
            Status::Pass,
            "{}",
            result.verdict.reason
        );
        assert_eq!(result.id, "output-schema-valid");
        assert_eq!(result.level, Level::Required);
        assert_eq!(result.requirements, ["bbh:expect.output_schema"]);
    }

    #[test]
    fn every_violation_is_named_by_pointer() {
        let (_dir, mut run) = run_with_schema(Some(SCHEMA));
        run.output = ClientOutput::Json(json!({"patient_id": 7, "eob_ids": ["a", "b", "c", 5]}));
        let result = output_schema(&run).unwrap();
        assert_eq!(result.verdict.status, Status::Fail);
        let reason = &result.verdict.reason;
        assert!(
            reason.contains(r#"/eob_ids/3: 5 is not of type "string""#),
            "{reason}"
        );
        assert!(reason.contains("/patient_id: 7 is not of type"), "{reason}");
        run.output = ClientOutput::Json(json!({}));
        let reason = output_schema(&run).unwrap().verdict.reason;
        assert!(
            reason.contains(r#"(root): "patient_id" is a required property"#),
            "{reason}"
        );
    }

    #[test]
    fn a_missing_output_is_not_testable() {
        let (_dir, mut run) = run_with_schema(Some(SCHEMA));
        run.output =
            ClientOutput::Missing("BB_OUTPUT was not written and stdout is not JSON".into());
        let verdict = output_schema(&run).unwrap().verdict;
        assert_eq!(verdict.status, Status::Fail);
        assert_eq!(
            verdict.reason,
            "not testable: BB_OUTPUT was not written and stdout is not JSON"
        );
    }

    #[test]
    fn a_bad_schema_fails_saying_why() {
        let (_dir, run) = run_with_schema(None);
        let reason = output_schema(&run).unwrap().verdict.reason;
        assert!(
            reason.starts_with("cannot read output schema ")
                && reason.contains("output.schema.json"),
            "{reason}"
        );
        let (_dir, run) = run_with_schema(Some("{not json"));
        let reason = output_schema(&run).unwrap().verdict.reason;
        assert!(reason.contains("is not JSON"), "{reason}");
        let (_dir, run) = run_with_schema(Some(r#"{"type": "no-such-type"}"#));
        let result = output_schema(&run).unwrap();
        assert_eq!(result.verdict.status, Status::Fail);
        assert!(
            result.verdict.reason.contains("is not a valid JSON Schema"),
            "{}",
            result.verdict.reason
        );
    }
}
