//! Benchmarks of `bbh serve` as users run it: a child process on loopback.

mod error;
pub use error::BenchError;
pub mod startup;
