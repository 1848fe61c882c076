//! The `stubs` list of a scenario file: canned answers given before the built-in API to the
//! requests their `when` matches (read in `stub_when`) (DESIGN "Scenario files").

use crate::scenario::model::{Delay, FaultSpec, Passthrough, Source, Stub, StubThen};
use crate::scenario::reader::{
    Field, Located, Reader, at_key_when_empty, integer, join, then, values,
};
use crate::scenario::stub_when::{WhenPlace, header_map, when};
use crate::scenario::template;
use crate::scenario::yaml::{ScalarKind, describe, parse_int};
use crate::scenario::{faults, folder};
use bytes::Bytes;
use http::{HeaderName, HeaderValue, StatusCode};
use marked_yaml::types::MarkedMappingNode;
use marked_yaml::{Node, Span};
use serde_json::{Map, Number, Value};

const STUB_KEYS: &[&str] = &["when", "then"];
const THEN_KEYS: &[&str] = &[
    "status",
    "headers",
    "body",
    "body_file",
    "passthrough",
    "fault",
    "delay",
    "sequence",
];
const PASSTHROUGH_KEYS: &[&str] = &["set", "remove"];

/// Headers the server computes itself; a stub setting them would send a broken message.
const SERVER_HEADERS: [&str; 3] = ["content-length", "transfer-encoding", "content-encoding"];

/// The statuses a stub answers with.
const STATUSES: std::ops::RangeInclusive<u16> = 100..=599;

/// Why a step of a `sequence` cannot have a sequence.
pub(crate) const NESTED_SEQUENCE: &str =
    "a step cannot have its own `sequence`; list every answer in the stub's";

/// The stubs of the file, in order; `source` resolves `body_file` against the file's folder.
pub fn stubs(r: &mut Reader, node: &Node, key: &str, source: &Source) -> Option<Vec<Stub>> {
    values(r.list(node, key, |r, node, key| stub(r, node, key, source))?)
}

fn stub(r: &mut Reader, node: &Node, key: &str, source: &Source) -> Option<Stub> {
    let map = r.mapping(node, key, STUB_KEYS)?;
    let when = r.required(map, key, "when", |r, node, key| {
        when(r, node, key, WhenPlace::Stub)
    });
    let then = r.required(map, key, "then", |r, node, key| {
        answer(r, node, key, source)
    });
    Some(Stub {
        when: when?.value,
        then: then?.value,
    })
}

/// A `then` mapping: its answer, or with `sequence`, its keys as defaults of every step.
fn answer(r: &mut Reader, node: &Node, key: &str, source: &Source) -> Option<StubThen> {
    let map = r.mapping(node, key, THEN_KEYS)?;
    let defaults = parts(r, map, key, source);
    let steps = r.optional(map, key, "sequence", |r, node, key| {
        values(r.non_empty_list(node, key, "step", |r, node, key| step(r, node, key, source))?)
    });
    let defaults = defaults?;
    let steps = match steps {
        Field::Absent => None,
        Field::Invalid => return None,
        Field::Given(steps) => Some(steps.value),
    };
    let (answer, clashes) = assemble(defaults, steps);
    report(r, clashes);
    Some(answer)
}

/// The answer of a `then` whose keys are `defaults`, with `steps` when it has a `sequence`
/// (each step merged [`under`](Parts::under) the defaults), and the keys that exclude each
/// other in the answer or in a step. A mock of the Rust API is assembled here too.
pub(crate) fn assemble(defaults: Parts, steps: Option<Vec<Parts>>) -> (StubThen, Vec<Clash>) {
    let Some(steps) = steps else {
        let clashes = exclusions(&defaults);
        return (defaults.into_answer(), clashes);
    };
    // Steps share their defaults: a clash of two defaults is reported once.
    let mut clashes = Vec::new();
    let merged: Vec<Parts> = steps.into_iter().map(|step| defaults.under(step)).collect();
    for step in &merged {
        for clash in exclusions(step) {
            if !clashes.contains(&clash) {
                clashes.push(clash);
            }
        }
    }
    let answer = StubThen {
        sequence: merged.into_iter().map(Parts::into_answer).collect(),
        ..defaults.into_answer()
    };
    (answer, clashes)
}

/// One step of a `sequence`: a `then` mapping without `sequence`.
fn step(r: &mut Reader, node: &Node, key: &str, source: &Source) -> Option<Parts> {
    let map = r.mapping(node, key, THEN_KEYS)?;
    if let Some((name, _)) = map.get_key_value("sequence") {
        r.error(name.span(), &join(key, "sequence"), NESTED_SEQUENCE);
    }
    parts(r, map, key, source)
}

