//! Scenario files: parsing with positions, validation, built-in defaults and embedded scenarios.

pub mod model;

pub use model::*;
pub mod tmp_stub; pub use tmp_stub::*;
