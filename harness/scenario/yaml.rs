//! The YAML layer: loading with positions (marked-yaml, duplicate keys refused, quoted scalars
//! kept apart from plain ones) and the YAML 1.2 type of each plain scalar.

use crate::scenario::error::ScenarioError;
use marked_yaml::types::MarkedScalarNode;
use marked_yaml::{LoadError, LoaderOptions, Marker, Node, Span};

/// What a scalar is under the YAML 1.2 core schema, with `true` and `false` the only booleans.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ScalarKind {
    /// `~`, `null` or nothing.
    Null,
    /// `true` or `false`.
    Bool,
    /// A decimal, octal (`0o17`) or hexadecimal (`0x1F`) integer.
    Int,
    /// A floating-point number, `.inf` or `.nan`.
    Float,
    /// Anything else, and every quoted or block scalar.
    Str,
}

impl ScalarKind {
    /// The kind of `scalar`.
    pub fn of(scalar: &MarkedScalarNode) -> ScalarKind {
        if !scalar.may_coerce() {
            return ScalarKind::Str;
        }
        let text = scalar.as_str();
        match text {
            "" | "~" | "null" | "Null" | "NULL" => ScalarKind::Null,
            "true" | "false" => ScalarKind::Bool,
            _ if int_digits(text).is_some() => ScalarKind::Int,
            _ if is_float(text) => ScalarKind::Float,
            _ => ScalarKind::Str,
        }
    }

    /// How messages name it (`found an integer`).
    pub fn describe(self) -> &'static str {
        match self {
            ScalarKind::Null => "nothing",
            ScalarKind::Bool => "a boolean",
            ScalarKind::Int => "an integer",
            ScalarKind::Float => "a number",
            ScalarKind::Str => "a string",
        }
    }
}

/// The value of an integer scalar's text (`-12`, `+3`, `0x1F`, `0o17`); `None` for other text
/// and for integers beyond `i128`.
pub fn parse_int(text: &str) -> Option<i128> {
    let (digits, radix) = int_digits(text)?;
    i128::from_str_radix(digits, radix).ok()
}

/// The digits (with their sign) and radix of an integer's text.
fn int_digits(text: &str) -> Option<(&str, u32)> {
    let all =
        |digits: &str, radix: u32| !digits.is_empty() && digits.chars().all(|c| c.is_digit(radix));
    if all(text.strip_prefix(['-', '+']).unwrap_or(text), 10) {
        return Some((text, 10));
    }
    [("0x", 16), ("0o", 8)]
        .into_iter()
        .find_map(|(prefix, radix)| Some((text.strip_prefix(prefix)?, radix)))
        .filter(|&(digits, radix)| all(digits, radix))
}

fn is_float(text: &str) -> bool {
    let unsigned = text.strip_prefix(['-', '+']).unwrap_or(text);
    matches!(unsigned, ".inf" | ".Inf" | ".INF")
        || matches!(text, ".nan" | ".NaN" | ".NAN")
        || (unsigned.bytes().any(|b| b.is_ascii_digit())
            && unsigned
                .bytes()
                .all(|b| b.is_ascii_digit() || b".eE+-".contains(&b))
            && unsigned.parse::<f64>().is_ok())
}

/// How messages name what a node is (`found a list`).
pub fn describe(node: &Node) -> &'static str {
    match node {
        Node::Scalar(scalar) => ScalarKind::of(scalar).describe(),
        Node::Mapping(_) => "a mapping",
        Node::Sequence(_) => "a list",
    }
}

/// Line and column where a span starts (1:1 when unknown).
pub fn position(span: &Span) -> (usize, usize) {
    span.start().map_or((1, 1), line_column)
}

fn line_column(marker: &Marker) -> (usize, usize) {
    (marker.line().max(1), marker.column().max(1))
}

