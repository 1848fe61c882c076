//! `{{...}}` templates in stub values: request echoes and fresh values bound per loaded
//! scenario.
//!
//! `{{request.path}}`, `{{request.query.NAME}}`, `{{request.form.NAME}}` (an
//! `application/x-www-form-urlencoded` body field), `{{request.header.NAME}}` (any case) render
//! the request's value, the first one when repeated, or nothing when absent;
//! `{{fresh.NAME}}` renders a random 32-character alphanumeric value drawn from the operating
//! system's CSPRNG the first time NAME is rendered, and the same value for NAME after that
//! until the scenario is loaded again (a load or reset draws new ones). Spaces inside the braces
//! are ignored. Any other `{{...}}` text is literal, except `{{request.X}}` with an unknown X and
//! an empty NAME, which [`validate`] refuses when the scenario is parsed.

use crate::exchange::Request;
use crate::params::media_type;
use http::HeaderName;
use http::header::CONTENT_TYPE;
use std::borrow::Cow;
use std::collections::HashMap;
use std::sync::{Mutex, PoisonError};
use thiserror::Error;

/// Length of a `{{fresh.NAME}}` value.
pub const FRESH_LENGTH: usize = 32;

const ALPHABET: &[u8; 62] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";

/// What [`validate`] says a template may be.
const EXPECTED: &str = "expected `{{request.path}}`, `{{request.query.NAME}}`, \
                        `{{request.form.NAME}}`, `{{request.header.NAME}}` or `{{fresh.NAME}}`";

/// The operating system could not provide random bytes for a fresh value.
#[derive(Debug, Error)]
#[error("the system random number generator failed: {0}")]
pub struct FreshError(getrandom::Error);

/// Values bound once per loaded scenario for `{{fresh.NAME}}`, stable per name.
#[derive(Debug, Default)]
pub struct Fresh {
    values: Mutex<HashMap<String, String>>,
}

impl Fresh {
    /// The value bound to `name`, drawn now if it has none yet.
    pub fn value(&self, name: &str) -> Result<String, FreshError> {
        let mut values = self.values.lock().unwrap_or_else(PoisonError::into_inner);
        if let Some(value) = values.get(name) {
            return Ok(value.clone());
        }
        let value = random_alphanumeric(FRESH_LENGTH)?;
        values.insert(name.to_owned(), value.clone());
        Ok(value)
    }
}

/// `length` alphanumerics from the operating system's CSPRNG, each equally likely.
fn random_alphanumeric(length: usize) -> Result<String, FreshError> {
    let mut value = String::with_capacity(length);
    let mut buffer = [0u8; 64];
    while value.len() < length {
        getrandom::fill(&mut buffer).map_err(FreshError)?;
        // Rejection sampling: 248 = 4 * 62.
        for &byte in buffer.iter().filter(|&&b| b < 248) {
            if value.len() == length {
                break;
            }
            value.push(char::from(ALPHABET[usize::from(byte % 62)]));
        }
    }
    Ok(value)
}

