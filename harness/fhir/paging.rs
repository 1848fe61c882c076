//! Paging of searchset Bundles (BFD `OffsetLinkBuilder`, behaviour file §4): `_count` and
//! `startIndex`, and the `first`/`next`/`previous`/`last`/`self` links in the profile's form,
//! on the client's own origin.

use crate::scenario::Profile;

/// Default page size.
pub const DEFAULT_COUNT: u64 = 10;
/// Largest page size BB2 allows.
pub const MAX_COUNT: u64 = 50;

/// One page of a result of `total` items.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Page {
    /// 0-based offset of the first item.
    pub start: u64,
    /// Page size (at least 1).
    pub count: u64,
    /// Size of the whole result.
    pub total: u64,
}

impl Page {
    /// The offsets this page shows: `start..end`, empty past the end.
    pub fn range(&self) -> std::ops::Range<u64> {
        let end = self.start.saturating_add(self.count).min(self.total);
        self.start.min(end)..end
    }

    /// The link relations and their `startIndex`, in BFD's order.
    pub fn links(&self) -> Vec<(&'static str, u64)> {
        let count = self.count.max(1);
        let mut links = vec![("first", 0)];
        if self.start.saturating_add(count) < self.total {
            links.push(("next", self.start + count));
        }
        if self.start != 0 {
            links.push(("previous", self.start.saturating_sub(count)));
        }
        let last = if self.total == 0 {
            0
        } else {
            (self.total - 1) / count * count
        };
        links.push(("last", last));
        links.push(("self", self.start));
        links
    }
}

/// The `_format` BB2 sends to BFD since 2025-12, echoed in every `current` link.
pub const LINK_FORMAT: &str = "application/fhir+json";

/// How links are written: the profile, and whether the client gave `startIndex`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LinkStyle {
    /// The behaviour profile.
    pub profile: Profile,
    /// Whether the request had `startIndex` (since 2025-07 BB2 forwards it only then, so
    /// the `current` self link has it only then).
    pub start_given: bool,
}

