//! The `when` of a stub or of a state-machine transition: which requests it applies to, by
//! method, path pattern, query parameters, headers, form fields, session and count.

use crate::scenario::model::{SessionMatch, StubWhen, ValueMatch};
use crate::scenario::reader::{Located, Reader, at_key_when_empty, in_range, integer, join, then};
use crate::scenario::template;
use crate::scenario::yaml::ScalarKind;
use http::{HeaderName, HeaderValue, Method};
use marked_yaml::Node;
use std::ops::RangeInclusive;

const WHEN_KEYS: &[&str] = &[
    "method", "path", "query", "headers", "form", "session", "nth",
];
const SESSION_KEYS: &[&str] = &["nth", "state"];

/// The counts `nth` and `session.nth` take: from 1.
const COUNTS: RangeInclusive<u64> = 1..=u64::MAX;

/// Keys a transition's `when` may not have, and why.
const NOT_IN_TRANSITIONS: &[(&str, &str)] = &[
    (
        "session",
        "`session` is not allowed in a transition's `when`: a transition always applies to \
         the session of the request",
    ),
    (
        "nth",
        "`nth` is not allowed in a transition's `when`: every matching request of a session \
         in `from` moves it",
    ),
];

/// Where a `when` is written, which decides the keys it may have.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum WhenPlace {
    /// A stub's `when`: every key.
    Stub,
    /// A transition's `when`: no `session`, no `nth`.
    Transition,
}

/// Reads a `when` mapping written at `place`.
pub fn when(r: &mut Reader, node: &Node, key: &str, place: WhenPlace) -> Option<StubWhen> {
    let map = match place {
        WhenPlace::Stub => r.mapping(node, key, WHEN_KEYS)?,
        WhenPlace::Transition => {
            let map = r.any_mapping(node, key)?;
            let allowed: Vec<&str> = WHEN_KEYS
                .iter()
                .copied()
                .filter(|name| {
                    NOT_IN_TRANSITIONS
                        .iter()
                        .all(|(refused, _)| refused != name)
                })
                .collect();
            for name in map.keys() {
                let text = name.as_str();
                let message = match NOT_IN_TRANSITIONS
                    .iter()
                    .find(|(refused, _)| *refused == text)
                {
                    Some((_, why)) => (*why).to_owned(),
                    None if allowed.contains(&text) => continue,
                    None => format!(
                        "unknown key `{text}`; expected one of: {}",
                        allowed.join(", ")
                    ),
                };
                r.error(name.span(), &join(key, text), message);
            }
            map
        }
    };
    let method = r.optional(map, key, "method", then(Reader::string, method));
    let path = r.required(map, key, "path", then(Reader::string, path));
    let query = r.optional(map, key, "query", |r, node, key| {
        patterns(r, node, key, "parameter")
    });
    let headers = r.optional(map, key, "headers", headers);
    let form = r.optional(map, key, "form", |r, node, key| {
        patterns(r, node, key, "field")
    });
    let (session, nth) = match place {
        WhenPlace::Stub => (
            r.optional(map, key, "session", session).map(Some).or(None),
            r.optional(map, key, "nth", integer(COUNTS))
                .map(Some)
                .or(None),
        ),
        WhenPlace::Transition => (Some(None), Some(None)),
    };
    Some(StubWhen {
        method: method.map(Some).or(None)?,
        path: path?.value,
        query: query.or(Vec::new())?,
        headers: headers.or(Vec::new())?,
        form: form.or(Vec::new())?,
        session: session?,
        nth: nth?,
    })
}

/// An upper-case method token (`GET`, `POST`, ...): methods are case-sensitive.
pub(crate) fn method(name: String) -> Result<Method, String> {
    let method = Method::from_bytes(name.as_bytes()).ok();
    match method.filter(|_| !name.bytes().any(|b| b.is_ascii_lowercase())) {
        Some(method) => Ok(method),
        None => Err(format!(
            "expected an HTTP method in upper case such as `GET` or `POST`, found `{name}`"
        )),
    }
}

