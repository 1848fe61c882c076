//! `transcript.json`: every exchange of a run in order, redacted (shape:
//! `schemas/transcript.schema.json`). Secrets and patient ids become the stable aliases of one
//! [`Redactor`] (`Bearer token#1`, `code#1`, `secret#1`, `patient#1`, in paths, links, headers
//! and bodies alike); FHIR bodies, which carry patient data, are replaced by a summary and
//! the SHA-256 of the body. [`normalized`] is the form snapshots compare.

use crate::conform::run::ScenarioRun;
use crate::server::journal::Exchange;
use crate::server::redact::Redactor;
use http::HeaderMap;
use serde_json::{Map, Value, json};
use sha2::{Digest, Sha256};
use std::collections::BTreeSet;
use std::time::Duration;

/// What a volatile value becomes in normalized transcripts and output snapshots.
pub(crate) const VOLATILE: &str = "[redacted]";

/// The `transcript.json` document of `run`.
pub fn render(run: &ScenarioRun) -> Value {
    let redactor = Redactor::new();
    let exchanges = exchanges(run, &redactor, false);
    let mut document = json!({
        "bbh_version": env!("CARGO_PKG_VERSION"),
        "scenario": run.scenario.name,
        "truncated": run.traffic.truncated,
        "exchanges": exchanges,
    });
    scrub(&mut document, &redactor);
    document
}

/// The transcript as snapshots compare it: without timings, body sizes and digests; `state`
/// aliased too (random per run); the server's origin replaced by `{server}`, other loopback
/// ports (the client's callback) by `{port}`, RFC 3339 timestamps by `[redacted]`. Two runs
/// of the same client give the same JSON.
pub fn normalized(run: &ScenarioRun) -> Value {
    let redactor = Redactor::deterministic();
    let exchanges = exchanges(run, &redactor, true);
    let mut document = json!({
        "scenario": run.scenario.name,
        "truncated": run.traffic.truncated,
        "exchanges": exchanges,
    });
    scrub(&mut document, &redactor);
    let origins: BTreeSet<&str> = run
        .traffic
        .exchanges
        .iter()
        .map(|exchange| exchange.request.origin.as_str())
        .collect();
    map_strings(&mut document, &|text| {
        if is_timestamp(text) {
            return VOLATILE.to_owned();
        }
        let mut text = text.to_owned();
        for origin in &origins {
            text = text.replace(origin, "{server}");
            if let Some((_, authority)) = origin.split_once("://") {
                text = text.replace(authority, "{server}");
            }
        }
        loopback_ports(&text)
    });
    document
}

/// Whether `text` is an RFC 3339 timestamp (`2026-11-29T03:52:41Z`).
pub(crate) fn is_timestamp(text: &str) -> bool {
    text.len() >= 20 && text.contains('T') && text.parse::<jiff::Timestamp>().is_ok()
}

fn exchanges(run: &ScenarioRun, redactor: &Redactor, normalized: bool) -> Vec<Value> {
    run.traffic
        .exchanges
        .iter()
        .map(|exchange| entry(exchange, redactor, normalized))
        .collect()
}

fn entry(exchange: &Exchange, redactor: &Redactor, normalized: bool) -> Value {
    let request = &exchange.request;
    let response = &exchange.response;
    let mut entry = Map::new();
    entry.insert("id".into(), json!(exchange.id));
    if !normalized {
        entry.insert("at_ms".into(), json!(millis(exchange.at)));
        entry.insert("elapsed_ms".into(), json!(millis(exchange.elapsed)));
    }
    entry.insert(
        "session".into(),
        json!(response.session.map(|session| session.to_string())),
    );
    // Request before response: aliases are numbered in the order a reader meets them.
    let mut request = json!({
        "method": request.method.as_str(),
        "target": redactor.target(&request.path, request.query.as_deref()),
        "headers": headers(&request.headers, redactor, normalized),
        "body": request_body(exchange, redactor),
    });
    if let Some(refusal) = exchange.refused {
        request["refused"] = json!(refusal.describe());
    }
    entry.insert("request".into(), request);
    let headers = headers(&response.headers, redactor, normalized);
    entry.insert(
        "response".into(),
        json!({
            "status": response.status.as_u16(),
            "headers": headers,
            "content_encoding": exchange.content_encoding,
            "body": response_body(&response.body, redactor, normalized),
        }),
    );
    Value::Object(entry)
}

