//! One finished run of a scenario: everything the reports, the baseline and the snapshots
//! are made from.

use crate::conform::evidence::{ClientEnd, ClientOutput};
use crate::conform::judge::CheckResult;
use crate::conform::traffic::Traffic;
use crate::scenario::Scenario;
use std::time::Duration;

/// Captured bytes of a client stream, bounded.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Captured {
    /// The first bytes written, up to the capture limit.
    pub bytes: Vec<u8>,
    /// How many bytes were written in all (more than `bytes.len()` when cut).
    pub total: u64,
}

impl Captured {
    /// Whether the stream wrote more than was kept.
    pub fn truncated(&self) -> bool {
        self.total > self.bytes.len() as u64
    }
}

/// A scenario run end to end.
#[derive(Debug, Clone)]
pub struct ScenarioRun {
    /// The scenario.
    pub scenario: Scenario,
    /// The client command line (`sh -c` runs it).
    pub command: String,
    /// How the client ended.
    pub client: ClientEnd,
    /// Its stdout.
    pub stdout: Captured,
    /// Its stderr.
    pub stderr: Captured,
    /// Every exchange with the fake server.
    pub traffic: Traffic,
    /// What the client wrote as output.
    pub output: ClientOutput,
    /// Every check's result, assertions included, expectations applied.
    pub results: Vec<CheckResult>,
    /// Wall-clock time from the server's start to the client's end.
    pub duration: Duration,
}

impl ScenarioRun {
    /// Whether the run fails: an unexpected required failure, a stale expectation, or a
    /// client that timed out or was stopped by an interruption.
    pub fn failed(&self) -> bool {
        self.client.timed_out
            || self.client.interrupted
            || self
                .results
                .iter()
                .any(|r| r.is_unexpected_failure() || r.is_stale())
    }
}
