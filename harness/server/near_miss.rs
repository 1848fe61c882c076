//! Why a request matched no stub: the closest stub and a per-field diff, kept in the journal
//! for requests that matched no stub and no built-in route.

use crate::scenario::StubWhen;
use crate::server::matcher::Matcher;
use serde::Serialize;
use std::fmt;

/// A request that matched no stub and no built-in route.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Miss {
    /// The stub that came closest, if there are stubs.
    pub closest: Option<ClosestStub>,
    /// Whether the scenario is `strict`: then this request is a failure.
    pub strict: bool,
}

/// The stub that came closest to matching a request.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ClosestStub {
    /// Its position in the stub list (from 0).
    pub index: usize,
    /// Each condition it has that the request does not meet.
    pub diffs: Vec<FieldDiff>,
}

/// One unmet condition of a stub.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct FieldDiff {
    /// The condition (`method`, `path`, `query.type`, `headers.accept`, `session.state.x`).
    pub field: String,
    /// What the stub wants.
    pub expected: String,
    /// What the request has (`None`: absent).
    pub actual: Option<String>,
}

/// The stub among `whens` with the fewest conditions the request misses (the first of
/// equals); `nth_counts` gives, for the stubs whose every other condition held, the count
/// the request reached there, which becomes the `nth` diff.
pub fn closest<'w>(
    whens: impl IntoIterator<Item = &'w StubWhen>,
    matcher: &Matcher<'_>,
    nth_counts: &[(usize, u64)],
) -> Option<ClosestStub> {
    whens
        .into_iter()
        .enumerate()
        .map(|(index, when)| {
            let mut diffs = matcher.unmet(when);
            let reached = nth_counts.iter().find(|(stub, _)| *stub == index);
            if let (Some(nth), Some((_, count))) = (when.nth, reached) {
                diffs.push(FieldDiff {
                    field: "nth".to_owned(),
                    expected: nth.to_string(),
                    actual: Some(count.to_string()),
                });
            }
            ClosestStub { index, diffs }
        })
        .min_by_key(|closest| closest.diffs.len())
}

impl fmt::Display for Miss {
    /// One line without values (they may hold credentials): the closest stub and the names
    /// of the conditions it misses.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.closest {
            None => f.write_str("no stub is defined"),
            Some(closest) => {
                let fields: Vec<&str> = closest.diffs.iter().map(|d| d.field.as_str()).collect();
                write!(
                    f,
                    "closest stub: stubs[{}], unmet: {}",
                    closest.index,
                    fields.join(", ")
                )
            }
        }
    }
}
