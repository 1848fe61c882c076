//! `search-params-valid`: every FHIR search sends only parameters BB2 knows for its resource,
//! with values BB2 accepts: `_count` an integer from 1 to 50, `startIndex` a non-negative
//! integer, `_lastUpdated` and `service-date` with an `lt|le|gt|ge` prefix, and never
//! `patient=Patient/<id>` on ExplanationOfBenefit (BB2 answers 403). The `type` value is
//! `claim-type-values-valid`'s to judge.

use crate::conform::check::{Check, Verdict};
use crate::conform::checks::reads;
use crate::conform::evidence::Evidence;
use crate::fhir::paging::MAX_COUNT;
use crate::oauth::scopes::Resource;

/// Parameters of every search (behaviour file §3.4; `_format` is dropped by BB2 but appears in
/// the links it serves).
const COMMON: &[&str] = &["_count", "count", "startIndex", "_lastUpdated", "_format"];
/// Parameters of a Patient search.
const PATIENT: &[&str] = &["_id", "identifier"];
/// Parameters of a Coverage search.
const COVERAGE: &[&str] = &["beneficiary"];
/// Parameters of an ExplanationOfBenefit search.
const EOB: &[&str] = &[
    "patient",
    "type",
    "service-date",
    "_tag",
    "_source",
    "_security:not",
    "_offset",
];

/// See the module doc.
pub struct SearchParamsValid;

impl Check for SearchParamsValid {
    fn id(&self) -> &'static str {
        "search-params-valid"
    }

    fn title(&self) -> &'static str {
        "FHIR searches send only parameters BB2 knows, with values it accepts"
    }

    fn requirements(&self) -> &'static [&'static str] {
        &["behaviour:§3.2", "behaviour:§3.4", "behaviour:§10"]
    }

    fn evaluate(&self, evidence: &Evidence) -> Verdict {
        let mut searches = 0;
        let mut offences = Vec::new();
        for call in evidence.traffic.api_calls.iter().filter(|c| c.is_search()) {
            searches += 1;
            let resource = call.resource;
            for (name, value) in call.params.pairs() {
                if let Some(problem) = problem(resource, name, value) {
                    offences.push((
                        [call.exchange],
                        format!("{} search: {problem}", resource.name()),
                    ));
                }
            }
        }
        if searches == 0 {
            return Verdict::skip("no FHIR search was made");
        }
        if let Some(failure) = reads::fail_all(offences) {
            return failure;
        }
        Verdict::pass(format!("all {searches} searches used valid parameters"))
    }
}

/// What is wrong with `name=value` on a search of `resource`, if anything.
fn problem(resource: Resource, name: &str, value: &str) -> Option<String> {
    let own: &[&str] = match resource {
        Resource::Patient => PATIENT,
        Resource::Coverage => COVERAGE,
        Resource::ExplanationOfBenefit => EOB,
        Resource::UserInfo => &[],
    };
    if !COMMON.contains(&name) && !own.contains(&name) {
        return Some(format!("{name} is not a parameter BB2 knows"));
    }
    let valid = match name {
        "_count" | "count" => value
            .parse::<u64>()
            .is_ok_and(|count| (1..=MAX_COUNT).contains(&count)),
        "startIndex" => value.parse::<u64>().is_ok(),
        "_lastUpdated" | "service-date" => ["lt", "le", "gt", "ge"]
            .iter()
            .any(|operator| value.starts_with(operator)),
        "patient" if resource == Resource::ExplanationOfBenefit => {
            return value
                .starts_with("Patient/")
                .then(|| format!("patient={value} names a reference, BB2 compares the bare id"));
        }
        _ => true,
    };
    (!valid).then(|| format!("{name}={value} is not a value BB2 accepts"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::conform::checks::reads_testkit::*;

    #[test]
    fn known_parameters_pass() {
        let run = Run::new(vec![
            token(1),
            get(2, "/v2/fhir/ExplanationOfBenefit?_format=application%2Ffhir%2Bjson&startIndex=10&_count=50&patient=-1&type=pde&_lastUpdated=gt2020-02-13").done(),
            get(3, "/v2/fhir/Coverage/?beneficiary=Patient%2F-1&count=1").done(),
            get(4, "/v2/fhir/Patient/?_id=-1").done(),
            get(5, "/v2/fhir/Patient/-1?anything=1").done(),
        ]);
        assert_pass(&SearchParamsValid.evaluate(&run.evidence()));
    }

    #[test]
    fn unknown_parameters_and_bad_values_fail() {
        let cases = [
            (
                "/v2/fhir/ExplanationOfBenefit/?excludeSAMHSA=true",
                "ExplanationOfBenefit search: excludeSAMHSA is not a parameter BB2 knows",
            ),
            (
                "/v2/fhir/ExplanationOfBenefit/?_count=51",
                "ExplanationOfBenefit search: _count=51 is not a value BB2 accepts",
            ),
            (
                "/v2/fhir/Coverage/?_count=0",
                "Coverage search: _count=0 is not a value BB2 accepts",
            ),
            (
                "/v2/fhir/Coverage/?startIndex=-5",
                "Coverage search: startIndex=-5 is not a value BB2 accepts",
            ),
            (
                "/v2/fhir/Coverage/?type=carrier",
                "Coverage search: type is not a parameter BB2 knows",
            ),
            (
                "/v2/fhir/ExplanationOfBenefit/?_lastUpdated=2020-02-13",
                "ExplanationOfBenefit search: _lastUpdated=2020-02-13 is not a value BB2 accepts",
            ),
            (
                "/v2/fhir/ExplanationOfBenefit/?patient=Patient%2F-1",
                "ExplanationOfBenefit search: patient=Patient/-1 names a reference, BB2 compares the bare id",
            ),
        ];
        for (target, reason) in cases {
            let run = Run::new(vec![token(1), get(2, target).status(400).done()]);
            assert_fail(&SearchParamsValid.evaluate(&run.evidence()), reason, &[2]);
        }
    }

    #[test]
    fn no_search_skips() {
        let run = Run::new(vec![token(1), get(2, "/v2/fhir/Patient/-1").done()]);
        assert_skip(
            &SearchParamsValid.evaluate(&run.evidence()),
            "no FHIR search was made",
        );
    }
}
