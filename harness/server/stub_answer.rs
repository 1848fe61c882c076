//! What a stub answers: its own response ([`answer`]), or the built-in one changed as its
//! `passthrough` edits say; then its status and headers over either ([`overlay`]).
//! Templates in the body, in header values and in `passthrough.set` strings are rendered for
//! the request.

use crate::exchange::Response;
use crate::scenario::{Passthrough, StubThen};
use crate::server::template::{self, Context};
use bytes::Bytes;
use http::StatusCode;
use http::header::{CONTENT_TYPE, HeaderValue};
use serde_json::Value;
use std::borrow::Cow;

/// The stub's own answer (not `passthrough`): its status (200 by default) and body,
/// templates rendered, with `Content-Type: application/json` when it has a body; its headers
/// come from [`overlay`]. A struck `fault` answers instead (`wire::Plan::fault_answer`).
pub fn answer(then: &StubThen, context: &Context<'_>) -> Response {
    let mut response = Response::empty(then.status.unwrap_or(StatusCode::OK));
    if let Some(body) = &then.body {
        response
            .headers
            .insert(CONTENT_TYPE, HeaderValue::from_static("application/json"));
        response.body = rendered_body(body, context);
    }
    response
}

/// Applies the stub's `passthrough` edits to the body, then its status (if it sets one) and
/// headers (templates rendered) over `response`, replacing headers of the same name.
pub fn overlay(then: &StubThen, context: &Context<'_>, response: &mut Response) {
    if let Some(passthrough) = &then.passthrough {
        edit(passthrough, context, response);
    }
    if let Some(status) = then.status {
        response.status = status;
    }
    for (name, value) in &then.headers {
        response
            .headers
            .insert(name.clone(), rendered_header(value, context));
    }
}

/// A body with its templates rendered: in every string of a JSON body (so that it stays
/// JSON whatever the request holds), else in the text; bytes that are not UTF-8 as they are.
fn rendered_body(body: &Bytes, context: &Context<'_>) -> Bytes {
    if !body.windows(2).any(|pair| pair == b"{{") {
        return body.clone();
    }
    if let Ok(mut value) = serde_json::from_slice::<Value>(body) {
        template::render_json(&mut value, context);
        return Bytes::from(value.to_string());
    }
    match std::str::from_utf8(body) {
        Ok(text) => match template::render(text, context) {
            Cow::Borrowed(_) => body.clone(),
            Cow::Owned(text) => Bytes::from(text),
        },
        Err(_) => body.clone(),
    }
}

/// A header value with its templates rendered, sent as UTF-8 bytes (non-ASCII text included);
/// control characters a request value brought in are dropped (a header cannot carry them). A
/// value that is not UTF-8 has no templates and is sent as it is.
fn rendered_header(value: &HeaderValue, context: &Context<'_>) -> HeaderValue {
    let Ok(text) = std::str::from_utf8(value.as_bytes()) else {
        return value.clone();
    };
    match template::render(text, context) {
        Cow::Borrowed(_) => value.clone(),
        Cow::Owned(text) => {
            let clean: String = text
                .chars()
                .filter(|&c| c == '\t' || !c.is_control())
                .collect();
            HeaderValue::from_bytes(clean.as_bytes()).unwrap_or_else(|_| value.clone())
        }
    }
}

/// Applies `passthrough`'s edits to a JSON body: every `set` in order (templates in its
/// strings rendered), then every `remove` in order. An edit whose target cannot be reached
/// (its parent is missing or is not an object or array, or the index is past the end) is
/// skipped; a body that is not JSON is left as it is.
fn edit(passthrough: &Passthrough, context: &Context<'_>, response: &mut Response) {
    if passthrough.set.is_empty() && passthrough.remove.is_empty() {
        return;
    }
    let Ok(mut body) = serde_json::from_slice::<Value>(&response.body) else {
        return;
    };
    for (pointer, value) in &passthrough.set {
        let mut value = value.clone();
        template::render_json(&mut value, context);
        set(&mut body, pointer, value);
    }
    for pointer in &passthrough.remove {
        remove(&mut body, pointer);
    }
    response.body = Bytes::from(body.to_string());
}

