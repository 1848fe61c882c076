//! One claim's identity and dates: what the ExplanationOfBenefit renderer starts from.

use crate::claim_type::ClaimType;
use jiff::civil::Date;

/// One claim of a beneficiary, as the claim generator produces it.
///
/// The renderer draws every other detail (codes, providers, amounts) from `seed`, so the same
/// claim always renders to the same bytes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Claim {
    /// The claim's type.
    pub claim_type: ClaimType,
    /// The unprefixed claim id as BFD has it (synthetic ids are negative: `-10000000123`).
    pub claim_id: String,
    /// Seed of the claim's details.
    pub seed: u64,
    /// First day of service (`billablePeriod.start`; a Part D event's fill date).
    pub start: Date,
    /// Last day of service (`billablePeriod.end`, the claim's through date).
    pub end: Date,
}

impl Claim {
    /// The ExplanationOfBenefit id: `<type>-<claim id>` (`carrier--10000000123`).
    pub fn resource_id(&self) -> String {
        format!("{}-{}", self.claim_type.code(), self.claim_id)
    }
}
