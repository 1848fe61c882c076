//! The scenario's `states`: named state machines kept per session (a grant and the tokens
//! refreshed from it), so parallel clients never see each other's state.

use crate::exchange::SessionId;
use crate::scenario::StateMachine;
use std::collections::HashMap;
use std::sync::{Mutex, PoisonError};

/// The state of every machine in every session; untouched sessions are in the initial state.
#[derive(Debug, Default)]
pub struct SessionStates {
    machines: Vec<StateMachine>,
    current: Mutex<HashMap<(SessionId, String), String>>,
}

impl SessionStates {
    /// Every session in the initial state of every machine.
    pub fn new(machines: &[StateMachine]) -> SessionStates {
        SessionStates {
            machines: machines.to_vec(),
            current: Mutex::default(),
        }
    }

    /// The state of `machine` in `session`; `None` when there is no such machine.
    pub fn current(&self, session: SessionId, machine: &str) -> Option<String> {
        let initial = self
            .machines
            .iter()
            .find(|m| m.name == machine)?
            .states
            .first()?;
        let current = self.current.lock().unwrap_or_else(PoisonError::into_inner);
        Some(
            current
                .get(&(session, machine.to_owned()))
                .unwrap_or(initial)
                .clone(),
        )
    }
}