/// A link URL in the profile's form (DESIGN "Profiles"): `documented` writes
/// `{base}?_count=..&startIndex=..&{search}`; `current` writes BFD's
/// `{base}?_format=..&startIndex=..&_count=..&{search}`, and for `self` the URL BB2 sent to
/// BFD: `{base}/?` with the parameters in alphabetical order.
pub fn link_url(
    style: LinkStyle,
    base: &str,
    page: &Page,
    relation: &str,
    start_index: u64,
    search: &[(&str, &str)],
) -> String {
    let count = page.count.to_string();
    let start = start_index.to_string();
    let self_of_current = style.profile == Profile::Current && relation == "self";
    let mut pairs: Vec<(&str, &str)> = match style.profile {
        Profile::Documented => vec![("_count", &count), ("startIndex", &start)],
        Profile::Current => vec![
            ("_format", LINK_FORMAT),
            ("startIndex", &start),
            ("_count", &count),
        ],
    };
    if self_of_current && !style.start_given {
        pairs.retain(|&(name, _)| name != "startIndex");
    }
    pairs.extend_from_slice(search);
    if self_of_current {
        pairs.sort_by_key(|&(name, _)| name);
    }
    let query = form_urlencoded::Serializer::new(String::new())
        .extend_pairs(pairs)
        .finish();
    let slash = if self_of_current { "/" } else { "" };
    format!("{base}{slash}?{query}")
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn captured_example() {
        // NSDK fixture: total 52, _count 10, startIndex 50: first, previous, last, self.
        let page = Page {
            start: 50,
            count: 10,
            total: 52,
        };
        assert_eq!(
            page.links(),
            vec![("first", 0), ("previous", 40), ("last", 50), ("self", 50)]
        );
        assert_eq!(page.range(), 50..52);
    }

    #[test]
    fn empty_result() {
        let page = Page {
            start: 0,
            count: 10,
            total: 0,
        };
        assert_eq!(page.links(), vec![("first", 0), ("last", 0), ("self", 0)]);
        assert!(page.range().is_empty());
    }

    #[test]
    fn link_format() {
        let page = Page {
            start: 0,
            count: 10,
            total: 148,
        };
        let search = [("patient", "-20140000000024"), ("type", "carrier,pde")];
        let base = "http://h/v2/fhir/ExplanationOfBenefit";
        assert_eq!(
            link_url(DOCUMENTED, base, &page, "next", 10, &search),
            "http://h/v2/fhir/ExplanationOfBenefit?_count=10&startIndex=10&patient=-20140000000024&type=carrier%2Cpde"
        );
        assert_eq!(
            link_url(DOCUMENTED, base, &page, "self", 0, &search),
            "http://h/v2/fhir/ExplanationOfBenefit?_count=10&startIndex=0&patient=-20140000000024&type=carrier%2Cpde"
        );
    }

    const DOCUMENTED: LinkStyle = LinkStyle {
        profile: Profile::Documented,
        start_given: false,
    };
    const CURRENT_GIVEN: LinkStyle = LinkStyle {
        profile: Profile::Current,
        start_given: true,
    };

    #[test]
    fn current_self_has_start_index_only_when_the_client_gave_it() {
        let page = Page {
            start: 0,
            count: 10,
            total: 4,
        };
        let style = LinkStyle {
            profile: Profile::Current,
            start_given: false,
        };
        let search = [("beneficiary", "Patient/-1")];
        assert_eq!(
            link_url(
                style,
                "http://h/v2/fhir/Coverage",
                &page,
                "self",
                0,
                &search
            ),
            "http://h/v2/fhir/Coverage/?_count=10&_format=application%2Ffhir%2Bjson&beneficiary=Patient%2F-1"
        );
        assert_eq!(
            link_url(
                style,
                "http://h/v2/fhir/Coverage",
                &page,
                "first",
                0,
                &search
            ),
            "http://h/v2/fhir/Coverage?_format=application%2Ffhir%2Bjson&startIndex=0&_count=10&beneficiary=Patient%2F-1"
        );
    }

    #[test]
    fn current_links_follow_the_captures() {
        // Behaviour file §4: BFD's parameter order for navigation links, BB2's sorted query
        // behind a slash for `self`; the `_format` of the current code.
        let page = Page {
            start: 10,
            count: 10,
            total: 52,
        };
        let base = "https://sandbox.bluebutton.cms.gov/v2/fhir/ExplanationOfBenefit";
        let search = [("patient", "-19990000000001")];
        assert_eq!(
            link_url(CURRENT_GIVEN, base, &page, "next", 20, &search),
            "https://sandbox.bluebutton.cms.gov/v2/fhir/ExplanationOfBenefit?_format=application%2Ffhir%2Bjson&startIndex=20&_count=10&patient=-19990000000001"
        );
        assert_eq!(
            link_url(CURRENT_GIVEN, base, &page, "self", 10, &search),
            "https://sandbox.bluebutton.cms.gov/v2/fhir/ExplanationOfBenefit/?_count=10&_format=application%2Ffhir%2Bjson&patient=-19990000000001&startIndex=10"
        );
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(256))]
        /// Following `next` from `first` visits every item exactly once, in order, and ends
        /// on the page `last` names.
        #[test]
        fn next_links_cover_everything(total in 0u64..400, count in 1u64..=50) {
            let mut start = 0;
            let mut seen = 0;
            let mut pages = 0;
            loop {
                let page = Page { start, count, total };
                let range = page.range();
                prop_assert_eq!(range.start, seen);
                seen = range.end;
                pages += 1;
                let links = page.links();
                let last = links.iter().find(|(r, _)| *r == "last").map(|(_, s)| *s);
                match links.iter().find(|(r, _)| *r == "next") {
                    Some((_, next)) => start = *next,
                    None => {
                        prop_assert_eq!(Some(start), last);
                        break;
                    }
                }
            }
            prop_assert_eq!(seen, total);
            prop_assert_eq!(pages, total.div_ceil(count).max(1));
        }

        /// `previous` never goes below 0 and is absent exactly on the first page.
        #[test]
        fn previous_link(start in 0u64..500, count in 1u64..=50, total in 0u64..500) {
            let links = Page { start, count, total }.links();
            let previous = links.iter().find(|(r, _)| *r == "previous").map(|(_, s)| *s);
            prop_assert_eq!(previous.is_some(), start != 0);
            if let Some(previous) = previous {
                prop_assert_eq!(previous, start.saturating_sub(count));
            }
        }
    }
}
