//! [`Mock`]: conditions and an answer, checked as a scenario file's stub is and turned into a
//! [`Stub`].

use super::Harness;
use super::then::Answer;
use super::when::{Condition, When};
use crate::scenario::{
    Delay, FaultSpec, Latency, Passthrough, SessionMatch, StateMachine, Stub, StubThen, StubWhen,
    ValueMatch,
};
use http::{HeaderName, HeaderValue, Method, StatusCode};
use std::fmt;

/// Headers the server computes itself; a stub setting them would send a broken message.
const SERVER_HEADERS: [&str; 3] = ["content-length", "transfer-encoding", "content-encoding"];

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
        let mut then = answer(&self.then, "then", &mut problems);
        if let Some(steps) = &self.then.sequence {
            if steps.is_empty() {
                problems.push("then.sequence", "expected at least one step");
            }
            for (i, step) in steps.iter().enumerate() {
                let key = format!("then.sequence[{i}]");
                if step.sequence.is_some() {
                    let message = "a step cannot have a sequence of its own";
                    problems.push(format!("{key}.sequence"), message);
                }
                let merged = step.merged_over(&self.then);
                then.sequence.push(answer(&merged, &key, &mut problems));
            }
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
    /// Each problem, in the order of the mock's conditions and answer keys.
    ///
    /// ```
    /// use bluebutton_harness::api::{Mock, then::status, when::nth};
    ///
    /// let error = Mock::given(nth(0)).respond_with(status(200)).into_stub().unwrap_err();
    /// assert_eq!(error.problems()[0].key, "when.nth");
    /// assert_eq!(error.problems()[0].message, "expected a count from 1, found 0");
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

    fn into_result<T>(self, value: T) -> Result<T, MockError> {
        if self.0.is_empty() {
            Ok(value)
        } else {
            Err(MockError { problems: self.0 })
        }
    }
}

/// Checks that each `session_state` condition of `stub` names one of `machines` and one of
/// its states (the scenario's `states:`).
pub(super) fn check_states(stub: &Stub, machines: &[StateMachine]) -> Result<(), MockError> {
    let mut problems = Problems::default();
    let wanted = stub.when.session.iter().flat_map(|s| &s.state);
    for (machine, state) in wanted {
        let key = format!("when.session.state.{machine}");
        match machines.iter().find(|m| m.name == *machine) {
            None => {
                let declared: Vec<&str> = machines.iter().map(|m| m.name.as_str()).collect();
                let message = if declared.is_empty() {
                    format!("no state machine `{machine}`: the scenario declares none (`states:`)")
                } else {
                    format!(
                        "no state machine `{machine}`; the scenario declares {}",
                        declared.join(", ")
                    )
                };
                problems.push(key, message);
            }
            Some(m) if !m.states.contains(state) => {
                let message = format!(
                    "state machine `{machine}` has no state `{state}`; its states: {}",
                    m.states.join(", ")
                );
                problems.push(key, message);
            }
            Some(_) => {}
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
                match parse_method(name) {
                    Ok(method) => when.method = Some(method),
                    Err(message) => problems.push("when.method", message),
                }
            }
            When::Path(pattern) => {
                if path.is_some() {
                    problems.push("when.path", "given twice; a stub has one");
                }
                if let Err(message) = check_path(pattern) {
                    problems.push("when.path", message);
                }
                path = Some(pattern.clone());
            }
            When::Query(name, pattern) => {
                named_value(&mut when.query, "when.query", name, pattern, problems);
            }
            When::Form(name, pattern) => {
                named_value(&mut when.form, "when.form", name, pattern, problems);
            }
            When::Header(name, pattern) => {
                let key = format!("when.headers.{name}");
                let Some(name) = header_name(name, &key, problems) else {
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
                session.nth = count(*n, "when.session.nth", problems);
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
                when.nth = count(*n, "when.nth", problems);
            }
        }
    }
    when.path = path.unwrap_or_else(|| EVERY_PATH.to_owned());
    if session.nth.is_some() || !session.state.is_empty() {
        when.session = Some(session);
    }
    when
}

