//! `state-entropy`: every `state` the client sends is at least 16 characters long (the
//! current server refuses shorter ones) and fresh: no two authorizations of the run share one.

use crate::conform::check::{Check, Level, Verdict};
use crate::conform::checks::flow;
use crate::conform::evidence::Evidence;
use crate::scenario::{ClientType, Profile};
use std::collections::HashMap;

/// See the module doc.
pub struct StateEntropy;

/// The shortest `state` the current server accepts (behaviour file §2.2).
const MIN_LENGTH: usize = 16;

impl Check for StateEntropy {
    fn id(&self) -> &'static str {
        "state-entropy"
    }

    fn title(&self) -> &'static str {
        "Every state is at least 16 characters long and used for one authorization only"
    }

    fn requirements(&self) -> &'static [&'static str] {
        &[
            "behaviour:§2.2",
            "behaviour:§10",
            "rfc6749:§10.10",
            "rfc6749:§10.12",
        ]
    }

    /// The guide sets no length (a SHOULD of RFC 6749); the current server requires 16.
    fn level(&self, profile: Profile, _client_type: ClientType) -> Level {
        match profile {
            Profile::Documented => Level::Recommended,
            Profile::Current => Level::Required,
        }
    }

    fn evaluate(&self, evidence: &Evidence) -> Verdict {
        let mut seen: HashMap<&str, u64> = HashMap::new();
        for authorization in flow::flows(evidence.traffic) {
            let Some(state) = authorization.params.non_empty("state") else {
                continue;
            };
            let length = state.chars().count();
            if length < MIN_LENGTH {
                return Verdict::fail(
                    format!("a state is {length} characters long, fewer than {MIN_LENGTH}"),
                    [authorization.exchange],
                );
            }
            if let Some(first) = seen.insert(state, authorization.exchange) {
                return Verdict::fail(
                    "two authorizations sent the same state",
                    [first, authorization.exchange],
                );
            }
        }
        if seen.is_empty() {
            return Verdict::skip("no state was sent");
        }
        Verdict::pass("every state was long enough and fresh").with_exchanges(seen.into_values())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::conform::check::Status;
    use crate::conform::checks::testkit::{Journal, authorize_query, challenge, redirect};

    #[test]
    fn passes_on_long_fresh_states() {
        let mut journal = Journal::new();
        let first = journal.authorized("0123456789abcdef", &challenge(), "c1");
        let second = journal.authorized("0123456789abcdeg", "other", "c2");
        let verdict = journal.run().judge(&StateEntropy);
        assert_eq!(verdict.status, Status::Pass, "{verdict:?}");
        assert_eq!(verdict.exchanges, vec![first, second]);
    }

    #[test]
    fn fails_on_a_short_state() {
        let mut journal = Journal::new();
        let short = journal.authorized("8e896a59f0744a8", &challenge(), "c1");
        let verdict = journal.run().judge(&StateEntropy);
        assert_eq!(verdict.status, Status::Fail);
        assert_eq!(
            verdict.reason,
            "a state is 15 characters long, fewer than 16"
        );
        assert_eq!(verdict.exchanges, vec![short]);
    }

    #[test]
    fn fails_on_a_reused_state() {
        let mut journal = Journal::new();
        let first = journal.authorized("0123456789abcdef", &challenge(), "c1");
        let second = journal.authorized("0123456789abcdef", "other", "c2");
        let verdict = journal.run().judge(&StateEntropy);
        assert_eq!(verdict.status, Status::Fail);
        assert_eq!(verdict.reason, "two authorizations sent the same state");
        assert_eq!(verdict.exchanges, vec![first, second]);
    }

    #[test]
    fn skips_without_state() {
        let mut journal = Journal::new();
        let query = authorize_query(&[("code_challenge", &challenge())]);
        journal.authorize(&query, redirect(&[("code", "c1")]));
        let verdict = journal.run().judge(&StateEntropy);
        assert_eq!(verdict.status, Status::Skip);
        assert_eq!(verdict.reason, "no state was sent");
    }

    #[test]
    fn required_in_current() {
        assert_eq!(
            StateEntropy.level(Profile::Documented, ClientType::Public),
            Level::Recommended
        );
        assert_eq!(
            StateEntropy.level(Profile::Current, ClientType::Confidential),
            Level::Required
        );
    }
}
