//! The `stubs` list of a scenario file: canned answers matched by method, path and the nth
//! request, given before the built-in API (DESIGN "Scenario files").

use crate::scenario::model::{Passthrough, Source, Stub, StubThen, StubWhen};
use crate::scenario::reader::{
    Field, Located, Reader, at_key_when_empty, integer, join, then, values,
};
use crate::scenario::yaml::{ScalarKind, parse_int};
use crate::scenario::{faults, folder};
use bytes::Bytes;
use http::{HeaderName, HeaderValue, Method, StatusCode};
use marked_yaml::Node;
use serde_json::{Map, Number, Value};

const STUB_KEYS: &[&str] = &["when", "then"];
const WHEN_KEYS: &[&str] = &["method", "path", "nth"];
const THEN_KEYS: &[&str] = &[
    "status",
    "headers",
    "body",
    "body_file",
    "passthrough",
    "fault",
    "delay",
];

/// Headers the server computes itself; a stub setting them would send a broken message.
const SERVER_HEADERS: [&str; 3] = ["content-length", "transfer-encoding", "content-encoding"];

/// The stubs of the file, in order; `source` resolves `body_file` against the file's folder.
pub fn stubs(r: &mut Reader, node: &Node, key: &str, source: &Source) -> Option<Vec<Stub>> {
    values(r.list(node, key, |r, node, key| stub(r, node, key, source))?)
}

fn stub(r: &mut Reader, node: &Node, key: &str, source: &Source) -> Option<Stub> {
    let map = r.mapping(node, key, STUB_KEYS)?;
    let when = r.required(map, key, "when", when);
    let then = r.required(map, key, "then", |r, node, key| {
        answer(r, node, key, source)
    });
    Some(Stub {
        when: when?.value,
        then: then?.value,
    })
}

fn when(r: &mut Reader, node: &Node, key: &str) -> Option<StubWhen> {
    let map = r.mapping(node, key, WHEN_KEYS)?;
    let method = r.optional(map, key, "method", then(Reader::string, method));
    let path = r.required(map, key, "path", then(Reader::string, path));
    let nth = r.optional(map, key, "nth", integer(1..=u64::MAX));
    Some(StubWhen {
        method: method.map(Some).or(None)?,
        path: path?.value,
        query: Vec::new(),
        headers: Vec::new(),
        form: Vec::new(),
        session: None,
        nth: nth.map(Some).or(None)?,
    })
}

fn answer(r: &mut Reader, node: &Node, key: &str, source: &Source) -> Option<StubThen> {
    let map = r.mapping(node, key, THEN_KEYS)?;
    let status = r.optional(map, key, "status", then(integer(100..=599), status));
    let headers = r.optional(map, key, "headers", headers);
    let inline = r.optional(map, key, "body", body);
    let file = r.optional(map, key, "body_file", |r, node, key| {
        body_file(r, node, key, source)
    });
    let body = match (inline, file) {
        (Field::Given(_), Field::Given(file)) => {
            let message = "`body` and `body_file` are exclusive: give the body once";
            r.error(&file.span, &file.key, message);
            return None;
        }
        (Field::Given(inline), _) => Field::Given(inline),
        (_, file) => file,
    };
    let passthrough = r.optional(map, key, "passthrough", Reader::boolean);
    if let (Field::Given(body), Field::Given(Located { value: true, .. })) = (&body, &passthrough) {
        let message = "`body` and `passthrough: true` are exclusive: a passthrough answer keeps \
                       the built-in body";
        r.error(&body.span, &body.key, message);
        return None;
    }
    let fault = r.optional(map, key, "fault", faults::fault);
    let delay = r.optional(map, key, "delay", faults::delay);
    if let Field::Given(fault) = &fault
        && fault.value.rate.is_none()
    {
        let clashes = matches!(body, Field::Given(_))
            || matches!(passthrough, Field::Given(Located { value: true, .. }));
        if clashes {
            let message = "`fault` without a `rate` replaces the answer: it excludes `body`, \
                           `body_file` and `passthrough: true` (with a `rate`, they answer the \
                           requests the fault spares)";
            r.error(&fault.span, &fault.key, message);
            return None;
        }
    }
    Some(StubThen {
        status: status.map(Some).or(None)?,
        headers: headers.or(Vec::new())?,
        body: body.map(Some).or(None)?,
        passthrough: passthrough.or(false)?.then(Passthrough::default),
        fault: fault.map(Some).or(None)?,
        delay: delay.map(Some).or(None)?,
        sequence: Vec::new(),
    })
}

/// The bytes of `body_file`, a file inside the scenario file's folder, read once at load.
fn body_file(r: &mut Reader, node: &Node, key: &str, source: &Source) -> Option<Bytes> {
    let path = folder::path_inside(r, node, key, source, "body")?;
    match folder::read_inside(source, &path) {
        Ok(bytes) => Some(Bytes::from(bytes)),
        Err(message) => {
            r.error(node.span(), key, message);
            None
        }
    }
}

