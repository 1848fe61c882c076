//! Why a request matched no stub: the closest stub and a per-field diff, kept in the journal
//! for requests that matched no stub and no built-in route.

use serde::Serialize;

/// A request that matched no stub and no built-in route.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Miss {
    /// The stub that came closest, if there are stubs.
    pub closest: Option<ClosestStub>,
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
