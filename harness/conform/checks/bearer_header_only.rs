//! `bearer-header-only`: no API call carries an `access_token` query parameter, and every
//! API call that sends a token sends it as `Authorization: Bearer <token>`.

use crate::conform::check::{Check, Verdict};
use crate::conform::checks::reads;
use crate::conform::evidence::Evidence;
use http::header::AUTHORIZATION;

/// See the module doc.
pub struct BearerHeaderOnly;

impl Check for BearerHeaderOnly {
    fn id(&self) -> &'static str {
        "bearer-header-only"
    }

    fn title(&self) -> &'static str {
        "API calls send the access token only in an Authorization: Bearer header"
    }

    fn requirements(&self) -> &'static [&'static str] {
        &[
            "guide:Core Resources",
            "behaviour:§3.1",
            "behaviour:§3.2",
            "rfc6750:§2.1",
        ]
    }

    fn evaluate(&self, evidence: &Evidence) -> Verdict {
        let traffic = evidence.traffic;
        if traffic.api_calls.is_empty() {
            return Verdict::skip("no API call was made");
        }
        let mut offences = Vec::new();
        for call in &traffic.api_calls {
            if call.params.contains("access_token") {
                offences.push((
                    [call.exchange],
                    format!("{} sends access_token in the query string", call.path),
                ));
                continue;
            }
            let authorization = traffic
                .exchange(call.exchange)
                .and_then(|e| e.request.header(AUTHORIZATION));
            if let Some(value) = authorization
                && call.bearer.is_none()
            {
                let scheme = value.split_whitespace().next().unwrap_or_default();
                offences.push((
                    [call.exchange],
                    format!(
                        "{} sends Authorization with scheme {scheme:?}, not Bearer",
                        call.path
                    ),
                ));
            }
        }
        if let Some(failure) = reads::fail_all(offences) {
            return failure;
        }
        Verdict::pass("every token went in an Authorization: Bearer header")
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::conform::checks::reads_testkit::*;

    #[test]
    fn bearer_header_passes() {
        let run = Run::new(vec![token(1), get(2, "/v2/fhir/Coverage/").done()]);
        assert_pass(&BearerHeaderOnly.evaluate(&run.evidence()));
    }

    #[test]
    fn query_token_and_other_schemes_fail() {
        let run = Run::new(vec![
            token(1),
            get(2, "/v2/fhir/Coverage/").done(),
            get(3, "/v2/fhir/Patient/-20140000008325?access_token=access-1")
                .without("authorization")
                .status(400)
                .done(),
            get(4, "/v2/fhir/ExplanationOfBenefit/")
                .header("authorization", "Token access-1")
                .done(),
        ]);
        assert_fail(
            &BearerHeaderOnly.evaluate(&run.evidence()),
            "/v2/fhir/Patient/-20140000008325 sends access_token in the query string (and 1 more)",
            &[3, 4],
        );
    }

    #[test]
    fn no_api_call_skips() {
        let run = Run::new(vec![token(1)]);
        assert_skip(
            &BearerHeaderOnly.evaluate(&run.evidence()),
            "no API call was made",
        );
    }
}
