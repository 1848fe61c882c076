//! `state-sent`: every authorization request carries a non-empty `state`, the client's
//! protection against cross-site request forgery on its callback.

use crate::conform::check::{Check, Level, Verdict};
use crate::conform::checks::flow;
use crate::conform::evidence::Evidence;
use crate::scenario::{ClientType, Profile};

/// See the module doc.
pub struct StateSent;

impl Check for StateSent {
    fn id(&self) -> &'static str {
        "state-sent"
    }

    fn title(&self) -> &'static str {
        "Every authorization request carries a non-empty state"
    }

    fn requirements(&self) -> &'static [&'static str] {
        &[
            "guide:Request authorization from user",
            "behaviour:§2.2",
            "rfc6749:§10.12",
        ]
    }

    /// The guide makes `state` optional (recommended) for confidential apps in `documented`.
    fn level(&self, profile: Profile, client_type: ClientType) -> Level {
        flow::optional_for_confidential_in_documented(profile, client_type)
    }

    fn evaluate(&self, evidence: &Evidence) -> Verdict {
        let mut ids = Vec::new();
        for authorization in flow::flows(evidence.traffic) {
            if authorization.params.non_empty("state").is_none() {
                return Verdict::fail(
                    "authorization request without state",
                    [authorization.exchange],
                );
            }
            ids.push(authorization.exchange);
        }
        if ids.is_empty() {
            return Verdict::skip("no authorization request arrived");
        }
        Verdict::pass("every authorization request carried a state").with_exchanges(ids)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::conform::check::Status;
    use crate::conform::checks::testkit::{Journal, authorize_query, challenge, redirect};

    #[test]
    fn passes_when_every_authorization_has_a_state() {
        let mut journal = Journal::new();
        let first = journal.authorized("state-one-0123456789abcdef", &challenge(), "c1");
        let second = journal.authorized("state-two-0123456789abcdef", &challenge(), "c2");
        let verdict = journal.run().judge(&StateSent);
        assert_eq!(verdict.status, Status::Pass, "{verdict:?}");
        assert_eq!(verdict.exchanges, vec![first, second]);
    }

    #[test]
    fn fails_on_an_empty_state() {
        let mut journal = Journal::new();
        journal.authorized("state-one-0123456789abcdef", &challenge(), "c1");
        let query = authorize_query(&[("state", "")]);
        let empty = journal.authorize(&query, redirect(&[("code", "c2")]));
        let verdict = journal.run().judge(&StateSent);
        assert_eq!(verdict.status, Status::Fail);
        assert_eq!(verdict.reason, "authorization request without state");
        assert_eq!(verdict.exchanges, vec![empty]);
    }

    #[test]
    fn fails_on_a_missing_state() {
        let mut journal = Journal::new();
        let query = authorize_query(&[("code_challenge", &challenge())]);
        let missing = journal.authorize(&query, redirect(&[("code", "c1")]));
        let verdict = journal.run().judge(&StateSent);
        assert_eq!(verdict.status, Status::Fail);
        assert_eq!(verdict.exchanges, vec![missing]);
    }

    #[test]
    fn skips_without_authorization() {
        let verdict = Journal::new().run().judge(&StateSent);
        assert_eq!(verdict.status, Status::Skip);
        assert_eq!(verdict.reason, "no authorization request arrived");
    }

    #[test]
    fn level_follows_pkce_s256() {
        assert_eq!(
            StateSent.level(Profile::Documented, ClientType::Confidential),
            Level::Recommended
        );
        assert_eq!(
            StateSent.level(Profile::Documented, ClientType::Public),
            Level::Required
        );
    }
}
