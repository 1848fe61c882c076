//! The admin API's JSON for journal exchanges, redacted with the server's [`Redactor`]:
//! secrets and patient ids become stable aliases (`token#1`, `patient#1`), personal data
//! `[redacted]`, FHIR bodies a summary that carries no patient data.

use crate::server::journal::Exchange;
use crate::server::limits::Refusal;
use crate::server::redact::Redactor;
use http::HeaderMap;
use http::header::CONTENT_TYPE;
use serde_json::{Value, json};
use std::time::Duration;

/// One line of `GET /__admin/journal`.
pub(super) fn summary(exchange: &Exchange, redactor: &Redactor) -> Value {
    let request = &exchange.request;
    json!({
        "id": exchange.id,
        "at_ms": millis(exchange.at),
        "elapsed_ms": millis(exchange.elapsed),
        "session": session(exchange),
        "method": request.method.as_str(),
        "target": redactor.target(&request.path, request.query.as_deref()),
        "status": exchange.response.status.as_u16(),
        "unmatched": exchange.miss.is_some(),
    })
}

/// `GET /__admin/journal/{id}`: the whole exchange.
pub(super) fn exchange(exchange: &Exchange, redactor: &Redactor) -> Value {
    let request = &exchange.request;
    let response = &exchange.response;
    // Request before response: aliases are numbered in the order a reader meets them.
    let request = json!({
        "method": request.method.as_str(),
        "target": redactor.target(&request.path, request.query.as_deref()),
        "headers": headers(&request.headers, redactor),
        "body": body(&request.body, &request.headers, redactor),
    });
    let response = json!({
        "status": response.status.as_u16(),
        "headers": headers(&response.headers, redactor),
        "content_encoding": exchange.content_encoding,
        "body": body(&response.body, &response.headers, redactor),
    });
    json!({
        "id": exchange.id,
        "at_ms": millis(exchange.at),
        "elapsed_ms": millis(exchange.elapsed),
        "session": session(exchange),
        "request": request,
        "response": response,
        "miss": miss(exchange, redactor),
        "refused": exchange.refused.map(Refusal::describe),
    })
}

/// One entry of `GET /__admin/unmatched`: the request and why no stub matched it.
pub(super) fn unmatched(exchange: &Exchange, redactor: &Redactor) -> Value {
    let request = &exchange.request;
    json!({
        "id": exchange.id,
        "session": session(exchange),
        "method": request.method.as_str(),
        "target": redactor.target(&request.path, request.query.as_deref()),
        "miss": miss(exchange, redactor),
    })
}

/// Every string of `document` with each value the redactor has aliased so far replaced by
/// its alias (a token echoed in a page, a secret in a near-miss diff).
pub(super) fn scrub(document: &mut Value, redactor: &Redactor) {
    let scrubber = redactor.scrubber();
    map_strings(document, &|text| scrubber.apply(text));
}

fn session(exchange: &Exchange) -> Value {
    json!(exchange.response.session.map(|session| session.to_string()))
}

/// Milliseconds with microsecond precision.
fn millis(duration: Duration) -> f64 {
    (duration.as_secs_f64() * 1_000_000.0).round() / 1000.0
}

/// The headers as `[name, value]` pairs, in order, values redacted.
fn headers(headers: &HeaderMap, redactor: &Redactor) -> Value {
    headers
        .iter()
        .map(|(name, value)| {
            let value = String::from_utf8_lossy(value.as_bytes());
            json!([name.as_str(), redactor.header(name.as_str(), &value)])
        })
        .collect()
}

/// A body by kind: a form with secret parameters aliased, a FHIR resource summarized, other
/// JSON redacted, text as is (the final scrub replaces known values), binary by size.
fn body(bytes: &[u8], headers: &HeaderMap, redactor: &Redactor) -> Value {
    if bytes.is_empty() {
        return Value::Null;
    }
    let media_type = headers
        .get(CONTENT_TYPE)
        .and_then(|value| value.to_str().ok())
        .map(crate::params::media_type);
    let Ok(text) = std::str::from_utf8(bytes) else {
        return json!({"kind": "binary", "bytes": bytes.len()});
    };
    if media_type.as_deref() == Some("application/x-www-form-urlencoded") {
        return json!({"kind": "form", "form": redactor.form(text)});
    }
    match serde_json::from_str::<Value>(text) {
        Ok(resource) if resource.get("resourceType").is_some() => json!({
            "kind": "fhir",
            "bytes": bytes.len(),
            "summary": fhir_summary(&resource, redactor),
        }),
        Ok(value) => json!({"kind": "json", "json": redactor.json(&value)}),
        Err(_) => json!({"kind": "text", "text": text}),
    }
}

/// What may be said of a FHIR resource without its patient data.
fn fhir_summary(resource: &Value, redactor: &Redactor) -> Value {
    let resource_type = resource.get("resourceType").and_then(Value::as_str);
    let entries = resource.get("entry").and_then(Value::as_array);
    let links: Vec<Value> = resource
        .get("link")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .map(|link| {
            json!({
                "relation": link.get("relation").and_then(Value::as_str),
                "url": link.get("url").and_then(Value::as_str).map(|url| redactor.url(url)),
            })
        })
        .collect();
    json!({
        "resourceType": resource_type,
        "total": resource.get("total").and_then(Value::as_u64),
        "entries": (resource_type == Some("Bundle")).then(|| entries.map_or(0, Vec::len)),
        "links": links,
    })
}

/// The exchange's near miss as its type serializes it, with each diff's `actual` request
/// value redacted the way that part of a request is (`headers.authorization` → `Bearer
/// token#1`, `query.code` → `code#1`, `path` → patient ids aliased).
fn miss(exchange: &Exchange, redactor: &Redactor) -> Value {
    let Some(mut miss) = exchange
        .miss
        .as_ref()
        .and_then(|miss| serde_json::to_value(miss).ok())
    else {
        return Value::Null;
    };
    let diffs = miss
        .get_mut("closest")
        .and_then(|closest| closest.get_mut("diffs"))
        .and_then(Value::as_array_mut);
    for diff in diffs.into_iter().flatten() {
        let Some(field) = diff.get("field").and_then(Value::as_str).map(str::to_owned) else {
            continue;
        };
        if let Some(Value::String(actual)) = diff.get_mut("actual") {
            *actual = request_value(&field, actual, redactor);
        }
    }
    miss
}

/// A request's value of `field` (`path`, `headers.NAME`, `query.NAME`, `form.NAME`),
/// redacted.
fn request_value(field: &str, value: &str, redactor: &Redactor) -> String {
    if field == "path" {
        return redactor.target(value, None);
    }
    if let Some(name) = field.strip_prefix("headers.") {
        return redactor.header(name, value);
    }
    let Some(name) = field
        .strip_prefix("query.")
        .or_else(|| field.strip_prefix("form."))
    else {
        return value.to_owned();
    };
    let pair = form_urlencoded::Serializer::new(String::new())
        .append_pair(name, value)
        .finish();
    let redacted = redactor.form(&pair);
    match redacted.split_once('=') {
        Some((_, value)) => value.to_owned(),
        None => redacted,
    }
}

fn map_strings(value: &mut Value, f: &dyn Fn(&str) -> String) {
    match value {
        Value::String(text) => *text = f(text),
        Value::Array(items) => items.iter_mut().for_each(|item| map_strings(item, f)),
        Value::Object(map) => map.values_mut().for_each(|item| map_strings(item, f)),
        _ => {}
    }
}
