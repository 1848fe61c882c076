//! The YAML layer: parsing with positions (marked-yaml, duplicate keys refused), the YAML 1.2
//! core-schema type of each scalar, and typed reads that record every error they meet.

use crate::scenario::error::ScenarioError;
use marked_yaml::types::{MarkedMappingNode, MarkedScalarNode, MarkedSequenceNode};
use marked_yaml::{LoadError, LoaderOptions, Node, Span};
use serde_json::Value;

/// What a scalar is under the YAML 1.2 core schema.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ScalarKind {
    /// `~`, `null` or nothing.
    Null,
    /// `true` or `false`.
    Bool,
    /// A decimal, octal (`0o`) or hexadecimal (`0x`) integer.
    Int,
    /// A floating-point number, `.inf` or `.nan`.
    Float,
    /// Anything else, and every quoted scalar.
    Str,
}

impl ScalarKind {
    /// The kind of `scalar`.
    pub fn of(scalar: &MarkedScalarNode) -> ScalarKind {
        if !scalar.may_coerce() {
            return ScalarKind::Str;
        }
        let text = scalar.as_str();
        let unsigned = text.strip_prefix(['-', '+']).unwrap_or(text);
        let digits = |s: &str, radix: u32| !s.is_empty() && s.chars().all(|c| c.is_digit(radix));
        match text {
            "" | "~" | "null" | "Null" | "NULL" => ScalarKind::Null,
            "true" | "True" | "TRUE" | "false" | "False" | "FALSE" => ScalarKind::Bool,
            _ if digits(unsigned, 10) => ScalarKind::Int,
            _ if text.strip_prefix("0o").is_some_and(|s| digits(s, 8)) => ScalarKind::Int,
            _ if text.strip_prefix("0x").is_some_and(|s| digits(s, 16)) => ScalarKind::Int,
            _ if is_float(unsigned) => ScalarKind::Float,
            _ => ScalarKind::Str,
        }
    }

    fn describe(self) -> &'static str {
        match self {
            ScalarKind::Null => "nothing",
            ScalarKind::Bool => "a boolean",
            ScalarKind::Int => "an integer",
            ScalarKind::Float => "a number",
            ScalarKind::Str => "a string",
        }
    }
}

fn is_float(text: &str) -> bool {
    matches!(text, ".inf" | ".Inf" | ".INF" | ".nan" | ".NaN" | ".NAN")
        || (text.bytes().any(|b| b.is_ascii_digit())
            && text
                .bytes()
                .all(|b| b.is_ascii_digit() || b".eE+-".contains(&b))
            && text.parse::<f64>().is_ok())
}

fn describe(node: &Node) -> &'static str {
    match node {
        Node::Scalar(scalar) => ScalarKind::of(scalar).describe(),
        Node::Mapping(_) => "a mapping",
        Node::Sequence(_) => "a list",
    }
}

/// A scenario file as JSON, each scalar typed by the YAML 1.2 core schema: the document
/// `schemas/scenario.schema.json` describes.
pub fn to_json(text: &str) -> Result<Value, String> {
    let node = load(text).map_err(|e| load_error("", &e).message)?;
    Ok(node_to_json(&node))
}

fn node_to_json(node: &Node) -> Value {
    match node {
        Node::Scalar(scalar) => {
            let text = scalar.as_str();
            match ScalarKind::of(scalar) {
                ScalarKind::Null => Value::Null,
                ScalarKind::Bool => Value::Bool(text.eq_ignore_ascii_case("true")),
                ScalarKind::Int => text
                    .parse::<i64>()
                    .map_or_else(|_| Value::from(text), Value::from),
                ScalarKind::Float => text
                    .parse::<f64>()
                    .map_or_else(|_| Value::from(text), Value::from),
                ScalarKind::Str => Value::from(text),
            }
        }
        Node::Mapping(map) => Value::Object(
            map.iter()
                .map(|(k, v)| (k.as_str().to_owned(), node_to_json(v)))
                .collect(),
        ),
        Node::Sequence(list) => Value::Array(list.iter().map(node_to_json).collect()),
    }
}

/// Why YAML text could not be loaded.
pub enum Unloadable {
    /// The parser refused it.
    Refused(LoadError),
    /// The parser broke on it (a bug of the parser; reported, never propagated as a panic).
    ParserFailed,
}

/// Parses YAML text whose top level is a mapping, refusing duplicate keys; quoted scalars
/// stay strings.
pub fn load(text: &str) -> Result<Node, Unloadable> {
    let options = LoaderOptions::default()
        .error_on_duplicate_keys(true)
        .prevent_coercion(true);
    let parsed =
        std::panic::catch_unwind(|| marked_yaml::parse_yaml_with_options(0, text, options));
    match parsed {
        Ok(result) => result.map_err(Unloadable::Refused),
        Err(_) => Err(Unloadable::ParserFailed),
    }
}

