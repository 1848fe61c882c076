//! [`Mock`]: conditions and an answer, checked as a scenario file's stub is and turned into a
//! [`Stub`].

use super::Harness;
use super::then::Answer;
use super::when::{Condition, When};
use crate::scenario::rules::{self, Part, Parts};
use crate::scenario::{
    Delay, Dribble, FaultSpec, Latency, Passthrough, SessionMatch, StateMachine, Stub, StubWhen,
    ValueMatch,
};
use std::fmt;
use std::time::Duration;

/// The path of a mock without a [`path`](super::when::path) condition: every path.
const EVERY_PATH: &str = "/**";

/// A stub built in code: the conditions a request must meet and the answer it gets. Mounted
/// on a [`Harness`], it is tried before the scenario's stubs and after mocks mounted earlier;
/// the first stub that matches answers.
///
/// ```
/// use bluebutton_harness::api::{Harness, Mock, Scenario, then::*, when::*};
///
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
/// let harness = Harness::start(Scenario::builtin("oauth-success")?).await?;
/// Mock::given(method("GET"))
///     .and(path("/v2/fhir/Patient/"))
///     .respond_with(status(503).header("Retry-After", "2"))
///     .mount(&harness)?;
/// let response = reqwest::get(format!("{}/v2/fhir/Patient/", harness.url())).await?;
/// assert_eq!(response.status(), 503);
/// # Ok(())
/// # }
/// ```
#[derive(Debug, Clone, PartialEq)]
pub struct Mock {
    when: Vec<Condition>,
    then: Answer,
}

/// A [`Mock`] still being given its conditions; [`MockBuilder::respond_with`] completes it.
///
/// ```
/// use bluebutton_harness::api::{Mock, MockBuilder, then::status, when::*};
///
/// let builder: MockBuilder = Mock::given(method("GET")).and(path("/v2/fhir/Coverage/"));
/// let mock: Mock = builder.respond_with(status(404));
/// assert_eq!(mock.into_stub()?.when.path, "/v2/fhir/Coverage/");
/// # Ok::<(), bluebutton_harness::api::MockError>(())
/// ```
#[derive(Debug, Clone, PartialEq)]
pub struct MockBuilder {
    when: Vec<Condition>,
}

impl Mock {
    /// Starts a mock with its first condition (see [`when`](super::when);
    /// [`any`](super::when::any) for none).
    ///
    /// ```
    /// use bluebutton_harness::api::{Mock, then::status, when::path};
    ///
    /// let stub = Mock::given(path("/v2/o/token/")).respond_with(status(500)).into_stub()?;
    /// assert_eq!(stub.when.path, "/v2/o/token/");
    /// # Ok::<(), bluebutton_harness::api::MockError>(())
    /// ```
    pub fn given(condition: Condition) -> MockBuilder {
        MockBuilder {
            when: vec![condition],
        }
    }

    /// The stub this mock stands for, checked as a scenario file's stub is; every problem is
    /// reported at once, each with the scenario-file key it stands for (`when.method`,
    /// `then.sequence[1].status`).
    ///
    /// ```
    /// use bluebutton_harness::api::{Mock, then::status, when::*};
    ///
    /// let error = Mock::given(method("get")).and(path("v2/fhir"))
    ///     .respond_with(status(1000))
    ///     .into_stub()
    ///     .unwrap_err();
    /// let keys: Vec<&str> = error.problems().iter().map(|p| p.key.as_str()).collect();
    /// assert_eq!(keys, ["when.method", "when.path", "then.status"]);
    /// ```
    pub fn into_stub(self) -> Result<Stub, MockError> {
        let mut problems = Problems::default();
        let when = when(&self.when, &mut problems);
        let defaults = parts(&self.then, "then", &mut problems);
        let steps = match &self.then.sequence {
            None => None,
            Some(steps) => {
                if steps.is_empty() {
                    problems.push("then.sequence", "expected at least one step");
                }
                let mut parsed = Vec::with_capacity(steps.len());
                for (i, step) in steps.iter().enumerate() {
                    let key = format!("then.sequence[{i}]");
                    if step.sequence.is_some() {
                        problems.push(format!("{key}.sequence"), rules::NESTED_SEQUENCE);
                    }
                    parsed.push(parts(step, &key, &mut problems));
                }
                Some(parsed)
            }
        };
        // Merged and checked for keys that exclude each other as a file's `then` is.
        let (then, clashes) = rules::assemble(defaults, steps);
        for (_, key, message) in clashes {
            problems.push(key, message);
        }
        problems.into_result(Stub { when, then })
    }

