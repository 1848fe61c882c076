//! `redirect-uri-consistent`: each code exchange sends the same `redirect_uri` as the
//! authorization that issued its code, character for character (BB2 compares the strings).

use crate::conform::check::{Check, Verdict};
use crate::conform::checks::flow;
use crate::conform::evidence::Evidence;

/// See the module doc.
pub struct RedirectUriConsistent;

impl Check for RedirectUriConsistent {
    fn id(&self) -> &'static str {
        "redirect-uri-consistent"
    }

    fn title(&self) -> &'static str {
        "The code exchange sends the redirect_uri of the authorization, unchanged"
    }

    fn requirements(&self) -> &'static [&'static str] {
        &[
            "guide:Exchange code for token",
            "behaviour:§2.4",
            "behaviour:§10",
            "rfc6749:§4.1.3",
        ]
    }

    fn evaluate(&self, evidence: &Evidence) -> Verdict {
        let traffic = evidence.traffic;
        let mut ids = Vec::new();
        for request in flow::code_grants(traffic) {
            let Some(authorization) = request
                .form
                .non_empty("code")
                .and_then(|code| flow::issuer(traffic, code))
            else {
                continue;
            };
            ids.extend([authorization.exchange, request.exchange]);
            // RFC 6749 §4.1.3: required, and identical, when the authorization sent one.
            let Some(expected) = authorization.params.get("redirect_uri") else {
                continue;
            };
            let evidence = [authorization.exchange, request.exchange];
            match request.form.get("redirect_uri") {
                None => {
                    return Verdict::fail(
                        "the code exchange omits the redirect_uri the authorization sent",
                        evidence,
                    );
                }
                Some(sent) if sent != expected => {
                    return Verdict::fail(
                        format!(
                            "the code exchange sends redirect_uri {sent:?}, the authorization sent {expected:?}"
                        ),
                        evidence,
                    );
                }
                Some(_) => {}
            }
        }
        if ids.is_empty() {
            return Verdict::skip("no code issued in this run was redeemed");
        }
        Verdict::pass("every code exchange sent its authorization's redirect_uri")
            .with_exchanges(ids)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::conform::check::Status;
    use crate::conform::checks::testkit::{Journal, VERIFIER, challenge, form, tokens};

    fn exchange_with(journal: &mut Journal, redirect_uri: Option<&str>) -> u64 {
        let mut pairs = vec![
            ("grant_type", "authorization_code"),
            ("code", "c1"),
            ("code_verifier", VERIFIER),
        ];
        pairs.extend(redirect_uri.map(|uri| ("redirect_uri", uri)));
        journal.token(&form(&pairs), tokens("a1", "r1"))
    }

    #[test]
    fn passes_on_the_same_redirect_uri() {
        let mut journal = Journal::new();
        let authorization = journal.authorized("0123456789abcdef", &challenge(), "c1");
        let token = journal.redeem("c1", "a1", "r1");
        let verdict = journal.run().judge(&RedirectUriConsistent);
        assert_eq!(verdict.status, Status::Pass, "{verdict:?}");
        assert_eq!(verdict.exchanges, vec![authorization, token]);
    }

    #[test]
    fn fails_on_another_redirect_uri() {
        let mut journal = Journal::new();
        let authorization = journal.authorized("0123456789abcdef", &challenge(), "c1");
        let token = exchange_with(&mut journal, Some("http://127.0.0.1:5000/callback/"));
        let verdict = journal.run().judge(&RedirectUriConsistent);
        assert_eq!(verdict.status, Status::Fail);
        assert_eq!(
            verdict.reason,
            "the code exchange sends redirect_uri \"http://127.0.0.1:5000/callback/\", the authorization sent \"http://127.0.0.1:5000/callback\""
        );
        assert_eq!(verdict.exchanges, vec![authorization, token]);
    }

    #[test]
    fn fails_on_a_missing_redirect_uri() {
        let mut journal = Journal::new();
        let authorization = journal.authorized("0123456789abcdef", &challenge(), "c1");
        let token = exchange_with(&mut journal, None);
        let verdict = journal.run().judge(&RedirectUriConsistent);
        assert_eq!(verdict.status, Status::Fail);
        assert_eq!(
            verdict.reason,
            "the code exchange omits the redirect_uri the authorization sent"
        );
        assert_eq!(verdict.exchanges, vec![authorization, token]);
    }

    #[test]
    fn skips_when_no_code_was_redeemed() {
        let mut journal = Journal::new();
        journal.authorized("0123456789abcdef", &challenge(), "c1");
        let verdict = journal.run().judge(&RedirectUriConsistent);
        assert_eq!(verdict.status, Status::Skip);
        assert_eq!(verdict.reason, "no code issued in this run was redeemed");
    }
}
