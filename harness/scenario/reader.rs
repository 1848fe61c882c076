//! Typed reads of a loaded YAML tree that record every error they meet instead of stopping at
//! the first, each at the position and key path of the value concerned.
//!
//! A *read* is any `Fn(&mut Reader, &Node, &str) -> Option<T>`: it gets the node and its key
//! path, and either returns the value or records why not and returns `None`.

use crate::scenario::error::ScenarioError;
use crate::scenario::yaml::{ScalarKind, describe, parse_int, position};
use marked_yaml::types::MarkedMappingNode;
use marked_yaml::{Node, Span};
use std::borrow::Cow;
use std::fmt::Display;
use std::ops::RangeInclusive;

/// A value read from the file, with the key path and position it was read at.
#[derive(Debug)]
pub struct Located<T> {
    /// The value.
    pub value: T,
    /// Its key path (`apps[0].client_id`).
    pub key: String,
    /// Where it was written.
    pub span: Span,
}

/// An optional key of a mapping.
pub enum Field<T> {
    /// Not given.
    Absent,
    /// Given, but not valid (the error is recorded).
    Invalid,
    /// Given and valid.
    Given(Located<T>),
}

impl<T> Field<T> {
    /// The value given, or `default` when absent; `None` when invalid.
    pub fn or(self, default: T) -> Option<T> {
        self.or_else(|| Some(default))
    }

    /// The value given, or what `default` makes of an absent key; `None` when invalid.
    pub fn or_else(self, default: impl FnOnce() -> Option<T>) -> Option<T> {
        match self {
            Field::Absent => default(),
            Field::Invalid => None,
            Field::Given(given) => Some(given.value),
        }
    }

    /// The value converted by `f`, if given.
    pub fn map<U>(self, f: impl FnOnce(T) -> U) -> Field<U> {
        match self {
            Field::Absent => Field::Absent,
            Field::Invalid => Field::Invalid,
            Field::Given(Located { value, key, span }) => Field::Given(Located {
                value: f(value),
                key,
                span,
            }),
        }
    }
}

/// Collects the errors of one file while its tree is read.
pub struct Reader {
    origin: String,
    errors: Vec<ScenarioError>,
}

impl Reader {
    /// A reader of the file `origin`.
    pub fn new(origin: String) -> Reader {
        Reader {
            origin,
            errors: Vec::new(),
        }
    }