/// A key of `then` as written, and where.
#[derive(Debug, Clone)]
pub(crate) struct Part<T> {
    value: T,
    /// The key as written (`body_file`), for messages.
    name: &'static str,
    key: String,
    span: Span,
    /// Merged into a step from the stub's `then`.
    inherited: bool,
}

impl<T> Part<T> {
    /// A key given in code rather than in a file (a mock of the Rust API): `name` as a file
    /// writes it, `key` its path (`then.sequence[1].body`), no position.
    pub(crate) fn in_code(value: T, name: &'static str, key: String) -> Part<T> {
        Part {
            value,
            name,
            key,
            span: Span::new_blank(),
            inherited: false,
        }
    }
}

/// The keys of a `then` mapping or of a step, each when given.
#[derive(Debug, Clone, Default)]
pub(crate) struct Parts {
    pub(crate) status: Option<Part<StatusCode>>,
    pub(crate) headers: Option<Part<Vec<(HeaderName, HeaderValue)>>>,
    /// `body` or `body_file`: one answer has one body.
    pub(crate) body: Option<Part<Bytes>>,
    /// `passthrough`; `false` is `None` inside.
    pub(crate) passthrough: Option<Part<Option<Passthrough>>>,
    pub(crate) fault: Option<Part<FaultSpec>>,
    pub(crate) delay: Option<Part<Delay>>,
}

/// The keys of `map` (a `then` or a step); `None` when one is invalid.
fn parts(r: &mut Reader, map: &MarkedMappingNode, key: &str, source: &Source) -> Option<Parts> {
    let status = r.optional(map, key, "status", then(integer(STATUSES), status));
    let headers = r.optional(map, key, "headers", headers);
    let inline = r.optional(map, key, "body", body);
    let file = r.optional(map, key, "body_file", |r, node, key| {
        body_file(r, node, key, source)
    });
    let body = match (inline, file) {
        (Field::Given(_), Field::Given(file)) => {
            let message = "`body` and `body_file` are exclusive: give the body once";
            r.error(&file.span, &file.key, message);
            None
        }
        (Field::Given(inline), _) => given(Field::Given(inline), "body"),
        (inline, Field::Absent) => given(inline, "body"),
        (_, file) => given(file, "body_file"),
    };
    let passthrough = given(
        r.optional(map, key, "passthrough", passthrough),
        "passthrough",
    );
    let fault = r.optional(map, key, "fault", faults::fault);
    let delay = r.optional(map, key, "delay", faults::delay);
    Some(Parts {
        status: given(status, "status")?,
        headers: given(headers, "headers")?,
        body: body?,
        passthrough: passthrough?,
        fault: given(fault, "fault")?,
        delay: given(delay, "delay")?,
    })
}

/// A read key as a [`Part`]: `Some(None)` when absent, `None` when invalid.
fn given<T>(field: Field<T>, name: &'static str) -> Option<Option<Part<T>>> {
    match field {
        Field::Absent => Some(None),
        Field::Invalid => None,
        Field::Given(Located { value, key, span }) => Some(Some(Part {
            value,
            name,
            key,
            span,
            inherited: false,
        })),
    }
}

impl Parts {
    /// `step` with these (the stub's `then`) as defaults: the step's keys win; `headers`
    /// merge by name, the step's winning.
    fn under(&self, step: Parts) -> Parts {
        fn inherit<T: Clone>(own: Option<Part<T>>, default: &Option<Part<T>>) -> Option<Part<T>> {
            own.or_else(|| {
                default.clone().map(|part| Part {
                    inherited: true,
                    ..part
                })
            })
        }
        let headers = match (step.headers, &self.headers) {
            (Some(mut own), Some(default)) => {
                let mut merged: Vec<_> = default
                    .value
                    .iter()
                    .filter(|(name, _)| !own.value.iter().any(|(n, _)| n == name))
                    .cloned()
                    .collect();
                merged.append(&mut own.value);
                own.value = merged;
                Some(own)
            }
            (own, default) => inherit(own, default),
        };
        Parts {
            status: inherit(step.status, &self.status),
            headers,
            body: inherit(step.body, &self.body),
            passthrough: inherit(step.passthrough, &self.passthrough),
            fault: inherit(step.fault, &self.fault),
            delay: inherit(step.delay, &self.delay),
        }
    }

    /// The answer these keys make.
    fn into_answer(self) -> StubThen {
        StubThen {
            status: self.status.map(|p| p.value),
            headers: self.headers.map(|p| p.value).unwrap_or_default(),
            body: self.body.map(|p| p.value),
            passthrough: self.passthrough.and_then(|p| p.value),
            fault: self.fault.map(|p| p.value),
            delay: self.delay.map(|p| p.value),
            sequence: Vec::new(),
        }
    }
}

/// An error to report: where, key path, message.
pub(crate) type Clash = (Span, String, String);

