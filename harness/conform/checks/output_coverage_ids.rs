//! `output-coverage-ids`: the client's output lists, in `coverage_ids`, exactly the Coverage ids the server
//! served (as a set, without duplicates). Recommended ("not testable") when the client wrote
//! no output.

use crate::conform::check::{Check, Level, Verdict};
use crate::conform::checks::reads;
use crate::conform::evidence::Evidence;
use crate::oauth::scopes::Resource;

/// See the module doc.
pub struct OutputCoverageIds;

impl Check for OutputCoverageIds {
    fn id(&self) -> &'static str {
        "output-coverage-ids"
    }

    fn title(&self) -> &'static str {
        "The output's coverage_ids are exactly the Coverage ids served"
    }

    fn requirements(&self) -> &'static [&'static str] {
        &["guide:Core Resources", "behaviour:§4", "behaviour:§7.1"]
    }

    fn level_in(&self, evidence: &Evidence) -> Level {
        reads::output_level(evidence)
    }

    fn evaluate(&self, evidence: &Evidence) -> Verdict {
        if let Some(not_testable) = reads::output_missing(evidence) {
            return not_testable;
        }
        match reads::compare_ids(evidence, "coverage_ids", Resource::Coverage) {
            Ok(()) => Verdict::pass("coverage_ids holds every id served, once"),
            Err((reason, ids)) => Verdict::fail(reason, ids),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::conform::checks::reads_testkit::*;
    use serde_json::json;

    fn served() -> Vec<crate::server::journal::Exchange> {
        vec![
            token(1),
            get(2, "/v2/fhir/Coverage/")
                .answer(bundle("Coverage", &["part-a--1", "part-b--1"], None))
                .done(),
            get(3, "/v2/fhir/Coverage/part-a--1")
                .answer(json!({"resourceType": "Coverage", "id": "part-a--1"}))
                .done(),
        ]
    }

    #[test]
    fn served_ids_in_any_order_pass() {
        let run = Run::new(served()).output(json!({"coverage_ids": ["part-b--1", "part-a--1"]}));
        assert_pass(&OutputCoverageIds.evaluate(&run.evidence()));
        assert_eq!(OutputCoverageIds.level_in(&run.evidence()), Level::Required);
    }

    #[test]
    fn missing_extra_and_duplicate_ids_fail() {
        let cases = [
            (
                json!(["part-a--1"]),
                "the output's coverage_ids lacks 1 of the 2 ids served (first: part-b--1)",
                vec![2],
            ),
            (
                json!(["part-a--1", "part-b--1", "part-c--1"]),
                "the output's coverage_ids has 1 ids never served (first: part-c--1)",
                vec![],
            ),
            (
                json!(["part-a--1", "part-b--1", "part-a--1"]),
                "the output's coverage_ids lists part-a--1 twice",
                vec![],
            ),
            (
                json!("part-a--1"),
                "the output's coverage_ids is missing or not a list of strings",
                vec![],
            ),
        ];
        for (ids, reason, exchanges) in cases {
            let run = Run::new(served()).output(json!({"coverage_ids": ids}));
            assert_fail(
                &OutputCoverageIds.evaluate(&run.evidence()),
                reason,
                &exchanges,
            );
        }
    }

    #[test]
    fn missing_output_is_not_testable_and_recommended() {
        let run = Run::new(served());
        assert_fail(
            &OutputCoverageIds.evaluate(&run.evidence()),
            "not testable: BB_OUTPUT was not written and stdout is empty",
            &[],
        );
        assert_eq!(
            OutputCoverageIds.level_in(&run.evidence()),
            Level::Recommended
        );
    }
}
