//! The conformance runner: starts the fake server for a scenario, runs the client under test
//! against it, records every exchange and judges the client with named checks.

pub mod assertions;
pub mod baseline;
pub mod browse;
pub mod check;
pub mod checks;
pub mod client;
pub mod evidence;
pub mod judge;
pub mod output;
pub mod run;
pub mod runner;
pub mod traffic;
