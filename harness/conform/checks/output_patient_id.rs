//! `output-patient-id`: the client's output names the patient the token endpoint issued, or
//! `null` when the beneficiary denied access. Recommended ("not testable") when the client
//! wrote no output.

use crate::conform::check::{Check, Level, Verdict};
use crate::conform::checks::reads;
use crate::conform::evidence::Evidence;

/// See the module doc.
pub struct OutputPatientId;

impl Check for OutputPatientId {
    fn id(&self) -> &'static str {
        "output-patient-id"
    }

    fn title(&self) -> &'static str {
        "The output's patient_id is the patient the token endpoint issued"
    }

    fn requirements(&self) -> &'static [&'static str] {
        &["guide:Scopes", "behaviour:§2.7", "behaviour:§10"]
    }

    fn level_in(&self, evidence: &Evidence) -> Level {
        reads::output_level(evidence)
    }

    fn evaluate(&self, evidence: &Evidence) -> Verdict {
        if let Some(not_testable) = reads::output_missing(evidence) {
            return not_testable;
        }
        match reads::compare_patient(evidence) {
            Ok(()) => Verdict::pass("patient_id is the patient issued"),
            Err((reason, ids)) => Verdict::fail(reason, ids),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::conform::checks::reads_testkit::*;
    use serde_json::json;

    #[test]
    fn issued_patient_or_null_on_denial_passes() {
        let run = Run::new(vec![token(1)]).output(json!({"patient_id": PATIENT}));
        assert_pass(&OutputPatientId.evaluate(&run.evidence()));
        assert_eq!(OutputPatientId.level_in(&run.evidence()), Level::Required);
        let run = Run::new(Vec::new())
            .scenario("login:\n  approve: false\n")
            .output(json!({"patient_id": null, "coverage_ids": [], "eob_ids": []}));
        assert_pass(&OutputPatientId.evaluate(&run.evidence()));
    }

    #[test]
    fn wrong_patient_fails() {
        let run = Run::new(vec![token(1)]).output(json!({"patient_id": "-1"}));
        assert_fail(
            &OutputPatientId.evaluate(&run.evidence()),
            "the output's patient_id is -1, the token endpoint issued -20140000008325",
            &[1],
        );
        let run = Run::new(vec![token(1)]).output(json!({"patient_id": null}));
        assert_fail(
            &OutputPatientId.evaluate(&run.evidence()),
            "the output's patient_id is null, the token endpoint issued -20140000008325",
            &[1],
        );
        let run = Run::new(vec![token(1)]).output(json!({"patient": PATIENT}));
        assert_fail(
            &OutputPatientId.evaluate(&run.evidence()),
            "the output's patient_id is missing or neither a string nor null",
            &[1],
        );
    }

    #[test]
    fn missing_output_is_not_testable_and_recommended() {
        let run = Run::new(vec![token(1)]);
        assert_fail(
            &OutputPatientId.evaluate(&run.evidence()),
            "not testable: BB_OUTPUT was not written and stdout is empty",
            &[],
        );
        assert_eq!(
            OutputPatientId.level_in(&run.evidence()),
            Level::Recommended
        );
    }
}
