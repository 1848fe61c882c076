//! The `states` key of a scenario file: named state machines kept per session, and the check
//! that stubs' `when.session.state` conditions name their machines and states.

use crate::scenario::model::{StateMachine, Stub, StubWhen, Transition};
use crate::scenario::reader::{Field, Located, Reader, at_key_when_empty, join, then, values};
use crate::scenario::stub_when::{WhenPlace, when};
use marked_yaml::{Node, Span};

const MACHINE_KEYS: &[&str] = &["states", "transitions"];
const TRANSITION_KEYS: &[&str] = &["from", "to", "when"];
/// `states:`: a mapping of machine name → `{states, transitions}`, in file order.
pub fn states(r: &mut Reader, node: &Node, key: &str) -> Option<Vec<StateMachine>> {
    let map = r.any_mapping(node, key)?;
    let mut machines = Some(Vec::with_capacity(map.len()));
    for (name_node, value) in map.iter() {
        let path = join(key, name_node.as_str());
        let name = name(name_node.as_str().to_owned())
            .map_err(|message| r.error(name_node.span(), &path, message))
            .ok();
        let value = at_key_when_empty(name_node.span(), value);
        let machine = name.and_then(|name| machine(r, &value, &path, name));
        match (machine, machines.as_mut()) {
            (Some(machine), Some(machines)) => machines.push(machine),
            _ => machines = None,
        }
    }
    machines
}

/// A machine or state name: letters, digits, `-` and `_`.
fn name(name: String) -> Result<String, String> {
    let valid = !name.is_empty()
        && name
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_');
    if valid {
        Ok(name)
    } else {
        Err(format!(
            "expected a name of letters, digits, `-` and `_` such as `outage`, found `{name}`"
        ))
    }
}

fn machine(r: &mut Reader, node: &Node, key: &str, name: String) -> Option<StateMachine> {
    let map = r.mapping(node, key, MACHINE_KEYS)?;
    let states = r.required(map, key, "states", |r, node, key| {
        let items = r.non_empty_list(node, key, "state", then(Reader::string, self::name))?;
        let given: Vec<&Located<String>> = items.iter().flatten().collect();
        r.unique(given, "state");
        Some(items)
    });
    let transitions = r.optional(map, key, "transitions", |r, node, key| {
        r.list(node, key, transition)
    });
    let states = states?;
    let transitions = match transitions {
        Field::Absent => Vec::new(),
        Field::Invalid => return None,
        Field::Given(given) => given.value,
    };
    let mut declared: Vec<&str> = Vec::with_capacity(states.value.len());
    for state in states.value.iter().flatten() {
        if !declared.contains(&state.value.as_str()) {
            declared.push(&state.value);
        }
    }
    let mut valid = declared.len() == states.value.len();
    for located in transitions.iter().flatten() {
        for end in [&located.value.from, &located.value.to] {
            if !declared.contains(&end.value.as_str()) {
                let message = format!(
                    "unknown state `{}` of machine `{name}`; expected one of: {}",
                    end.value,
                    declared.join(", ")
                );
                r.error(&end.span, &end.key, message);
                valid = false;
            }
        }
    }
    if !valid {
        return None;
    }
    let transitions = values(transitions)?;
    let initial = declared.first().copied().unwrap_or_default();
    for located in states.value.iter().flatten().skip(1) {
        let state = &located.value;
        if !reachable(&declared, &transitions, state) {
            let message = format!(
                "unreachable state `{state}`: no chain of transitions leads to it from the \
                 initial state `{initial}`"
            );
            r.error(&located.span, &located.key, message);
            valid = false;
        }
    }
    valid.then(|| StateMachine {
        name,
        states: declared.iter().map(|s| (*s).to_owned()).collect(),
        transitions: transitions
            .into_iter()
            .map(|t| Transition {
                from: t.from.value,
                to: t.to.value,
                when: t.when,
            })
            .collect(),
    })
}

/// Whether a chain of `transitions` leads from the first of `states` to `target`.
fn reachable(states: &[&str], transitions: &[ParsedTransition], target: &str) -> bool {
    let mut seen: Vec<&str> = states.first().copied().into_iter().collect();
    let mut next = 0;
    while let Some(&state) = seen.get(next) {
        if state == target {
            return true;
        }
        for t in transitions.iter().filter(|t| t.from.value == state) {
            if !seen.contains(&t.to.value.as_str()) {
                seen.push(&t.to.value);
            }
        }
        next += 1;
    }
    false
}

/// A transition with the positions of its ends, for the checks against the declared states.
struct ParsedTransition {
    from: Located<String>,
    to: Located<String>,
    when: StubWhen,
}

fn transition(r: &mut Reader, node: &Node, key: &str) -> Option<ParsedTransition> {
    let map = r.mapping(node, key, TRANSITION_KEYS)?;
    let from = r.required(map, key, "from", Reader::string);
    let to = r.required(map, key, "to", Reader::string);
    let when = r.required(map, key, "when", |r, node, key| {
        when(r, node, key, WhenPlace::Transition)
    });
    Some(ParsedTransition {
        from: from?,
        to: to?,
        when: when?.value,
    })
}