/// A path as a client sends it, from `/`, without query, fragment or whitespace; `*` in a
/// segment matches within it, a `**` segment matches any number of segments.
pub(crate) fn path(path: String) -> Result<String, String> {
    if !path.starts_with('/') {
        Err(format!(
            "expected a path starting with `/` such as `/v2/fhir/Patient/`, found `{path}`"
        ))
    } else if path.contains(['?', '#']) {
        Err(format!(
            "expected a path without a query string or fragment, found `{path}`"
        ))
    } else if path.chars().any(|c| c.is_whitespace() || c.is_control()) {
        Err(format!(
            "expected a path without whitespace, found `{path}`"
        ))
    } else if let Some(segment) = path
        .split('/')
        .find(|segment| segment.contains("**") && *segment != "**")
    {
        Err(format!(
            "`**` matches whole segments: write it alone between slashes such as \
             `/v2/fhir/**`, found the segment `{segment}`"
        ))
    } else {
        Ok(path)
    }
}

/// `name: pattern` pairs (`null`: absent) of query parameters or form fields; `what` names
/// a key in messages.
fn patterns(
    r: &mut Reader,
    node: &Node,
    key: &str,
    what: &str,
) -> Option<Vec<(String, ValueMatch)>> {
    let map = r.any_mapping(node, key)?;
    let mut pairs = Some(Vec::with_capacity(map.len()));
    for (name_node, value) in map.iter() {
        let name = name_node.as_str();
        let path = join(key, name);
        let valid_name = pattern_name(name, what)
            .map_err(|message| r.error(name_node.span(), key, message))
            .is_ok();
        let value = at_key_when_empty(name_node.span(), value);
        let value = pattern(r, &value, &path, |_| Ok(()));
        match (valid_name, value, pairs.as_mut()) {
            (true, Some(value), Some(pairs)) => pairs.push((name.to_owned(), value)),
            _ => pairs = None,
        }
    }
    pairs
}

/// The name of a query parameter or form field (`what`): not empty.
pub(crate) fn pattern_name(name: &str, what: &str) -> Result<(), String> {
    if name.is_empty() {
        Err(format!("expected a {what} name, found an empty one"))
    } else {
        Ok(())
    }
}

/// A count from 1 (`nth`, `session.nth`).
pub(crate) fn count(n: u64) -> Result<u64, String> {
    in_range(&COUNTS, n)
}

/// A value pattern: a scalar as written (`*` matches any run of characters), or `null` for
/// "absent".
fn pattern(
    r: &mut Reader,
    node: &Node,
    key: &str,
    check_value: impl Fn(&str) -> Result<(), String>,
) -> Option<ValueMatch> {
    let Some(scalar) = node.as_scalar() else {
        let message = "expected a value pattern (a string, `*` for any value) or null (absent)";
        r.error(node.span(), key, message);
        return None;
    };
    if ScalarKind::of(scalar) == ScalarKind::Null {
        return Some(ValueMatch::Absent);
    }
    let text = scalar.as_str();
    match value_pattern(text).and_then(|()| check_value(text)) {
        Ok(()) => Some(ValueMatch::Matches(text.to_owned())),
        Err(message) => {
            r.error(node.span(), key, message);
            None
        }
    }
}

/// Header names (valid, unique ignoring case) with value patterns.
fn headers(r: &mut Reader, node: &Node, key: &str) -> Option<Vec<(HeaderName, ValueMatch)>> {
    header_map(r, node, key, header_name, |r, value, path| {
        pattern(r, value, path, header_value)
    })
}

/// A mapping of header names (checked by `name`, unique ignoring case) to values read by
/// `value`; `None` when one of them is invalid (each error reported).
pub(crate) fn header_map<T>(
    r: &mut Reader,
    node: &Node,
    key: &str,
    name: fn(&str) -> Result<HeaderName, String>,
    value: impl Fn(&mut Reader, &Node, &str) -> Option<T>,
) -> Option<Vec<(HeaderName, T)>> {
    let map = r.any_mapping(node, key)?;
    let mut names = Vec::with_capacity(map.len());
    let mut pairs = Some(Vec::with_capacity(map.len()));
    for (name_node, value_node) in map.iter() {
        let text = name_node.as_str();
        let path = join(key, text);
        let header = name(text)
            .map_err(|message| r.error(name_node.span(), &path, message))
            .ok();
        let value_node = at_key_when_empty(name_node.span(), value_node);
        let read = value(r, &value_node, &path);
        if let Some(header) = &header {
            names.push(Located {
                value: header.clone(),
                key: path,
                span: *name_node.span(),
            });
        }
        match (header, read, pairs.as_mut()) {
            (Some(header), Some(read), Some(pairs)) => pairs.push((header, read)),
            _ => pairs = None,
        }
    }
    r.unique(&names, "header name, ignoring case");
    pairs
}

