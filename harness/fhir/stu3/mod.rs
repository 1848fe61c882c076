//! Rendering Patient, Coverage and ExplanationOfBenefit resources as FHIR STU3 (3.0.2), the
//! shapes `/v1/fhir/` serves (behaviour file §7.1, the guide's v1 examples).
//!
//! Each v1 resource is the v2 (R4, C4BB) one of [`resources`](super::resources) rewritten:
//! the same data, in STU3 element names and Blue Button's v1 systems, without CARIN profiles or
//! identifier types. Rendering the v2 resource first keeps both versions of a claim telling
//! the same story, and a claim type's v1 shape follows whatever its v2 renderer draws.

mod coverage;
mod elements;
mod eob;
mod patient;
pub mod systems;

pub use coverage::coverage_v1;
pub use eob::eob_v1;
pub use patient::patient_v1;

#[cfg(test)]
mod tests;
