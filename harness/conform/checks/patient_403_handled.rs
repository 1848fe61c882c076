//! `patient-403-handled`: where Patient answers 403 (the beneficiary withheld demographics),
//! the client does not retry it in a loop, still reads Coverage and ExplanationOfBenefit and
//! ends normally.

use crate::conform::check::{Check, Verdict};
use crate::conform::checks::reads;
use crate::conform::evidence::Evidence;
use crate::oauth::scopes::Resource;

/// See the module doc.
pub struct Patient403Handled;

impl Check for Patient403Handled {
    fn id(&self) -> &'static str {
        "patient-403-handled"
    }

    fn title(&self) -> &'static str {
        "A 403 from Patient is handled: no retry loop, Coverage and ExplanationOfBenefit still read"
    }

    fn requirements(&self) -> &'static [&'static str] {
        &["guide:Scopes", "behaviour:§3.2", "behaviour:§10"]
    }

    fn evaluate(&self, evidence: &Evidence) -> Verdict {
        reads::forbidden_handled(evidence, Resource::Patient)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::conform::checks::reads_testkit::*;
    use serde_json::json;

    const PATIENT_PATH: &str = "/v2/fhir/Patient/-20140000008325";

    fn reads(from: u64) -> Vec<crate::server::journal::Exchange> {
        vec![
            get(from, "/v2/fhir/Coverage/")
                .answer(bundle("Coverage", &["part-a-20140000008325"], None))
                .done(),
            get(from + 1, "/v2/fhir/ExplanationOfBenefit/")
                .answer(bundle("ExplanationOfBenefit", &["pde-1"], None))
                .done(),
        ]
    }

    fn forbidden(id: u64) -> crate::server::journal::Exchange {
        get(id, PATIENT_PATH)
            .status(403)
            .answer(json!({"detail": "You do not have permission to perform this action."}))
            .done()
    }

    #[test]
    fn going_on_after_403_passes() {
        let mut exchanges = vec![token(1), forbidden(2)];
        exchanges.extend(reads(3));
        let run = Run::new(exchanges);
        let verdict = Patient403Handled.evaluate(&run.evidence());
        assert_pass(&verdict);
        assert_eq!(verdict.exchanges, [2]);
    }

    #[test]
    fn retry_loop_fails() {
        let mut exchanges = vec![token(1), forbidden(2), forbidden(3), forbidden(4)];
        exchanges.extend(reads(5));
        let run = Run::new(exchanges);
        assert_fail(
            &Patient403Handled.evaluate(&run.evidence()),
            "Patient was requested 3 times after 403 answers (at most 2)",
            &[2, 3, 4],
        );
    }

    #[test]
    fn stopping_after_403_fails() {
        let run = Run::new(vec![token(1), forbidden(2)]).exit(1);
        assert_fail(
            &Patient403Handled.evaluate(&run.evidence()),
            "Coverage was never read (200) after Patient answered 403",
            &[2],
        );
        let mut exchanges = vec![token(1)];
        exchanges.extend(reads(2));
        exchanges.push(forbidden(4));
        let run = Run::new(exchanges).exit(1);
        assert_fail(
            &Patient403Handled.evaluate(&run.evidence()),
            "the client ended right after Patient answered 403: exit code 1",
            &[4],
        );
    }

    #[test]
    fn a_later_failure_is_not_the_403s() {
        let mut exchanges = vec![token(1), forbidden(2)];
        exchanges.extend(reads(3));
        let run = Run::new(exchanges).exit(1);
        let verdict = Patient403Handled.evaluate(&run.evidence());
        assert_eq!(
            verdict.status,
            crate::conform::check::Status::Pass,
            "{verdict:?}"
        );
    }

    #[test]
    fn no_403_skips() {
        let mut exchanges = vec![token(1), get(2, PATIENT_PATH).done()];
        exchanges.extend(reads(3));
        let run = Run::new(exchanges);
        assert_skip(
            &Patient403Handled.evaluate(&run.evidence()),
            "Patient was never answered 403",
        );
    }
}
