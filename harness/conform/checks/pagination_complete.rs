//! `pagination-complete`: every `next` link served in a 200 Bundle is requested, and answered
//! 200, exactly once (requests answered otherwise, such as 429 or 401, do not count).

use crate::conform::check::{Check, Verdict};
use crate::conform::checks::reads;
use crate::conform::evidence::Evidence;

/// See the module doc.
pub struct PaginationComplete;

impl Check for PaginationComplete {
    fn id(&self) -> &'static str {
        "pagination-complete"
    }

    fn title(&self) -> &'static str {
        "Every next page of a search is read exactly once"
    }

    fn requirements(&self) -> &'static [&'static str] {
        &["behaviour:§4", "behaviour:§9", "behaviour:§10"]
    }

    fn evaluate(&self, evidence: &Evidence) -> Verdict {
        let calls = &evidence.traffic.api_calls;
        // Each distinct next target, with the first exchange that served it.
        let mut next_pages: Vec<(&str, u64)> = Vec::new();
        for call in calls.iter().filter(|c| c.status == 200) {
            if let Some(url) = call.link("next") {
                let target = reads::link_target(url);
                if !next_pages.iter().any(|(seen, _)| same_page(seen, target)) {
                    next_pages.push((target, call.exchange));
                }
            }
        }
        if next_pages.is_empty() {
            return Verdict::skip("no 200 Bundle had a next link");
        }
        let mut offences = Vec::new();
        let mut read = Vec::new();
        for (target, served_by) in &next_pages {
            let answered: Vec<u64> = calls
                .iter()
                .filter(|c| c.status == 200 && same_page(&c.target(), target))
                .map(|c| c.exchange)
                .collect();
            match answered.as_slice() {
                [] => offences.push((
                    vec![*served_by],
                    format!("next page {target} was never read"),
                )),
                [once] => read.push(*once),
                _ => {
                    let n = answered.len();
                    offences.push((answered, format!("next page {target} was read {n} times")));
                }
            }
        }
        if let Some(failure) = reads::fail_all(offences) {
            return failure;
        }
        Verdict::pass(format!(
            "each of the {} next pages was read once",
            next_pages.len()
        ))
        .with_exchanges(read)
    }
}

/// Whether two request targets ask for the same page: the same path and the same query
/// parameters in any order, leaving out those BB2 adds to its links on its own (`patient`,
/// `beneficiary`: the token's patient; `_format`) (whether the link was followed verbatim is
/// `next-link-followed-verbatim`'s question).
fn same_page(a: &str, b: &str) -> bool {
    let split = |target: &str| {
        let (path, query) = target.split_once('?').unwrap_or((target, ""));
        let mut pairs: Vec<(String, String)> = form_urlencoded::parse(query.as_bytes())
            .filter(|(name, _)| !matches!(name.as_ref(), "patient" | "beneficiary" | "_format"))
            .map(|(k, v)| (k.into_owned(), v.into_owned()))
            .collect();
        pairs.sort();
        (path.trim_end_matches('/').to_owned(), pairs)
    };
    split(a) == split(b)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::conform::checks::reads_testkit::*;

    const FIRST: &str = "/v2/fhir/ExplanationOfBenefit/";
    const PAGE_2: &str = "/v2/fhir/ExplanationOfBenefit?_count=10&startIndex=10";
    const PAGE_3: &str = "/v2/fhir/ExplanationOfBenefit?_count=10&startIndex=20";

    fn page(id: u64, target: &str, next: Option<&str>) -> crate::server::journal::Exchange {
        get(id, target)
            .answer(bundle("ExplanationOfBenefit", &["pde-1"], next))
            .done()
    }

    #[test]
    fn every_page_once_passes() {
        let run = Run::new(vec![
            token(1),
            page(2, FIRST, Some(PAGE_2)),
            get(3, PAGE_2).status(429).done(),
            page(4, PAGE_2, Some(PAGE_3)),
            page(5, PAGE_3, None),
        ]);
        let verdict = PaginationComplete.evaluate(&run.evidence());
        assert_pass(&verdict);
        assert_eq!(verdict.exchanges, [4, 5]);
    }

    #[test]
    fn missed_and_repeated_pages_fail() {
        let run = Run::new(vec![token(1), page(2, FIRST, Some(PAGE_2))]);
        assert_fail(
            &PaginationComplete.evaluate(&run.evidence()),
            &format!("next page {PAGE_2} was never read"),
            &[2],
        );
        let run = Run::new(vec![
            token(1),
            page(2, FIRST, Some(PAGE_2)),
            page(3, PAGE_2, None),
            page(4, PAGE_2, None),
        ]);
        assert_fail(
            &PaginationComplete.evaluate(&run.evidence()),
            &format!("next page {PAGE_2} was read 2 times"),
            &[3, 4],
        );
    }

    #[test]
    fn no_next_link_skips() {
        let run = Run::new(vec![
            token(1),
            page(2, FIRST, None),
            get(3, PAGE_2).status(500).done(),
        ]);
        assert_skip(
            &PaginationComplete.evaluate(&run.evidence()),
            "no 200 Bundle had a next link",
        );
    }
}
