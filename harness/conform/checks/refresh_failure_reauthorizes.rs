//! `refresh-failure-reauthorizes`: when the token endpoint refuses a refresh (`invalid_grant`,
//! an expired or revoked grant: any 4xx but 429), the client does not try that refresh token
//! again nor loop on refreshes: it sends the beneficiary back through `/authorize`. After a
//! second refusal it may give up.

use crate::conform::check::{Check, Verdict};
use crate::conform::checks::flow;
use crate::conform::evidence::Evidence;

/// See the module doc.
pub struct RefreshFailureReauthorizes;

impl Check for RefreshFailureReauthorizes {
    fn id(&self) -> &'static str {
        "refresh-failure-reauthorizes"
    }

    fn title(&self) -> &'static str {
        "A refused refresh is not retried: the client authorizes again"
    }

    fn requirements(&self) -> &'static [&'static str] {
        &["behaviour:§2.9", "behaviour:§10", "rfc6749:§5.2"]
    }

    fn evaluate(&self, evidence: &Evidence) -> Verdict {
        let traffic = evidence.traffic;
        let refusals: Vec<_> = flow::refresh_grants(traffic)
            .filter(|t| flow::refused(t))
            .collect();
        let Some(first) = refusals.first() else {
            return Verdict::skip("no refresh was refused");
        };
        let authorized_between =
            |from: u64, to: u64| flow::flows(traffic).any(|a| a.exchange > from && a.exchange < to);
        for refusal in &refusals {
            let token = refusal.form.get("refresh_token");
            let later = || flow::refresh_grants(traffic).filter(|t| t.exchange > refusal.exchange);
            if let Some(again) = later().find(|t| t.form.get("refresh_token") == token) {
                return Verdict::fail(
                    "the client sent a refused refresh token again",
                    [refusal.exchange, again.exchange],
                );
            }
            if let Some(next) = later().next()
                && flow::refused(next)
                && !authorized_between(refusal.exchange, next.exchange)
            {
                return Verdict::fail(
                    "two refreshes in a row were refused, with no authorization between them",
                    [refusal.exchange, next.exchange],
                );
            }
        }
        let Some(reauthorization) = flow::flows(traffic).find(|a| a.exchange > first.exchange)
        else {
            return Verdict::fail(
                "no authorization request followed the refused refresh",
                [first.exchange],
            );
        };
        Verdict::pass("the client authorized again after the refused refresh")
            .with_exchanges([first.exchange, reauthorization.exchange])
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::conform::check::Status;
    use crate::conform::checks::testkit::{Journal, challenge, oauth_error, tokens};
    use crate::exchange::Response;
    use http::StatusCode;

    fn invalid_grant() -> Response {
        oauth_error(StatusCode::BAD_REQUEST, "invalid_grant")
    }

    #[test]
    fn passes_on_reauthorization() {
        let mut journal = Journal::new();
        journal.authorized("0123456789abcdef", &challenge(), "c1");
        journal.redeem("c1", "a1", "r1");
        let refusal = journal.refresh("r1", invalid_grant());
        let again = journal.authorized("0123456789abcdeg", "other", "c2");
        journal.redeem("c2", "a2", "r2");
        // A second refusal after the new flow may end the client.
        journal.refresh("r2", invalid_grant());
        let verdict = journal.run().judge(&RefreshFailureReauthorizes);
        assert_eq!(verdict.status, Status::Pass, "{verdict:?}");
        assert_eq!(verdict.exchanges, vec![refusal, again]);
    }

    #[test]
    fn passes_on_a_retry_after_throttling() {
        let mut journal = Journal::new();
        journal.redeem("c1", "a1", "r1");
        journal.refresh(
            "r1",
            oauth_error(StatusCode::TOO_MANY_REQUESTS, "throttled"),
        );
        journal.refresh("r1", tokens("a2", "r2"));
        let verdict = journal.run().judge(&RefreshFailureReauthorizes);
        assert_eq!(verdict.status, Status::Skip, "{verdict:?}");
    }

    #[test]
    fn fails_on_the_same_token_again() {
        let mut journal = Journal::new();
        journal.redeem("c1", "a1", "r1");
        let refusal = journal.refresh("r1", invalid_grant());
        let again = journal.refresh("r1", invalid_grant());
        let verdict = journal.run().judge(&RefreshFailureReauthorizes);
        assert_eq!(verdict.status, Status::Fail);
        assert_eq!(
            verdict.reason,
            "the client sent a refused refresh token again"
        );
        assert_eq!(verdict.exchanges, vec![refusal, again]);
    }

    #[test]
    fn fails_on_a_refresh_loop() {
        let mut journal = Journal::new();
        journal.redeem("c1", "a1", "r1");
        let refusal = journal.refresh("r1", invalid_grant());
        let next = journal.refresh("r0", invalid_grant());
        let verdict = journal.run().judge(&RefreshFailureReauthorizes);
        assert_eq!(verdict.status, Status::Fail);
        assert_eq!(
            verdict.reason,
            "two refreshes in a row were refused, with no authorization between them"
        );
        assert_eq!(verdict.exchanges, vec![refusal, next]);
    }

    #[test]
    fn fails_without_reauthorization() {
        let mut journal = Journal::new();
        journal.authorized("0123456789abcdef", &challenge(), "c1");
        journal.redeem("c1", "a1", "r1");
        let refusal = journal.refresh("r1", invalid_grant());
        let verdict = journal.run().judge(&RefreshFailureReauthorizes);
        assert_eq!(verdict.status, Status::Fail);
        assert_eq!(
            verdict.reason,
            "no authorization request followed the refused refresh"
        );
        assert_eq!(verdict.exchanges, vec![refusal]);
    }

    #[test]
    fn skips_when_no_refresh_was_refused() {
        let mut journal = Journal::new();
        journal.redeem("c1", "a1", "r1");
        journal.refresh("r1", tokens("a2", "r2"));
        let verdict = journal.run().judge(&RefreshFailureReauthorizes);
        assert_eq!(verdict.status, Status::Skip);
        assert_eq!(verdict.reason, "no refresh was refused");
    }
}
