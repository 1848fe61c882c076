//! `gzip-and-identity-decoded`: where the client asked for gzip and got both compressed and
//! uncompressed 200 answers, it decoded both: it ended normally and its output holds exactly
//! the patient issued and the Coverage and ExplanationOfBenefit ids served.

use crate::conform::check::{Check, Verdict};
use crate::conform::checks::reads;
use crate::conform::evidence::Evidence;
use crate::oauth::scopes::Resource;
use crate::server::compression;

/// See the module doc.
pub struct GzipAndIdentityDecoded;

impl Check for GzipAndIdentityDecoded {
    fn id(&self) -> &'static str {
        "gzip-and-identity-decoded"
    }

    fn title(&self) -> &'static str {
        "Compressed and uncompressed answers are both decoded (Content-Encoding is checked)"
    }

    fn requirements(&self) -> &'static [&'static str] {
        &[
            "guide:Compress Resources for more efficient data transfers",
            "behaviour:§5",
            "behaviour:§10",
        ]
    }

    fn evaluate(&self, evidence: &Evidence) -> Verdict {
        let calls = &evidence.traffic.api_calls;
        if !calls
            .iter()
            .any(|c| compression::accepts_gzip(c.accept_encoding.as_deref()))
        {
            return Verdict::skip("the client never asked for gzip");
        }
        let answered = || calls.iter().filter(|c| c.status == 200);
        let Some(compressed) = answered().find(|c| c.content_encoding == Some("gzip")) else {
            return Verdict::skip("no 200 API answer went out compressed");
        };
        let Some(plain) = answered().find(|c| c.content_encoding.is_none()) else {
            return Verdict::skip("no 200 API answer went out uncompressed");
        };
        let shown = [compressed.exchange, plain.exchange];
        if !evidence.client.succeeded() {
            return Verdict::fail(
                format!(
                    "the client did not end normally: {}",
                    evidence.client.describe()
                ),
                shown,
            );
        }
        if evidence.output.json().is_none() {
            return Verdict::fail("the client wrote no output", shown);
        }
        let compared = reads::compare_patient(evidence)
            .and_then(|()| reads::compare_ids(evidence, "coverage_ids", Resource::Coverage))
            .and_then(|()| reads::compare_ids(evidence, "eob_ids", Resource::ExplanationOfBenefit));
        match compared {
            Ok(()) => Verdict::pass("the output holds everything served, compressed or not")
                .with_exchanges(shown),
            Err((reason, ids)) => Verdict::fail(reason, ids.into_iter().chain(shown)),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::conform::checks::reads_testkit::*;
    use serde_json::json;

    fn exchanges() -> Vec<crate::server::journal::Exchange> {
        vec![
            token(1),
            get(2, "/v2/fhir/Coverage/")
                .answer(bundle("Coverage", &["part-a-20140000008325"], None))
                .done(),
            get(3, "/v2/fhir/ExplanationOfBenefit/")
                .answer(bundle(
                    "ExplanationOfBenefit",
                    &["pde-1", "carrier-2"],
                    None,
                ))
                .gzip()
                .done(),
        ]
    }

    #[test]
    fn complete_output_passes() {
        let run = Run::new(exchanges()).output(json!({
            "patient_id": PATIENT,
            "coverage_ids": ["part-a-20140000008325"],
            "eob_ids": ["carrier-2", "pde-1"],
        }));
        let verdict = GzipAndIdentityDecoded.evaluate(&run.evidence());
        assert_pass(&verdict);
        assert_eq!(verdict.exchanges, [2, 3]);
    }

    #[test]
    fn lost_compressed_data_fails() {
        let run = Run::new(exchanges()).output(json!({
            "patient_id": PATIENT,
            "coverage_ids": ["part-a-20140000008325"],
            "eob_ids": [],
        }));
        assert_fail(
            &GzipAndIdentityDecoded.evaluate(&run.evidence()),
            "the output's eob_ids lacks 2 of the 2 ids served (first: pde-1)",
            &[2, 3],
        );
        let run = Run::new(exchanges());
        assert_fail(
            &GzipAndIdentityDecoded.evaluate(&run.evidence()),
            "the client wrote no output",
            &[2, 3],
        );
        let run = Run::new(exchanges()).exit(1);
        assert_fail(
            &GzipAndIdentityDecoded.evaluate(&run.evidence()),
            "the client did not end normally: exit code 1",
            &[2, 3],
        );
    }

    #[test]
    fn one_kind_of_answer_skips() {
        let mut all_plain = exchanges();
        all_plain.pop();
        let run = Run::new(all_plain);
        assert_skip(
            &GzipAndIdentityDecoded.evaluate(&run.evidence()),
            "no 200 API answer went out compressed",
        );
        let run = Run::new(vec![
            token(1),
            get(2, "/v2/fhir/Coverage/")
                .without("accept-encoding")
                .done(),
        ]);
        assert_skip(
            &GzipAndIdentityDecoded.evaluate(&run.evidence()),
            "the client never asked for gzip",
        );
    }
}
