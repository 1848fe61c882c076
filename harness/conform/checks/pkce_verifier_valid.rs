//! `pkce-verifier-valid`: every `code_verifier` the client sends to redeem a code is 43 to 128
//! characters of `[A-Za-z0-9-._~]`, and every flow has its own challenge: no two
//! authorizations of the run send the same `code_challenge`.

use crate::conform::check::{Check, Level, Verdict};
use crate::conform::checks::flow;
use crate::conform::evidence::Evidence;
use crate::oauth::pkce;
use crate::scenario::{ClientType, Profile};
use std::collections::HashMap;

/// See the module doc.
pub struct PkceVerifierValid;

impl Check for PkceVerifierValid {
    fn id(&self) -> &'static str {
        "pkce-verifier-valid"
    }

    fn title(&self) -> &'static str {
        "Code verifiers are 43-128 unreserved characters and every flow has a fresh challenge"
    }

    fn requirements(&self) -> &'static [&'static str] {
        &[
            "guide:Native Mobile App Support",
            "behaviour:§2.7",
            "rfc7636:§4.1",
            "rfc7636:§7.1",
        ]
    }

    /// The guide makes PKCE optional for confidential apps in `documented`.
    fn level(&self, profile: Profile, client_type: ClientType) -> Level {
        flow::optional_for_confidential_in_documented(profile, client_type)
    }

    fn evaluate(&self, evidence: &Evidence) -> Verdict {
        let traffic = evidence.traffic;
        let mut sent = 0;
        for request in flow::code_grants(traffic) {
            let Some(verifier) = request.form.get("code_verifier") else {
                continue;
            };
            sent += 1;
            if let Some(problem) = problem(verifier) {
                return Verdict::fail(problem, [request.exchange]);
            }
        }
        if sent == 0 {
            return Verdict::skip("no code_verifier was sent");
        }
        let mut seen: HashMap<&str, u64> = HashMap::new();
        for authorization in flow::flows(traffic) {
            let Some(challenge) = authorization.params.non_empty("code_challenge") else {
                continue;
            };
            let challenge = pkce::normalize_challenge(challenge);
            if let Some(first) = seen.insert(challenge, authorization.exchange) {
                return Verdict::fail(
                    "two authorizations sent the same code_challenge",
                    [first, authorization.exchange],
                );
            }
        }
        let ids = flow::code_grants(traffic)
            .filter(|t| t.form.contains("code_verifier"))
            .map(|t| t.exchange);
        Verdict::pass("every code_verifier was well formed and every challenge fresh")
            .with_exchanges(ids)
    }
}

