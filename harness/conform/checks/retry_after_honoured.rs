//! `retry-after-honoured`: after a 429 or 503 API or token answer with `Retry-After: N`
//! (seconds), the next request to the same path arrives at least N seconds after the
//! answered one did. A client that never retries passes.

use crate::conform::check::{Check, Verdict};
use crate::conform::checks::reads;
use crate::conform::evidence::Evidence;
use std::time::Duration;

/// See the module doc.
pub struct RetryAfterHonoured;

impl Check for RetryAfterHonoured {
    fn id(&self) -> &'static str {
        "retry-after-honoured"
    }

    fn title(&self) -> &'static str {
        "After a 429 or 503 with Retry-After, the client waits that long before asking again"
    }

    fn requirements(&self) -> &'static [&'static str] {
        &[
            "behaviour:§3.2",
            "behaviour:§3.3",
            "rfc6585:§4",
            "rfc9110:§10.2.3",
        ]
    }

    fn evaluate(&self, evidence: &Evidence) -> Verdict {
        let traffic = evidence.traffic;
        let answered = traffic
            .api_calls
            .iter()
            .map(|c| c.exchange)
            .chain(traffic.token_requests.iter().map(|t| t.exchange));
        let mut throttled = Vec::new();
        for id in answered {
            let Some(exchange) = traffic.exchange(id) else {
                continue;
            };
            if !matches!(exchange.response.status.as_u16(), 429 | 503) {
                continue;
            }
            let seconds = reads::answer_header(exchange, "retry-after")
                .and_then(|value| value.trim().parse::<u64>().ok());
            if let Some(seconds) = seconds {
                throttled.push((exchange, seconds));
            }
        }
        if throttled.is_empty() {
            return Verdict::skip("no 429 or 503 answer carried Retry-After in seconds");
        }
        throttled.sort_by_key(|(exchange, _)| exchange.id);
        let mut offences = Vec::new();
        let mut waited = Vec::new();
        for (exchange, seconds) in throttled {
            let path = exchange.request.path.as_str();
            let Some(next) = traffic
                .exchanges
                .iter()
                .find(|later| later.id > exchange.id && later.request.path == path)
            else {
                continue;
            };
            let gap = next.at.saturating_sub(exchange.at);
            if gap < Duration::from_secs(seconds) {
                offences.push((
                    [exchange.id, next.id],
                    format!(
                        "{path} was asked again {:.1} s after a {} with Retry-After: {seconds}",
                        gap.as_secs_f64(),
                        exchange.response.status.as_u16()
                    ),
                ));
            } else {
                waited.extend([exchange.id, next.id]);
            }
        }
        if let Some(failure) = reads::fail_all(offences) {
            return failure;
        }
        Verdict::pass("every Retry-After was waited out").with_exchanges(waited)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::conform::checks::reads_testkit::*;

    const EOBS: &str = "/v2/fhir/ExplanationOfBenefit/";

    fn throttled(id: u64, at: f64) -> crate::server::journal::Exchange {
        get(id, EOBS)
            .at(at)
            .status(429)
            .answer_header("retry-after", "2")
            .done()
    }

    #[test]
    fn waiting_passes() {
        let run = Run::new(vec![
            token(1),
            throttled(2, 1.0),
            get(3, "/v2/fhir/Coverage/").at(1.5).done(),
            get(4, EOBS).at(3.0).done(),
        ]);
        let verdict = RetryAfterHonoured.evaluate(&run.evidence());
        assert_pass(&verdict);
        assert_eq!(verdict.exchanges, [2, 4]);
        // Never retrying passes too.
        let run = Run::new(vec![token(1), throttled(2, 1.0)]);
        assert_pass(&RetryAfterHonoured.evaluate(&run.evidence()));
    }

    #[test]
    fn early_retry_fails() {
        let run = Run::new(vec![
            token(1),
            throttled(2, 1.0),
            get(3, EOBS).at(1.5).done(),
        ]);
        assert_fail(
            &RetryAfterHonoured.evaluate(&run.evidence()),
            "/v2/fhir/ExplanationOfBenefit/ was asked again 0.5 s after a 429 with Retry-After: 2",
            &[2, 3],
        );
    }

    #[test]
    fn no_retry_after_skips() {
        let run = Run::new(vec![
            token(1),
            get(2, EOBS).status(429).done(),
            get(3, EOBS)
                .status(503)
                .answer_header("retry-after", "Wed, 21 Oct 2015 07:28:00 GMT")
                .done(),
        ]);
        assert_skip(
            &RetryAfterHonoured.evaluate(&run.evidence()),
            "no 429 or 503 answer carried Retry-After in seconds",
        );
    }
}