/// Line and column where a node starts (1:1 when unknown).
pub fn position(span: &Span) -> (usize, usize) {
    span.start()
        .map_or((1, 1), |m| (m.line().max(1), m.column().max(1)))
}

/// The error of a file that could not be loaded, at its position.
pub fn load_error(origin: &str, error: &Unloadable) -> ScenarioError {
    let error = match error {
        Unloadable::Refused(error) => error,
        Unloadable::ParserFailed => {
            let message =
                "the YAML parser failed on this file; please report it with the file attached";
            return ScenarioError {
                origin: origin.to_owned(),
                line: 1,
                column: 1,
                key: String::new(),
                message: message.to_owned(),
            };
        }
    };
    let at = |marker: &marked_yaml::Marker| (marker.line().max(1), marker.column().max(1));
    let ((line, column), key, message) = match error {
        LoadError::TopLevelMustBeMapping(m) | LoadError::TopLevelMustBeSequence(m) => (
            at(m),
            String::new(),
            "a scenario file must be a YAML mapping of keys".to_owned(),
        ),
        LoadError::UnexpectedAnchor(m) => (
            at(m),
            String::new(),
            "YAML anchors and aliases are not supported".to_owned(),
        ),
        LoadError::MappingKeyMustBeScalar(m) => (
            at(m),
            String::new(),
            "mapping keys must be plain names".to_owned(),
        ),
        LoadError::UnexpectedTag(m) => (
            at(m),
            String::new(),
            "YAML tags are not supported".to_owned(),
        ),
        LoadError::ScanError(m, e) => (at(m), String::new(), format!("invalid YAML: {e}")),
        LoadError::DuplicateKey(inner) => {
            let first = inner.prev_key.span().start().map(|m| m.line()).unwrap_or(0);
            (
                position(inner.key.span()),
                inner.key.as_str().to_owned(),
                format!(
                    "duplicate key `{}` (first given on line {first})",
                    inner.key.as_str()
                ),
            )
        }
    };
    ScenarioError {
        origin: origin.to_owned(),
        line,
        column,
        key,
        message,
    }
}

/// Typed reads of a YAML tree that collect every error instead of stopping at the first.
pub struct Reader {
    origin: String,
    /// Errors found so far.
    pub errors: Vec<ScenarioError>,
}

impl Reader {
    /// A reader of the file `origin`.
    pub fn new(origin: String) -> Reader {
        Reader {
            origin,
            errors: Vec::new(),
        }
    }

    /// Records an error at `span`.
    pub fn error(&mut self, span: &Span, key: &str, message: impl Into<String>) {
        let (line, column) = position(span);
        self.errors.push(ScenarioError {
            origin: self.origin.clone(),
            line,
            column,
            key: key.to_owned(),
            message: message.into(),
        });
    }

    fn wrong_kind(&mut self, node: &Node, key: &str, expected: &str) {
        let found = describe(node);
        self.error(
            node.span(),
            key,
            format!("expected {expected}, found {found}"),
        );
    }