/// One piece of a text with templates.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Piece<'a> {
    /// Literal text (including `{{...}}` that is not a template).
    Text(&'a str),
    /// `{{request.path}}`.
    Path,
    /// `{{request.query.NAME}}`.
    Query(&'a str),
    /// `{{request.form.NAME}}`.
    Form(&'a str),
    /// `{{request.header.NAME}}`.
    Header(&'a str),
    /// `{{fresh.NAME}}`.
    Fresh(&'a str),
    /// `{{request...}}` that names nothing known, or an empty NAME: the whole `{{...}}`.
    Invalid(&'a str),
}

/// The pieces of `text`, in order.
fn pieces(text: &str) -> Vec<Piece<'_>> {
    let mut pieces = Vec::new();
    let mut rest = text;
    while let Some(open) = rest.find("{{") {
        let Some(length) = rest[open + 2..].find("}}") else {
            break;
        };
        let close = open + 2 + length + 2;
        if open > 0 {
            pieces.push(Piece::Text(&rest[..open]));
        }
        let whole = &rest[open..close];
        pieces.push(classify(whole, rest[open + 2..close - 2].trim()));
        rest = &rest[close..];
    }
    if !rest.is_empty() {
        pieces.push(Piece::Text(rest));
    }
    pieces
}

/// What `{{inner}}` (written as `whole`) means.
fn classify<'a>(whole: &'a str, inner: &'a str) -> Piece<'a> {
    let named = |name: &'a str, piece: fn(&'a str) -> Piece<'a>| {
        if name.is_empty() {
            Piece::Invalid(whole)
        } else {
            piece(name)
        }
    };
    if let Some(name) = inner.strip_prefix("fresh.") {
        return named(name, Piece::Fresh);
    }
    let Some(field) = inner
        .strip_prefix("request")
        .filter(|rest| rest.is_empty() || rest.starts_with('.'))
    else {
        return Piece::Text(whole);
    };
    let field = field.strip_prefix('.').unwrap_or(field);
    if field == "path" {
        Piece::Path
    } else if let Some(name) = field.strip_prefix("query.") {
        named(name, Piece::Query)
    } else if let Some(name) = field.strip_prefix("form.") {
        named(name, Piece::Form)
    } else if let Some(name) = field.strip_prefix("header.") {
        named(name, Piece::Header)
    } else {
        Piece::Invalid(whole)
    }
}

/// Whether `text` is valid where templates are rendered: every `{{request...}}` names a known
/// field and every NAME is given; the message names the first that does not.
pub fn validate(text: &str) -> Result<(), String> {
    match pieces(text).into_iter().find_map(|piece| match piece {
        Piece::Invalid(whole) => Some(whole),
        _ => None,
    }) {
        None => Ok(()),
        Some(whole) => Err(format!("unknown template `{whole}`; {EXPECTED}")),
    }
}

/// `text` with its templates rendered for `request` (borrowed when it has none). A value the
/// request does not have renders as the empty string, and so does a fresh value the operating
/// system could not draw (reported on stderr); an invalid template stays as written.
pub fn render<'a>(text: &'a str, request: &Request, fresh: &Fresh) -> Cow<'a, str> {
    if !text.contains("{{") {
        return Cow::Borrowed(text);
    }
    let mut out = String::with_capacity(text.len());
    let mut form = None;
    for piece in pieces(text) {
        match piece {
            Piece::Text(text) | Piece::Invalid(text) => out.push_str(text),
            Piece::Path => out.push_str(&request.path),
            Piece::Query(name) => {
                if let Some((_, value)) = request.query_pairs().into_iter().find(|(k, _)| k == name)
                {
                    out.push_str(&value);
                }
            }
            Piece::Form(name) => {
                let form = form.get_or_insert_with(|| form_fields(request));
                if let Some((_, value)) = form.iter().find(|(k, _)| k == name) {
                    out.push_str(value);
                }
            }
            Piece::Header(name) => {
                let value = HeaderName::from_bytes(name.as_bytes())
                    .ok()
                    .and_then(|name| request.headers.get(name));
                if let Some(value) = value {
                    out.push_str(&String::from_utf8_lossy(value.as_bytes()));
                }
            }
            Piece::Fresh(name) => match fresh.value(name) {
                Ok(value) => out.push_str(&value),
                Err(error) => eprintln!("bbh: cannot render `{{{{fresh.{name}}}}}`: {error}"),
            },
        }
    }
    Cow::Owned(out)
}

