//! `public-client-sends-no-secret`: a public app has no secret to keep, so its token requests
//! carry none: no `client_secret` parameter (not even an empty one) and no HTTP Basic
//! credentials; it names itself with `client_id` in the body.

use crate::conform::check::{Check, Verdict};
use crate::conform::evidence::Evidence;
use crate::scenario::ClientType;
use http::header::AUTHORIZATION;

/// See the module doc.
pub struct PublicClientSendsNoSecret;

impl Check for PublicClientSendsNoSecret {
    fn id(&self) -> &'static str {
        "public-client-sends-no-secret"
    }

    fn title(&self) -> &'static str {
        "A public app sends no client_secret and no Basic credentials to the token endpoint"
    }

    fn requirements(&self) -> &'static [&'static str] {
        &["guide:Authorization", "rfc8252:§8.5"]
    }

    fn evaluate(&self, evidence: &Evidence) -> Verdict {
        if evidence.app.client_type != ClientType::Public {
            return Verdict::skip("the app is confidential");
        }
        let traffic = evidence.traffic;
        if traffic.token_requests.is_empty() {
            return Verdict::skip("no token request arrived");
        }
        for request in &traffic.token_requests {
            if request.form.contains("client_secret") {
                return Verdict::fail(
                    "a token request of the public app carries client_secret",
                    [request.exchange],
                );
            }
            let basic = traffic
                .exchange(request.exchange)
                .and_then(|e| e.request.header(AUTHORIZATION))
                .and_then(|value| value.trim().split(' ').next())
                .is_some_and(|scheme| scheme.eq_ignore_ascii_case("basic"));
            if basic {
                return Verdict::fail(
                    "a token request of the public app carries Basic credentials",
                    [request.exchange],
                );
            }
        }
        let ids = traffic.token_requests.iter().map(|t| t.exchange);
        Verdict::pass("no token request carried a secret").with_exchanges(ids)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::conform::check::Status;
    use crate::conform::checks::testkit::{Journal, basic, form, form_post, tokens};
    use crate::scenario::defaults::PUBLIC_CLIENT_ID;

    fn body(extra: &[(&str, &str)]) -> String {
        let mut pairs = vec![
            ("grant_type", "authorization_code"),
            ("code", "c1"),
            ("client_id", PUBLIC_CLIENT_ID),
        ];
        pairs.extend_from_slice(extra);
        form(&pairs)
    }

    #[test]
    fn passes_with_client_id_only() {
        let mut journal = Journal::new();
        let token = journal.send(form_post(&[], &body(&[])), tokens("a1", "r1"));
        let verdict = journal.run().public().judge(&PublicClientSendsNoSecret);
        assert_eq!(verdict.status, Status::Pass, "{verdict:?}");
        assert_eq!(verdict.exchanges, vec![token]);
    }

    #[test]
    fn fails_on_an_empty_client_secret() {
        let mut journal = Journal::new();
        let token = journal.send(
            form_post(&[], &body(&[("client_secret", "")])),
            tokens("a1", "r1"),
        );
        let verdict = journal.run().public().judge(&PublicClientSendsNoSecret);
        assert_eq!(verdict.status, Status::Fail);
        assert_eq!(
            verdict.reason,
            "a token request of the public app carries client_secret"
        );
        assert_eq!(verdict.exchanges, vec![token]);
    }

    #[test]
    fn fails_on_basic_credentials() {
        let mut journal = Journal::new();
        let header = basic(PUBLIC_CLIENT_ID, "");
        let token = journal.send(
            form_post(&[(AUTHORIZATION, header.as_str())], &body(&[])),
            tokens("a1", "r1"),
        );
        let verdict = journal.run().public().judge(&PublicClientSendsNoSecret);
        assert_eq!(verdict.status, Status::Fail);
        assert_eq!(
            verdict.reason,
            "a token request of the public app carries Basic credentials"
        );
        assert_eq!(verdict.exchanges, vec![token]);
    }

    #[test]
    fn skips_for_a_confidential_app() {
        let mut journal = Journal::new();
        journal.redeem("c1", "a1", "r1");
        let verdict = journal.run().judge(&PublicClientSendsNoSecret);
        assert_eq!(verdict.status, Status::Skip);
        assert_eq!(verdict.reason, "the app is confidential");
    }
}
