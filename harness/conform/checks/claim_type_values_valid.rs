//! `claim-type-values-valid`: every ExplanationOfBenefit search's `type` value is one BB2
//! accepts in the scenario's profile: a comma list of the eight claim-type codes, each
//! optionally prefixed with the `eob-type` system (lower case in `documented`, any case in
//! `current`), or the bare system with `|`.

use crate::conform::check::{Check, Verdict};
use crate::conform::checks::reads;
use crate::conform::evidence::Evidence;
use crate::fhir::type_param;
use crate::oauth::scopes::Resource;
use crate::scenario::Profile;

/// See the module doc.
pub struct ClaimTypeValuesValid;

impl Check for ClaimTypeValuesValid {
    fn id(&self) -> &'static str {
        "claim-type-values-valid"
    }

    fn title(&self) -> &'static str {
        "ExplanationOfBenefit searches send only valid claim-type values in type"
    }

    fn requirements(&self) -> &'static [&'static str] {
        &["guide:Query by Type", "behaviour:§3.4", "behaviour:§10"]
    }

    fn evaluate(&self, evidence: &Evidence) -> Verdict {
        let profile = evidence.scenario.profile;
        let mut typed = Vec::new();
        let mut offences = Vec::new();
        let searches = evidence
            .traffic
            .api_calls
            .iter()
            .filter(|c| c.resource == Resource::ExplanationOfBenefit && c.is_search());
        for call in searches {
            for (name, value) in call.params.pairs() {
                if name != "type" {
                    continue;
                }
                typed.push(call.exchange);
                if !valid(value, profile) {
                    offences.push((
                        [call.exchange],
                        format!(
                            "type={value} is not valid in the {} profile",
                            profile.name()
                        ),
                    ));
                }
            }
        }
        if typed.is_empty() {
            return Verdict::skip("no ExplanationOfBenefit search sent type");
        }
        if let Some(failure) = reads::fail_all(offences) {
            return failure;
        }
        Verdict::pass("every type value was valid").with_exchanges(typed)
    }
}

/// Whether BB2 accepts `value`: the guide's lower-case codes in `documented`; BB2's
/// case-insensitive pattern in `current`.
fn valid(value: &str, profile: Profile) -> bool {
    match profile {
        Profile::Documented => type_param::parse(value).is_ok(),
        Profile::Current => type_param::parse(&value.to_ascii_lowercase()).is_ok(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::conform::checks::reads_testkit::*;

    const SYSTEM_PDE: &str =
        "type=https%3A%2F%2Fbluebutton.cms.gov%2Fresources%2Fcodesystem%2Feob-type%7Cpde";

    #[test]
    fn lower_case_codes_and_system_pass() {
        let run = Run::new(vec![
            token(1),
            get(2, "/v2/fhir/ExplanationOfBenefit/?type=carrier,pde").done(),
            get(3, &format!("/v2/fhir/ExplanationOfBenefit/?{SYSTEM_PDE}")).done(),
        ]);
        let verdict = ClaimTypeValuesValid.evaluate(&run.evidence());
        assert_pass(&verdict);
        assert_eq!(verdict.exchanges, [2, 3]);
    }

    #[test]
    fn upper_case_fails_in_documented_only() {
        let exchanges = vec![
            token(1),
            get(2, "/v2/fhir/ExplanationOfBenefit/?type=CARRIER")
                .status(400)
                .done(),
            get(3, "/v2/fhir/ExplanationOfBenefit/?type=foo")
                .status(400)
                .done(),
        ];
        let run = Run::new(exchanges.clone());
        assert_fail(
            &ClaimTypeValuesValid.evaluate(&run.evidence()),
            "type=CARRIER is not valid in the documented profile (and 1 more)",
            &[2, 3],
        );
        let run = Run::new(exchanges).scenario("profile: current\n");
        assert_fail(
            &ClaimTypeValuesValid.evaluate(&run.evidence()),
            "type=foo is not valid in the current profile",
            &[3],
        );
    }

    #[test]
    fn no_type_skips() {
        let run = Run::new(vec![
            token(1),
            get(2, "/v2/fhir/ExplanationOfBenefit/").done(),
            get(3, "/v2/fhir/Coverage/?type=x").done(),
        ]);
        assert_skip(
            &ClaimTypeValuesValid.evaluate(&run.evidence()),
            "no ExplanationOfBenefit search sent type",
        );
    }
}