/// Milliseconds with microsecond precision.
fn millis(duration: Duration) -> f64 {
    (duration.as_secs_f64() * 1_000_000.0).round() / 1000.0
}

/// The headers as `[name, value]` pairs; normalized, without `Content-Length` (bodies carry
/// random tokens and PKCE values whose encoded length varies from run to run) and with
/// `X-RateLimit-Remaining` volatile (how many calls share a throttle window depends on timing).
fn headers(headers: &HeaderMap, redactor: &Redactor, normalized: bool) -> Value {
    headers
        .iter()
        .filter(|(name, _)| !(normalized && *name == http::header::CONTENT_LENGTH))
        .map(|(name, value)| {
            if normalized && name.as_str() == "x-ratelimit-remaining" && value != "None" {
                return json!([name.as_str(), VOLATILE]);
            }
            let value = String::from_utf8_lossy(value.as_bytes());
            json!([name.as_str(), redactor.header(name.as_str(), &value)])
        })
        .collect()
}

fn request_body(exchange: &Exchange, redactor: &Redactor) -> Value {
    let body = &exchange.request.body;
    if body.is_empty() {
        return Value::Null;
    }
    let Ok(text) = std::str::from_utf8(body) else {
        return json!(format!("[{} bytes, not text]", body.len()));
    };
    let media_type = exchange
        .request
        .header(http::header::CONTENT_TYPE)
        .map(crate::params::media_type);
    if media_type.as_deref() == Some("application/x-www-form-urlencoded") {
        return json!(redactor.form(text));
    }
    match serde_json::from_str::<Value>(text) {
        Ok(value) => json!(redactor.json(&value).to_string()),
        // Free text: the final scrub replaces every secret and patient id it knows.
        Err(_) => json!(text),
    }
}

fn response_body(body: &[u8], redactor: &Redactor, normalized: bool) -> Value {
    if body.is_empty() {
        return Value::Null;
    }
    let json = serde_json::from_slice::<Value>(body).ok();
    if let Some(resource) = json.as_ref().filter(|v| v.get("resourceType").is_some()) {
        let mut summary = json!({"kind": "fhir", "summary": fhir_summary(resource, redactor)});
        if !normalized {
            summary["bytes"] = json!(body.len());
            summary["sha256"] = json!(sha256(body));
        }
        return summary;
    }
    if let Some(value) = json {
        return json!({"kind": "json", "json": redactor.json(&value)});
    }
    match std::str::from_utf8(body) {
        Ok(text) => json!({"kind": "text", "text": text}),
        Err(_) if normalized => json!({"kind": "binary"}),
        Err(_) => json!({"kind": "binary", "bytes": body.len(), "sha256": sha256(body)}),
    }
}

/// What may be said of a FHIR resource without its patient data.
fn fhir_summary(resource: &Value, redactor: &Redactor) -> Value {
    let entries = resource.get("entry").and_then(Value::as_array);
    let ids = match entries {
        Some(entries) => entries
            .iter()
            .filter(|entry| entry.get("resource").and_then(|r| r.get("id")).is_some())
            .count(),
        None => usize::from(resource.get("id").is_some()),
    };
    let links: Vec<Value> = resource
        .get("link")
        .and_then(Value::as_array)
        .map(|links| {
            links
                .iter()
                .map(|link| {
                    json!({
                        "relation": link.get("relation").and_then(Value::as_str),
                        "url": link.get("url").and_then(Value::as_str).map(|url| redactor.url(url)),
                    })
                })
                .collect()
        })
        .unwrap_or_default();
    let resource_type = resource.get("resourceType").and_then(Value::as_str);
    json!({
        "resourceType": resource_type,
        "total": resource.get("total").and_then(Value::as_u64),
        "entries": if resource_type == Some("Bundle") { Some(entries.map_or(0, Vec::len)) } else { None },
        "links": links,
        "ids": ids,
    })
}

fn sha256(body: &[u8]) -> String {
    Sha256::digest(body)
        .iter()
        .map(|byte| format!("{byte:02x}"))
        .collect()
}

/// The last line of defence: every string of the document scrubbed of every value aliased
/// anywhere in it (a token first met in a later exchange, a code echoed in an HTML page).
fn scrub(document: &mut Value, redactor: &Redactor) {
    let scrubber = redactor.scrubber();
    map_strings(document, &|text| scrubber.apply(text));
}

