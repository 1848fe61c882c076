//! `own-patient-only`: every patient an API call names (a Patient read id, a Patient search
//! `_id`, a `patient` or `beneficiary` search value, a Coverage read id) is one the token
//! endpoint issued in the run.

use crate::conform::check::{Check, Verdict};
use crate::conform::checks::reads;
use crate::conform::evidence::Evidence;
use crate::conform::traffic::ApiCall;
use crate::fhir::resources::CoveragePart;
use crate::oauth::scopes::Resource;

/// See the module doc.
pub struct OwnPatientOnly;

impl Check for OwnPatientOnly {
    fn id(&self) -> &'static str {
        "own-patient-only"
    }

    fn title(&self) -> &'static str {
        "API calls ask only for the patient the token was issued for"
    }

    fn requirements(&self) -> &'static [&'static str] {
        &["guide:Core Resources", "behaviour:§3.2", "behaviour:§3.4"]
    }

    fn evaluate(&self, evidence: &Evidence) -> Verdict {
        let traffic = evidence.traffic;
        if traffic.api_calls.is_empty() {
            return Verdict::skip("no API call was made");
        }
        let issued = traffic.issued_patients();
        let mut offences = Vec::new();
        for call in &traffic.api_calls {
            for (what, patient) in named_patients(call) {
                if !issued.contains(&patient) {
                    let known = match issued.as_slice() {
                        [] => "none".to_owned(),
                        ids => ids.join(", "),
                    };
                    offences.push((
                        [call.exchange],
                        format!("{what} names patient {patient}, not one issued ({known})"),
                    ));
                }
            }
        }
        if let Some(failure) = reads::fail_all(offences) {
            return failure;
        }
        Verdict::pass("every API call named only the issued patient")
    }
}

/// The patients a call names, each with where it names it.
fn named_patients(call: &ApiCall) -> Vec<(String, &str)> {
    let resource = call.resource.name();
    let mut named = Vec::new();
    match (call.resource, call.id.as_deref()) {
        (Resource::Patient, Some(id)) => named.push(("Patient read".to_owned(), id)),
        (Resource::Coverage, Some(id)) => {
            if let Some((_, patient)) = CoveragePart::from_resource_id(id) {
                named.push((format!("Coverage read {id}"), patient));
            }
        }
        _ => {}
    }
    if call.is_search() {
        for (name, value) in call.params.pairs() {
            let names_patient = matches!(name.as_str(), "patient" | "beneficiary")
                || (call.resource == Resource::Patient && name == "_id");
            if names_patient {
                named.push((
                    format!("{resource} search {name}={value}"),
                    reads::bare_patient(value),
                ));
            }
        }
    }
    named
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::conform::checks::reads_testkit::*;

    #[test]
    fn own_patient_passes() {
        let run = Run::new(vec![
            token(1),
            get(2, &format!("/v2/fhir/Patient/{PATIENT}")).done(),
            get(
                3,
                &format!("/v2/fhir/Coverage/?beneficiary=Patient%2F{PATIENT}"),
            )
            .done(),
            get(4, &format!("/v2/fhir/Coverage/part-a-{PATIENT}")).done(),
            get(
                5,
                &format!("/v2/fhir/ExplanationOfBenefit/?patient={PATIENT}"),
            )
            .done(),
            get(6, "/v2/fhir/ExplanationOfBenefit/carrier-123").done(),
        ]);
        assert_pass(&OwnPatientOnly.evaluate(&run.evidence()));
    }

    #[test]
    fn other_patients_fail() {
        let run = Run::new(vec![
            token(1),
            get(2, "/v2/fhir/ExplanationOfBenefit/?patient=-19990000000001")
                .status(403)
                .done(),
            get(3, "/v2/fhir/Coverage/part-b-19990000000001")
                .status(404)
                .done(),
            get(4, "/v2/fhir/Patient/?_id=-1").status(404).done(),
        ]);
        assert_fail(
            &OwnPatientOnly.evaluate(&run.evidence()),
            "ExplanationOfBenefit search patient=-19990000000001 names patient -19990000000001, not one issued (-20140000008325) (and 2 more)",
            &[2, 3, 4],
        );
    }

    #[test]
    fn no_api_call_skips() {
        let run = Run::new(vec![token(1)]);
        assert_skip(
            &OwnPatientOnly.evaluate(&run.evidence()),
            "no API call was made",
        );
    }
}
