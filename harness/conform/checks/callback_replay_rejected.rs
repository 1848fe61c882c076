//! `callback-replay-rejected`: under the `replay-callback` probe (the browser delivers the
//! success callback twice), the client redeems the code of the replayed callback at most once:
//! it answers the second delivery without going to the token endpoint again.

use crate::conform::check::{Check, Verdict};
use crate::conform::checks::flow;
use crate::conform::evidence::Evidence;
use crate::scenario::Probe;

/// See the module doc.
pub struct CallbackReplayRejected;

/// The header of the authorize redirect that the browser delivers twice.
impl Check for CallbackReplayRejected {
    fn id(&self) -> &'static str {
        "callback-replay-rejected"
    }

    fn title(&self) -> &'static str {
        "A callback delivered twice has its code redeemed at most once"
    }

    fn requirements(&self) -> &'static [&'static str] {
        &["behaviour:§10", "rfc6749:§4.1.2", "rfc6749:§10.5"]
    }

    fn evaluate(&self, evidence: &Evidence) -> Verdict {
        if evidence.scenario.login.probe != Some(Probe::ReplayCallback) {
            return Verdict::skip("the scenario does not replay the callback");
        }
        let traffic = evidence.traffic;
        let Some((authorization, code)) = flow::replayed(traffic).next() else {
            return Verdict::skip("the probe never fired: no success redirect was replayed");
        };
        if let Some((first, again)) = flow::second_redemption(traffic, code) {
            return Verdict::fail(
                "the code of the replayed callback was redeemed twice",
                [authorization, first.exchange, again.exchange],
            );
        }
        let redeemed = traffic
            .token_requests
            .iter()
            .filter(|t| t.form.get("code") == Some(code))
            .map(|t| t.exchange);
        Verdict::pass("the code of the replayed callback was redeemed at most once")
            .with_exchanges(redeemed.chain([authorization]))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::conform::check::Status;
    use crate::conform::checks::testkit::{
        Journal, REDIRECT_URI, Run, authorize_query, challenge, code_exchange, oauth_error,
        redirect,
    };
    use http::StatusCode;

    fn replayed(journal: &mut Journal) -> u64 {
        let query = authorize_query(&[
            ("redirect_uri", REDIRECT_URI),
            ("state", "0123456789abcdef"),
            ("code_challenge", &challenge()),
        ]);
        let response = redirect(&[("code", "c1"), ("state", "0123456789abcdef")])
            .header(crate::oauth::authorize::PROBE_HEADER, "replay-callback");
        journal.authorize(&query, response)
    }

    fn probed(journal: Journal) -> Run {
        let mut run = journal.run();
        run.scenario.login.probe = Some(Probe::ReplayCallback);
        run
    }

    #[test]
    fn passes_on_one_redemption() {
        let mut journal = Journal::new();
        let authorization = replayed(&mut journal);
        let token = journal.redeem("c1", "a1", "r1");
        let verdict = probed(journal).judge(&CallbackReplayRejected);
        assert_eq!(verdict.status, Status::Pass, "{verdict:?}");
        assert_eq!(verdict.exchanges, vec![authorization, token]);
    }

    #[test]
    fn fails_on_two_redemptions() {
        let mut journal = Journal::new();
        let authorization = replayed(&mut journal);
        let first = journal.redeem("c1", "a1", "r1");
        let again = journal.token(
            &code_exchange("c1"),
            oauth_error(StatusCode::BAD_REQUEST, "invalid_grant"),
        );
        let verdict = probed(journal).judge(&CallbackReplayRejected);
        assert_eq!(verdict.status, Status::Fail);
        assert_eq!(
            verdict.reason,
            "the code of the replayed callback was redeemed twice"
        );
        assert_eq!(verdict.exchanges, vec![authorization, first, again]);
    }

    #[test]
    fn skips_when_the_probe_never_fired() {
        let mut journal = Journal::new();
        journal.authorized("0123456789abcdef", &challenge(), "c1");
        journal.redeem("c1", "a1", "r1");
        let verdict = probed(journal).judge(&CallbackReplayRejected);
        assert_eq!(verdict.status, Status::Skip);
        assert_eq!(
            verdict.reason,
            "the probe never fired: no success redirect was replayed"
        );
    }

    #[test]
    fn skips_without_the_probe() {
        let mut journal = Journal::new();
        replayed(&mut journal);
        let verdict = journal.run().judge(&CallbackReplayRejected);
        assert_eq!(verdict.status, Status::Skip);
        assert_eq!(verdict.reason, "the scenario does not replay the callback");
    }
}