/// What is wrong with a verifier (RFC 7636 §4.1), if anything.
fn problem(verifier: &str) -> Option<String> {
    let unreserved = |c: char| c.is_ascii_alphanumeric() || "-._~".contains(c);
    if let Some(bad) = verifier.chars().find(|c| !unreserved(*c)) {
        return Some(format!(
            "the code_verifier contains {bad:?}, outside [A-Za-z0-9-._~]"
        ));
    }
    let length = verifier.len();
    (!(43..=128).contains(&length))
        .then(|| format!("the code_verifier is {length} characters long, not 43 to 128"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::conform::check::Status;
    use crate::conform::checks::testkit::{Journal, REDIRECT_URI, challenge, form, tokens};

    fn redeem_with(journal: &mut Journal, code: &str, verifier: &str) -> u64 {
        let body = form(&[
            ("grant_type", "authorization_code"),
            ("code", code),
            ("redirect_uri", REDIRECT_URI),
            ("code_verifier", verifier),
        ]);
        journal.token(&body, tokens("a1", "r1"))
    }

    #[test]
    fn passes_on_fresh_valid_verifiers() {
        let mut journal = Journal::new();
        journal.authorized("state-one-0123456789abcdef", &challenge(), "c1");
        let first = journal.redeem("c1", "a1", "r1");
        journal.authorized("state-two-0123456789abcdef", "other-challenge", "c2");
        let second = redeem_with(&mut journal, "c2", &"v".repeat(128));
        let verdict = journal.run().judge(&PkceVerifierValid);
        assert_eq!(verdict.status, Status::Pass, "{verdict:?}");
        assert_eq!(verdict.exchanges, vec![first, second]);
    }

    #[test]
    fn fails_on_a_short_verifier() {
        let mut journal = Journal::new();
        journal.authorized("state-one-0123456789abcdef", &challenge(), "c1");
        let token = redeem_with(&mut journal, "c1", &"v".repeat(42));
        let verdict = journal.run().judge(&PkceVerifierValid);
        assert_eq!(verdict.status, Status::Fail);
        assert_eq!(
            verdict.reason,
            "the code_verifier is 42 characters long, not 43 to 128"
        );
        assert_eq!(verdict.exchanges, vec![token]);
    }

    #[test]
    fn fails_on_a_character_outside_the_unreserved_set() {
        let mut journal = Journal::new();
        journal.authorized("state-one-0123456789abcdef", &challenge(), "c1");
        let token = redeem_with(&mut journal, "c1", &format!("{}+", "v".repeat(50)));
        let verdict = journal.run().judge(&PkceVerifierValid);
        assert_eq!(verdict.status, Status::Fail);
        assert_eq!(
            verdict.reason,
            "the code_verifier contains '+', outside [A-Za-z0-9-._~]"
        );
        assert_eq!(verdict.exchanges, vec![token]);
    }

    #[test]
    fn fails_on_a_reused_challenge() {
        let mut journal = Journal::new();
        let first = journal.authorized("state-one-0123456789abcdef", &challenge(), "c1");
        journal.redeem("c1", "a1", "r1");
        let second = journal.authorized("state-two-0123456789abcdef", &challenge(), "c2");
        journal.redeem("c2", "a2", "r2");
        let verdict = journal.run().judge(&PkceVerifierValid);
        assert_eq!(verdict.status, Status::Fail);
        assert_eq!(
            verdict.reason,
            "two authorizations sent the same code_challenge"
        );
        assert_eq!(verdict.exchanges, vec![first, second]);
    }

    #[test]
    fn the_slash_redirect_is_not_a_second_flow() {
        let mut journal = Journal::new();
        let query = format!(
            "code_challenge={}&state=state-one-0123456789abcdef",
            challenge()
        );
        let moved = crate::exchange::Response::redirect(
            http::StatusCode::MOVED_PERMANENTLY,
            &format!("/v2/o/authorize/?{query}"),
        );
        journal.authorize(&query, moved);
        journal.authorized("state-one-0123456789abcdef", &challenge(), "c1");
        journal.redeem("c1", "a1", "r1");
        let verdict = journal.run().judge(&PkceVerifierValid);
        assert_eq!(verdict.status, Status::Pass, "{verdict:?}");
    }

    #[test]
    fn skips_without_a_verifier() {
        let mut journal = Journal::new();
        journal.authorized("state-one-0123456789abcdef", &challenge(), "c1");
        let body = form(&[("grant_type", "authorization_code"), ("code", "c1")]);
        journal.token(&body, tokens("a1", "r1"));
        let verdict = journal.run().judge(&PkceVerifierValid);
        assert_eq!(verdict.status, Status::Skip);
        assert_eq!(verdict.reason, "no code_verifier was sent");
    }

    #[test]
    fn level_follows_pkce_s256() {
        let check = PkceVerifierValid;
        let level = |p, c| check.level(p, c);
        assert_eq!(
            level(Profile::Documented, ClientType::Confidential),
            Level::Recommended
        );
        assert_eq!(
            level(Profile::Documented, ClientType::Public),
            Level::Required
        );
        assert_eq!(
            level(Profile::Current, ClientType::Confidential),
            Level::Required
        );
    }
}