/// The fields of an `application/x-www-form-urlencoded` body, decoded; none for other bodies.
fn form_fields(request: &Request) -> Vec<(String, String)> {
    let content_type = request
        .headers
        .get(CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default();
    if media_type(content_type) != "application/x-www-form-urlencoded" {
        return Vec::new();
    }
    form_urlencoded::parse(&request.body)
        .map(|(k, v)| (k.into_owned(), v.into_owned()))
        .collect()
}

/// Every string of `value` rendered for `request` (object keys stay as written).
pub fn render_json(value: &mut serde_json::Value, request: &Request, fresh: &Fresh) {
    match value {
        serde_json::Value::String(text) => {
            if let Cow::Owned(rendered) = render(text, request, fresh) {
                *text = rendered;
            }
        }
        serde_json::Value::Array(items) => {
            for item in items {
                render_json(item, request, fresh);
            }
        }
        serde_json::Value::Object(members) => {
            for member in members.values_mut() {
                render_json(member, request, fresh);
            }
        }
        _ => {}
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use bytes::Bytes;
    use http::{HeaderMap, HeaderValue, Method};

    fn request() -> Request {
        let mut headers = HeaderMap::new();
        headers.insert(
            CONTENT_TYPE,
            HeaderValue::from_static("application/x-www-form-urlencoded; charset=utf-8"),
        );
        headers.insert("x-trace", HeaderValue::from_static("t-1"));
        headers.append("x-trace", HeaderValue::from_static("t-2"));
        Request {
            method: Method::POST,
            path: "/v2/o/token/".to_owned(),
            query: Some("state=a%20b&state=second&empty=".to_owned()),
            headers,
            body: Bytes::from_static(b"grant_type=refresh_token&code=c%2B1"),
            origin: "http://127.0.0.1:1".to_owned(),
        }
    }

    #[test]
    fn request_values_render_decoded_first_value_and_empty_when_absent() {
        let fresh = Fresh::default();
        let text = "{{request.path}}|{{ request.query.state }}|{{request.query.empty}}|\
                    {{request.query.none}}|{{request.form.code}}|{{request.header.X-Trace}}|\
                    {{request.form.none}}";
        assert_eq!(
            render(text, &request(), &fresh),
            "/v2/o/token/|a b|||c+1|t-1|"
        );
    }

    #[test]
    fn form_fields_need_a_form_body() {
        let mut request = request();
        request.headers.remove(CONTENT_TYPE);
        assert_eq!(
            render("[{{request.form.code}}]", &request, &Fresh::default()),
            "[]"
        );
    }

    #[test]
    fn text_without_templates_is_borrowed_and_other_braces_are_literal() {
        let fresh = Fresh::default();
        let request = request();
        assert!(matches!(
            render("plain {text}", &request, &fresh),
            Cow::Borrowed(_)
        ));
        for literal in [
            "{{ other }}",
            "{{requests.path}}",
            "{{request.path",
            "{{}}",
            "a }} b {{",
        ] {
            assert_eq!(render(literal, &request, &fresh), literal);
            assert_eq!(validate(literal), Ok(()), "{literal}");
        }
        assert_eq!(
            render("{{request.path}}}", &request, &fresh),
            "/v2/o/token/}"
        );
    }

    #[test]
    fn fresh_values_are_stable_per_name_and_per_scenario() {
        let (fresh, other) = (Fresh::default(), Fresh::default());
        let request = request();
        let a = render("{{fresh.a}}", &request, &fresh).into_owned();
        assert_eq!(a.len(), FRESH_LENGTH);
        assert!(a.bytes().all(|b| b.is_ascii_alphanumeric()));
        assert_eq!(render("{{ fresh.a }}", &request, &fresh), a);
        assert_ne!(render("{{fresh.b}}", &request, &fresh), a);
        assert_ne!(render("{{fresh.a}}", &request, &other), a);
        assert_eq!(
            render("x{{fresh.a}}y{{fresh.a}}", &request, &fresh),
            format!("x{a}y{a}")
        );
    }

    #[test]
    fn unknown_request_fields_and_empty_names_are_refused() {
        for text in [
            "{{request.cookie.x}}",
            "a {{request}} b",
            "{{request.query.}}",
            "{{fresh.}}",
            "{{request.header}}",
        ] {
            let message = validate(text).err().unwrap_or_default();
            assert!(
                message.starts_with("unknown template `{{"),
                "{text}: {message}"
            );
            assert!(message.contains("{{fresh.NAME}}"), "{message}");
        }
        assert_eq!(
            validate("{{request.path}} {{request.query.a}} {{fresh.b}}"),
            Ok(())
        );
        // An invalid template that reaches a server (a stub mounted from code) stays literal.
        assert_eq!(
            render("{{request.cookie.x}}", &request(), &Fresh::default()),
            "{{request.cookie.x}}"
        );
    }

    #[test]
    fn json_strings_render_and_stay_valid_json() {
        let mut request = request();
        request.query = Some("q=%22quoted%22%0A".to_owned());
        let mut value = serde_json::json!({
            "{{request.path}}": ["{{request.query.q}}", 1, {"p": "{{request.path}}"}]
        });
        render_json(&mut value, &request, &Fresh::default());
        assert_eq!(
            value,
            serde_json::json!({"{{request.path}}": ["\"quoted\"\n", 1, {"p": "/v2/o/token/"}]})
        );
    }
}