    /// Mounts this mock on `harness`: [`Harness::mount`] with the mock first, as
    /// wiremock-rs writes it.
    ///
    /// ```
    /// use bluebutton_harness::api::{Harness, Mock, Scenario, then::status, when::path};
    ///
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// let harness = Harness::start(Scenario::builtin("oauth-success")?).await?;
    /// Mock::given(path("/v2/fhir/Coverage/")).respond_with(status(500)).mount(&harness)?;
    /// let response = reqwest::get(format!("{}/v2/fhir/Coverage/", harness.url())).await?;
    /// assert_eq!(response.status(), 500);
    /// # Ok(())
    /// # }
    /// ```
    pub fn mount(self, harness: &Harness) -> Result<(), MockError> {
        harness.mount(self)
    }
}

impl MockBuilder {
    /// Adds a condition; every one must hold. A condition other than `query`, `header`,
    /// `form` and `session_state` may be given once; a name once per kind.
    ///
    /// ```
    /// use bluebutton_harness::api::{Mock, then::status, when::*};
    ///
    /// let twice = Mock::given(path("/a")).and(path("/b")).respond_with(status(200)).into_stub();
    /// assert_eq!(twice.unwrap_err().to_string(), "when.path: given twice; a stub has one");
    /// ```
    pub fn and(mut self, condition: Condition) -> MockBuilder {
        self.when.push(condition);
        self
    }

    /// Completes the mock with what it answers.
    ///
    /// ```
    /// use bluebutton_harness::api::{Mock, then::json, when::path};
    /// use serde_json::json;
    ///
    /// let mock = Mock::given(path("/v2/fhir/Coverage/")).respond_with(json(json!({"total": 0})));
    /// assert_eq!(mock.into_stub()?.then.body.as_deref(), Some(&b"{\"total\":0}"[..]));
    /// # Ok::<(), bluebutton_harness::api::MockError>(())
    /// ```
    pub fn respond_with(self, answer: Answer) -> Mock {
        Mock {
            when: self.when,
            then: answer,
        }
    }
}

/// Why a [`Mock`] is not a valid stub: every problem, one per line (`key: message`).
///
/// ```
/// use bluebutton_harness::api::{Mock, then::*, when::path};
///
/// let error = Mock::given(path("/x"))
///     .respond_with(passthrough().body("{}").rate(2.0))
///     .into_stub()
///     .unwrap_err();
/// assert_eq!(error.problems().len(), 3);
/// assert!(error.to_string().lines().all(|line| line.starts_with("then.")), "{error}");
/// ```
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{}", lines(.problems))]
pub struct MockError {
    problems: Vec<Problem>,
}

impl MockError {
    /// `Ok` without problems, else the error listing them.
    pub(super) fn from_problems(problems: Vec<Problem>) -> Result<(), MockError> {
        Problems(problems).into_result(())
    }

    /// Each problem, in the order of the mock's conditions and answer keys.
    ///
    /// ```
    /// use bluebutton_harness::api::{Mock, then::status, when::nth};
    ///
    /// let error = Mock::given(nth(0)).respond_with(status(200)).into_stub().unwrap_err();
    /// assert_eq!(error.problems()[0].key, "when.nth");
    /// assert_eq!(
    ///     error.problems()[0].message,
    ///     "expected an integer from 1 to 18446744073709551615, found 0"
    /// );
    /// ```
    pub fn problems(&self) -> &[Problem] {
        &self.problems
    }
}

/// One problem of a [`Mock`]: the scenario-file key it stands for and what is wrong.
///
/// ```
/// use bluebutton_harness::api::{Mock, then::status, when::method};
///
/// let error = Mock::given(method("get")).respond_with(status(200)).into_stub().unwrap_err();
/// let problem = &error.problems()[0];
/// assert_eq!(
///     problem.to_string(),
///     "when.method: expected an HTTP method in upper case such as `GET` or `POST`, found `get`"
/// );
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Problem {
    /// The key as a scenario file writes it (`when.query.type`, `then.sequence[0].status`).
    pub key: String,
    /// What is wrong and what was expected.
    pub message: String,
}

impl fmt::Display for Problem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.key, self.message)
    }
}

fn lines(problems: &[Problem]) -> String {
    problems
        .iter()
        .map(ToString::to_string)
        .collect::<Vec<_>>()
        .join("\n")
}

/// The problems found so far.
#[derive(Default)]
struct Problems(Vec<Problem>);

