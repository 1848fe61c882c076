//! The scenario's `states`: named state machines kept per session (a grant and the tokens
//! refreshed from it), so parallel clients never see each other's state.
//!
//! After each request of a session is answered, [`SessionStates::advance`] moves every
//! machine whose first transition from the session's current state matches the request.
//! The check and the move happen under one lock, so of many requests racing in the same state,
//! exactly one makes the move out of it.

use crate::exchange::{Request, SessionId};
use crate::scenario::{StateMachine, StubWhen};
use std::collections::HashMap;
use std::sync::{Mutex, PoisonError};

/// The state of every machine in every session; untouched sessions are in the initial state.
#[derive(Debug, Default)]
pub struct SessionStates {
    machines: Vec<StateMachine>,
    /// (session, index of the machine) → index of its state, once set or moved.
    current: Mutex<HashMap<(SessionId, usize), usize>>,
}

/// A transition made by [`SessionStates::advance`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Move {
    /// The machine that moved.
    pub machine: String,
    /// The state it left.
    pub from: String,
    /// The state it entered.
    pub to: String,
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
        let (index, known) = self.machine(machine)?;
        let current = self.current.lock().unwrap_or_else(PoisonError::into_inner);
        let state = current.get(&(session, index)).copied().unwrap_or(0);
        known.states.get(state).cloned()
    }

    /// Each session that has left an initial state (or was [`set`](Self::set)), in order, with
    /// every machine's state in it.
    pub fn snapshot(&self) -> Vec<(SessionId, Vec<(String, String)>)> {
        let current = self.current.lock().unwrap_or_else(PoisonError::into_inner);
        let mut sessions: Vec<SessionId> = current.keys().map(|(s, _)| *s).collect();
        sessions.sort();
        sessions.dedup();
        sessions
            .into_iter()
            .map(|session| {
                let states = self
                    .machines
                    .iter()
                    .enumerate()
                    .filter_map(|(index, machine)| {
                        let state = current.get(&(session, index)).copied().unwrap_or(0);
                        Some((machine.name.clone(), machine.states.get(state)?.clone()))
                    })
                    .collect();
                (session, states)
            })
            .collect()
    }

    /// Puts `machine` of `session` into `state`.
    pub fn set(&self, session: SessionId, machine: &str, state: &str) -> Result<(), String> {
        let (index, known) = self
            .machine(machine)
            .ok_or_else(|| format!("no state machine `{machine}`"))?;
        let position = known
            .states
            .iter()
            .position(|s| s == state)
            .ok_or_else(|| format!("state machine `{machine}` has no state `{state}`"))?;
        self.current
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .insert((session, index), position);
        Ok(())
    }

    /// Moves each machine of `session` by its first transition from the current state whose
    /// `when` `matches` the answered `request`; the moves made, in machine order. Matching
    /// runs before the lock is taken (a transition's `when` depends on the request alone);
    /// reading and moving each state happen under it.
    pub fn advance(
        &self,
        session: SessionId,
        request: &Request,
        matches: impl Fn(&StubWhen, &Request) -> bool,
    ) -> Vec<Move> {
        let matched: Vec<Vec<bool>> = self
            .machines
            .iter()
            .map(|machine| {
                machine
                    .transitions
                    .iter()
                    .map(|transition| matches(&transition.when, request))
                    .collect()
            })
            .collect();
        if !matched.iter().flatten().any(|&m| m) {
            return Vec::new();
        }
        let mut current = self.current.lock().unwrap_or_else(PoisonError::into_inner);
        let mut moves = Vec::new();
        for (index, (machine, matched)) in self.machines.iter().zip(&matched).enumerate() {
            let state = current.get(&(session, index)).copied().unwrap_or(0);
            let Some(from) = machine.states.get(state) else {
                continue;
            };
            let to = machine
                .transitions
                .iter()
                .zip(matched)
                .filter(|(transition, matched)| **matched && transition.from == *from)
                .find_map(|(transition, _)| {
                    machine.states.iter().position(|s| *s == transition.to)
                });
            if let Some(to) = to {
                current.insert((session, index), to);
                moves.push(Move {
                    machine: machine.name.clone(),
                    from: from.clone(),
                    to: machine.states[to].clone(),
                });
            }
        }
        moves
    }

    /// The machine named `name` and its position.
    fn machine(&self, name: &str) -> Option<(usize, &StateMachine)> {
        self.machines
            .iter()
            .enumerate()
            .find(|(_, m)| m.name == name)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::scenario::Transition;
    use bytes::Bytes;
    use http::{HeaderMap, Method};
    use std::sync::Arc;

    fn request(path: &str) -> Request {
        Request {
            method: Method::GET,
            path: path.to_owned(),
            query: None,
            headers: HeaderMap::new(),
            body: Bytes::new(),
            origin: "http://127.0.0.1:1".to_owned(),
        }
    }

    /// Matches a `when` by its path alone.
    fn by_path(when: &StubWhen, request: &Request) -> bool {
        when.path == request.path
    }

    fn transition(from: &str, to: &str, path: &str) -> Transition {
        Transition {
            from: from.to_owned(),
            to: to.to_owned(),
            when: StubWhen {
                path: path.to_owned(),
                ..StubWhen::default()
            },
        }
    }

    fn machine(name: &str, states: &[&str], transitions: Vec<Transition>) -> StateMachine {
        StateMachine {
            name: name.to_owned(),
            states: states.iter().map(|s| (*s).to_owned()).collect(),
            transitions,
        }
    }

    fn outage() -> SessionStates {
        SessionStates::new(&[
            machine(
                "outage",
                &["healthy", "failing", "recovered"],
                vec![
                    transition("healthy", "failing", "/fail"),
                    transition("failing", "recovered", "/any"),
                    transition("failing", "healthy", "/any"),
                    transition("healthy", "recovered", "/any"),
                ],
            ),
            machine(
                "mode",
                &["off", "on"],
                vec![transition("off", "on", "/fail")],
            ),
        ])
    }

    #[test]
    fn the_first_matching_transition_from_the_current_state_moves_one_session() {
        let states = outage();
        let (one, two) = (SessionId(1), SessionId(2));
        assert_eq!(states.current(one, "outage").as_deref(), Some("healthy"));
        assert_eq!(states.current(one, "nope"), None);
        assert!(states.advance(one, &request("/other"), by_path).is_empty());
        assert!(states.snapshot().is_empty());
        let moves = states.advance(one, &request("/fail"), by_path);
        assert_eq!(
            moves,
            [
                Move {
                    machine: "outage".into(),
                    from: "healthy".into(),
                    to: "failing".into()
                },
                Move {
                    machine: "mode".into(),
                    from: "off".into(),
                    to: "on".into()
                },
            ]
        );
        // One move per machine and request: failing → recovered (the first listed), not on.
        let moves = states.advance(one, &request("/any"), by_path);
        assert_eq!(moves.len(), 1);
        assert_eq!(moves[0].to, "recovered");
        assert_eq!(states.current(one, "outage").as_deref(), Some("recovered"));
        assert_eq!(states.current(two, "outage").as_deref(), Some("healthy"));
        assert_eq!(
            states.snapshot(),
            [(
                one,
                vec![
                    ("outage".to_owned(), "recovered".to_owned()),
                    ("mode".to_owned(), "on".to_owned())
                ]
            )]
        );
    }

    #[test]
    fn set_checks_names_and_shows_in_the_snapshot() {
        let states = outage();
        assert_eq!(
            states.set(SessionId(3), "outage", "gone"),
            Err("state machine `outage` has no state `gone`".to_owned())
        );
        assert_eq!(
            states.set(SessionId(3), "x", "on"),
            Err("no state machine `x`".to_owned())
        );
        states.set(SessionId(3), "mode", "on").unwrap();
        assert_eq!(
            states.snapshot(),
            [(
                SessionId(3),
                vec![
                    ("outage".to_owned(), "healthy".to_owned()),
                    ("mode".to_owned(), "on".to_owned())
                ]
            )]
        );
        assert_eq!(
            states
                .advance(SessionId(3), &request("/fail"), by_path)
                .len(),
            1
        );
    }

    #[test]
    fn of_many_racing_requests_exactly_one_moves_out_of_a_state() {
        let states = Arc::new(SessionStates::new(&[machine(
            "m",
            &["a", "b"],
            vec![transition("a", "b", "/x")],
        )]));
        let barrier = Arc::new(std::sync::Barrier::new(16));
        let threads: Vec<_> = (0..16)
            .map(|_| {
                let (states, barrier) = (Arc::clone(&states), Arc::clone(&barrier));
                std::thread::spawn(move || {
                    barrier.wait();
                    states.advance(SessionId(1), &request("/x"), by_path).len()
                })
            })
            .collect();
        let moved: usize = threads.into_iter().map(|t| t.join().unwrap()).sum();
        assert_eq!(moved, 1);
        assert_eq!(states.current(SessionId(1), "m").as_deref(), Some("b"));
    }
}
