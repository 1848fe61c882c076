//! Everything a check may look at for one run: the scenario, the app the client played, the
//! recorded traffic, how the client process ended and what it wrote as output.

use crate::conform::traffic::Traffic;
use crate::scenario::{App, Scenario};
use serde_json::Value;

/// How the client process ended.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ClientEnd {
    /// Its exit code, when it exited by itself.
    pub exit_code: Option<i32>,
    /// The signal that ended it, when one did.
    pub signal: Option<i32>,
    /// Killed (with its process group) at the timeout.
    pub timed_out: bool,
    /// Killed because it flooded the server (the journal was cut off).
    pub flooded: bool,
    /// Stopped by the runner after the journey (web apps started with `--app-url`).
    pub stopped_after_journey: bool,
    /// Killed (with its process group) because `bbh conform` was interrupted.
    pub interrupted: bool,
}

impl ClientEnd {
    /// Whether the client ended normally: exit code 0, or stopped by the runner after a
    /// completed journey (a web app never exits by itself).
    pub fn succeeded(&self) -> bool {
        self.stopped_after_journey
            || (self.exit_code == Some(0) && !self.timed_out && !self.flooded && !self.interrupted)
    }

    /// One line: how it ended (`exit code 1`, `killed at the timeout`, ...).
    pub fn describe(&self) -> String {
        if self.timed_out {
            return "killed at the timeout".to_owned();
        }
        if self.flooded {
            return "killed for flooding the server".to_owned();
        }
        if self.interrupted {
            return "killed because bbh conform was interrupted".to_owned();
        }
        if self.stopped_after_journey {
            return "stopped by the runner after the journey".to_owned();
        }
        match (self.exit_code, self.signal) {
            (Some(code), _) => format!("exit code {code}"),
            (None, Some(signal)) => format!("ended by signal {signal}"),
            (None, None) => "ended without an exit status".to_owned(),
        }
    }
}

/// What the client produced: the `BB_OUTPUT` file, else its stdout when that is JSON.
#[derive(Debug, Clone, PartialEq)]
pub enum ClientOutput {
    /// A JSON object.
    Json(Value),
    /// No usable output, and why (`BB_OUTPUT was not written and stdout is not JSON`).
    Missing(String),
}

impl ClientOutput {
    /// The JSON object, when there is one.
    pub fn json(&self) -> Option<&Value> {
        match self {
            ClientOutput::Json(value) => Some(value),
            ClientOutput::Missing(_) => None,
        }
    }

    /// `patient_id`: `Some(None)` when the client wrote `null`, `None` when absent or invalid.
    pub fn patient_id(&self) -> Option<Option<&str>> {
        match self.json()?.get("patient_id")? {
            Value::Null => Some(None),
            Value::String(id) => Some(Some(id)),
            _ => None,
        }
    }

    /// A list of strings (`coverage_ids`, `eob_ids`), when present and well formed.
    pub fn ids(&self, field: &str) -> Option<Vec<&str>> {
        self.json()?
            .get(field)?
            .as_array()?
            .iter()
            .map(Value::as_str)
            .collect()
    }
}

/// The evidence of one run.
#[derive(Debug, Clone, Copy)]
pub struct Evidence<'a> {
    /// The scenario that ran.
    pub scenario: &'a Scenario,
    /// The app whose credentials the client was given (the scenario's first).
    pub app: &'a App,
    /// Every exchange, typed.
    pub traffic: &'a Traffic,
    /// How the client ended.
    pub client: &'a ClientEnd,
    /// What it wrote.
    pub output: &'a ClientOutput,
}
