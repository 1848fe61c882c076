//! `state-verified`: under the `tampered-state` probe (the success redirect carries another
//! `state` than the client sent), the client refuses the callback: it never redeems the code
//! of a redirect whose `state` does not match its request's.

use crate::conform::check::{Check, Verdict};
use crate::conform::checks::flow;
use crate::conform::evidence::Evidence;
use crate::scenario::Probe;

/// See the module doc.
pub struct StateVerified;

impl Check for StateVerified {
    fn id(&self) -> &'static str {
        "state-verified"
    }

    fn title(&self) -> &'static str {
        "The client does not redeem the code of a callback whose state does not match"
    }

    fn requirements(&self) -> &'static [&'static str] {
        &["behaviour:§2.2", "rfc6749:§4.1.2", "rfc6749:§10.12"]
    }

    fn evaluate(&self, evidence: &Evidence) -> Verdict {
        if evidence.scenario.login.probe != Some(Probe::TamperedState) {
            return Verdict::skip("the scenario does not tamper with the state");
        }
        let traffic = evidence.traffic;
        let tampered: Vec<_> = traffic
            .authorizations
            .iter()
            .filter(|a| {
                a.code().is_some() && a.redirect_params.get("state") != a.params.get("state")
            })
            .collect();
        if tampered.is_empty() {
            return Verdict::skip(
                "the probe never fired: no success redirect had a tampered state",
            );
        }
        for authorization in &tampered {
            let redeemed =
                flow::code_grants(traffic).find(|t| t.form.get("code") == authorization.code());
            if let Some(redeemed) = redeemed {
                return Verdict::fail(
                    "the client redeemed the code of a callback whose state did not match",
                    [authorization.exchange, redeemed.exchange],
                );
            }
        }
        let ids = tampered.iter().map(|a| a.exchange);
        Verdict::pass("the code of the tampered callback was never redeemed").with_exchanges(ids)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::conform::check::Status;
    use crate::conform::checks::testkit::{
        Journal, REDIRECT_URI, Run, authorize_query, challenge, redirect,
    };

    const STATE: &str = "state-one-0123456789abcdef";

    fn tampered(journal: &mut Journal) -> u64 {
        let query = authorize_query(&[
            ("redirect_uri", REDIRECT_URI),
            ("state", STATE),
            ("code_challenge", &challenge()),
            ("code_challenge_method", "S256"),
        ]);
        let state = format!("{STATE}-tampered");
        journal.authorize(&query, redirect(&[("code", "c1"), ("state", &state)]))
    }

    fn probed(journal: Journal) -> Run {
        let mut run = journal.run();
        run.scenario.login.probe = Some(Probe::TamperedState);
        run
    }

    #[test]
    fn passes_when_the_code_is_not_redeemed() {
        let mut journal = Journal::new();
        let authorization = tampered(&mut journal);
        let verdict = probed(journal).judge(&StateVerified);
        assert_eq!(verdict.status, Status::Pass, "{verdict:?}");
        assert_eq!(verdict.exchanges, vec![authorization]);
    }

    #[test]
    fn fails_when_the_code_is_redeemed() {
        let mut journal = Journal::new();
        let authorization = tampered(&mut journal);
        let token = journal.redeem("c1", "a1", "r1");
        let verdict = probed(journal).judge(&StateVerified);
        assert_eq!(verdict.status, Status::Fail);
        assert_eq!(
            verdict.reason,
            "the client redeemed the code of a callback whose state did not match"
        );
        assert_eq!(verdict.exchanges, vec![authorization, token]);
    }

    #[test]
    fn skips_when_the_probe_never_fired() {
        let mut journal = Journal::new();
        journal.authorized(STATE, &challenge(), "c1");
        journal.redeem("c1", "a1", "r1");
        let verdict = probed(journal).judge(&StateVerified);
        assert_eq!(verdict.status, Status::Skip);
        assert_eq!(
            verdict.reason,
            "the probe never fired: no success redirect had a tampered state"
        );
    }

    #[test]
    fn skips_without_the_probe() {
        let mut journal = Journal::new();
        tampered(&mut journal);
        journal.redeem("c1", "a1", "r1");
        let verdict = journal.run().judge(&StateVerified);
        assert_eq!(verdict.status, Status::Skip);
        assert_eq!(
            verdict.reason,
            "the scenario does not tamper with the state"
        );
    }
}
