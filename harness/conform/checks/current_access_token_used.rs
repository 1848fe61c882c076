//! `current-access-token-used`: a refresh revokes the access token it replaces; the client
//! uses only the newest access token of its session for API calls.

use crate::conform::check::{Check, Verdict};
use crate::conform::checks::flow;
use crate::conform::evidence::Evidence;
use crate::conform::traffic::TokenState;

/// See the module doc.
pub struct CurrentAccessTokenUsed;

impl Check for CurrentAccessTokenUsed {
    fn id(&self) -> &'static str {
        "current-access-token-used"
    }

    fn title(&self) -> &'static str {
        "API calls use the newest access token, never one a refresh replaced"
    }

    fn requirements(&self) -> &'static [&'static str] {
        &["behaviour:§2.8", "behaviour:§10", "rfc6749:§6"]
    }

    fn evaluate(&self, evidence: &Evidence) -> Verdict {
        let traffic = evidence.traffic;
        let Some(refresh) = flow::refresh_grants(traffic).find(|t| t.succeeded()) else {
            return Verdict::skip("no refresh happened");
        };
        let mut ids = Vec::new();
        for call in &traffic.api_calls {
            let Some(token) = &call.bearer else {
                continue;
            };
            if call.exchange > refresh.exchange {
                ids.push(call.exchange);
            }
            if let TokenState::Replaced { by } = traffic.access_token_state(token, call.exchange) {
                return Verdict::fail(
                    "an API call used an access token that a refresh had replaced",
                    [by, call.exchange],
                );
            }
        }
        Verdict::pass("every API call after a refresh used the newest access token")
            .with_exchanges(ids)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::conform::check::Status;
    use crate::conform::checks::testkit::{Journal, bundle, tokens};
    use crate::exchange::Response;
    use http::StatusCode;

    #[test]
    fn passes_on_the_new_token() {
        let mut journal = Journal::new();
        journal.redeem("c1", "a1", "r1");
        journal.read("a1", bundle());
        journal.refresh("r1", tokens("a2", "r2"));
        let read = journal.read("a2", bundle());
        let verdict = journal.run().judge(&CurrentAccessTokenUsed);
        assert_eq!(verdict.status, Status::Pass, "{verdict:?}");
        assert_eq!(verdict.exchanges, vec![read]);
    }

    #[test]
    fn fails_on_the_replaced_token() {
        let mut journal = Journal::new();
        journal.redeem("c1", "a1", "r1");
        let refresh = journal.refresh("r1", tokens("a2", "r2"));
        let stale = journal.read(
            "a1",
            Response::detail(
                StatusCode::UNAUTHORIZED,
                "application/json",
                "Invalid token.",
            ),
        );
        let verdict = journal.run().judge(&CurrentAccessTokenUsed);
        assert_eq!(verdict.status, Status::Fail);
        assert_eq!(
            verdict.reason,
            "an API call used an access token that a refresh had replaced"
        );
        assert_eq!(verdict.exchanges, vec![refresh, stale]);
    }

    #[test]
    fn skips_without_refresh() {
        let mut journal = Journal::new();
        journal.redeem("c1", "a1", "r1");
        journal.read("a1", bundle());
        let verdict = journal.run().judge(&CurrentAccessTokenUsed);
        assert_eq!(verdict.status, Status::Skip);
        assert_eq!(verdict.reason, "no refresh happened");
    }
}
