//! `access-denied-handled`: when the beneficiary denies access (the callback carries
//! `error=access_denied`), the client stops: it sends no code to the token endpoint, does not
//! loop through `/authorize` (at most 3 authorizations in the run), and ends normally.

use crate::conform::check::{Check, Verdict};
use crate::conform::checks::flow;
use crate::conform::evidence::Evidence;

/// See the module doc.
pub struct AccessDeniedHandled;

/// More authorizations than this in a run where the beneficiary always denies is a loop.
const MAX_AUTHORIZATIONS: usize = 3;

impl Check for AccessDeniedHandled {
    fn id(&self) -> &'static str {
        "access-denied-handled"
    }

    fn title(&self) -> &'static str {
        "After access_denied the client redeems nothing, does not loop and ends normally"
    }

    fn requirements(&self) -> &'static [&'static str] {
        &["behaviour:§2.2", "behaviour:§10", "rfc6749:§4.1.2.1"]
    }

    fn evaluate(&self, evidence: &Evidence) -> Verdict {
        if evidence.scenario.login.approve {
            return Verdict::skip("the beneficiary approves in this scenario");
        }
        let traffic = evidence.traffic;
        let Some(denied) = traffic
            .authorizations
            .iter()
            .find(|a| a.redirect_params.get("error") == Some("access_denied"))
        else {
            return Verdict::skip("no authorization was denied");
        };
        if let Some(redeemed) = flow::code_grants(traffic).find(|t| t.exchange > denied.exchange) {
            return Verdict::fail(
                "the client went to the token endpoint after access was denied",
                [denied.exchange, redeemed.exchange],
            );
        }
        let flows: Vec<u64> = flow::flows(traffic).map(|a| a.exchange).collect();
        if flows.len() > MAX_AUTHORIZATIONS {
            return Verdict::fail(
                format!(
                    "the client sent {} authorization requests, more than {MAX_AUTHORIZATIONS}",
                    flows.len()
                ),
                flows,
            );
        }
        if !evidence.client.succeeded() {
            return Verdict::fail(
                format!(
                    "the client did not end normally after the denial: {}",
                    evidence.client.describe()
                ),
                [denied.exchange],
            );
        }
        Verdict::pass("the client stopped after access was denied and ended normally")
            .with_exchanges([denied.exchange])
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::conform::check::Status;
    use crate::conform::checks::testkit::{
        Journal, Run, authorize_query, code_exchange, oauth_error, redirect,
    };
    use http::StatusCode;

    fn denied(journal: &mut Journal) -> u64 {
        let query = authorize_query(&[("state", "0123456789abcdef")]);
        let back = redirect(&[("error", "access_denied"), ("state", "0123456789abcdef")]);
        journal.authorize(&query, back)
    }

    fn denying(journal: Journal) -> Run {
        let mut run = journal.run();
        run.scenario.login.approve = false;
        run
    }

    #[test]
    fn passes_when_the_client_stops() {
        let mut journal = Journal::new();
        let authorization = denied(&mut journal);
        let verdict = denying(journal).judge(&AccessDeniedHandled);
        assert_eq!(verdict.status, Status::Pass, "{verdict:?}");
        assert_eq!(verdict.exchanges, vec![authorization]);
    }

    #[test]
    fn fails_on_a_token_request() {
        let mut journal = Journal::new();
        let authorization = denied(&mut journal);
        let token = journal.token(
            &code_exchange(""),
            oauth_error(StatusCode::BAD_REQUEST, "invalid_request"),
        );
        let verdict = denying(journal).judge(&AccessDeniedHandled);
        assert_eq!(verdict.status, Status::Fail);
        assert_eq!(
            verdict.reason,
            "the client went to the token endpoint after access was denied"
        );
        assert_eq!(verdict.exchanges, vec![authorization, token]);
    }

    #[test]
    fn fails_on_a_loop() {
        let mut journal = Journal::new();
        let ids: Vec<u64> = (0..4).map(|_| denied(&mut journal)).collect();
        let verdict = denying(journal).judge(&AccessDeniedHandled);
        assert_eq!(verdict.status, Status::Fail);
        assert_eq!(
            verdict.reason,
            "the client sent 4 authorization requests, more than 3"
        );
        assert_eq!(verdict.exchanges, ids);
    }

    #[test]
    fn fails_when_the_client_exits_with_an_error() {
        let mut journal = Journal::new();
        let authorization = denied(&mut journal);
        let mut run = denying(journal);
        run.client.exit_code = Some(1);
        let verdict = run.judge(&AccessDeniedHandled);
        assert_eq!(verdict.status, Status::Fail);
        assert_eq!(
            verdict.reason,
            "the client did not end normally after the denial: exit code 1"
        );
        assert_eq!(verdict.exchanges, vec![authorization]);
    }

    #[test]
    fn skips_when_the_beneficiary_approves() {
        let mut journal = Journal::new();
        denied(&mut journal);
        let verdict = journal.run().judge(&AccessDeniedHandled);
        assert_eq!(verdict.status, Status::Skip);
        assert_eq!(verdict.reason, "the beneficiary approves in this scenario");
    }

    #[test]
    fn skips_without_a_denial() {
        let verdict = denying(Journal::new()).judge(&AccessDeniedHandled);
        assert_eq!(verdict.status, Status::Skip);
        assert_eq!(verdict.reason, "no authorization was denied");
    }
}
