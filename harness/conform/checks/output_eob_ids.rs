//! `output-eob-ids`: the client's output lists, in `eob_ids`, exactly the ExplanationOfBenefit ids the server
//! served (as a set, without duplicates). Recommended ("not testable") when the client wrote
//! no output.

use crate::conform::check::{Check, Level, Verdict};
use crate::conform::checks::reads;
use crate::conform::evidence::Evidence;
use crate::oauth::scopes::Resource;

/// See the module doc.
pub struct OutputEobIds;

impl Check for OutputEobIds {
    fn id(&self) -> &'static str {
        "output-eob-ids"
    }

    fn title(&self) -> &'static str {
        "The output's eob_ids are exactly the ExplanationOfBenefit ids served"
    }

    fn requirements(&self) -> &'static [&'static str] {
        &["guide:Core Resources", "behaviour:§4", "behaviour:§10"]
    }

    fn level_in(&self, evidence: &Evidence) -> Level {
        reads::output_level(evidence)
    }

    fn evaluate(&self, evidence: &Evidence) -> Verdict {
        if let Some(not_testable) = reads::output_missing(evidence) {
            return not_testable;
        }
        match reads::compare_ids(evidence, "eob_ids", Resource::ExplanationOfBenefit) {
            Ok(()) => Verdict::pass("eob_ids holds every id served, once"),
            Err((reason, ids)) => Verdict::fail(reason, ids),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::conform::checks::reads_testkit::*;
    use serde_json::json;

    const PAGE_2: &str = "/v2/fhir/ExplanationOfBenefit?_count=2&startIndex=2";

    fn served() -> Vec<crate::server::journal::Exchange> {
        vec![
            token(1),
            get(2, "/v2/fhir/ExplanationOfBenefit/")
                .answer(bundle(
                    "ExplanationOfBenefit",
                    &["pde-1", "carrier-2"],
                    Some(PAGE_2),
                ))
                .done(),
            get(3, PAGE_2)
                .answer(bundle("ExplanationOfBenefit", &["pde-3"], None))
                .done(),
            // Not served: a throttled page carries no ids.
            get(4, PAGE_2)
                .status(429)
                .answer(json!({"detail": "Request was throttled."}))
                .done(),
        ]
    }

    #[test]
    fn every_page_pass() {
        let run = Run::new(served()).output(json!({"eob_ids": ["pde-3", "carrier-2", "pde-1"]}));
        assert_pass(&OutputEobIds.evaluate(&run.evidence()));
    }

    #[test]
    fn first_page_only_fails() {
        let run = Run::new(served()).output(json!({"eob_ids": ["pde-1", "carrier-2"]}));
        assert_fail(
            &OutputEobIds.evaluate(&run.evidence()),
            "the output's eob_ids lacks 1 of the 3 ids served (first: pde-3)",
            &[3],
        );
    }

    #[test]
    fn missing_output_is_not_testable_and_recommended() {
        let run = Run::new(served());
        assert_fail(
            &OutputEobIds.evaluate(&run.evidence()),
            "not testable: BB_OUTPUT was not written and stdout is empty",
            &[],
        );
        assert_eq!(OutputEobIds.level_in(&run.evidence()), Level::Recommended);
    }
}