/// The keys of one answer that exclude each other.
fn exclusions(parts: &Parts) -> Vec<Clash> {
    let mut clashes = Vec::new();
    let passthrough = parts
        .passthrough
        .as_ref()
        .filter(|part| part.value.is_some());
    let passthrough_text = |part: &Part<Option<Passthrough>>| match &part.value {
        Some(edits) if *edits != Passthrough::default() => "passthrough",
        _ => "passthrough: true",
    };
    if let (Some(body), Some(passthrough)) = (&parts.body, passthrough) {
        let message = format!(
            "`body` and `{}` are exclusive: a passthrough answer keeps the built-in body",
            passthrough_text(passthrough)
        );
        clashes.push(clash(body, passthrough, message));
    }
    // A fault at a rate spares some requests: they get the rest of the answer.
    let fault = parts
        .fault
        .as_ref()
        .filter(|part| part.value.rate.is_none());
    if let Some(fault) = fault {
        let message = "`fault` without a `rate` replaces the answer: it excludes `body`, \
                       `body_file` and `passthrough: true` (with a `rate`, they answer the \
                       requests the fault spares)";
        if let Some(body) = &parts.body {
            clashes.push(clash(fault, body, message.to_owned()));
        } else if let Some(passthrough) = passthrough {
            clashes.push(clash(fault, passthrough, message.to_owned()));
        }
    }
    clashes
}

/// The clash of `first` with `second`, reported at `first` unless only `second` is the step's
/// own; a key inherited from the stub's `then` is named as such.
fn clash<A, B>(first: &Part<A>, second: &Part<B>, message: String) -> Clash {
    let (at, other) = if first.inherited && !second.inherited {
        ((second.span, &second.key), (first.name, first.inherited))
    } else {
        ((first.span, &first.key), (second.name, second.inherited))
    };
    let note = match other {
        (name, true) if !(first.inherited && second.inherited) => {
            format!(" (this step inherits `{name}` from the stub's `then`)")
        }
        _ => String::new(),
    };
    (at.0, at.1.clone(), format!("{message}{note}"))
}

fn report(r: &mut Reader, clashes: Vec<Clash>) {
    for (span, key, message) in clashes {
        r.error(&span, &key, message);
    }
}

/// `passthrough`: `true`, `false`, or a mapping of `set` and `remove` edits of the built-in
/// JSON body.
fn passthrough(r: &mut Reader, node: &Node, key: &str) -> Option<Option<Passthrough>> {
    match node {
        Node::Mapping(_) => edits(r, node, key).map(Some),
        Node::Scalar(scalar) if ScalarKind::of(scalar) == ScalarKind::Bool => {
            Some((scalar.as_str() == "true").then(Passthrough::default))
        }
        _ => {
            let message = format!(
                "expected true, false or a mapping of `set` and `remove`, found {}",
                describe(node)
            );
            r.error(node.span(), key, message);
            None
        }
    }
}

/// `{set: {POINTER: value}, remove: [POINTER]}`.
fn edits(r: &mut Reader, node: &Node, key: &str) -> Option<Passthrough> {
    let map = r.mapping(node, key, PASSTHROUGH_KEYS)?;
    let set = r.optional(map, key, "set", |r, node, key| {
        let map = r.any_mapping(node, key)?;
        let mut pairs = Some(Vec::with_capacity(map.len()));
        for (pointer_node, value) in map.iter() {
            let path = join(key, pointer_node.as_str());
            let pointer = json_pointer(pointer_node.as_str().to_owned())
                .map_err(|message| r.error(pointer_node.span(), &path, message))
                .ok();
            let value = at_key_when_empty(pointer_node.span(), value);
            let value = json(r, &value, &path);
            match (pointer, value, pairs.as_mut()) {
                (Some(pointer), Some(value), Some(pairs)) => pairs.push((pointer, value)),
                _ => pairs = None,
            }
        }
        pairs
    });
    let remove = r.optional(map, key, "remove", |r, node, key| {
        let items = r.list(node, key, then(Reader::string, json_pointer))?;
        let pointers: Vec<&Located<String>> = items.iter().flatten().collect();
        r.unique(pointers, "pointer");
        values(items)
    });
    // Read from the file, so that other errors in either list do not hide a contradiction.
    if let (Some(set), Some(list)) = (map.get_mapping("set"), map.get_sequence("remove")) {
        for (i, item) in list.iter().enumerate() {
            let Some(pointer) = item.as_scalar().map(|s| s.as_str()) else {
                continue;
            };
            if set.keys().any(|p| p.as_str() == pointer) {
                let message = set_and_removed(pointer);
                r.error(
                    item.span(),
                    &format!("{}[{i}]", join(key, "remove")),
                    message,
                );
            }
        }
    }
    Some(Passthrough {
        set: set.or(Vec::new())?,
        remove: remove.or(Vec::new())?,
    })
}

