//! `code-redeemed-once`: an authorization code is single use: once the token endpoint has
//! used it up (exchanged it, or refused it as `invalid_grant`), the client never sends it
//! again. Codes whose callback the `replay-callback` probe delivered twice are
//! `callback-replay-rejected`'s to judge.

use crate::conform::check::{Check, Verdict};
use crate::conform::checks::flow;
use crate::conform::evidence::Evidence;

/// See the module doc.
pub struct CodeRedeemedOnce;

impl Check for CodeRedeemedOnce {
    fn id(&self) -> &'static str {
        "code-redeemed-once"
    }

    fn title(&self) -> &'static str {
        "No authorization code is sent to the token endpoint more than once"
    }

    fn requirements(&self) -> &'static [&'static str] {
        &["behaviour:§2.2", "behaviour:§10", "rfc6749:§4.1.2"]
    }

    fn evaluate(&self, evidence: &Evidence) -> Verdict {
        let traffic = evidence.traffic;
        let replayed: Vec<&str> = flow::replayed(traffic).map(|(_, code)| code).collect();
        let mut codes: Vec<&str> = Vec::new();
        for request in &traffic.token_requests {
            if let Some(code) = request.form.non_empty("code")
                && !codes.contains(&code)
                && !replayed.contains(&code)
            {
                codes.push(code);
            }
        }
        if codes.is_empty() {
            return Verdict::skip("no authorization code was redeemed");
        }
        for code in &codes {
            if let Some((first, again)) = flow::second_redemption(traffic, code) {
                return Verdict::fail(
                    "an authorization code was sent again after the token endpoint used it",
                    [first.exchange, again.exchange],
                );
            }
        }
        let ids = traffic
            .token_requests
            .iter()
            .filter(|t| t.form.non_empty("code").is_some())
            .map(|t| t.exchange);
        Verdict::pass("every code was redeemed once").with_exchanges(ids)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::conform::check::Status;
    use crate::conform::checks::testkit::{Journal, challenge, code_exchange, oauth_error};
    use crate::exchange::Response;
    use http::StatusCode;

    #[test]
    fn passes_on_one_redemption_per_code() {
        let mut journal = Journal::new();
        journal.authorized("0123456789abcdef", &challenge(), "c1");
        let first = journal.redeem("c1", "a1", "r1");
        journal.authorized("0123456789abcdeg", "other", "c2");
        let second = journal.redeem("c2", "a2", "r2");
        let verdict = journal.run().judge(&CodeRedeemedOnce);
        assert_eq!(verdict.status, Status::Pass, "{verdict:?}");
        assert_eq!(verdict.exchanges, vec![first, second]);
    }

    #[test]
    fn passes_on_a_retry_after_a_server_failure() {
        let mut journal = Journal::new();
        journal.authorized("0123456789abcdef", &challenge(), "c1");
        let unavailable = Response::empty(StatusCode::SERVICE_UNAVAILABLE);
        let failed = journal.token(&code_exchange("c1"), unavailable);
        let retried = journal.redeem("c1", "a1", "r1");
        let verdict = journal.run().judge(&CodeRedeemedOnce);
        assert_eq!(verdict.status, Status::Pass, "{verdict:?}");
        assert_eq!(verdict.exchanges, vec![failed, retried]);
    }

    #[test]
    fn fails_on_a_second_redemption() {
        let mut journal = Journal::new();
        journal.authorized("0123456789abcdef", &challenge(), "c1");
        let first = journal.redeem("c1", "a1", "r1");
        let again = journal.token(
            "grant_type=authorization_code&code=c1",
            oauth_error(StatusCode::BAD_REQUEST, "invalid_grant"),
        );
        let verdict = journal.run().judge(&CodeRedeemedOnce);
        assert_eq!(verdict.status, Status::Fail);
        assert_eq!(
            verdict.reason,
            "an authorization code was sent again after the token endpoint used it"
        );
        assert_eq!(verdict.exchanges, vec![first, again]);
    }

    #[test]
    fn skips_without_a_code() {
        let mut journal = Journal::new();
        journal.authorized("0123456789abcdef", &challenge(), "c1");
        let verdict = journal.run().judge(&CodeRedeemedOnce);
        assert_eq!(verdict.status, Status::Skip);
        assert_eq!(verdict.reason, "no authorization code was redeemed");
    }
}
