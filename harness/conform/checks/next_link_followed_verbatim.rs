//! `next-link-followed-verbatim`: every search request with a `startIndex` parameter asks for
//! exactly (path and query) a link URL the server served earlier in the run; a hand-built
//! `startIndex` fails.

use crate::conform::check::{Check, Verdict};
use crate::conform::checks::reads;
use crate::conform::evidence::Evidence;

/// See the module doc.
pub struct NextLinkFollowedVerbatim;

impl Check for NextLinkFollowedVerbatim {
    fn id(&self) -> &'static str {
        "next-link-followed-verbatim"
    }

    fn title(&self) -> &'static str {
        "Paged searches follow the served link URLs verbatim instead of building startIndex"
    }

    fn requirements(&self) -> &'static [&'static str] {
        &["behaviour:§4", "behaviour:§10"]
    }

    fn evaluate(&self, evidence: &Evidence) -> Verdict {
        let mut served: Vec<&str> = Vec::new();
        let mut paged = Vec::new();
        let mut offences = Vec::new();
        for call in &evidence.traffic.api_calls {
            if call.is_search() && call.params.contains("startIndex") {
                paged.push(call.exchange);
                let target = call.target();
                if !served.contains(&target.as_str()) {
                    offences.push((
                        [call.exchange],
                        format!("{target} is not a link URL the server served before"),
                    ));
                }
            }
            served.extend(reads::links(call).into_iter().map(reads::link_target));
        }
        if paged.is_empty() {
            return Verdict::skip("no search request sent startIndex");
        }
        if let Some(failure) = reads::fail_all(offences) {
            return failure;
        }
        Verdict::pass("every startIndex request was a served link").with_exchanges(paged)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::conform::checks::reads_testkit::*;

    const PAGE_2: &str = "/v2/fhir/Coverage?_count=10&startIndex=10&beneficiary=Patient%2F-1";

    #[test]
    fn served_link_passes() {
        let run = Run::new(vec![
            token(1),
            get(2, "/v2/fhir/Coverage/")
                .answer(bundle("Coverage", &[], Some(PAGE_2)))
                .done(),
            get(3, PAGE_2).done(),
            // The first link of every bundle counts too.
            get(4, "/v2/fhir/Coverage?_count=10&startIndex=0").done(),
        ]);
        let verdict = NextLinkFollowedVerbatim.evaluate(&run.evidence());
        assert_pass(&verdict);
        assert_eq!(verdict.exchanges, [3, 4]);
    }

    #[test]
    fn hand_built_start_index_fails() {
        let run = Run::new(vec![
            token(1),
            get(2, "/v2/fhir/Coverage/")
                .answer(bundle("Coverage", &[], Some(PAGE_2)))
                .done(),
            get(3, "/v2/fhir/Coverage/?startIndex=10").done(),
            // Asked before the server served it.
            get(4, "/v2/fhir/ExplanationOfBenefit?startIndex=10").done(),
            get(5, "/v2/fhir/ExplanationOfBenefit/")
                .answer(bundle(
                    "ExplanationOfBenefit",
                    &[],
                    Some("/v2/fhir/ExplanationOfBenefit?startIndex=10"),
                ))
                .done(),
        ]);
        assert_fail(
            &NextLinkFollowedVerbatim.evaluate(&run.evidence()),
            "/v2/fhir/Coverage/?startIndex=10 is not a link URL the server served before (and 1 more)",
            &[3, 4],
        );
    }

    #[test]
    fn no_start_index_skips() {
        let run = Run::new(vec![
            token(1),
            get(2, "/v2/fhir/Coverage/").done(),
            get(3, "/v2/fhir/Patient/x?startIndex=1").done(),
        ]);
        assert_skip(
            &NextLinkFollowedVerbatim.evaluate(&run.evidence()),
            "no search request sent startIndex",
        );
    }
}
