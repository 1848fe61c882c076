//! `token-refreshed-on-expiry`: when an access token expires (a 401 that says so, or the
//! scenario's `expire_after_calls`), the client refreshes it and never uses the expired token
//! again. Refreshing before the token expires passes too. A refused refresh counts as the
//! client's answer here; `refresh-failure-reauthorizes` judges what it does next.

use crate::conform::check::{Check, Verdict};
use crate::conform::checks::flow;
use crate::conform::evidence::Evidence;
use crate::conform::traffic::{TokenRequest, TokenState};

/// See the module doc.
pub struct TokenRefreshedOnExpiry;

impl Check for TokenRefreshedOnExpiry {
    fn id(&self) -> &'static str {
        "token-refreshed-on-expiry"
    }

    fn title(&self) -> &'static str {
        "An expired access token is refreshed, and never used again"
    }

    fn requirements(&self) -> &'static [&'static str] {
        &[
            "behaviour:§2.8",
            "behaviour:§10",
            "rfc6749:§6",
            "rfc6750:§3.1",
        ]
    }

    fn evaluate(&self, evidence: &Evidence) -> Verdict {
        let traffic = evidence.traffic;
        let expiries: Vec<u64> = traffic
            .api_calls
            .iter()
            .filter(|call| call.expired_token)
            .map(|call| call.exchange)
            .collect();
        let limited = evidence.scenario.tokens.expire_after_calls.is_some();
        if !limited && expiries.is_empty() {
            return Verdict::skip("the scenario does not expire tokens and none expired");
        }
        for call in &traffic.api_calls {
            let Some(token) = &call.bearer else {
                continue;
            };
            if let TokenState::Expired { since } = traffic.access_token_state(token, call.exchange)
            {
                return Verdict::fail(
                    "an API call used an access token already answered as expired",
                    [since, call.exchange],
                );
            }
        }
        let answered = |request: &TokenRequest| request.succeeded() || flow::refused(request);
        let mut ids = expiries.clone();
        for expiry in &expiries {
            let Some(refresh) =
                flow::refresh_grants(traffic).find(|t| t.exchange > *expiry && answered(t))
            else {
                return Verdict::fail("no refresh followed the expired-token answer", [*expiry]);
            };
            ids.push(refresh.exchange);
        }
        if !expiries.is_empty() {
            return Verdict::pass("every expired access token was refreshed").with_exchanges(ids);
        }
        match flow::refresh_grants(traffic).find(|t| t.succeeded()) {
            Some(refresh) => Verdict::pass("the client refreshed before the token expired")
                .with_exchanges([refresh.exchange]),
            None => Verdict::skip("the token never expired"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::conform::check::Status;
    use crate::conform::checks::testkit::{Journal, bundle, expired, oauth_error, tokens};
    use http::StatusCode;

    #[test]
    fn passes_on_refresh_after_expiry() {
        let mut journal = Journal::new();
        journal.redeem("c1", "a1", "r1");
        journal.read("a1", bundle());
        let expiry = journal.read("a1", expired());
        let refresh = journal.refresh("r1", tokens("a2", "r2"));
        journal.read("a2", bundle());
        let verdict = journal.run().judge(&TokenRefreshedOnExpiry);
        assert_eq!(verdict.status, Status::Pass, "{verdict:?}");
        assert_eq!(verdict.reason, "every expired access token was refreshed");
        assert_eq!(verdict.exchanges, vec![expiry, refresh]);
    }

    #[test]
    fn passes_on_a_refused_refresh_after_expiry() {
        let mut journal = Journal::new();
        journal.redeem("c1", "a1", "r1");
        journal.read("a1", expired());
        journal.refresh("r1", oauth_error(StatusCode::BAD_REQUEST, "invalid_grant"));
        let verdict = journal.run().judge(&TokenRefreshedOnExpiry);
        assert_eq!(verdict.status, Status::Pass, "{verdict:?}");
    }

    #[test]
    fn passes_on_proactive_refresh() {
        let mut journal = Journal::new();
        journal.redeem("c1", "a1", "r1");
        let refresh = journal.refresh("r1", tokens("a2", "r2"));
        journal.read("a2", bundle());
        let mut run = journal.run();
        run.scenario.tokens.expire_after_calls = Some(3);
        let verdict = run.judge(&TokenRefreshedOnExpiry);
        assert_eq!(verdict.status, Status::Pass, "{verdict:?}");
        assert_eq!(
            verdict.reason,
            "the client refreshed before the token expired"
        );
        assert_eq!(verdict.exchanges, vec![refresh]);
    }

    #[test]
    fn fails_on_reuse_of_the_expired_token() {
        let mut journal = Journal::new();
        journal.redeem("c1", "a1", "r1");
        let expiry = journal.read("a1", expired());
        let again = journal.read("a1", expired());
        let verdict = journal.run().judge(&TokenRefreshedOnExpiry);
        assert_eq!(verdict.status, Status::Fail);
        assert_eq!(
            verdict.reason,
            "an API call used an access token already answered as expired"
        );
        assert_eq!(verdict.exchanges, vec![expiry, again]);
    }

    #[test]
    fn fails_without_a_refresh() {
        let mut journal = Journal::new();
        journal.redeem("c1", "a1", "r1");
        let expiry = journal.read("a1", expired());
        let verdict = journal.run().judge(&TokenRefreshedOnExpiry);
        assert_eq!(verdict.status, Status::Fail);
        assert_eq!(
            verdict.reason,
            "no refresh followed the expired-token answer"
        );
        assert_eq!(verdict.exchanges, vec![expiry]);
    }

    #[test]
    fn skips_when_the_token_never_expired() {
        let mut journal = Journal::new();
        journal.redeem("c1", "a1", "r1");
        journal.read("a1", bundle());
        let mut run = journal.run();
        run.scenario.tokens.expire_after_calls = Some(3);
        let verdict = run.judge(&TokenRefreshedOnExpiry);
        assert_eq!(verdict.status, Status::Skip);
        assert_eq!(verdict.reason, "the token never expired");
    }

    #[test]
    fn skips_when_tokens_do_not_expire() {
        let mut journal = Journal::new();
        journal.redeem("c1", "a1", "r1");
        journal.read("a1", bundle());
        let verdict = journal.run().judge(&TokenRefreshedOnExpiry);
        assert_eq!(verdict.status, Status::Skip);
        assert_eq!(
            verdict.reason,
            "the scenario does not expire tokens and none expired"
        );
    }
}