/// Adds a query or form condition, refusing a name given twice.
fn named_value(
    list: &mut Vec<(String, ValueMatch)>,
    key: &str,
    name: &str,
    pattern: &Option<String>,
    problems: &mut Problems,
) {
    let key = format!("{key}.{name}");
    if name.is_empty() {
        problems.push(key, "expected a name");
    } else if list.iter().any(|(n, _)| n == name) {
        problems.push(key, "given twice; a name has one pattern");
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

/// A count from 1 (`nth`).
fn count(n: u64, key: &str, problems: &mut Problems) -> Option<u64> {
    if n == 0 {
        problems.push(key, "expected a count from 1, found 0");
        return None;
    }
    Some(n)
}

/// An upper-case method token (`GET`, `POST`, ...): methods are case-sensitive.
fn parse_method(name: &str) -> Result<Method, String> {
    let method = Method::from_bytes(name.as_bytes()).ok();
    match method.filter(|_| !name.bytes().any(|b| b.is_ascii_lowercase())) {
        Some(method) => Ok(method),
        None => Err(format!(
            "expected an HTTP method in upper case such as `GET` or `POST`, found `{name}`"
        )),
    }
}

/// A path as a client sends it: from `/`, without query, fragment or whitespace.
fn check_path(path: &str) -> Result<(), String> {
    if !path.starts_with('/') {
        Err(format!(
            "expected a path starting with `/` such as `/v2/fhir/Patient/`, found `{path}`"
        ))
    } else if path.contains(['?', '#']) {
        Err(format!(
            "expected a path without a query string or fragment (use `query`), found `{path}`"
        ))
    } else if path.chars().any(|c| c.is_whitespace() || c.is_control()) {
        Err(format!(
            "expected a path without whitespace, found `{path}`"
        ))
    } else {
        Ok(())
    }
}

fn header_name(name: &str, key: &str, problems: &mut Problems) -> Option<HeaderName> {
    match HeaderName::from_bytes(name.as_bytes()) {
        Ok(name) => Some(name),
        Err(_) => {
            let message = format!(
                "invalid header name `{name}`: expected letters, digits and `-` such as \
                 `Retry-After`"
            );
            problems.push(key, message);
            None
        }
    }
}

/// One answer (the whole `then`, or a merged step) as a [`StubThen`] without sequence; `key`
/// is where it stands (`then`, `then.sequence[2]`).
fn answer(answer: &Answer, key: &str, problems: &mut Problems) -> StubThen {
    let status = answer.status.and_then(|code| {
        let status = StatusCode::from_u16(code)
            .ok()
            .filter(|s| (100..=599).contains(&s.as_u16()));
        if status.is_none() {
            let message = format!("expected an HTTP status from 100 to 599, found {code}");
            problems.push(format!("{key}.status"), message);
        }
        status
    });
    let headers = answer
        .headers
        .iter()
        .filter_map(|(name, value)| answer_header(name, value, key, problems))
        .collect();
    if let Some(passthrough) = &answer.passthrough {
        check_edits(passthrough, key, problems);
    }
    if answer.body.is_some() && answer.passthrough.is_some() {
        let message = "`body` and `passthrough` are exclusive: a passthrough answer keeps the \
                       built-in body (edit it with `set` and `remove`)";
        problems.push(format!("{key}.body"), message);
    }
    let fault = match (answer.fault, answer.rate) {
        (Some(fault), rate) => Some(FaultSpec { fault, rate }),
        (None, Some(_)) => {
            let message = "a `rate` is the fraction of requests a `fault` strikes: give the fault";
            problems.push(format!("{key}.fault.rate"), message);
            None
        }
        (None, None) => None,
    };
    if let Some(rate) = answer.rate.filter(|r| !(*r > 0.0 && *r <= 1.0)) {
        let message = format!("expected a fraction above 0 and at most 1, found {rate}");
        problems.push(format!("{key}.fault.rate"), message);
    }
    let strikes_all = answer.fault.is_some() && answer.rate.is_none();
    if strikes_all && (answer.body.is_some() || answer.passthrough.is_some()) {
        let message = "a `fault` without a `rate` strikes every request: it excludes `body` and \
                       `passthrough` (give a `rate` to answer the others)";
        problems.push(format!("{key}.fault"), message);
    }
    StubThen {
        status,
        headers,
        body: answer.body.clone(),
        passthrough: answer.passthrough.clone(),
        fault,
        delay: delay(answer, key, problems),
        sequence: Vec::new(),
    }
}

/// A header of an answer: a valid name the server does not compute, and a valid value.
fn answer_header(
    name: &str,
    value: &str,
    key: &str,
    problems: &mut Problems,
) -> Option<(HeaderName, HeaderValue)> {
    let key = format!("{key}.headers.{name}");
    let name = header_name(name, &key, problems)?;
    if SERVER_HEADERS.contains(&name.as_str()) {
        problems.push(
            key,
            format!("`{name}` is set by the server; a stub cannot set it"),
        );
        return None;
    }
    match HeaderValue::from_str(value) {
        Ok(value) => Some((name, value)),
        Err(_) => {
            let message = format!(
                "invalid header value `{}`: control characters are not allowed",
                value.escape_debug()
            );
            problems.push(key, message);
            None
        }
    }
}

/// Checks the JSON Pointers of passthrough edits.
fn check_edits(edits: &Passthrough, key: &str, problems: &mut Problems) {
    for (pointer, _) in &edits.set {
        if let Err(message) = check_pointer(pointer) {
            problems.push(format!("{key}.passthrough.set.{pointer}"), message);
        }
    }
    for (i, pointer) in edits.remove.iter().enumerate() {
        if let Err(message) = check_pointer(pointer) {
            problems.push(format!("{key}.passthrough.remove[{i}]"), message);
        }
    }
}

/// An RFC 6901 pointer to something inside the body: `/` then reference tokens in which `~`
/// is only `~0` or `~1`.
fn check_pointer(pointer: &str) -> Result<(), String> {
    if !pointer.starts_with('/') {
        return Err(format!(
            "expected a JSON Pointer (RFC 6901) such as `/entry/0/resource/id`, found `{pointer}`"
        ));
    }
    let mut chars = pointer.chars();
    while let Some(c) = chars.next() {
        if c == '~' && !matches!(chars.next(), Some('0' | '1')) {
            return Err(format!(
                "`{pointer}`: in a JSON Pointer `~` is written `~0` and `/` inside a name `~1`"
            ));
        }
    }
    Ok(())
}

/// The answer's latency and dribble, checked.
fn delay(answer: &Answer, key: &str, problems: &mut Problems) -> Option<Delay> {
    if let Some(Latency::LogNormal { sigma, .. }) = answer.latency
        && !(sigma.is_finite() && sigma > 0.0)
    {
        let message = format!("expected a shape above 0, found {sigma}");
        problems.push(format!("{key}.delay.lognormal.sigma"), message);
    }
    if answer.dribble.is_some_and(|d| d.chunks == 0) {
        problems.push(
            format!("{key}.delay.dribble.chunks"),
            "expected at least 1 chunk, found 0",
        );
    }
    (answer.latency.is_some() || answer.dribble.is_some()).then_some(Delay {
        latency: answer.latency,
        dribble: answer.dribble,
    })
}
