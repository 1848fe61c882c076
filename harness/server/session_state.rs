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

    /// Each session that has left an initial state, with every machine's state in it.
    pub fn snapshot(&self) -> Vec<(SessionId, Vec<(String, String)>)> {
        let current = self.current.lock().unwrap_or_else(PoisonError::into_inner);
        let mut sessions: Vec<SessionId> = current.keys().map(|(s, _)| *s).collect();
        sessions.sort();
        sessions.dedup();
        drop(current);
        sessions
            .into_iter()
            .map(|session| {
                let states = self
                    .machines
                    .iter()
                    .filter_map(|m| Some((m.name.clone(), self.current(session, &m.name)?)))
                    .collect();
                (session, states)
            })
            .collect()
    }

    /// Puts `machine` of `session` into `state`.
    pub fn set(&self, session: SessionId, machine: &str, state: &str) -> Result<(), String> {
        let known = self
            .machines
            .iter()
            .find(|m| m.name == machine)
            .ok_or_else(|| format!("no state machine `{machine}`"))?;
        if !known.states.iter().any(|s| s == state) {
            return Err(format!("state machine `{machine}` has no state `{state}`"));
        }
        self.current
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .insert((session, machine.to_owned()), state.to_owned());
        Ok(())
    }
}
