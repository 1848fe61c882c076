//! `journey-complete`: where the scenario lets the beneficiary approve, the client completes
//! the guide's journey: it authorizes, redeems the code, and reads data with the token.

use crate::conform::check::{Check, Verdict};
use crate::conform::evidence::Evidence;
use crate::scenario::Probe;

/// See the module doc.
pub struct JourneyComplete;

impl Check for JourneyComplete {
    fn id(&self) -> &'static str {
        "journey-complete"
    }

    fn title(&self) -> &'static str {
        "The client authorizes, redeems the code and reads data with the access token"
    }

    fn requirements(&self) -> &'static [&'static str] {
        &["guide:Web Application Flow", "behaviour:§9"]
    }

    fn evaluate(&self, evidence: &Evidence) -> Verdict {
        let login = &evidence.scenario.login;
        if !login.approve {
            return Verdict::skip("the beneficiary denies access in this scenario");
        }
        if login.probe == Some(Probe::TamperedState) {
            return Verdict::skip("the tampered-state probe must stop the journey");
        }
        let traffic = evidence.traffic;
        let Some(authorized) = traffic.authorizations.iter().find(|a| a.code().is_some()) else {
            let ids = traffic.authorizations.iter().map(|a| a.exchange);
            return Verdict::fail("no authorization request succeeded", ids);
        };
        let Some(redeemed) = traffic
            .token_requests
            .iter()
            .find(|t| t.grant_type() == Some("authorization_code") && t.succeeded())
        else {
            let ids = traffic.token_requests.iter().map(|t| t.exchange);
            return Verdict::fail("no authorization code was redeemed for tokens", ids);
        };
        let Some(read) = traffic
            .api_calls
            .iter()
            .find(|c| c.exchange > redeemed.exchange && (200..300).contains(&c.status))
        else {
            return Verdict::fail("no API call succeeded with the tokens", [redeemed.exchange]);
        };
        Verdict::pass("authorized, redeemed the code and read data").with_exchanges([
            authorized.exchange,
            redeemed.exchange,
            read.exchange,
        ])
    }
}
