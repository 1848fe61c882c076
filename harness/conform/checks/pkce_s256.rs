//! `pkce-s256`: every authorization sends a PKCE challenge with method `S256`, and the token
//! request that redeems its code sends the verifier that hashes to it.

use crate::conform::check::{Check, Level, Verdict};
use crate::conform::evidence::Evidence;
use crate::oauth::pkce;
use crate::scenario::{ClientType, Profile};

/// See the module doc.
pub struct PkceS256;

impl Check for PkceS256 {
    fn id(&self) -> &'static str {
        "pkce-s256"
    }

    fn title(&self) -> &'static str {
        "Authorization requests carry an S256 PKCE challenge and the token request its verifier"
    }

    fn requirements(&self) -> &'static [&'static str] {
        &[
            "guide:Native Mobile App Support",
            "behaviour:§2.2",
            "rfc7636:§4.2",
            "rfc7636:§4.5",
        ]
    }

    /// The guide makes PKCE optional for confidential apps in `documented`.
    fn level(&self, profile: Profile, client_type: ClientType) -> Level {
        match (profile, client_type) {
            (Profile::Documented, ClientType::Confidential) => Level::Recommended,
            _ => Level::Required,
        }
    }

    fn evaluate(&self, evidence: &Evidence) -> Verdict {
        let traffic = evidence.traffic;
        if traffic.authorizations.is_empty() {
            return Verdict::skip("no authorization request arrived");
        }
        for authorization in &traffic.authorizations {
            let params = &authorization.params;
            let Some(challenge) = params.non_empty("code_challenge") else {
                return Verdict::fail(
                    "authorization request without code_challenge",
                    [authorization.exchange],
                );
            };
            if params.get("code_challenge_method") != Some("S256") {
                let method = params.get("code_challenge_method").unwrap_or("(none)");
                return Verdict::fail(
                    format!("code_challenge_method is {method}, not S256"),
                    [authorization.exchange],
                );
            }
            let Some(code) = authorization.code() else {
                continue;
            };
            let redeemed = traffic.token_requests.iter().find(|t| {
                t.grant_type() == Some("authorization_code") && t.form.get("code") == Some(code)
            });
            if let Some(redeemed) = redeemed {
                let verifier = redeemed.form.get("code_verifier").unwrap_or_default();
                if !pkce::verifier_matches(challenge, verifier) {
                    return Verdict::fail(
                        "the code_verifier does not hash (S256) to the code_challenge",
                        [authorization.exchange, redeemed.exchange],
                    );
                }
            }
        }
        let ids = traffic.authorizations.iter().map(|a| a.exchange);
        Verdict::pass("every authorization used S256 and its verifier matched").with_exchanges(ids)
    }
}
