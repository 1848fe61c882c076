//! `gzip-requested`: every API call asks for compression with an `Accept-Encoding` that
//! includes gzip. Recommended: the guide makes compression optional.

use crate::conform::check::{Check, Level, Verdict};
use crate::conform::checks::reads;
use crate::conform::evidence::Evidence;
use crate::scenario::{ClientType, Profile};
use crate::server::compression;

/// See the module doc.
pub struct GzipRequested;

impl Check for GzipRequested {
    fn id(&self) -> &'static str {
        "gzip-requested"
    }

    fn title(&self) -> &'static str {
        "API calls send Accept-Encoding with gzip"
    }

    fn requirements(&self) -> &'static [&'static str] {
        &[
            "guide:Compress Resources for more efficient data transfers",
            "behaviour:§5",
        ]
    }

    /// The guide makes compression optional, in every profile.
    fn level(&self, _profile: Profile, _client_type: ClientType) -> Level {
        Level::Recommended
    }

    fn evaluate(&self, evidence: &Evidence) -> Verdict {
        let calls = &evidence.traffic.api_calls;
        if calls.is_empty() {
            return Verdict::skip("no API call was made");
        }
        let offences = calls
            .iter()
            .filter(|c| !compression::accepts_gzip(c.accept_encoding.as_deref()))
            .map(|c| {
                let sent = c.accept_encoding.as_deref().unwrap_or("(none)");
                (
                    [c.exchange],
                    format!("{} sent Accept-Encoding: {sent}, without gzip", c.path),
                )
            })
            .collect();
        if let Some(failure) = reads::fail_all(offences) {
            return failure;
        }
        Verdict::pass(format!("all {} API calls asked for gzip", calls.len()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::conform::checks::reads_testkit::*;

    #[test]
    fn gzip_everywhere_passes() {
        let run = Run::new(vec![
            token(1),
            get(2, "/v2/fhir/Coverage/").done(),
            get(3, "/v2/connect/userinfo")
                .header("accept-encoding", "br, gzip;q=0.8")
                .done(),
        ]);
        let verdict = GzipRequested.evaluate(&run.evidence());
        assert_pass(&verdict);
        assert_eq!(GzipRequested.level_in(&run.evidence()), Level::Recommended);
    }

    #[test]
    fn missing_gzip_fails() {
        let run = Run::new(vec![
            token(1),
            get(2, "/v2/fhir/Coverage/").done(),
            get(3, "/v2/fhir/Patient/-20140000008325")
                .without("accept-encoding")
                .done(),
            get(4, "/v2/fhir/ExplanationOfBenefit/")
                .header("accept-encoding", "identity")
                .done(),
        ]);
        assert_fail(
            &GzipRequested.evaluate(&run.evidence()),
            "/v2/fhir/Patient/-20140000008325 sent Accept-Encoding: (none), without gzip (and 1 more)",
            &[3, 4],
        );
    }

    #[test]
    fn no_api_call_skips() {
        let run = Run::new(vec![token(1)]);
        assert_skip(
            &GzipRequested.evaluate(&run.evidence()),
            "no API call was made",
        );
    }
}
