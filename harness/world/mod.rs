//! The world a scenario describes: apps, beneficiaries, their claims, and the clock.

pub mod beneficiary;
pub mod claim;

pub use beneficiary::{Beneficiary, Gender};
pub use claim::Claim;