/// Records an error for every `when.session.state` condition of `stubs` that names a machine
/// `machines` does not declare, or a state that machine does not have. `stubs_node` is the
/// file's `stubs` list (`stubs[i]` was read from its item `i`), where each condition is found
/// again for its position.
pub fn check_references(
    r: &mut Reader,
    stubs_node: &Node,
    stubs: &[Stub],
    machines: &[StateMachine],
) {
    for (i, stub) in stubs.iter().enumerate() {
        let Some(session) = &stub.when.session else {
            continue;
        };
        let item = stubs_node.as_sequence().and_then(|list| list.get_node(i));
        let conditions = item
            .and_then(Node::as_mapping)
            .and_then(|stub| stub.get_mapping("when"))
            .and_then(|when| when.get_mapping("session"))
            .and_then(|session| session.get_mapping("state"));
        // A block mapping's own span starts at its first `:`; its first key is where it starts.
        let fallback = item
            .and_then(|item| item.as_mapping()?.keys().next().map(|k| *k.span()))
            .or_else(|| item.map(|item| *item.span()))
            .unwrap_or_else(Span::new_blank);
        for (machine, state) in &session.state {
            let key = format!("stubs[{i}].when.session.state.{machine}");
            let written = conditions.and_then(|map| map.get_key_value(machine.as_str()));
            let (machine_span, state_span) = written.map_or((fallback, fallback), |(k, v)| {
                (*k.span(), *at_key_when_empty(k.span(), v).span())
            });
            match reference(machine, state, machines) {
                Ok(()) => {}
                Err(Unknown::Machine(message)) => r.error(&machine_span, &key, message),
                Err(Unknown::State(message)) => r.error(&state_span, &key, message),
            }
        }
    }
}

/// What a `session.state` condition names that the scenario does not declare, and why.
pub(crate) enum Unknown {
    /// The state machine.
    Machine(String),
    /// The state, of a declared machine.
    State(String),
}