/// The name of a request header a stub matches.
pub(crate) fn header_name(text: &str) -> Result<HeaderName, String> {
    HeaderName::from_bytes(text.as_bytes()).map_err(|_| {
        format!("invalid header name `{text}`: expected letters, digits and `-` such as `Accept`")
    })
}

/// A value pattern's templates are valid (`{{request.qurey.x}}` is refused).
pub(crate) fn value_pattern(text: &str) -> Result<(), String> {
    template::validate(text)
}

/// A header value pattern is valid header text, or it could never match.
pub(crate) fn header_value(text: &str) -> Result<(), String> {
    HeaderValue::from_str(text).map(drop).map_err(|_| {
        format!(
            "invalid header value `{}`: control characters are not allowed",
            text.escape_debug()
        )
    })
}

/// The session conditions: `nth` (the nth session opened) and `state` (machine → state).
fn session(r: &mut Reader, node: &Node, key: &str) -> Option<SessionMatch> {
    let map = r.mapping(node, key, SESSION_KEYS)?;
    let nth = r.optional(map, key, "nth", integer(COUNTS));
    let state = r.optional(map, key, "state", states);
    Some(SessionMatch {
        nth: nth.map(Some).or(None)?,
        state: state.or(Vec::new())?,
    })
}

/// `machine: state` pairs.
fn states(r: &mut Reader, node: &Node, key: &str) -> Option<Vec<(String, String)>> {
    let map = r.any_mapping(node, key)?;
    let mut pairs = Some(Vec::with_capacity(map.len()));
    for (machine, state) in map.iter() {
        let path = join(key, machine.as_str());
        let state = at_key_when_empty(machine.span(), state);
        let state = r.string(&state, &path);
        match (state, pairs.as_mut()) {
            (Some(state), Some(pairs)) => pairs.push((machine.as_str().to_owned(), state)),
            _ => pairs = None,
        }
    }
    pairs
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::scenario::{Source, parse, yaml};

    /// The `stubs[0].when` of a file with `when` as its flow mapping, or its errors as
    /// `line:column: key: message`.
    fn stub_when(when: &str) -> Result<StubWhen, Vec<String>> {
        // The machine `outage` is declared after the stub, so error lines stay put.
        let text = format!(
            "version: 1\nname: t\nstubs:\n  - when: {when}\n    then: {{}}\nstates:\n  outage:\n    \
             states: [healthy, failing]\n    transitions:\n      - {{from: healthy, to: failing, \
             when: {{path: /x}}}}\n"
        );
        parse(&text, Source::Builtin("test"))
            .map(|mut scenario| scenario.stubs.remove(0).when)
            .map_err(|errors| messages(&errors))
    }

    fn messages(errors: &[crate::scenario::ScenarioError]) -> Vec<String> {
        let prefix = format!("{}:", Source::Builtin("test"));
        errors
            .iter()
            .map(|e| e.to_string().replacen(&prefix, "", 1))
            .collect()
    }

    /// A transition's `when` written as `text` at the top of a document.
    fn transition_when(text: &str) -> Result<StubWhen, Vec<String>> {
        let origin = Source::Builtin("test").to_string();
        let node = yaml::load(text, &origin).map_err(|e| vec![e.to_string()])?;
        let mut r = Reader::new(origin);
        let read = when(&mut r, &node, "when", WhenPlace::Transition);
        r.finish(read).map_err(|errors| messages(&errors))
    }

    fn matches(text: &str) -> ValueMatch {
        ValueMatch::Matches(text.to_owned())
    }

    #[test]
    fn every_condition_is_read() {
        let when = stub_when(
            "{method: GET, path: /v2/fhir/ExplanationOfBenefit/**, \
             query: {type: carrier, _count: '*', startIndex: null, page: 2, flag: true}, \
             headers: {Accept: 'application/fhir+json*', X-Gone: ~}, \
             form: {grant_type: refresh_token, scope: }, \
             session: {nth: 2, state: {outage: failing}}, nth: 3}",
        )
        .unwrap();
        assert_eq!(
            when,
            StubWhen {
                method: Some(Method::GET),
                path: "/v2/fhir/ExplanationOfBenefit/**".into(),
                query: vec![
                    ("type".into(), matches("carrier")),
                    ("_count".into(), matches("*")),
                    ("startIndex".into(), ValueMatch::Absent),
                    ("page".into(), matches("2")),
                    ("flag".into(), matches("true")),
                ],
                headers: vec![
                    (http::header::ACCEPT, matches("application/fhir+json*")),
                    (HeaderName::from_static("x-gone"), ValueMatch::Absent),
                ],
                form: vec![
                    ("grant_type".into(), matches("refresh_token")),
                    ("scope".into(), ValueMatch::Absent),
                ],
                session: Some(SessionMatch {
                    nth: Some(2),
                    state: vec![("outage".into(), "failing".into())],
                }),
                nth: Some(3),
            }
        );
        // `session: {}` asks for any session; only `path` is required.
        let any = stub_when("{path: /, session: {}}").unwrap();
        assert_eq!(
            any.session,
            Some(SessionMatch {
                nth: None,
                state: Vec::new()
            })
        );
        assert_eq!(any.method, None);
        assert_eq!(any.nth, None);
    }

    #[test]
    fn every_bad_condition_is_reported_at_its_position() {
        assert_eq!(
            stub_when(
                "{path: /a**/b, query: {type: [a]}, headers: {'Bad Name': x, accept: a, \
                 Accept: b, X-A: \"a\\nb\"}, form: [grant_type], session: {nth: 0, state: \
                 {outage: 1}, when: x}, nth: -1}"
            )
            .unwrap_err(),
            [
                "4:18: stubs[0].when.path: `**` matches whole segments: write it alone \
                 between slashes such as `/v2/fhir/**`, found the segment `a**`",
                "4:40: stubs[0].when.query.type: expected a value pattern (a string, `*` for \
                 any value) or null (absent)",
                "4:56: stubs[0].when.headers.Bad Name: invalid header name `Bad Name`: \
                 expected letters, digits and `-` such as `Accept`",
                "4:82: stubs[0].when.headers.Accept: duplicate header name, ignoring case \
                 (first given on line 4)",
                "4:98: stubs[0].when.headers.X-A: invalid header value `a\\nb`: control \
                 characters are not allowed",
                "4:113: stubs[0].when.form: expected a mapping, found a list",
                "4:142: stubs[0].when.session.nth: expected an integer from 1 to \
                 18446744073709551615, found 0",
                "4:161: stubs[0].when.session.state.outage: expected a string, found an \
                 integer (quote it to make it a string)",
                "4:165: stubs[0].when.session.when: unknown key `when`; expected one of: \
                 nth, state",
                "4:180: stubs[0].when.nth: expected an integer from 1 to \
                 18446744073709551615, found -1",
            ]
        );
        assert_eq!(
            stub_when("{path: /a/***}").unwrap_err(),
            [
                "4:18: stubs[0].when.path: `**` matches whole segments: write it alone between \
              slashes such as `/v2/fhir/**`, found the segment `***`"
            ]
        );
        assert_eq!(
            stub_when("{path: /, query: {'': x}}").unwrap_err(),
            ["4:29: stubs[0].when.query: expected a parameter name, found an empty one"]
        );
    }

    #[test]
    fn a_transition_refuses_session_and_nth() {
        let read = transition_when(
            "method: POST\npath: /v2/o/token/\nform: {grant_type: refresh_token}\n",
        )
        .unwrap();
        assert_eq!(read.method, Some(Method::POST));
        assert_eq!(read.form, [("grant_type".into(), matches("refresh_token"))]);
        assert_eq!(
            transition_when("path: /**\nsession: {nth: 1}\nnth: 2\nstate: x\n").unwrap_err(),
            [
                "2:1: when.session: `session` is not allowed in a transition's `when`: a \
                 transition always applies to the session of the request",
                "3:1: when.nth: `nth` is not allowed in a transition's `when`: every matching \
                 request of a session in `from` moves it",
                "4:1: when.state: unknown key `state`; expected one of: method, path, query, \
                 headers, form",
            ]
        );
    }
}
