//! Every check, one file each, in report order: the OAuth flow first, then the reads and the
//! client's output. Ids are stable kebab-case names; a check cites what it enforces.

use crate::conform::check::Check;

// The authorization flow and tokens.
mod journey_complete;
mod pkce_s256;

/// The checks of the authorization flow and tokens, in report order.
const FLOW: &[&dyn Check] = &[&journey_complete::JourneyComplete, &pkce_s256::PkceS256];

// The reads and the client's output.

/// The checks of the reads and the output, in report order.
const READS: &[&dyn Check] = &[];

/// Every check, in report order.
pub fn all() -> impl Iterator<Item = &'static dyn Check> {
    FLOW.iter().chain(READS).copied()
}

/// The check with id `id`.
pub fn find(id: &str) -> Option<&'static dyn Check> {
    all().find(|check| check.id() == id)
}