/// An upper-case method token (`GET`, `POST`, ...): methods are case-sensitive.
fn method(name: String) -> Result<Method, String> {
    let method = Method::from_bytes(name.as_bytes()).ok();
    match method.filter(|_| !name.bytes().any(|b| b.is_ascii_lowercase())) {
        Some(method) => Ok(method),
        None => Err(format!(
            "expected an HTTP method in upper case such as `GET` or `POST`, found `{name}`"
        )),
    }
}

/// A path as a client sends it: from `/`, without query, fragment or whitespace.
fn path(path: String) -> Result<String, String> {
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
    } else {
        Ok(path)
    }
}

fn status(code: u16) -> Result<StatusCode, String> {
    StatusCode::from_u16(code).map_err(|_| format!("expected an HTTP status, found {code}"))
}

/// `Name: value` pairs, names valid and unique (ignoring case), values valid header text.
fn headers(r: &mut Reader, node: &Node, key: &str) -> Option<Vec<(HeaderName, HeaderValue)>> {
    let map = r.any_mapping(node, key)?;
    let mut names = Vec::with_capacity(map.len());
    let mut pairs = Some(Vec::with_capacity(map.len()));
    for (name_node, value) in map.iter() {
        let text = name_node.as_str();
        let path = join(key, text);
        let name = match HeaderName::from_bytes(text.as_bytes()) {
            Ok(name) if SERVER_HEADERS.contains(&name.as_str()) => {
                let message = format!("`{text}` is set by the server; a stub cannot set it");
                r.error(name_node.span(), &path, message);
                None
            }
            Ok(name) => Some(name),
            Err(_) => {
                let message = format!(
                    "invalid header name `{text}`: expected letters, digits and `-` such as \
                     `Retry-After`"
                );
                r.error(name_node.span(), &path, message);
                None
            }
        };
        let value = at_key_when_empty(name_node.span(), value);
        let value = then(Reader::string, |text: String| {
            HeaderValue::from_str(&text).map_err(|_| {
                format!(
                    "invalid header value `{}`: control characters are not allowed",
                    text.escape_debug()
                )
            })
        })(r, &value, &path);
        if let Some(name) = &name {
            names.push(Located {
                value: name.clone(),
                key: path,
                span: *name_node.span(),
            });
        }
        match (name, value, pairs.as_mut()) {
            (Some(name), Some(value), Some(pairs)) => pairs.push((name, value)),
            _ => pairs = None,
        }
    }
    r.unique(&names, "header name, ignoring case");
    pairs
}

/// A string as written; a mapping or a list as compact JSON.
fn body(r: &mut Reader, node: &Node, key: &str) -> Option<Bytes> {
    match node {
        Node::Scalar(scalar) => {
            let kind = ScalarKind::of(scalar);
            if kind == ScalarKind::Str {
                return Some(Bytes::from(scalar.as_str().to_owned()));
            }
            let hint = match kind {
                ScalarKind::Null => "",
                _ => " (quote it to make it a string)",
            };
            let message = format!(
                "expected a string, a mapping or a list, found {}{hint}",
                kind.describe()
            );
            r.error(node.span(), key, message);
            None
        }
        Node::Mapping(_) | Node::Sequence(_) => {
            json(r, node, key).map(|value| Bytes::from(value.to_string()))
        }
    }
}

/// The JSON value of a YAML node, scalars typed as YAML 1.2 reads them.
fn json(r: &mut Reader, node: &Node, key: &str) -> Option<Value> {
    match node {
        Node::Scalar(scalar) => {
            let text = scalar.as_str();
            let value = match ScalarKind::of(scalar) {
                ScalarKind::Null => Some(Value::Null),
                ScalarKind::Bool => Some(Value::Bool(text == "true")),
                ScalarKind::Str => Some(Value::String(text.to_owned())),
                ScalarKind::Int => parse_int(text).and_then(|n| {
                    i64::try_from(n)
                        .map(Number::from)
                        .or_else(|_| u64::try_from(n).map(Number::from))
                        .ok()
                        .map(Value::Number)
                }),
                ScalarKind::Float => text
                    .parse::<f64>()
                    .ok()
                    .and_then(Number::from_f64)
                    .map(Value::Number),
            };
            if value.is_none() {
                let message = format!(
                    "`{text}` has no JSON form (JSON numbers are finite, integers within 64 \
                     bits); quote it to make it a string"
                );
                r.error(node.span(), key, message);
            }
            value
        }
        Node::Mapping(map) => {
            let mut object = Some(Map::with_capacity(map.len()));
            for (name, value) in map.iter() {
                let path = join(key, name.as_str());
                let value = json(r, value, &path);
                match (value, object.as_mut()) {
                    (Some(value), Some(object)) => {
                        object.insert(name.as_str().to_owned(), value);
                    }
                    _ => object = None,
                }
            }
            object.map(Value::Object)
        }
        Node::Sequence(list) => {
            let items: Vec<Option<Value>> = list
                .iter()
                .enumerate()
                .map(|(i, item)| json(r, item, &format!("{key}[{i}]")))
                .collect();
            items
                .into_iter()
                .collect::<Option<Vec<_>>>()
                .map(Value::Array)
        }
    }
}