/// Why a passthrough cannot both set and remove `pointer`.
pub(crate) fn set_and_removed(pointer: &str) -> String {
    format!("`{pointer}` is both set and removed; keep one")
}

/// A JSON Pointer (RFC 6901) into the body: `/`-separated tokens, `~0` for `~`, `~1` for `/`.
pub(crate) fn json_pointer(pointer: String) -> Result<String, String> {
    if pointer.is_empty() {
        return Err(
            "the empty pointer names the whole body; give `body` instead of a passthrough"
                .to_owned(),
        );
    }
    let escapes_valid = pointer
        .match_indices('~')
        .all(|(i, _)| matches!(pointer.as_bytes().get(i + 1), Some(b'0' | b'1')));
    if pointer.starts_with('/') && escapes_valid {
        Ok(pointer)
    } else {
        Err(format!(
            "expected a JSON Pointer such as `/entry/0/resource/id` (`/` before each key or \
             index, `~0` for `~`, `~1` for `/`), found `{pointer}`"
        ))
    }
}

/// The bytes of `body_file`, a file inside the scenario file's folder, read once at load;
/// templates in a text file must be valid.
fn body_file(r: &mut Reader, node: &Node, key: &str, source: &Source) -> Option<Bytes> {
    let path = folder::path_inside(r, node, key, source, "body")?;
    let checked = folder::read_inside(source, &path).and_then(|bytes| {
        body_templates(&bytes)
            .map(|()| bytes)
            .map_err(|message| format!("in `{}`: {message}", path.display()))
    });
    match checked {
        Ok(bytes) => Some(Bytes::from(bytes)),
        Err(message) => {
            r.error(node.span(), key, message);
            None
        }
    }
}

/// The templates of a body: valid in a body of text; bytes that are not UTF-8 have none.
pub(crate) fn body_templates(bytes: &[u8]) -> Result<(), String> {
    match std::str::from_utf8(bytes) {
        Ok(text) => template::validate(text),
        Err(_) => Ok(()),
    }
}

/// The templates of every string inside a JSON value (a passthrough's `set` value).
pub(crate) fn json_templates(value: &Value) -> Result<(), String> {
    match value {
        Value::String(text) => template::validate(text),
        Value::Array(items) => items.iter().try_for_each(json_templates),
        Value::Object(object) => object.values().try_for_each(json_templates),
        Value::Null | Value::Bool(_) | Value::Number(_) => Ok(()),
    }
}

/// A status from 100 to 599.
pub(crate) fn status(code: u16) -> Result<StatusCode, String> {
    let code = crate::scenario::reader::in_range(&STATUSES, code)?;
    StatusCode::from_u16(code).map_err(|_| format!("expected an HTTP status, found {code}"))
}

/// The name of a header a stub sets: valid, and not one the server computes.
pub(crate) fn header_name(text: &str) -> Result<HeaderName, String> {
    match HeaderName::from_bytes(text.as_bytes()) {
        Ok(name) if SERVER_HEADERS.contains(&name.as_str()) => Err(format!(
            "`{text}` is set by the server; a stub cannot set it"
        )),
        Ok(name) => Ok(name),
        Err(_) => Err(format!(
            "invalid header name `{text}`: expected letters, digits and `-` such as \
             `Retry-After`"
        )),
    }
}

/// The value of a header a stub sets: valid header text with valid templates.
pub(crate) fn header_value(text: &str) -> Result<HeaderValue, String> {
    template::validate(text)?;
    HeaderValue::from_str(text).map_err(|_| {
        format!(
            "invalid header value `{}`: control characters are not allowed",
            text.escape_debug()
        )
    })
}

/// `Name: value` pairs, names valid and unique (ignoring case), values valid header text.
fn headers(r: &mut Reader, node: &Node, key: &str) -> Option<Vec<(HeaderName, HeaderValue)>> {
    header_map(r, node, key, header_name, |r, node, path| {
        then(Reader::string, |text: String| header_value(&text))(r, node, path)
    })
}

/// A string as written; a mapping or a list as compact JSON.
fn body(r: &mut Reader, node: &Node, key: &str) -> Option<Bytes> {
    match node {
        Node::Scalar(scalar) => {
            let kind = ScalarKind::of(scalar);
            if kind == ScalarKind::Str {
                let text = scalar.as_str();
                if let Err(message) = template::validate(text) {
                    r.error(node.span(), key, message);
                    return None;
                }
                return Some(Bytes::from(text.to_owned()));
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
                ScalarKind::Str => match template::validate(text) {
                    Ok(()) => Some(Value::String(text.to_owned())),
                    Err(message) => {
                        r.error(node.span(), key, message);
                        return None;
                    }
                },
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
