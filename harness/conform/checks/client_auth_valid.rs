//! `client-auth-valid`: a confidential app authenticates every token request exactly one way,
//! with its own id and secret: HTTP Basic, or `client_id` and `client_secret` in the body;
//! never both, never neither.

use crate::conform::check::{Check, Verdict};
use crate::conform::evidence::Evidence;
use crate::scenario::ClientType;

/// See the module doc.
pub struct ClientAuthValid;

impl Check for ClientAuthValid {
    fn id(&self) -> &'static str {
        "client-auth-valid"
    }

    fn title(&self) -> &'static str {
        "A confidential app authenticates each token request once, with its id and secret"
    }

    fn requirements(&self) -> &'static [&'static str] {
        &[
            "guide:Exchange code for token",
            "behaviour:§2.5",
            "rfc6749:§2.3.1",
        ]
    }

    fn evaluate(&self, evidence: &Evidence) -> Verdict {
        let app = evidence.app;
        if app.client_type != ClientType::Confidential {
            return Verdict::skip("the app is public");
        }
        let traffic = evidence.traffic;
        if traffic.token_requests.is_empty() {
            return Verdict::skip("no token request arrived");
        }
        let secret = app.client_secret.as_deref().unwrap_or_default();
        for request in &traffic.token_requests {
            let body_secret = request.form.get("client_secret");
            let presented = match (&request.basic, body_secret) {
                (Some(_), Some(_)) => {
                    return Verdict::fail(
                        "a token request authenticates twice: Basic and client_secret in the body",
                        [request.exchange],
                    );
                }
                (None, None) => {
                    return Verdict::fail(
                        "a token request carries no client credentials",
                        [request.exchange],
                    );
                }
                (Some((id, secret)), None) => (Some(id.as_str()), secret.as_str()),
                (None, Some(secret)) => (request.form.get("client_id"), secret),
            };
            if presented != (Some(app.client_id.as_str()), secret) {
                return Verdict::fail(
                    "a token request presents credentials other than the app's id and secret",
                    [request.exchange],
                );
            }
        }
        let ids = traffic.token_requests.iter().map(|t| t.exchange);
        Verdict::pass("every token request authenticated once, with the app's credentials")
            .with_exchanges(ids)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::conform::check::Status;
    use crate::conform::checks::testkit::{Journal, basic, form, form_post, tokens};
    use crate::scenario::defaults::{CONFIDENTIAL_CLIENT_ID, CONFIDENTIAL_CLIENT_SECRET};
    use http::header::AUTHORIZATION;

    fn refresh_body(extra: &[(&str, &str)]) -> String {
        let mut pairs = vec![("grant_type", "refresh_token"), ("refresh_token", "r1")];
        pairs.extend_from_slice(extra);
        form(&pairs)
    }

    #[test]
    fn passes_on_basic_or_body_credentials() {
        let mut journal = Journal::new();
        let first = journal.redeem("c1", "a1", "r1");
        let body = refresh_body(&[
            ("client_id", CONFIDENTIAL_CLIENT_ID),
            ("client_secret", CONFIDENTIAL_CLIENT_SECRET),
        ]);
        let second = journal.send(form_post(&[], &body), tokens("a2", "r2"));
        let verdict = journal.run().judge(&ClientAuthValid);
        assert_eq!(verdict.status, Status::Pass, "{verdict:?}");
        assert_eq!(verdict.exchanges, vec![first, second]);
    }

    #[test]
    fn fails_on_both_ways() {
        let mut journal = Journal::new();
        let body = refresh_body(&[
            ("client_id", CONFIDENTIAL_CLIENT_ID),
            ("client_secret", CONFIDENTIAL_CLIENT_SECRET),
        ]);
        let both = journal.token(&body, tokens("a2", "r2"));
        let verdict = journal.run().judge(&ClientAuthValid);
        assert_eq!(verdict.status, Status::Fail);
        assert_eq!(
            verdict.reason,
            "a token request authenticates twice: Basic and client_secret in the body"
        );
        assert_eq!(verdict.exchanges, vec![both]);
    }

    #[test]
    fn fails_without_credentials() {
        let mut journal = Journal::new();
        let body = refresh_body(&[("client_id", CONFIDENTIAL_CLIENT_ID)]);
        let none = journal.send(form_post(&[], &body), tokens("a2", "r2"));
        let verdict = journal.run().judge(&ClientAuthValid);
        assert_eq!(verdict.status, Status::Fail);
        assert_eq!(
            verdict.reason,
            "a token request carries no client credentials"
        );
        assert_eq!(verdict.exchanges, vec![none]);
    }

    #[test]
    fn fails_on_an_empty_basic_secret() {
        let mut journal = Journal::new();
        let header = basic(CONFIDENTIAL_CLIENT_ID, "");
        let empty = journal.send(
            form_post(&[(AUTHORIZATION, header.as_str())], &refresh_body(&[])),
            tokens("a2", "r2"),
        );
        let verdict = journal.run().judge(&ClientAuthValid);
        assert_eq!(verdict.status, Status::Fail);
        assert_eq!(
            verdict.reason,
            "a token request presents credentials other than the app's id and secret"
        );
        assert_eq!(verdict.exchanges, vec![empty]);
    }

    #[test]
    fn skips_for_a_public_app() {
        let mut journal = Journal::new();
        journal.redeem("c1", "a1", "r1");
        let verdict = journal.run().public().judge(&ClientAuthValid);
        assert_eq!(verdict.status, Status::Skip);
        assert_eq!(verdict.reason, "the app is public");
    }
}
