//! `accept-header-valid`: no API call is answered 406, and every FHIR call's `Accept` (when
//! sent) admits a type BB2 renders: `application/fhir+json`, `application/json` or a wildcard
//! (the old `application/json+fhir` does not).

use crate::conform::check::{Check, Verdict};
use crate::conform::checks::reads;
use crate::conform::evidence::Evidence;
use crate::fhir::negotiation;
use crate::oauth::scopes::Resource;

/// See the module doc.
pub struct AcceptHeaderValid;

impl Check for AcceptHeaderValid {
    fn id(&self) -> &'static str {
        "accept-header-valid"
    }

    fn title(&self) -> &'static str {
        "FHIR calls send an Accept header BB2 can satisfy (never answered 406)"
    }

    fn requirements(&self) -> &'static [&'static str] {
        &["behaviour:§3.1", "behaviour:§6", "behaviour:§10"]
    }

    fn evaluate(&self, evidence: &Evidence) -> Verdict {
        let calls = &evidence.traffic.api_calls;
        if calls.is_empty() {
            return Verdict::skip("no API call was made");
        }
        let mut offences = Vec::new();
        for call in calls {
            let accept = call.accept.as_deref();
            let refused = call.resource != Resource::UserInfo
                && accept.is_some()
                && negotiation::negotiate(accept).is_none();
            if call.status == 406 || refused {
                let reason = if call.status == 406 {
                    "was answered 406"
                } else {
                    "admits neither application/fhir+json nor application/json"
                };
                offences.push((
                    [call.exchange],
                    format!(
                        "{} with Accept: {} {reason}",
                        call.path,
                        accept.unwrap_or("(none)")
                    ),
                ));
            }
        }
        if let Some(failure) = reads::fail_all(offences) {
            return failure;
        }
        Verdict::pass("every Accept header could be satisfied")
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::conform::checks::reads_testkit::*;

    #[test]
    fn fhir_json_and_wildcards_pass() {
        let run = Run::new(vec![
            token(1),
            get(2, "/v2/fhir/Coverage/").done(),
            get(3, "/v2/fhir/Patient/x")
                .header("accept", "application/json")
                .done(),
            get(4, "/v2/fhir/ExplanationOfBenefit/")
                .header("accept", "*/*")
                .done(),
            get(5, "/v2/fhir/ExplanationOfBenefit/")
                .without("accept")
                .done(),
        ]);
        assert_pass(&AcceptHeaderValid.evaluate(&run.evidence()));
    }

    #[test]
    fn stu3_type_and_406_fail() {
        let run = Run::new(vec![
            token(1),
            get(2, "/v2/fhir/Coverage/")
                .header("accept", "application/json+fhir")
                .status(406)
                .done(),
            get(3, "/v2/fhir/Patient/x")
                .header("accept", "text/html")
                .done(),
            get(4, "/v2/connect/userinfo").status(406).done(),
        ]);
        assert_fail(
            &AcceptHeaderValid.evaluate(&run.evidence()),
            "/v2/fhir/Coverage/ with Accept: application/json+fhir was answered 406 (and 2 more)",
            &[2, 3, 4],
        );
    }

    #[test]
    fn no_api_call_skips() {
        let run = Run::new(vec![token(1)]);
        assert_skip(
            &AcceptHeaderValid.evaluate(&run.evidence()),
            "no API call was made",
        );
    }
}