    /// The value read, if the file had no error at all; else every error, in file order.
    pub fn finish<T>(mut self, value: Option<T>) -> Result<T, Vec<ScenarioError>> {
        match value {
            Some(value) if self.errors.is_empty() => Ok(value),
            _ => {
                if self.errors.is_empty() {
                    // A read returned `None` without saying why: a bug, but never a silent one.
                    self.error(&Span::new_blank(), "", "invalid scenario (reason unknown)");
                }
                self.errors.sort_by_key(|e| (e.line, e.column));
                Err(self.errors)
            }
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

    /// Records "expected `what`, found ..." at `node`.
    fn expected(&mut self, node: &Node, key: &str, what: &str) {
        let found = describe(node);
        self.error(node.span(), key, format!("expected {what}, found {found}"));
    }

    /// `node` as a mapping whose keys are all in `allowed` (any other key is an error).
    pub fn mapping<'n>(
        &mut self,
        node: &'n Node,
        key: &str,
        allowed: &[&str],
    ) -> Option<&'n MarkedMappingNode> {
        let map = self.any_mapping(node, key)?;
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

    /// `node` as a mapping of any keys.
    pub fn any_mapping<'n>(&mut self, node: &'n Node, key: &str) -> Option<&'n MarkedMappingNode> {
        let map = node.as_mapping();
        if map.is_none() {
            self.expected(node, key, "a mapping");
        }
        map
    }

    /// Every item of the list `node` read by `read` (`None` for an invalid item).
    pub fn list<T>(
        &mut self,
        node: &Node,
        key: &str,
        read: impl Fn(&mut Reader, &Node, &str) -> Option<T>,
    ) -> Option<Vec<Option<Located<T>>>> {
        let Some(list) = node.as_sequence() else {
            self.expected(node, key, "a list");
            return None;
        };
        let items = list.iter().enumerate().map(|(i, item)| {
            let key = format!("{key}[{i}]");
            let value = read(self, item, &key)?;
            let span = *item.span();
            Some(Located { value, key, span })
        });
        Some(items.collect())
    }

    /// Like [`Reader::list`], and an error when the list is empty (`what` names an item).
    pub fn non_empty_list<T>(
        &mut self,
        node: &Node,
        key: &str,
        what: &str,
        read: impl Fn(&mut Reader, &Node, &str) -> Option<T>,
    ) -> Option<Vec<Option<Located<T>>>> {
        let items = self.list(node, key, read)?;
        if items.is_empty() {
            self.error(node.span(), key, format!("expected at least one {what}"));
        }
        Some(items)
    }

    /// Records an error at every item whose value repeats an earlier one.
    pub fn unique<'a, T: PartialEq + 'a>(
        &mut self,
        items: impl IntoIterator<Item = &'a Located<T>>,
        what: &str,
    ) {
        let mut seen: Vec<&Located<T>> = Vec::new();
        for item in items {
            match seen.iter().find(|earlier| earlier.value == item.value) {
                Some(first) => {
                    let (line, _) = position(&first.span);
                    let message = format!("duplicate {what} (first given on line {line})");
                    self.error(&item.span, &item.key, message);
                }
                None => seen.push(item),
            }
        }
    }

    /// The key `name` of `map` read by `read`.
    pub fn optional<T>(
        &mut self,
        map: &MarkedMappingNode,
        parent: &str,
        name: &str,
        read: impl FnOnce(&mut Reader, &Node, &str) -> Option<T>,
    ) -> Field<T> {
        let Some((key_node, value)) = map.get_key_value(name) else {
            return Field::Absent;
        };
        let value = at_key_when_empty(key_node.span(), value);
        let key = join(parent, name);
        match read(self, &value, &key) {
            Some(read) => Field::Given(Located {
                value: read,
                key,
                span: *value.span(),
            }),
            None => Field::Invalid,
        }
    }

    /// The key `name` of `map` read by `read`; when it is missing, an error at `map`.
    pub fn required<T>(
        &mut self,
        map: &MarkedMappingNode,
        parent: &str,
        name: &str,
        read: impl FnOnce(&mut Reader, &Node, &str) -> Option<T>,
    ) -> Option<Located<T>> {
        match self.optional(map, parent, name, read) {
            Field::Given(given) => Some(given),
            Field::Invalid => None,
            Field::Absent => {
                self.missing(map, parent, name, "");
                None
            }
        }
    }

    /// Records "missing required key `name`" and a `note` at the start of `map`.
    pub fn missing(&mut self, map: &MarkedMappingNode, parent: &str, name: &str, note: &str) {
        let message = format!("missing required key `{name}`{note}");
        self.error(&mapping_start(map), parent, message);
    }

    /// A string (a value YAML reads as another type must be quoted).
    pub fn string(&mut self, node: &Node, key: &str) -> Option<String> {
        match node.as_scalar().map(|s| (s, ScalarKind::of(s))) {
            Some((scalar, ScalarKind::Str)) => Some(scalar.as_str().to_owned()),
            Some((_, ScalarKind::Null)) | None => {
                self.expected(node, key, "a string");
                None
            }
            Some((_, kind)) => {
                let found = kind.describe();
                let message =
                    format!("expected a string, found {found} (quote it to make it a string)");
                self.error(node.span(), key, message);
                None
            }
        }
    }

    /// `true` or `false`.
    pub fn boolean(&mut self, node: &Node, key: &str) -> Option<bool> {
        match node.as_scalar() {
            Some(scalar) if ScalarKind::of(scalar) == ScalarKind::Bool => {
                Some(scalar.as_str() == "true")
            }
            _ => {
                self.expected(node, key, "true or false");
                None
            }
        }
    }
}