/// The parent pointer of `pointer` and its last reference token, unescaped (RFC 6901).
fn split(pointer: &str) -> Option<(&str, String)> {
    let (parent, last) = pointer.rsplit_once('/')?;
    Some((parent, last.replace("~1", "/").replace("~0", "~")))
}

/// An array index token: `0`, or digits without a leading zero.
fn index(token: &str) -> Option<usize> {
    let digits = !token.is_empty() && token.bytes().all(|b| b.is_ascii_digit());
    (digits && (token == "0" || !token.starts_with('0')))
        .then(|| token.parse().ok())
        .flatten()
}

/// Puts `value` at `pointer`: replaces what is there, adds an object member, or appends to an
/// array (index = length, or `-`). Whether it was put.
fn set(root: &mut Value, pointer: &str, value: Value) -> bool {
    let Some((parent, last)) = split(pointer) else {
        return false;
    };
    match root.pointer_mut(parent) {
        Some(Value::Object(members)) => {
            members.insert(last, value);
            true
        }
        Some(Value::Array(items)) => match index(&last) {
            Some(i) if i < items.len() => {
                items[i] = value;
                true
            }
            Some(i) if i == items.len() => {
                items.push(value);
                true
            }
            None if last == "-" => {
                items.push(value);
                true
            }
            _ => false,
        },
        _ => false,
    }
}