impl Problems {
    fn push(&mut self, key: impl Into<String>, message: impl Into<String>) {
        self.0.push(Problem {
            key: key.into(),
            message: message.into(),
        });
    }

    /// The value `checked` holds, or its message recorded at `key`.
    fn check<T>(&mut self, key: impl Into<String>, checked: Result<T, String>) -> Option<T> {
        checked.map_err(|message| self.push(key, message)).ok()
    }

    fn into_result<T>(self, value: T) -> Result<T, MockError> {
        if self.0.is_empty() {
            Ok(value)
        } else {
            Err(MockError { problems: self.0 })
        }
    }
}

/// Checks that each `session_state` condition of `stub` names one of `machines` and one of
/// its states (the scenario's `states:`), as a file's stubs are checked; each key starts with
/// `prefix` (empty, or `mocks[2].` for the third mock mounted).
pub(super) fn check_states(
    stub: &Stub,
    machines: &[StateMachine],
    prefix: &str,
) -> Result<(), MockError> {
    let mut problems = Problems::default();
    let wanted = stub.when.session.iter().flat_map(|s| &s.state);
    for (machine, state) in wanted {
        let key = format!("{prefix}when.session.state.{machine}");
        match rules::state_reference(machine, state, machines) {
            Ok(()) => {}
            Err(rules::Unknown::Machine(message) | rules::Unknown::State(message)) => {
                problems.push(key, message);
            }
        }
    }
    problems.into_result(())
}

/// The `when` of the conditions; every condition is checked, problems go to `problems`.
fn when(conditions: &[Condition], problems: &mut Problems) -> StubWhen {
    let mut when = StubWhen::default();
    let mut path = None;
    let mut method_given = false;
    let mut session = SessionMatch {
        nth: None,
        state: Vec::new(),
    };
    for Condition(condition) in conditions {
        match condition {
            When::Any => {}
            When::Method(name) => {
                if std::mem::replace(&mut method_given, true) {
                    problems.push("when.method", "given twice; a stub has one");
                }
                when.method = problems.check("when.method", rules::method(name.clone()));
            }
            When::Path(pattern) => {
                if path.is_some() {
                    problems.push("when.path", "given twice; a stub has one");
                }
                problems.check("when.path", rules::path(pattern.clone()));
                path = Some(pattern.clone());
            }
            When::Query(name, pattern) => {
                let (key, what) = ("when.query", "parameter");
                named_value(&mut when.query, key, what, name, pattern, problems);
            }
            When::Form(name, pattern) => {
                let (key, what) = ("when.form", "field");
                named_value(&mut when.form, key, what, name, pattern, problems);
            }
            When::Header(name, pattern) => {
                let key = format!("when.headers.{name}");
                let name = problems.check(&key, rules::condition_header_name(name));
                if let Some(pattern) = pattern {
                    problems.check(&key, rules::header_pattern(pattern));
                    problems.check(&key, rules::value_pattern(pattern));
                }
                let Some(name) = name else {
                    continue;
                };
                if when.headers.iter().any(|(n, _)| *n == name) {
                    problems.push(key, "given twice (header names ignore case)");
                    continue;
                }
                when.headers.push((name, value_match(pattern)));
            }
            When::SessionNth(n) => {
                if session.nth.is_some() {
                    problems.push("when.session.nth", "given twice; a stub has one");
                }
                session.nth = problems.check("when.session.nth", rules::count(*n));
            }
            When::SessionState(machine, state) => {
                if session.state.iter().any(|(m, _)| m == machine) {
                    let key = format!("when.session.state.{machine}");
                    problems.push(key, "given twice; a session is in one state of a machine");
                    continue;
                }
                session.state.push((machine.clone(), state.clone()));
            }
            When::Nth(n) => {
                if when.nth.is_some() {
                    problems.push("when.nth", "given twice; a stub has one");
                }
                when.nth = problems.check("when.nth", rules::count(*n));
            }
        }
    }
    when.path = path.unwrap_or_else(|| EVERY_PATH.to_owned());
    if session.nth.is_some() || !session.state.is_empty() {
        when.session = Some(session);
    }
    when
}

/// Adds a query or form condition (`what` names one in messages), refusing a name given twice.
fn named_value(
    list: &mut Vec<(String, ValueMatch)>,
    key: &str,
    what: &str,
    name: &str,
    pattern: &Option<String>,
    problems: &mut Problems,
) {
    if problems
        .check(key, rules::pattern_name(name, what))
        .is_none()
    {
        return;
    }
    if let Some(pattern) = pattern {
        problems.check(format!("{key}.{name}"), rules::value_pattern(pattern));
    }
    if list.iter().any(|(n, _)| n == name) {
        problems.push(
            format!("{key}.{name}"),
            "given twice; a name has one pattern",
        );
    } else {
        list.push((name.to_owned(), value_match(pattern)));
    }
}

