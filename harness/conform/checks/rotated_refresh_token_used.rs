//! `rotated-refresh-token-used`: every refresh rotates the refresh token; the client stores
//! the new one and never sends a refresh token that an earlier refresh replaced (BB2 answers
//! `invalid_grant` to a reused one).

use crate::conform::check::{Check, Verdict};
use crate::conform::checks::flow;
use crate::conform::evidence::Evidence;
use crate::conform::traffic::TokenState;

/// See the module doc.
pub struct RotatedRefreshTokenUsed;

impl Check for RotatedRefreshTokenUsed {
    fn id(&self) -> &'static str {
        "rotated-refresh-token-used"
    }

    fn title(&self) -> &'static str {
        "Each refresh sends the newest refresh token, never one a refresh replaced"
    }

    fn requirements(&self) -> &'static [&'static str] {
        &["behaviour:§2.8", "behaviour:§10", "rfc6749:§6"]
    }

    fn evaluate(&self, evidence: &Evidence) -> Verdict {
        let traffic = evidence.traffic;
        let mut ids = Vec::new();
        for refresh in flow::refresh_grants(traffic) {
            ids.push(refresh.exchange);
            let token = refresh.form.get("refresh_token").unwrap_or_default();
            if let TokenState::Replaced { by } =
                traffic.refresh_token_state(token, refresh.exchange)
            {
                return Verdict::fail(
                    "a refresh sent a refresh token that an earlier refresh had replaced",
                    [by, refresh.exchange],
                );
            }
        }
        if ids.is_empty() {
            return Verdict::skip("no refresh happened");
        }
        Verdict::pass("every refresh sent the newest refresh token").with_exchanges(ids)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::conform::check::Status;
    use crate::conform::checks::testkit::{Journal, oauth_error, tokens};
    use http::StatusCode;

    #[test]
    fn passes_on_the_rotated_token() {
        let mut journal = Journal::new();
        journal.redeem("c1", "a1", "r1");
        let first = journal.refresh("r1", tokens("a2", "r2"));
        let second = journal.refresh("r2", tokens("a3", "r3"));
        let verdict = journal.run().judge(&RotatedRefreshTokenUsed);
        assert_eq!(verdict.status, Status::Pass, "{verdict:?}");
        assert_eq!(verdict.exchanges, vec![first, second]);
    }

    #[test]
    fn fails_on_a_replaced_token() {
        let mut journal = Journal::new();
        journal.redeem("c1", "a1", "r1");
        let first = journal.refresh("r1", tokens("a2", "r2"));
        let reuse = journal.refresh("r1", oauth_error(StatusCode::BAD_REQUEST, "invalid_grant"));
        let verdict = journal.run().judge(&RotatedRefreshTokenUsed);
        assert_eq!(verdict.status, Status::Fail);
        assert_eq!(
            verdict.reason,
            "a refresh sent a refresh token that an earlier refresh had replaced"
        );
        assert_eq!(verdict.exchanges, vec![first, reuse]);
    }

    #[test]
    fn skips_without_refresh() {
        let mut journal = Journal::new();
        journal.redeem("c1", "a1", "r1");
        let verdict = journal.run().judge(&RotatedRefreshTokenUsed);
        assert_eq!(verdict.status, Status::Skip);
        assert_eq!(verdict.reason, "no refresh happened");
    }
}