fn map_strings(value: &mut Value, f: &dyn Fn(&str) -> String) {
    match value {
        Value::String(text) => *text = f(text),
        Value::Array(items) => items.iter_mut().for_each(|item| map_strings(item, f)),
        Value::Object(map) => map.values_mut().for_each(|item| map_strings(item, f)),
        _ => {}
    }
}

/// `127.0.0.1:53111`, `localhost:53111` and `[::1]:53111` with the port as `{port}`.
fn loopback_ports(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    'scan: while !rest.is_empty() {
        for host in ["127.0.0.1:", "localhost:", "[::1]:"] {
            if let Some(after) = rest.strip_prefix(host) {
                let digits = after.bytes().take_while(u8::is_ascii_digit).count();
                if digits > 0 {
                    out.push_str(host);
                    out.push_str("{port}");
                    rest = &after[digits..];
                    continue 'scan;
                }
            }
        }
        let mut chars = rest.chars();
        if let Some(c) = chars.next() {
            out.push(c);
        }
        rest = chars.as_str();
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::report::fixtures::{self, PATIENT, errors, validator};

    #[test]
    fn the_transcript_matches_its_schema() {
        let document = render(&fixtures::run());
        let validator = validator("transcript.schema.json");
        assert_eq!(errors(&validator, &document), Vec::<String>::new());
        let mut truncated = fixtures::run();
        truncated.traffic.truncated = true;
        assert_eq!(render(&truncated)["truncated"], true);
        let mut bad = document;
        bad["exchanges"][0]["request"]["extra"] = json!(1);
        bad["exchanges"][2]["response"]["body"]["kind"] = json!("resource");
        assert_eq!(
            errors(&validator, &bad).len(),
            2,
            "{:?}",
            errors(&validator, &bad)
        );
    }

    #[test]
    fn no_secret_or_patient_id_is_written() {
        let document = render(&fixtures::run());
        let text = serde_json::to_string_pretty(&document).unwrap();
        for secret in fixtures::secrets("a") {
            assert!(!text.contains(&secret), "{secret} in {text}");
        }
        assert!(!text.contains(PATIENT), "{text}");
        assert!(!text.contains("20140000008325"), "{text}");
        for personal in ["Jane", "Doe", "jane@example.com", "1999-06-01"] {
            assert!(!text.contains(personal), "{personal} in {text}");
        }
    }

    #[test]
    fn free_text_is_scrubbed_of_every_known_value() {
        let mut run = fixtures::run();
        let first = &mut run.traffic.exchanges[0];
        // A page met before the token it names: the final scrub still knows it.
        first.response.body = format!("<p>{} for {PATIENT}</p>", fixtures::secrets("a")[3]).into();
        first.request.body = format!("raw {}", fixtures::secrets("a")[0]).into();
        let document = render(&run);
        let first = &document["exchanges"][0];
        assert_eq!(
            first["response"]["body"],
            json!({"kind": "text", "text": "<p>token#3 for patient#1</p>"})
        );
        assert_eq!(first["request"]["body"], "raw code#1");
    }

    #[test]
    fn aliases_are_stable_across_the_transcript() {
        let document = render(&fixtures::run());
        let exchanges = document["exchanges"].as_array().unwrap();
        let authorize = &exchanges[0];
        assert!(
            authorize["request"]["target"]
                .as_str()
                .unwrap()
                .contains("code_challenge=secret#1&code_challenge_method=S256")
        );
        assert!(
            authorize["request"]["target"]
                .as_str()
                .unwrap()
                .contains("state=state-a-abcdefghijklmnop"),
            "state is not a secret"
        );
        assert_eq!(
            authorize["response"]["headers"][0],
            json!([
                "location",
                "http://127.0.0.1:53111/callback?code=code#1&state=state-a-abcdefghijklmnop"
            ])
        );
        let token = &exchanges[1];
        assert_eq!(
            token["request"]["headers"][0],
            json!(["authorization", "Basic secret#2"])
        );
        assert_eq!(
            token["request"]["body"],
            "grant_type=authorization_code&code=code#1&redirect_uri=http://127.0.0.1:53111/callback&code_verifier=secret#3"
        );
        assert_eq!(token["session"], "session#1");
        let answer = &token["response"]["body"];
        assert_eq!(answer["kind"], "json");
        assert_eq!(answer["json"]["access_token"], "token#1");
        assert_eq!(answer["json"]["refresh_token"], "token#2");
        assert_eq!(answer["json"]["patient"], "patient#1");
        let read = &exchanges[2];
        assert_eq!(read["request"]["target"], "/v2/fhir/Patient/patient#1");
        assert_eq!(
            read["request"]["headers"][0],
            json!(["authorization", "Bearer token#1"])
        );
        let refresh = &exchanges[4];
        assert_eq!(
            refresh["request"]["body"],
            "grant_type=refresh_token&refresh_token=token#2"
        );
        assert_eq!(
            refresh["response"]["body"]["json"]["access_token"],
            "token#3"
        );
        let userinfo = &exchanges[5];
        assert_eq!(
            userinfo["response"]["body"]["json"],
            json!({"sub": "patient#1", "patient": "patient#1", "name": "[redacted]", "email": "[redacted]"})
        );
        assert_eq!(
            exchanges[6]["request"]["headers"][0],
            json!(["authorization", "Bearer token#5"])
        );
    }

    #[test]
    fn fhir_bodies_are_summarized() {
        let document = render(&fixtures::run());
        let search = &document["exchanges"][3];
        assert_eq!(search["response"]["content_encoding"], "gzip");
        let body = &search["response"]["body"];
        assert_eq!(body["kind"], "fhir");
        assert_eq!(
            body["summary"],
            json!({
                "resourceType": "Bundle",
                "total": 12,
                "entries": 2,
                "links": [
                    {"relation": "first", "url": "http://127.0.0.1:41234/v2/fhir/ExplanationOfBenefit/?_count=10&startIndex=0&patient=patient#1"},
                    {"relation": "next", "url": "http://127.0.0.1:41234/v2/fhir/ExplanationOfBenefit/?_count=10&startIndex=10&patient=patient#1"},
                ],
                "ids": 2,
            })
        );
        let raw = &fixtures::run().traffic.exchanges[3].response.body;
        assert_eq!(body["sha256"], sha256(raw));
        assert_eq!(body["bytes"], raw.len());
        let read = &document["exchanges"][2]["response"]["body"]["summary"];
        assert_eq!(read["resourceType"], "Patient");
        assert_eq!(read["entries"], Value::Null);
        assert_eq!(read["ids"], 1);
        assert!(document["exchanges"][0]["response"]["body"].is_null());
        assert_eq!(document["exchanges"][1]["at_ms"], 14.0);
        assert_eq!(document["exchanges"][1]["elapsed_ms"], 1.5);
    }

    #[test]
    fn two_runs_of_the_same_client_normalize_the_same() {
        let first = normalized(&fixtures::run_with(41234, 53111, "a"));
        let second = normalized(&fixtures::run_with(40001, 6000, "b"));
        assert_eq!(first, second);
        let text = serde_json::to_string_pretty(&first).unwrap();
        assert!(!text.contains("at_ms") && !text.contains("sha256"));
        assert!(text.contains("{server}/v2/fhir/ExplanationOfBenefit/?_count=10"));
        assert!(text.contains("http://127.0.0.1:{port}/callback?code=code#1&state=state#1"));
        assert!(
            first["exchanges"][0]["request"]["headers"]
                .as_array()
                .unwrap()
                .contains(&json!(["host", "{server}"])),
            "{text}"
        );
        for secret in fixtures::secrets("a") {
            assert!(!text.contains(&secret));
        }
        // A different journey does not normalize the same.
        let mut other = fixtures::run_with(41234, 53111, "a");
        other.traffic.exchanges.pop();
        assert_ne!(normalized(&other), first);
    }

    #[test]
    fn loopback_ports_and_timestamps_are_recognized() {
        assert_eq!(
            loopback_ports("http://127.0.0.1:80/a http://localhost:5/ [::1]:9 127.0.0.1:x"),
            "http://127.0.0.1:{port}/a http://localhost:{port}/ [::1]:{port} 127.0.0.1:x"
        );
        assert!(is_timestamp("2026-11-29T03:52:41Z"));
        assert!(is_timestamp("2026-11-29T03:52:41.5+01:00"));
        assert!(!is_timestamp("2026-11-29"));
        assert!(!is_timestamp("token#1"));
    }
}
