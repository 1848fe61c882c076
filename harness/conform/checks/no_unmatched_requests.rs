//! `no-unmatched-requests`: in a `strict` scenario, every request the client sends matches a
//! stub or a route of the built-in API; one that matches neither (the journal holds its
//! near miss) is a request the scenario did not expect.

use crate::conform::check::{Check, Verdict};
use crate::conform::checks::reads;
use crate::conform::evidence::Evidence;

/// See the module doc.
pub struct NoUnmatchedRequests;

impl Check for NoUnmatchedRequests {
    fn id(&self) -> &'static str {
        "no-unmatched-requests"
    }

    fn title(&self) -> &'static str {
        "In a strict scenario, every request matches a stub or a route of the API"
    }

    fn requirements(&self) -> &'static [&'static str] {
        &["bbh:strict"]
    }

    fn evaluate(&self, evidence: &Evidence) -> Verdict {
        if !evidence.scenario.strict {
            return Verdict::skip("the scenario is not strict");
        }
        let offences: Vec<([u64; 1], String)> = evidence
            .traffic
            .exchanges
            .iter()
            .filter_map(|exchange| {
                let miss = exchange.miss.as_ref()?;
                let request = &exchange.request;
                Some((
                    [exchange.id],
                    format!(
                        "{} {} matched no stub and no route ({miss})",
                        request.method, request.path
                    ),
                ))
            })
            .collect();
        if let Some(failure) = reads::fail_all(offences) {
            return failure;
        }
        Verdict::pass("every request matched a stub or a route")
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::conform::checks::reads_testkit::*;
    use crate::server::near_miss::{ClosestStub, FieldDiff, Miss};
    use http::Method;

    fn unmatched(id: u64, target: &str) -> crate::server::journal::Exchange {
        let mut exchange = Ex::new(id, Method::GET, target).status(404).done();
        exchange.miss = Some(Miss {
            closest: Some(ClosestStub {
                index: 0,
                diffs: vec![FieldDiff {
                    field: "path".into(),
                    expected: "/v2/fhir/Patient/".into(),
                    actual: Some(exchange.request.path.clone()),
                }],
            }),
            strict: true,
        });
        exchange
    }

    const STRICT: &str = "strict: true\nstubs:\n  - {when: {path: /v2/fhir/Patient/}, then: {}}\n";

    #[test]
    fn every_request_matched_passes() {
        let run = Run::new(vec![token(1), get(2, "/v2/fhir/Patient/").done()]).scenario(STRICT);
        assert_pass(&NoUnmatchedRequests.evaluate(&run.evidence()));
    }

    #[test]
    fn unmatched_requests_fail_with_their_closest_stub() {
        let run = Run::new(vec![
            token(1),
            unmatched(2, "/v2/fhir/Patients/?x=1"),
            get(3, "/v2/fhir/Patient/").done(),
            unmatched(4, "/favicon.ico"),
        ])
        .scenario(STRICT);
        assert_fail(
            &NoUnmatchedRequests.evaluate(&run.evidence()),
            "GET /v2/fhir/Patients/ matched no stub and no route (closest stub: stubs[0], \
             unmet: path) (and 1 more)",
            &[2, 4],
        );
    }

    #[test]
    fn a_scenario_that_is_not_strict_skips() {
        let run = Run::new(vec![token(1), unmatched(2, "/nowhere")]);
        assert_skip(
            &NoUnmatchedRequests.evaluate(&run.evidence()),
            "the scenario is not strict",
        );
    }
}
