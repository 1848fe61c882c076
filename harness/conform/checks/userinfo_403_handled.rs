//! `userinfo-403-handled`: where `/connect/userinfo` answers 403 (the beneficiary withheld
//! demographics), the client does not retry it in a loop, still reads Coverage and
//! ExplanationOfBenefit and ends normally.

use crate::conform::check::{Check, Verdict};
use crate::conform::checks::reads;
use crate::conform::evidence::Evidence;
use crate::oauth::scopes::Resource;

/// See the module doc.
pub struct Userinfo403Handled;

impl Check for Userinfo403Handled {
    fn id(&self) -> &'static str {
        "userinfo-403-handled"
    }

    fn title(&self) -> &'static str {
        "A 403 from userinfo is handled: no retry loop, Coverage and ExplanationOfBenefit still read"
    }

    fn requirements(&self) -> &'static [&'static str] {
        &["guide:Scopes", "behaviour:§8.4", "behaviour:§10"]
    }

    fn evaluate(&self, evidence: &Evidence) -> Verdict {
        reads::forbidden_handled(evidence, Resource::UserInfo)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::conform::checks::reads_testkit::*;
    use crate::server::journal::Exchange;

    const USERINFO: &str = "/v2/connect/userinfo";

    fn coverage(id: u64) -> Exchange {
        get(id, "/v2/fhir/Coverage/")
            .answer(bundle("Coverage", &["part-a-20140000008325"], None))
            .done()
    }

    fn eobs(id: u64) -> Exchange {
        get(id, "/v2/fhir/ExplanationOfBenefit/")
            .answer(bundle("ExplanationOfBenefit", &["pde-1"], None))
            .done()
    }

    #[test]
    fn going_on_after_403_passes() {
        let run = Run::new(vec![
            token(1),
            get(2, USERINFO).status(403).done(),
            get(3, USERINFO).status(403).done(),
            coverage(4),
            eobs(5),
        ]);
        assert_pass(&Userinfo403Handled.evaluate(&run.evidence()));
    }

    #[test]
    fn skipping_eob_fails() {
        let run = Run::new(vec![
            token(1),
            get(2, USERINFO).status(403).done(),
            coverage(3),
            get(4, "/v2/fhir/ExplanationOfBenefit/").status(500).done(),
        ]);
        assert_fail(
            &Userinfo403Handled.evaluate(&run.evidence()),
            "ExplanationOfBenefit was never read (200) after userinfo answered 403",
            &[2],
        );
    }

    #[test]
    fn no_403_skips() {
        let run = Run::new(vec![
            token(1),
            get(2, USERINFO).done(),
            coverage(3),
            eobs(4),
        ]);
        assert_skip(
            &Userinfo403Handled.evaluate(&run.evidence()),
            "userinfo was never answered 403",
        );
    }
}
