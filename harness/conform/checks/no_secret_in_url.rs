//! `no-secret-in-url`: no request URL (path or query) carries the app's client secret, nor a
//! `client_secret`, `code_verifier` or `refresh_token` query parameter: URLs end up in logs,
//! browser history and `Referer` headers.

use crate::conform::check::{Check, Verdict};
use crate::conform::evidence::Evidence;
use crate::exchange::Request;
use crate::params::Params;
use percent_encoding::percent_decode_str;

/// See the module doc.
pub struct NoSecretInUrl;

/// Query parameters that carry a credential.
const SECRET_PARAMS: [&str; 3] = ["client_secret", "code_verifier", "refresh_token"];

impl Check for NoSecretInUrl {
    fn id(&self) -> &'static str {
        "no-secret-in-url"
    }

    fn title(&self) -> &'static str {
        "No request URL carries the client secret, a code_verifier or a refresh token"
    }

    fn requirements(&self) -> &'static [&'static str] {
        &["behaviour:§2.2", "behaviour:§10", "rfc6749:§2.3.1"]
    }

    fn evaluate(&self, evidence: &Evidence) -> Verdict {
        let exchanges = &evidence.traffic.exchanges;
        if exchanges.is_empty() {
            return Verdict::skip("no request arrived");
        }
        let secret = evidence
            .app
            .client_secret
            .as_deref()
            .filter(|secret| !secret.is_empty());
        let mut reason = None;
        let mut ids = Vec::new();
        for exchange in exchanges {
            if let Some(found) = leak(&exchange.request, secret) {
                reason.get_or_insert(found);
                ids.push(exchange.id);
            }
        }
        match reason {
            Some(reason) => Verdict::fail(reason, ids),
            None => Verdict::pass("no request URL carried a secret"),
        }
    }
}

/// What credential the URL of `request` carries, if any: a credential parameter first, else
/// the secret's value anywhere in the path or query (raw or decoded).
fn leak(request: &Request, secret: Option<&str>) -> Option<String> {
    let params = Params::from_query(request.query.as_deref());
    if let Some(name) = SECRET_PARAMS.iter().find(|name| params.contains(name)) {
        return Some(format!("a request URL carries a {name} parameter"));
    }
    let secret = secret?;
    let path = percent_decode_str(&request.path).decode_utf8_lossy();
    let in_query = request.query.as_deref().is_some_and(|q| q.contains(secret))
        || params
            .pairs()
            .iter()
            .any(|(name, value)| name.contains(secret) || value.contains(secret));
    (path.contains(secret) || in_query)
        .then(|| "a request URL carries the client secret".to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::conform::check::Status;
    use crate::conform::checks::testkit::{
        Journal, authorize_query, bundle, challenge, redirect, request, tokens,
    };
    use crate::scenario::defaults::CONFIDENTIAL_CLIENT_SECRET;
    use http::Method;

    #[test]
    fn passes_on_the_good_client() {
        let mut journal = Journal::new();
        journal.authorized("0123456789abcdef", &challenge(), "c1");
        journal.redeem("c1", "a1", "r1");
        journal.read("a1", bundle());
        let verdict = journal.run().judge(&NoSecretInUrl);
        assert_eq!(verdict.status, Status::Pass, "{verdict:?}");
    }

    #[test]
    fn fails_on_the_secret_in_the_authorize_url() {
        let mut journal = Journal::new();
        let query = authorize_query(&[("client_secret", CONFIDENTIAL_CLIENT_SECRET)]);
        let authorize = journal.authorize(&query, redirect(&[("code", "c1")]));
        journal.redeem("c1", "a1", "r1");
        let verdict = journal.run().judge(&NoSecretInUrl);
        assert_eq!(verdict.status, Status::Fail);
        assert_eq!(
            verdict.reason,
            "a request URL carries a client_secret parameter"
        );
        assert_eq!(verdict.exchanges, vec![authorize]);
    }

    #[test]
    fn fails_on_the_secret_value_and_credential_parameters() {
        let mut journal = Journal::new();
        journal.authorized("0123456789abcdef", &challenge(), "c1");
        let path = format!("/v2/o/token/{CONFIDENTIAL_CLIENT_SECRET}/");
        let in_path = journal.send(
            request(Method::POST, &path, None, &[], ""),
            tokens("a1", "r1"),
        );
        let in_query = journal.send(
            request(
                Method::POST,
                "/v2/o/token/",
                Some("refresh_token=r1"),
                &[],
                "",
            ),
            tokens("a2", "r2"),
        );
        let verdict = journal.run().judge(&NoSecretInUrl);
        assert_eq!(verdict.status, Status::Fail);
        assert_eq!(verdict.reason, "a request URL carries the client secret");
        assert_eq!(verdict.exchanges, vec![in_path, in_query]);
    }

    #[test]
    fn skips_without_requests() {
        let verdict = Journal::new().run().judge(&NoSecretInUrl);
        assert_eq!(verdict.status, Status::Skip);
        assert_eq!(verdict.reason, "no request arrived");
    }
}
