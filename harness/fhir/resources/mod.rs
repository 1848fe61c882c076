//! Rendering Patient, Coverage and ExplanationOfBenefit resources (FHIR R4, C4BB profiles).
//!
//! Pure functions of the world's [`Beneficiary`](crate::world::Beneficiary) and
//! [`Claim`](crate::world::Claim): the same inputs always render the same JSON. Synthetic
//! details are drawn from small tables of real codes ([`codes`]) with seeded streams: a
//! claim's `seed` for its EOB, the beneficiary's `data_seed` for its enrollment (Patient
//! and Coverage). Names end in the API version (`patient_v2`) so the FHIR STU3 (v1)
//! renderers can sit beside them.

mod builders;
pub mod codes;
mod coverage;
mod dates;
mod draw;
mod enrollment;
mod eob;
pub mod meta;
mod patient;
pub mod systems;

pub use coverage::{CoveragePart, coverage_v2};
pub use eob::eob_v2;
pub use meta::DATA_LAST_UPDATED;
pub use patient::patient_v2;

#[cfg(test)]
pub(crate) mod tests;