/// `value`, or when it is empty, a copy positioned at its key: an empty value starts where the
/// next line does, which is not where a reader looks for it.
pub fn at_key_when_empty<'n>(key: &Span, value: &'n Node) -> Cow<'n, Node> {
    match value {
        Node::Scalar(scalar) if scalar.may_coerce() && scalar.is_empty() => {
            let mut at_key = value.clone();
            *at_key.span_mut() = *key;
            Cow::Owned(at_key)
        }
        _ => Cow::Borrowed(value),
    }
}

/// The values of `items` if every one is valid.
pub fn values<T>(items: Vec<Option<Located<T>>>) -> Option<Vec<T>> {
    items.into_iter().map(|item| Some(item?.value)).collect()
}

/// A read of an integer in `range`.
pub fn integer<T>(range: RangeInclusive<T>) -> impl Fn(&mut Reader, &Node, &str) -> Option<T>
where
    T: TryFrom<i128> + PartialOrd + Display + Copy,
{
    move |r: &mut Reader, node: &Node, key: &str| {
        let Some(scalar) = node
            .as_scalar()
            .filter(|s| ScalarKind::of(s) == ScalarKind::Int)
        else {
            r.expected(node, key, &expected_integer(&range));
            return None;
        };
        let value = parse_int(scalar.as_str()).and_then(|n| T::try_from(n).ok());
        let checked = match value {
            Some(value) => in_range(&range, value),
            None => Err(out_of_range(&range, &scalar.as_str())),
        };
        checked
            .map_err(|message| r.error(node.span(), key, message))
            .ok()
    }
}

/// `value` if `range` holds it, else the message [`integer`] gives for a number outside it
/// (the Rust API checks its integers with it too).
pub(crate) fn in_range<T: PartialOrd + Display>(
    range: &RangeInclusive<T>,
    value: T,
) -> Result<T, String> {
    if range.contains(&value) {
        Ok(value)
    } else {
        Err(out_of_range(range, &value))
    }
}

/// `expected an integer from 1 to 9, found 12`.
fn out_of_range<T: Display>(range: &RangeInclusive<T>, found: &dyn Display) -> String {
    format!("expected {}, found {found}", expected_integer(range))
}

/// `an integer from 1 to 9`, or the one integer a range holds.
fn expected_integer<T: Display>(range: &RangeInclusive<T>) -> String {
    let (start, end) = (range.start().to_string(), range.end().to_string());
    if start == end {
        start
    } else {
        format!("an integer from {start} to {end}")
    }
}

/// A read by `read` whose value `convert` then turns into the result or an error message.
pub fn then<T, U>(
    read: impl Fn(&mut Reader, &Node, &str) -> Option<T>,
    convert: impl Fn(T) -> Result<U, String>,
) -> impl Fn(&mut Reader, &Node, &str) -> Option<U> {
    move |r: &mut Reader, node: &Node, key: &str| {
        let value = read(r, node, key)?;
        convert(value)
            .map_err(|message| r.error(node.span(), key, message))
            .ok()
    }
}

/// Where a mapping starts: its first key (a block mapping's own span starts at the first `:`).
fn mapping_start(map: &MarkedMappingNode) -> Span {
    let first_key = map.keys().next().map(|k| *k.span());
    [Some(*map.span()), first_key]
        .into_iter()
        .flatten()
        .min_by_key(position)
        .unwrap_or_else(Span::new_blank)
}

/// `parent.name`, or `name` at the top.
pub fn join(parent: &str, name: &str) -> String {
    if parent.is_empty() {
        name.to_owned()
    } else {
        format!("{parent}.{name}")
    }
}
