//! What a check is and what it answers: a named rule over the recorded traffic with a level,
//! the requirements it enforces, and a verdict (pass, fail with evidence, or skip).

use crate::conform::evidence::Evidence;
use crate::scenario::{ClientType, Profile};

/// Whether a failure fails the run.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Level {
    /// A MUST of the guide, the behaviour file or an RFC: a failure fails the run.
    Required,
    /// A SHOULD: reported, never changes the exit code.
    Recommended,
}

impl Level {
    /// `required` or `recommended`.
    pub fn name(self) -> &'static str {
        match self {
            Level::Required => "required",
            Level::Recommended => "recommended",
        }
    }
}

/// The three outcomes of a check.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Status {
    /// The client did what the requirement asks.
    Pass,
    /// It did not; the verdict names the exchanges that show it.
    Fail,
    /// The check does not apply to this run.
    Skip,
}

impl Status {
    /// `pass`, `fail` or `skip`.
    pub fn name(self) -> &'static str {
        match self {
            Status::Pass => "pass",
            Status::Fail => "fail",
            Status::Skip => "skip",
        }
    }
}

/// A check's answer for one run.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Verdict {
    /// Pass, fail or skip.
    pub status: Status,
    /// One line: why it failed or was skipped (or what passing rested on).
    pub reason: String,
    /// Journal ids of the exchanges that show it, in order.
    pub exchanges: Vec<u64>,
}

impl Verdict {
    /// A pass, with what it rested on.
    pub fn pass(reason: impl Into<String>) -> Verdict {
        Verdict {
            status: Status::Pass,
            reason: reason.into(),
            exchanges: Vec::new(),
        }
    }

    /// A failure, with the one-line reason and the exchanges that show it.
    pub fn fail(reason: impl Into<String>, exchanges: impl IntoIterator<Item = u64>) -> Verdict {
        let mut exchanges: Vec<u64> = exchanges.into_iter().collect();
        exchanges.sort_unstable();
        exchanges.dedup();
        Verdict {
            status: Status::Fail,
            reason: reason.into(),
            exchanges,
        }
    }

    /// Not applicable to this run, and why.
    pub fn skip(reason: impl Into<String>) -> Verdict {
        Verdict {
            status: Status::Skip,
            reason: reason.into(),
            exchanges: Vec::new(),
        }
    }

    /// Attaches evidence exchanges (e.g. to a pass).
    pub fn with_exchanges(mut self, exchanges: impl IntoIterator<Item = u64>) -> Verdict {
        self.exchanges.extend(exchanges);
        self.exchanges.sort_unstable();
        self.exchanges.dedup();
        self
    }
}

/// A named rule over one run.
pub trait Check: Sync {
    /// Stable kebab-case id (`pkce-s256`).
    fn id(&self) -> &'static str;

    /// What the client must do, in one line.
    fn title(&self) -> &'static str;

    /// The requirements it enforces: `guide:<section>`, `behaviour:§<n>`, `rfc<n>:§<n>`.
    fn requirements(&self) -> &'static [&'static str];

    /// Its level for an app of `client_type` in `profile` (MUST → required, SHOULD →
    /// recommended).
    fn level(&self, _profile: Profile, _client_type: ClientType) -> Level {
        Level::Required
    }

    /// Its level in this run: [`Check::level`] unless the evidence changes it (the data
    /// checks are recommended when the client wrote no output).
    fn level_in(&self, evidence: &Evidence) -> Level {
        self.level(evidence.scenario.profile, evidence.app.client_type)
    }

    /// Judges the run.
    fn evaluate(&self, evidence: &Evidence) -> Verdict;
}
