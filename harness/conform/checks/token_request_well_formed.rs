//! `token-request-well-formed`: every token request is a `POST` with an
//! `application/x-www-form-urlencoded` body, no query string, and each parameter once.

use crate::conform::check::{Check, Verdict};
use crate::conform::evidence::Evidence;
use http::Method;
use std::collections::HashSet;

/// See the module doc.
pub struct TokenRequestWellFormed;

/// The media type of a token request body (RFC 6749 §4.1.3, §6).
const FORM: &str = "application/x-www-form-urlencoded";

impl Check for TokenRequestWellFormed {
    fn id(&self) -> &'static str {
        "token-request-well-formed"
    }

    fn title(&self) -> &'static str {
        "Token requests are form POSTs without a query string, each parameter once"
    }

    fn requirements(&self) -> &'static [&'static str] {
        &[
            "behaviour:§2.5",
            "rfc6749:§3.1",
            "rfc6749:§3.2",
            "rfc6749:§4.1.3",
        ]
    }

    fn evaluate(&self, evidence: &Evidence) -> Verdict {
        let requests = &evidence.traffic.token_requests;
        if requests.is_empty() {
            return Verdict::skip("no token request arrived");
        }
        for request in requests {
            let fail = |reason: String| Verdict::fail(reason, [request.exchange]);
            if request.method != Method::POST {
                return fail(format!("a token request uses {}, not POST", request.method));
            }
            if request.content_type.as_deref() != Some(FORM) {
                let sent = request.content_type.as_deref().unwrap_or("no content type");
                return fail(format!("a token request body is {sent}, not {FORM}"));
            }
            if request.query.as_deref().is_some_and(|q| !q.is_empty()) {
                return fail("a token request has a query string".to_owned());
            }
            let mut seen = HashSet::new();
            let pairs = request.form.pairs();
            if let Some((name, _)) = pairs.iter().find(|(name, _)| !seen.insert(name.as_str())) {
                return fail(format!("a token request repeats the parameter {name}"));
            }
        }
        let ids = requests.iter().map(|t| t.exchange);
        Verdict::pass("every token request was a well-formed form POST").with_exchanges(ids)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::conform::check::Status;
    use crate::conform::checks::testkit::{Journal, form_post, request, tokens};
    use http::header::CONTENT_TYPE;

    #[test]
    fn passes_on_form_posts() {
        let mut journal = Journal::new();
        let token = journal.redeem("c1", "a1", "r1");
        let verdict = journal.run().judge(&TokenRequestWellFormed);
        assert_eq!(verdict.status, Status::Pass, "{verdict:?}");
        assert_eq!(verdict.exchanges, vec![token]);
    }

    #[test]
    fn fails_on_a_json_body() {
        let mut journal = Journal::new();
        let json = request(
            Method::POST,
            "/v2/o/token/",
            None,
            &[(CONTENT_TYPE, "application/json")],
            "{\"grant_type\":\"authorization_code\"}",
        );
        let token = journal.send(json, tokens("a1", "r1"));
        let verdict = journal.run().judge(&TokenRequestWellFormed);
        assert_eq!(verdict.status, Status::Fail);
        assert_eq!(
            verdict.reason,
            "a token request body is application/json, not application/x-www-form-urlencoded"
        );
        assert_eq!(verdict.exchanges, vec![token]);
    }

    #[test]
    fn fails_on_a_query_string() {
        let mut journal = Journal::new();
        let mut post = form_post(&[], "grant_type=authorization_code&code=c1");
        post.query = Some("code=c1".into());
        let token = journal.send(post, tokens("a1", "r1"));
        let verdict = journal.run().judge(&TokenRequestWellFormed);
        assert_eq!(verdict.status, Status::Fail);
        assert_eq!(verdict.reason, "a token request has a query string");
        assert_eq!(verdict.exchanges, vec![token]);
    }

    #[test]
    fn fails_on_a_repeated_parameter() {
        let mut journal = Journal::new();
        journal.redeem("c1", "a1", "r1");
        let token = journal.token(
            "grant_type=refresh_token&refresh_token=r1&refresh_token=r1",
            tokens("a2", "r2"),
        );
        let verdict = journal.run().judge(&TokenRequestWellFormed);
        assert_eq!(verdict.status, Status::Fail);
        assert_eq!(
            verdict.reason,
            "a token request repeats the parameter refresh_token"
        );
        assert_eq!(verdict.exchanges, vec![token]);
    }

    #[test]
    fn fails_on_a_get() {
        let mut journal = Journal::new();
        let get = request(Method::GET, "/v2/o/token/", None, &[], "");
        let token = journal.send(get, tokens("a1", "r1"));
        let verdict = journal.run().judge(&TokenRequestWellFormed);
        assert_eq!(verdict.status, Status::Fail);
        assert_eq!(verdict.reason, "a token request uses GET, not POST");
        assert_eq!(verdict.exchanges, vec![token]);
    }

    #[test]
    fn skips_without_token_requests() {
        let verdict = Journal::new().run().judge(&TokenRequestWellFormed);
        assert_eq!(verdict.status, Status::Skip);
        assert_eq!(verdict.reason, "no token request arrived");
    }
}