/// Parses YAML text whose top level is a mapping, refusing duplicate keys, anchors and tags;
/// the one error of text that cannot be loaded, at its position (`origin` names the file).
pub fn load(text: &str, origin: &str) -> Result<Node, ScenarioError> {
    let options = LoaderOptions::default()
        .error_on_duplicate_keys(true)
        .prevent_coercion(true);
    // marked-yaml's loader asserts some parser invariants; never let a broken one panic here.
    let loaded =
        std::panic::catch_unwind(|| marked_yaml::parse_yaml_with_options(0, text, options));
    let refused = match loaded {
        Ok(Ok(node)) => return Ok(node),
        Ok(Err(refused)) => refused,
        Err(_) => {
            let message =
                "the YAML parser failed on this file; please report it with the file attached";
            return Err(whole_file_error(origin, (1, 1), message.to_owned()));
        }
    };
    let (at, message) = match refused {
        LoadError::TopLevelMustBeMapping(_) | LoadError::TopLevelMustBeSequence(_) => (
            (1, 1),
            "expected a mapping of scenario keys at the top level".to_owned(),
        ),
        LoadError::UnexpectedAnchor(m) => (
            line_column(&m),
            "YAML anchors and aliases are not supported".to_owned(),
        ),
        LoadError::UnexpectedTag(m) => (line_column(&m), "YAML tags are not supported".to_owned()),
        LoadError::MappingKeyMustBeScalar(m) => {
            (line_column(&m), "expected a plain key name".to_owned())
        }
        LoadError::ScanError(m, scan) => {
            (line_column(&m), format!("invalid YAML: {}", scan.info()))
        }
        LoadError::DuplicateKey(keys) => {
            let (first_line, _) = position(keys.prev_key.span());
            let key = keys.key.as_str();
            (
                position(keys.key.span()),
                format!("duplicate key `{key}` (first given on line {first_line})"),
            )
        }
    };
    Err(whole_file_error(origin, at, message))
}

/// An error that stops the whole file (no key path).
fn whole_file_error(
    origin: &str,
    (line, column): (usize, usize),
    message: String,
) -> ScenarioError {
    ScenarioError {
        origin: origin.to_owned(),
        line,
        column,
        key: String::new(),
        message,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn kind(text: &str) -> Option<ScalarKind> {
        let node = load(&format!("k: {text}\n"), "test").ok()?;
        node.as_mapping()?.get_scalar("k").map(ScalarKind::of)
    }

    #[test]
    fn scalar_kinds() {
        for (text, expected) in [
            ("1", ScalarKind::Int),
            ("-12", ScalarKind::Int),
            ("+3", ScalarKind::Int),
            ("0x1F", ScalarKind::Int),
            ("0o17", ScalarKind::Int),
            ("-20140000008325", ScalarKind::Int),
            (
                "123456789012345678901234567890123456789012",
                ScalarKind::Int,
            ),
            ("\"1\"", ScalarKind::Str),
            ("'true'", ScalarKind::Str),
            ("true", ScalarKind::Bool),
            ("false", ScalarKind::Bool),
            ("True", ScalarKind::Str),
            ("yes", ScalarKind::Str),
            ("1.5", ScalarKind::Float),
            ("-.inf", ScalarKind::Float),
            ("~", ScalarKind::Null),
            ("", ScalarKind::Null),
            ("BBUser29999", ScalarKind::Str),
            ("e", ScalarKind::Str),
            ("0x", ScalarKind::Str),
        ] {
            assert_eq!(kind(text), Some(expected), "{text:?}");
        }
    }

    #[test]
    fn integer_values() {
        assert_eq!(parse_int("-12"), Some(-12));
        assert_eq!(parse_int("+3"), Some(3));
        assert_eq!(parse_int("0x1F"), Some(31));
        assert_eq!(parse_int("0o17"), Some(15));
        assert_eq!(parse_int("1.5"), None);
        assert_eq!(parse_int("9".repeat(50).as_str()), None);
    }
}
