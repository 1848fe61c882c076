//! `bounded-retries`: a request answered 5xx or 429 is retried at most 3 times in a row (1
//! try and 3 retries, as the official SDKs do) before the client gives up on it.

use crate::conform::check::{Check, Verdict};
use crate::conform::checks::reads;
use crate::conform::evidence::Evidence;
use crate::server::journal::Exchange;
use std::collections::HashMap;

/// The most times one request may be sent in a row while it fails transiently.
const MAX_TRIES: usize = 4;

/// See the module doc.
pub struct BoundedRetries;

impl Check for BoundedRetries {
    fn id(&self) -> &'static str {
        "bounded-retries"
    }

    fn title(&self) -> &'static str {
        "A request answered 5xx or 429 is retried at most 3 times"
    }

    fn requirements(&self) -> &'static [&'static str] {
        &["behaviour:§3.2", "behaviour:§10"]
    }

    fn evaluate(&self, evidence: &Evidence) -> Verdict {
        let exchanges = &evidence.traffic.exchanges;
        if !exchanges.iter().any(transient) {
            return Verdict::skip("no request was answered 5xx or 429");
        }
        // Per request (method and target): the current run of sends, each after a
        // transient failure of the one before.
        let mut runs: HashMap<String, Vec<&Exchange>> = HashMap::new();
        let mut too_long = Vec::new();
        for exchange in exchanges {
            let request = &exchange.request;
            let key = match &request.query {
                Some(query) => format!("{} {}?{query}", request.method, request.path),
                None => format!("{} {}", request.method, request.path),
            };
            let run = runs.entry(key.clone()).or_default();
            if !run.last().is_some_and(|last| transient(last)) {
                too_long.extend(closed(&key, std::mem::take(run)));
            }
            run.push(exchange);
        }
        for (key, run) in runs {
            too_long.extend(closed(&key, run));
        }
        too_long.sort_by_key(|(ids, _)| ids.first().copied());
        if let Some(failure) = reads::fail_all(too_long) {
            return failure;
        }
        Verdict::pass("no request was retried more than 3 times")
    }
}

/// A finished run of sends of `key`, when it was too long: its exchanges and the reason.
fn closed(key: &str, run: Vec<&Exchange>) -> Option<(Vec<u64>, String)> {
    if run.len() <= MAX_TRIES {
        return None;
    }
    let status = run
        .first()
        .map(|e| e.response.status.as_str())
        .unwrap_or_default();
    Some((
        run.iter().map(|e| e.id).collect(),
        format!(
            "{key} was sent {} times in a row after {status} answers (at most 1 try and 3 retries)",
            run.len()
        ),
    ))
}

/// Whether the answer was a transient failure (5xx or 429).
fn transient(exchange: &Exchange) -> bool {
    let status = exchange.response.status;
    status.is_server_error() || status.as_u16() == 429
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::conform::checks::reads_testkit::*;

    const EOBS: &str = "/v2/fhir/ExplanationOfBenefit/";

    #[test]
    fn three_retries_pass() {
        let run = Run::new(vec![
            token(1),
            get(2, EOBS).status(503).done(),
            get(3, EOBS).status(502).done(),
            get(4, "/v2/fhir/Coverage/").done(),
            get(5, EOBS).status(500).done(),
            get(6, EOBS).done(),
            // A new run after a success.
            get(7, EOBS).status(503).done(),
            get(8, EOBS).status(429).done(),
            get(9, EOBS).done(),
        ]);
        assert_pass(&BoundedRetries.evaluate(&run.evidence()));
    }

    #[test]
    fn a_fifth_send_fails() {
        let mut exchanges = vec![token(1)];
        exchanges.extend((2..=7).map(|id| get(id, EOBS).status(503).done()));
        let run = Run::new(exchanges);
        assert_fail(
            &BoundedRetries.evaluate(&run.evidence()),
            "GET /v2/fhir/ExplanationOfBenefit/ was sent 6 times in a row after 503 answers (at most 1 try and 3 retries)",
            &[2, 3, 4, 5, 6, 7],
        );
    }

    #[test]
    fn no_transient_failure_skips() {
        let run = Run::new(vec![token(1), get(2, EOBS).status(401).done()]);
        assert_skip(
            &BoundedRetries.evaluate(&run.evidence()),
            "no request was answered 5xx or 429",
        );
    }
}