/// Checks that `machine` is one of `machines` and has `state` (a stub's, or a mock's,
/// `session.state` condition).
pub(crate) fn reference(
    machine: &str,
    state: &str,
    machines: &[StateMachine],
) -> Result<(), Unknown> {
    match machines.iter().find(|m| m.name == *machine) {
        None => {
            let declared: Vec<&str> = machines.iter().map(|m| m.name.as_str()).collect();
            Err(Unknown::Machine(if declared.is_empty() {
                format!("no state machine `{machine}`: the scenario declares no `states`")
            } else {
                format!(
                    "no state machine `{machine}`; expected one of: {}",
                    declared.join(", ")
                )
            }))
        }
        Some(known) if !known.states.iter().any(|s| s == state) => Err(Unknown::State(format!(
            "state machine `{machine}` has no state `{state}`; expected one of: {}",
            known.states.join(", ")
        ))),
        Some(_) => Ok(()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::scenario::model::SessionMatch;
    use crate::scenario::yaml;

    fn errors_of(read: impl FnOnce(&mut Reader)) -> Vec<String> {
        let mut r = Reader::new("f.yaml".to_owned());
        read(&mut r);
        match r.finish(None::<()>) {
            Ok(()) => Vec::new(),
            Err(errors) => errors
                .iter()
                .map(|e| e.to_string().replacen("f.yaml:", "", 1))
                .filter(|e| !e.contains("reason unknown"))
                .collect(),
        }
    }

    fn parse_states(text: &str) -> Result<Vec<StateMachine>, Vec<String>> {
        let root = yaml::load(text, "f.yaml").map_err(|e| vec![e.to_string()])?;
        let mut r = Reader::new("f.yaml".to_owned());
        let node = root.as_mapping().and_then(|m| m.get_node("states"));
        let machines = node.and_then(|node| states(&mut r, node, "states"));
        r.finish(machines).map_err(|errors| {
            errors
                .iter()
                .map(|e| e.to_string().replacen("f.yaml:", "", 1))
                .collect()
        })
    }

    #[test]
    fn machines_are_read_in_order_with_their_transitions() {
        let machines = parse_states(
            "\
states:
  outage:
    states: [healthy, failing, recovered]
    transitions:
      - {from: healthy, to: failing, when: {method: POST, path: /v2/o/token/}}
      - {from: failing, to: recovered, when: {path: /v2/fhir/Patient/}}
  idle:
    states: [only]
",
        )
        .unwrap();
        assert_eq!(machines.len(), 2);
        assert_eq!(machines[0].name, "outage");
        assert_eq!(machines[0].states, ["healthy", "failing", "recovered"]);
        assert_eq!(
            machines[0].transitions[0],
            Transition {
                from: "healthy".into(),
                to: "failing".into(),
                when: StubWhen {
                    method: Some(http::Method::POST),
                    path: "/v2/o/token/".into(),
                    ..StubWhen::default()
                },
            }
        );
        assert_eq!(machines[0].transitions[1].when.path, "/v2/fhir/Patient/");
        assert_eq!(machines[1].states, ["only"]);
        assert!(machines[1].transitions.is_empty());
    }

    #[test]
    fn every_error_of_the_states_key_is_reported_at_its_place() {
        let errors = parse_states(
            "\
states:
  outage:
    states: [healthy, failing, healthy, orphan, island, 'bad name']
    transitions:
      - {from: healthy, to: failing, when: {path: /a, nth: 2}}
      - {from: failing, to: nowhere, when: {path: /b}}
      - {from: island, to: island, when: {path: /c, session: {nth: 1}}}
      - {from: healthy, when: {path: /d}, colour: red}
  empty:
    states: []
  'x y':
    states: [a]
  list: [a]
",
        )
        .unwrap_err();
        assert_eq!(
            errors,
            [
                "3:32: states.outage.states[2]: duplicate state (first given on line 3)",
                "3:57: states.outage.states[5]: expected a name of letters, digits, `-` and `_` \
                 such as `outage`, found `bad name`",
                "5:55: states.outage.transitions[0].when.nth: `nth` is not allowed in a \
                 transition's `when`: every matching request of a session in `from` moves it",
                "6:29: states.outage.transitions[1].to: unknown state `nowhere` of machine \
                 `outage`; expected one of: healthy, failing, orphan, island",
                "7:53: states.outage.transitions[2].when.session: `session` is not allowed in a \
                 transition's `when`: a transition always applies to the session of the request",
                "8:9: states.outage.transitions[3]: missing required key `to`",
                "8:43: states.outage.transitions[3].colour: unknown key `colour`; expected one \
                 of: from, to, when",
                "10:13: states.empty.states: expected at least one state",
                "11:3: states.x y: expected a name of letters, digits, `-` and `_` such as \
                 `outage`, found `x y`",
                "13:9: states.list: expected a mapping, found a list",
            ]
        );
    }

    #[test]
    fn a_state_no_chain_of_transitions_reaches_is_unreachable() {
        let errors = parse_states(
            "\
states:
  m:
    states: [a, b, c, d]
    transitions:
      - {from: a, to: b, when: {path: /x}}
      - {from: c, to: d, when: {path: /x}}
      - {from: d, to: c, when: {path: /x}}
",
        )
        .unwrap_err();
        assert_eq!(
            errors,
            [
                "3:20: states.m.states[2]: unreachable state `c`: no chain of transitions leads \
                 to it from the initial state `a`",
                "3:23: states.m.states[3]: unreachable state `d`: no chain of transitions leads \
                 to it from the initial state `a`",
            ]
        );
        let fixed = "states:\n  m:\n    states: [a, b, c]\n    transitions:\n      \
                     - {from: b, to: c, when: {path: /x}}\n      - {from: a, to: b, when: {path: /y}}\n";
        assert!(parse_states(fixed).is_ok());
    }

    fn stub(conditions: &[(&str, &str)]) -> Stub {
        Stub {
            when: StubWhen {
                path: "/x".into(),
                session: Some(SessionMatch {
                    nth: None,
                    state: conditions
                        .iter()
                        .map(|(m, s)| ((*m).to_owned(), (*s).to_owned()))
                        .collect(),
                }),
                ..StubWhen::default()
            },
            then: Default::default(),
        }
    }

    #[test]
    fn session_state_conditions_name_declared_machines_and_states() {
        let text = "\
stubs:
  - when: {path: /x}
    then: {status: 500}
  - when:
      path: /x
      session:
        state: {outage: failing, other: a, outage2: gone}
    then: {status: 500}
";
        let root = yaml::load(text, "f.yaml").unwrap();
        let node = root.as_mapping().unwrap().get_node("stubs").unwrap();
        let machines = parse_states(
            "states:\n  outage:\n    states: [healthy, failing]\n    transitions:\n      \
             - {from: healthy, to: failing, when: {path: /y}}\n  outage2:\n    states: [on]\n",
        )
        .unwrap();
        let stubs = [
            Stub {
                when: StubWhen {
                    path: "/x".into(),
                    ..StubWhen::default()
                },
                then: Default::default(),
            },
            stub(&[("outage", "failing"), ("other", "a"), ("outage2", "gone")]),
        ];
        assert_eq!(
            errors_of(|r| check_references(r, node, &stubs, &machines)),
            [
                "7:34: stubs[1].when.session.state.other: no state machine `other`; expected \
                 one of: outage, outage2",
                "7:53: stubs[1].when.session.state.outage2: state machine `outage2` has no \
                 state `gone`; expected one of: on",
            ]
        );
        assert_eq!(
            errors_of(|r| check_references(r, node, &stubs[..1], &machines)),
            Vec::<String>::new()
        );
        // Without `states`, and for a stub whose condition is not found in the file (built in
        // code), the error is still reported, at the stub.
        assert_eq!(
            errors_of(|r| check_references(r, node, &[stub(&[("outage", "x")])], &[])),
            [
                "2:5: stubs[0].when.session.state.outage: no state machine `outage`: the scenario \
              declares no `states`"
            ]
        );
    }
}