fn value_match(pattern: &Option<String>) -> ValueMatch {
    match pattern {
        Some(pattern) => ValueMatch::Matches(pattern.clone()),
        None => ValueMatch::Absent,
    }
}

/// The keys of one answer (the whole `then`, or a step) as a file's `then` gives them, each
/// value checked by the parser's rule; `key` is where it stands (`then`, `then.sequence[2]`).
/// A key whose value is invalid is left out (its problem is recorded), except where a file's
/// checks of keys that exclude each other still need it.
fn parts(answer: &Answer, key: &str, problems: &mut Problems) -> Parts {
    let at = |name: &str| format!("{key}.{name}");
    let status = answer.status.and_then(|code| {
        let status = problems.check(at("status"), rules::status(code))?;
        Some(Part::in_code(status, "status", at("status")))
    });
    let headers = (!answer.headers.is_empty()).then(|| {
        let headers = answer.headers.iter().filter_map(|(name, value)| {
            let key = at(&format!("headers.{name}"));
            let name = problems.check(&key, rules::header_name(name));
            let value = problems.check(&key, rules::header_value(value));
            name.zip(value)
        });
        Part::in_code(headers.collect(), "headers", at("headers"))
    });
    let body = answer.body.clone().map(|body| {
        problems.check(at("body"), rules::body_templates(&body));
        Part::in_code(body, "body", at("body"))
    });
    let passthrough = answer.passthrough.clone().map(|passthrough| {
        if let Some(edits) = &passthrough {
            check_edits(edits, &at("passthrough"), problems);
        }
        Part::in_code(passthrough, "passthrough", at("passthrough"))
    });
    if let Some(rate) = answer.rate {
        problems.check(at("fault.rate"), rules::fraction(rate));
        if answer.fault.is_none() {
            let message = "a `rate` is the fraction of requests a `fault` strikes: give the fault";
            problems.push(at("fault.rate"), message);
        }
    }
    let fault = answer.fault.map(|fault| {
        let spec = FaultSpec {
            fault,
            rate: answer.rate,
        };
        Part::in_code(spec, "fault", at("fault"))
    });
    let delay = (answer.latency.is_some() || answer.dribble.is_some()).then(|| {
        check_delay(answer.latency, answer.dribble, &at("delay"), problems);
        let delay = Delay {
            latency: answer.latency,
            dribble: answer.dribble,
        };
        Part::in_code(delay, "delay", at("delay"))
    });
    Parts {
        status,
        headers,
        body,
        passthrough,
        fault,
        delay,
    }
}

/// Checks the JSON Pointers and the templates of passthrough edits; `key` is the
/// passthrough's.
fn check_edits(edits: &Passthrough, key: &str, problems: &mut Problems) {
    for (pointer, value) in &edits.set {
        let key = format!("{key}.set.{pointer}");
        problems.check(&key, rules::json_pointer(pointer.clone()));
        problems.check(&key, rules::json_templates(value));
    }
    for (i, pointer) in edits.remove.iter().enumerate() {
        let key = format!("{key}.remove[{i}]");
        problems.check(&key, rules::json_pointer(pointer.clone()));
        if edits.set.iter().any(|(set, _)| set == pointer) {
            problems.push(key, rules::set_and_removed(pointer));
        }
    }
}

/// Checks a latency and a dribble; `key` is the delay's.
fn check_delay(
    latency: Option<Latency>,
    dribble: Option<Dribble>,
    key: &str,
    problems: &mut Problems,
) {
    let longest = |duration: Duration| rules::within_longest(duration, &format!("{duration:?}"));
    match latency {
        Some(Latency::Fixed(fixed)) => {
            problems.check(format!("{key}.fixed"), longest(fixed));
        }
        Some(Latency::LogNormal { median, sigma }) => {
            let median = rules::median(median).and_then(longest);
            problems.check(format!("{key}.lognormal.median"), median);
            problems.check(format!("{key}.lognormal.sigma"), rules::sigma(sigma));
        }
        None => {}
    }
    if let Some(Dribble { chunks, over }) = dribble {
        problems.check(format!("{key}.dribble.chunks"), rules::chunks(chunks));
        problems.check(format!("{key}.dribble.over"), longest(over));
    }
}