/// Removes what is at `pointer`, keeping the order of the rest. Whether there was something.
fn remove(root: &mut Value, pointer: &str) -> bool {
    let Some((parent, last)) = split(pointer) else {
        return false;
    };
    match root.pointer_mut(parent) {
        Some(Value::Object(members)) => members.shift_remove(&last).is_some(),
        Some(Value::Array(items)) => match index(&last) {
            Some(i) if i < items.len() => {
                items.remove(i);
                true
            }
            _ => false,
        },
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::exchange::Request;
    use crate::params::Params;
    use crate::server::template::Fresh;
    use http::{HeaderMap, Method};
    use serde_json::json;

    /// What `request` renders from, with the form fields `form`.
    fn context<'a>(request: &'a Request, form: &'a Params, fresh: &'a Fresh) -> Context<'a> {
        Context {
            request,
            form,
            fresh,
        }
    }

    fn request(method: Method, path: &str) -> Request {
        Request {
            method,
            path: path.to_owned(),
            query: Some("name=a%22b".to_owned()),
            headers: HeaderMap::new(),
            body: Bytes::new(),
            origin: "http://127.0.0.1:1".to_owned(),
        }
    }

    fn then(status: u16) -> StubThen {
        StubThen {
            status: StatusCode::from_u16(status).ok(),
            ..StubThen::default()
        }
    }

    #[test]
    fn answers_and_overlays() {
        let (fresh, form) = (Fresh::default(), Params::default());
        let mut then = then(201);
        then.headers = vec![(http::header::RETRY_AFTER, HeaderValue::from_static("1"))];
        let get = request(Method::GET, "/");
        let get = context(&get, &form, &fresh);
        let mut response = answer(&then, &get);
        assert_eq!(response.status, StatusCode::CREATED);
        assert!(response.headers.get(CONTENT_TYPE).is_none());
        then.body = Some(Bytes::from_static(b"{}"));
        then.status = None;
        response = answer(&then, &get);
        assert_eq!(response.status, StatusCode::OK);
        assert_eq!(response.media_type().as_deref(), Some("application/json"));
        then.headers
            .push((CONTENT_TYPE, HeaderValue::from_static("text/plain")));
        overlay(&then, &get, &mut response);
        assert_eq!(response.media_type().as_deref(), Some("text/plain"));
        assert_eq!(
            response.headers.get("retry-after").map(|v| v.as_bytes()),
            Some(&b"1"[..])
        );
    }

    #[test]
    fn templates_render_in_json_and_text_bodies_and_headers() {
        let (fresh, form) = (Fresh::default(), Params::default());
        let get = request(Method::GET, "/p");
        let get = context(&get, &form, &fresh);
        let mut then = then(200);
        then.body = Some(Bytes::from_static(
            br#"{"name":"{{request.query.name}}","id":"{{fresh.id}}"}"#,
        ));
        then.headers = vec![(
            http::HeaderName::from_static("x-echo"),
            HeaderValue::from_static("{{request.path}}?{{request.query.name}}"),
        )];
        let mut response = answer(&then, &get);
        overlay(&then, &get, &mut response);
        let body: Value = serde_json::from_slice(&response.body).unwrap();
        assert_eq!(body["name"], "a\"b");
        assert_eq!(body["id"].as_str().map(str::len), Some(32));
        assert_eq!(
            response.headers.get("x-echo").map(|v| v.as_bytes()),
            Some(&b"/p?a\"b"[..])
        );
        then.body = Some(Bytes::from_static(b"path {{request.path}}"));
        assert_eq!(answer(&then, &get).body, "path /p");
        let again = answer(
            &StubThen {
                body: Some(Bytes::from_static(b"{{fresh.id}}")),
                ..StubThen::default()
            },
            &get,
        );
        assert_eq!(
            Some(again.body.as_ref()),
            body["id"].as_str().map(str::as_bytes)
        );
    }

    #[test]
    fn a_rendered_header_drops_control_characters() {
        let mut get = request(Method::GET, "/");
        get.query = Some("v=a%0D%0Ab".to_owned());
        let value = HeaderValue::from_static("[{{request.query.v}}]");
        let (form, fresh) = (Params::default(), Fresh::default());
        assert_eq!(
            rendered_header(&value, &context(&get, &form, &fresh)).as_bytes(),
            b"[ab]"
        );
    }

    #[test]
    fn a_rendered_header_sends_non_ascii_text_as_utf_8() {
        let mut get = request(Method::GET, "/");
        get.query = Some("v=Zo%C3%AB%09%7F!".to_owned());
        let (form, fresh) = (Params::default(), Fresh::default());
        let get = context(&get, &form, &fresh);
        let rendered = |value: &str| {
            let value = HeaderValue::from_bytes(value.as_bytes()).unwrap();
            rendered_header(&value, &get).as_bytes().to_vec()
        };
        // A value the request brings, and text written in the stub, both non-ASCII.
        assert_eq!(rendered("[{{request.query.v}}]"), "[Zoë\t!]".as_bytes());
        assert_eq!(
            rendered("Grüße, {{request.query.v}}"),
            "Grüße, Zoë\t!".as_bytes()
        );
        assert_eq!(rendered("Grüße"), "Grüße".as_bytes());
    }

    #[test]
    fn passthrough_edits_set_then_remove_and_skip_what_they_cannot_reach() {
        let (fresh, form) = (Fresh::default(), Params::default());
        let get = request(Method::GET, "/");
        let get = context(&get, &form, &fresh);
        let mut response = Response::json(
            StatusCode::OK,
            &json!({"total": 2, "entry": [{"id": "a"}, {"id": "b"}], "link": [1, 2], "a/b": {"~": 0}}),
        );
        let passthrough = Passthrough {
            set: vec![
                ("/total".into(), json!(0)),
                ("/entry/0/id".into(), json!("{{request.query.name}}")),
                ("/entry/-".into(), json!({"id": "c"})),
                ("/entry/3".into(), json!({"id": "d"})),
                ("/entry/9".into(), json!("skipped")),
                ("/missing/x".into(), json!("skipped")),
                ("/total/x".into(), json!("skipped")),
                ("/a~1b/~0".into(), json!(1)),
                ("/new".into(), json!(true)),
            ],
            remove: vec![
                "/link/0".into(),
                "/entry/1".into(),
                "/nope".into(),
                "/link/01".into(),
            ],
        };
        edit(&passthrough, &get, &mut response);
        assert_eq!(
            String::from_utf8_lossy(&response.body),
            json!({
                "total": 0,
                "entry": [{"id": "a\"b"}, {"id": "c"}, {"id": "d"}],
                "link": [2],
                "a/b": {"~": 1},
                "new": true
            })
            .to_string()
        );
        let mut page = Response::html(StatusCode::OK, "<p>not json</p>");
        edit(&passthrough, &get, &mut page);
        assert_eq!(page.body, "<p>not json</p>");
    }
}