    /// `node` as a mapping whose keys are all in `allowed` (unknown keys are errors).
    pub fn mapping<'n>(
        &mut self,
        node: &'n Node,
        key: &str,
        allowed: &[&str],
    ) -> Option<&'n MarkedMappingNode> {
        let Some(map) = node.as_mapping() else {
            self.wrong_kind(node, key, "a mapping");
            return None;
        };
        for name in map.keys() {
            if !allowed.contains(&name.as_str()) {
                let message = format!(
                    "unknown key `{}`; expected one of: {}",
                    name.as_str(),
                    allowed.join(", ")
                );
                self.error(name.span(), &join(key, name.as_str()), message);
            }
        }
        Some(map)
    }

    /// `node` as a list.
    pub fn list<'n>(&mut self, node: &'n Node, key: &str) -> Option<&'n MarkedSequenceNode> {
        let list = node.as_sequence();
        if list.is_none() {
            self.wrong_kind(node, key, "a list");
        }
        list
    }

    /// The value of a required key; a missing one is an error at the mapping.
    pub fn required<'n>(
        &mut self,
        map: &'n MarkedMappingNode,
        parent: &str,
        name: &str,
    ) -> Option<&'n Node> {
        let value = map.get(name);
        if value.is_none() {
            self.error(map.span(), parent, format!("missing required key `{name}`"));
        }
        value
    }

    /// A required key read by `read` and kept only if `valid` accepts it (else `expected` is
    /// the error), with the position of its value.
    pub fn required_valid(
        &mut self,
        map: &MarkedMappingNode,
        parent: &str,
        name: &str,
        read: impl FnOnce(&mut Reader, &Node, &str) -> Option<String>,
        valid: impl FnOnce(&str) -> bool,
        expected: &str,
    ) -> Option<(String, Span)> {
        let key = join(parent, name);
        let node = self.required(map, parent, name)?;
        let value = read(self, node, &key)?;
        if !valid(&value) {
            self.error(node.span(), &key, expected);
            return None;
        }
        Some((value, *node.span()))
    }

    /// A string (quote values that YAML would read as numbers or booleans).
    pub fn string(&mut self, node: &Node, key: &str) -> Option<String> {
        match node.as_scalar() {
            Some(scalar) if ScalarKind::of(scalar) == ScalarKind::Str => {
                Some(scalar.as_str().to_owned())
            }
            Some(scalar) => {
                let found = ScalarKind::of(scalar).describe();
                self.error(
                    node.span(),
                    key,
                    format!("expected a string, found {found} (quote it to make it a string)"),
                );
                None
            }
            None => {
                self.wrong_kind(node, key, "a string");
                None
            }
        }
    }

    /// An identifier written as a string or as a plain integer (`-20140000008325`), as written.
    pub fn id_text(&mut self, node: &Node, key: &str) -> Option<String> {
        match node.as_scalar() {
            Some(scalar) if ScalarKind::of(scalar) == ScalarKind::Int => {
                Some(scalar.as_str().to_owned())
            }
            _ => self.string(node, key),
        }
    }

    /// A non-negative decimal integer within `range`.
    pub fn integer(
        &mut self,
        node: &Node,
        key: &str,
        range: std::ops::RangeInclusive<u64>,
    ) -> Option<u64> {
        let value = node
            .as_scalar()
            .filter(|s| ScalarKind::of(s) == ScalarKind::Int)
            .and_then(|s| {
                s.as_str()
                    .strip_prefix('+')
                    .unwrap_or(s.as_str())
                    .parse::<u64>()
                    .ok()
            });
        match value {
            Some(value) if range.contains(&value) => Some(value),
            Some(_) => {
                let message = format!(
                    "expected an integer from {} to {}",
                    range.start(),
                    range.end()
                );
                self.error(node.span(), key, message);
                None
            }
            None => {
                self.wrong_kind(
                    node,
                    key,
                    &format!("an integer from {} to {}", range.start(), range.end()),
                );
                None
            }
        }
    }

    /// `true` or `false`.
    pub fn boolean(&mut self, node: &Node, key: &str) -> Option<bool> {
        match node
            .as_scalar()
            .filter(|s| ScalarKind::of(s) == ScalarKind::Bool)
        {
            Some(scalar) => Some(scalar.as_str().eq_ignore_ascii_case("true")),
            None => {
                self.wrong_kind(node, key, "true or false");
                None
            }
        }
    }

    /// A list of strings.
    pub fn strings(&mut self, node: &Node, key: &str) -> Option<Vec<(String, Span)>> {
        let list = self.list(node, key)?;
        let items: Vec<Option<(String, Span)>> = list
            .iter()
            .enumerate()
            .map(|(i, item)| {
                self.string(item, &format!("{key}[{i}]"))
                    .map(|s| (s, *item.span()))
            })
            .collect();
        items.into_iter().collect()
    }
}

/// `parent.name`, or `name` at the top.
pub fn join(parent: &str, name: &str) -> String {
    if parent.is_empty() {
        name.to_owned()
    } else {
        format!("{parent}.{name}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn kind(text: &str) -> ScalarKind {
        let node = load(&format!("k: {text}\n")).ok();
        let scalar = node
            .as_ref()
            .and_then(|n| n.as_mapping())
            .and_then(|m| m.get_scalar("k"))
            .cloned();
        scalar.as_ref().map_or(ScalarKind::Null, ScalarKind::of)
    }

    #[test]
    fn core_schema_kinds() {
        assert_eq!(kind("1"), ScalarKind::Int);
        assert_eq!(kind("-12"), ScalarKind::Int);
        assert_eq!(kind("0x1F"), ScalarKind::Int);
        assert_eq!(kind("\"1\""), ScalarKind::Str);
        assert_eq!(kind("'true'"), ScalarKind::Str);
        assert_eq!(kind("true"), ScalarKind::Bool);
        assert_eq!(kind("1.5"), ScalarKind::Float);
        assert_eq!(kind("~"), ScalarKind::Null);
        assert_eq!(kind(""), ScalarKind::Null);
        assert_eq!(kind("BBUser29999"), ScalarKind::Str);
        assert_eq!(kind("-20140000008325"), ScalarKind::Int);
        assert_eq!(kind("e"), ScalarKind::Str);
    }

    #[test]
    fn json_view_types_scalars() {
        let json = to_json("a: 1\nb: \"1\"\nc: [true, x]\nd: {e: ~}\n");
        assert_eq!(
            json,
            Ok(serde_json::json!({"a": 1, "b": "1", "c": [true, "x"], "d": {"e": null}}))
        );
    }
}
