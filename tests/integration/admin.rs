//! The admin API (`--admin`, `ServerOptions.admin`) over real loopback HTTP: every endpoint,
//! each body against its schema in `schemas/admin/`, off by default, not journaled, and
//! `bbh serve --admin` exiting 0 after `POST /__admin/shutdown`.

use crate::support::*;
use bluebutton_harness::clock::Clock;
use bluebutton_harness::scenario::{self, Scenario, StateMachine};
use bluebutton_harness::server::{self, ServerOptions};
use reqwest::StatusCode;
use serde_json::{Value, json};
use std::process::Stdio;
use std::sync::Arc;

/// A server with the admin API on a free loopback port.
async fn admin(scenario: Scenario) -> Harness {
    let options = ServerOptions {
        clock: Some(Arc::new(Clock::from_wall_clock())),
        admin: true,
        ..ServerOptions::default()
    };
    let server = server::start(scenario, "127.0.0.1:0".parse().unwrap(), options)
        .await
        .unwrap();
    Harness {
        server,
        client: http_client(),
    }
}

async fn admin_builtin() -> Harness {
    admin(scenario::builtin("oauth-success").unwrap()).await
}

/// Sends an admin request and checks its JSON body against `schemas/admin/<schema>`.
async fn call(h: &Harness, request: reqwest::RequestBuilder, schema: &str) -> (StatusCode, Value) {
    let reply = h.send(request).await;
    assert_eq!(
        reply.header("content-type"),
        Some("application/json"),
        "{}",
        reply.text()
    );
    assert_eq!(reply.header("cache-control"), Some("no-store"));
    let body = reply.json();
    assert_valid(&format!("admin/{schema}"), &body);
    (reply.status, body)
}

async fn get(h: &Harness, path: &str, schema: &str) -> (StatusCode, Value) {
    call(h, h.client.get(h.url(path)), schema).await
}

async fn post(h: &Harness, path: &str, body: &str, schema: &str) -> (StatusCode, Value) {
    call(h, h.client.post(h.url(path)).body(body.to_owned()), schema).await
}

async fn put(h: &Harness, path: &str, body: &str, schema: &str) -> (StatusCode, Value) {
    call(h, h.client.put(h.url(path)).body(body.to_owned()), schema).await
}

/// Fails unless `body` is NOT valid against `schemas/admin/<schema>`.
fn assert_invalid(name: &str, body: &Value) {
    assert!(
        !schema(&format!("admin/{name}")).is_valid(body),
        "{body} should not match admin/{name}"
    );
}

#[tokio::test]
async fn the_admin_api_is_off_by_default() {
    let h = Harness::builtin("oauth-success").await;
    let reply = h.get("/__admin/health").await;
    assert_eq!(reply.status, StatusCode::NOT_FOUND);
    assert!(
        reply.text().contains("<h1>Not Found</h1>"),
        "{}",
        reply.text()
    );
    let shutdown = h.send(h.client.post(h.url("/__admin/shutdown"))).await;
    assert_eq!(shutdown.status, StatusCode::NOT_FOUND);
    // They are ordinary requests: journaled, and the server still answers.
    let journal = h.server.journal().exchanges();
    assert_eq!(journal.len(), 2);
    assert_eq!(journal[0].request.path, "/__admin/health");
    assert_eq!(h.get("/robots.txt").await.status, StatusCode::OK);
}

#[tokio::test]
async fn web_pages_and_rebound_host_names_cannot_drive_the_admin_api() {
    let h = admin_builtin().await;
    let from_page = h
        .client
        .post(h.url("/__admin/shutdown"))
        .header("origin", "https://evil.example");
    let (status, body) = call(&h, from_page, "error").await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    assert!(body["error"].as_str().unwrap().contains("Origin"), "{body}");
    let rebound = h
        .client
        .get(h.url("/__admin/journal"))
        .header("host", "attacker.example");
    let (status, _) = call(&h, rebound, "error").await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    // The server did not stop: the admin API still answers a loopback request.
    let (status, _) = get(&h, "/__admin/health", "health").await;
    assert_eq!(status, StatusCode::OK);
}

#[tokio::test]
async fn health_names_the_scenario() {
    let h = admin_builtin().await;
    let (status, body) = get(&h, "/__admin/health", "health").await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(body["status"], "ok");
    assert_eq!(body["scenario"], "oauth-success");
    assert_eq!(body["bbh_version"], env!("CARGO_PKG_VERSION"));
    // One trailing slash is the same endpoint.
    let (status, _) = get(&h, "/__admin/health/", "health").await;
    assert_eq!(status, StatusCode::OK);
}

#[tokio::test]
async fn unknown_endpoints_ids_and_methods_get_json_errors() {
    let h = admin_builtin().await;
    let (status, body) = get(&h, "/__admin/nothing", "error").await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert!(body["error"].as_str().unwrap().contains("health"), "{body}");
    let (status, body) = get(&h, "/__admin/journal/999", "error").await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert!(body["error"].as_str().unwrap().contains("999"), "{body}");
    let (status, _) = get(&h, "/__admin/journal/abc", "error").await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let reply = h.get("/__admin/reset").await;
    assert_eq!(reply.status, StatusCode::METHOD_NOT_ALLOWED);
    assert_eq!(reply.header("allow"), Some("POST"));
    assert_valid("admin/error", &reply.json());
    let reply = h.send(h.client.delete(h.url("/__admin/state"))).await;
    assert_eq!(reply.status, StatusCode::METHOD_NOT_ALLOWED);
    assert_eq!(reply.header("allow"), Some("GET, PUT"));
}

#[tokio::test]
async fn admin_exchanges_are_not_journaled() {
    let h = admin_builtin().await;
    get(&h, "/__admin/health", "health").await;
    let token = h.access_token().await;
    get(&h, "/__admin/clock", "clock").await;
    let patient = h
        .get_with_token(&format!("/v2/fhir/Patient/{JANE}"), &token)
        .await;
    assert_eq!(patient.status, StatusCode::OK);
    let (_, journal) = get(&h, "/__admin/journal", "journal").await;
    let exchanges = journal["exchanges"].as_array().unwrap();
    let ids: Vec<u64> = exchanges
        .iter()
        .map(|e| e["id"].as_u64().unwrap())
        .collect();
    assert_eq!(ids, [1, 2, 3], "authorize, token, Patient: {journal:#}");
    assert!(
        exchanges
            .iter()
            .all(|e| !e["target"].as_str().unwrap().contains("__admin")),
        "{journal:#}"
    );
    assert_eq!(h.server.journal().exchanges().len(), 3);
}

#[tokio::test]
async fn the_journal_is_listed_and_read_redacted_with_stable_aliases() {
    let h = admin_builtin().await;
    let tokens = h.tokens("").await;
    let access = string_at(&tokens, "access_token");
    let refresh = string_at(&tokens, "refresh_token");
    let patient = h
        .get_with_token(&format!("/v2/fhir/Patient/{JANE}"), &access)
        .await;
    assert_eq!(patient.status, StatusCode::OK);

    let (status, journal) = get(&h, "/__admin/journal", "journal").await;
    assert_eq!(status, StatusCode::OK);
    let exchanges = journal["exchanges"].as_array().unwrap();
    assert_eq!(exchanges.len(), 3);
    assert_eq!(exchanges[0]["method"], "GET");
    assert_eq!(exchanges[0]["status"], 302);
    assert_eq!(exchanges[1]["target"], "/v2/o/token/");
    assert_eq!(exchanges[1]["session"], "session#1");
    assert_eq!(exchanges[2]["target"], "/v2/fhir/Patient/patient#1");
    assert_eq!(exchanges[2]["unmatched"], false);

    let (status, token) = get(&h, "/__admin/journal/2", "exchange").await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(token["id"], 2);
    assert_eq!(token["request"]["method"], "POST");
    assert_eq!(token["request"]["body"]["kind"], "form");
    let form = token["request"]["body"]["form"].as_str().unwrap();
    assert!(form.contains("client_secret=secret#"), "{form}");
    assert!(form.contains("code=code#"), "{form}");
    let answer = &token["response"]["body"];
    assert_eq!(answer["kind"], "json");
    let access_alias = answer["json"]["access_token"].as_str().unwrap().to_owned();
    assert!(access_alias.starts_with("token#"), "{answer}");
    assert_eq!(answer["json"]["patient"], "patient#1");
    assert_eq!(token["miss"], Value::Null);

    let (_, read) = get(&h, "/__admin/journal/3", "exchange").await;
    let authorization = read["request"]["headers"]
        .as_array()
        .unwrap()
        .iter()
        .find(|pair| pair[0] == "authorization")
        .unwrap()[1]
        .clone();
    // The same alias as in the earlier answer: one redactor for the server's life.
    assert_eq!(authorization, format!("Bearer {access_alias}"));
    assert_eq!(read["response"]["status"], 200);
    assert_eq!(read["response"]["body"]["kind"], "fhir");
    assert_eq!(
        read["response"]["body"]["summary"]["resourceType"],
        "Patient"
    );

    let text = format!("{journal} {token} {read}");
    for secret in [
        access.as_str(),
        refresh.as_str(),
        CONFIDENTIAL_SECRET,
        VERIFIER,
        JANE,
    ] {
        assert!(
            !text.contains(secret),
            "the admin API leaks {secret}: {text}"
        );
    }
}

#[tokio::test]
async fn reset_forgets_tokens_and_the_journal() {
    let h = admin_builtin().await;
    let token = h.access_token().await;
    let (status, body) = post(&h, "/__admin/reset", "", "reset").await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(body, json!({"reset": true, "scenario": "oauth-success"}));
    let (_, journal) = get(&h, "/__admin/journal", "journal").await;
    assert_eq!(journal["exchanges"], json!([]));
    let read = h
        .get_with_token(&format!("/v2/fhir/Patient/{JANE}"), &token)
        .await;
    assert_eq!(read.status, StatusCode::UNAUTHORIZED);
}

#[tokio::test]
async fn a_scenario_body_is_served_and_all_its_errors_are_reported() {
    let h = admin_builtin().await;
    let bad = "\
version: 1
name: Bad Name
stubs:
  - when: {path: /v2/fhir/Patient/**}
    then: {status: 99}
colour: blue
";
    let (status, body) = post(&h, "/__admin/scenario", bad, "scenario-errors").await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    let errors = body["errors"].as_array().unwrap();
    assert_eq!(errors.len(), 3, "{body:#}");
    let keys: Vec<&str> = errors.iter().map(|e| e["key"].as_str().unwrap()).collect();
    assert!(keys.contains(&"name"), "{keys:?}");
    assert!(keys.contains(&"stubs[0].then.status"), "{keys:?}");
    assert!(keys.contains(&"colour"), "{keys:?}");
    let status_error = errors
        .iter()
        .find(|e| e["key"] == "stubs[0].then.status")
        .unwrap();
    assert_eq!(status_error["line"], 5);
    assert_eq!(status_error["column"], 20);
    // The server kept its scenario.
    let (_, health) = get(&h, "/__admin/health", "health").await;
    assert_eq!(health["scenario"], "oauth-success");

    let good = "\
version: 1
name: patient-down
stubs:
  - when: {path: /v2/fhir/Patient/-20140000008325}
    then: {status: 503, body: {detail: down}}
";
    let token = h.access_token().await;
    let (status, body) = post(&h, "/__admin/scenario", good, "scenario-loaded").await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(
        body,
        json!({"loaded": true, "scenario": "patient-down", "stubs": 1})
    );
    let (_, health) = get(&h, "/__admin/health", "health").await;
    assert_eq!(health["scenario"], "patient-down");
    let (_, journal) = get(&h, "/__admin/journal", "journal").await;
    assert_eq!(
        journal["exchanges"],
        json!([]),
        "a load empties the journal"
    );
    let stubbed = h
        .get_with_token(&format!("/v2/fhir/Patient/{JANE}"), &token)
        .await;
    assert_eq!(stubbed.status, StatusCode::SERVICE_UNAVAILABLE);
    assert_eq!(stubbed.json(), json!({"detail": "down"}));

    let (status, body) = post(&h, "/__admin/scenario", "\u{0}\u{ff}", "scenario-errors").await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{body}");
}

#[tokio::test]
async fn body_file_is_refused_in_a_scenario_sent_over_http() {
    let h = admin_builtin().await;
    let text = "\
version: 1
name: from-file
stubs:
  - when: {path: /x}
    then: {body_file: Cargo.toml}
";
    let (status, body) = post(&h, "/__admin/scenario", text, "scenario-errors").await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    let error = &body["errors"][0];
    assert_eq!(error["key"], "stubs[0].then.body_file");
    let message = error["message"].as_str().unwrap();
    assert!(message.contains("`body_file` is refused"), "{message}");
    assert!(message.contains("current directory"), "{message}");
}

/// The oauth-success scenario with one state machine `outage: healthy → failing`.
fn with_outage_machine() -> Scenario {
    let mut scenario = scenario::builtin("oauth-success").unwrap();
    scenario.states = vec![StateMachine {
        name: "outage".to_owned(),
        states: vec!["healthy".to_owned(), "failing".to_owned()],
        transitions: Vec::new(),
    }];
    scenario
}

#[tokio::test]
async fn session_states_are_read_and_set() {
    let h = admin(with_outage_machine()).await;
    let (status, body) = get(&h, "/__admin/state", "state").await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(
        body,
        json!({"machines": [{"name": "outage", "states": ["healthy", "failing"]}], "sessions": []})
    );

    let change = json!({"session": 2, "machine": "outage", "state": "failing"});
    assert_valid("admin/state-change", &change);
    let (status, body) = put(&h, "/__admin/state", &change.to_string(), "state").await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(
        body["sessions"],
        json!([{"session": 2, "states": {"outage": "failing"}}])
    );
    let (_, again) = get(&h, "/__admin/state", "state").await;
    assert_eq!(again, body);

    // Each refusal is also outside the request body's schema, or names what does not exist.
    for (refused, in_schema) in [
        (
            json!({"session": 1, "machine": "nope", "state": "failing"}),
            true,
        ),
        (
            json!({"session": 1, "machine": "outage", "state": "nope"}),
            true,
        ),
        (
            json!({"session": 0, "machine": "outage", "state": "failing"}),
            false,
        ),
        (json!({"session": 1, "machine": "outage"}), false),
        (
            json!({"session": 1, "machine": "outage", "state": "failing", "x": 1}),
            false,
        ),
        (
            json!({"session": "1", "machine": "outage", "state": "failing"}),
            false,
        ),
    ] {
        if in_schema {
            assert_valid("admin/state-change", &refused);
        } else {
            assert_invalid("state-change", &refused);
        }
        let (status, error) = put(&h, "/__admin/state", &refused.to_string(), "error").await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{refused}: {error}");
    }
    let (status, _) = put(&h, "/__admin/state", "not json", "error").await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
}

#[tokio::test]
async fn the_clock_is_read_and_only_moves_forward() {
    let h = admin_builtin().await;
    let tokens = h.tokens("").await;
    let token = string_at(&tokens, "access_token");
    let lifetime = tokens["expires_in"].as_u64().unwrap();
    let (status, body) = get(&h, "/__admin/clock", "clock").await;
    assert_eq!(status, StatusCode::OK);
    let before: jiff::Timestamp = body["now"].as_str().unwrap().parse().unwrap();

    let advance = json!({"advance_seconds": lifetime + 1});
    assert_valid("admin/clock-advance", &advance);
    let (status, body) = post(&h, "/__admin/clock", &advance.to_string(), "clock").await;
    assert_eq!(status, StatusCode::OK);
    let after: jiff::Timestamp = body["now"].as_str().unwrap().parse().unwrap();
    assert!(
        after.duration_since(before) >= jiff::SignedDuration::from_secs(lifetime as i64 + 1),
        "{before} → {after}"
    );
    // The access token has expired on the moved clock.
    let read = h
        .get_with_token(&format!("/v2/fhir/Patient/{JANE}"), &token)
        .await;
    assert_eq!(read.status, StatusCode::UNAUTHORIZED);

    let (status, body) = post(&h, "/__admin/clock", r#"{"advance_seconds": 0.5}"#, "clock").await;
    assert_eq!(status, StatusCode::OK, "{body}");
    for refused in [
        json!({"advance_seconds": -1}),
        json!({"advance_seconds": "60"}),
        json!({"seconds": 60}),
    ] {
        assert_invalid("clock-advance", &refused);
        let (status, body) = post(&h, "/__admin/clock", &refused.to_string(), "error").await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{refused}");
        if refused["advance_seconds"] == -1 {
            let message = body["error"].as_str().unwrap();
            assert!(message.contains("only moves forward"), "{message}");
        }
    }
    let (_, body) = get(&h, "/__admin/clock", "clock").await;
    let last: jiff::Timestamp = body["now"].as_str().unwrap().parse().unwrap();
    assert!(last >= after);
}

#[tokio::test]
async fn unmatched_is_empty_when_every_request_was_answered() {
    let h = admin_builtin().await;
    let token = h.access_token().await;
    h.get_with_token(&format!("/v2/fhir/Patient/{JANE}"), &token)
        .await;
    let (status, body) = get(&h, "/__admin/unmatched", "unmatched").await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(body, json!({"unmatched": []}));
}

/// Needs section A's near-miss explanation (it fills `Exchange.miss`); passes once merged.
#[tokio::test]
async fn unmatched_lists_requests_no_stub_or_route_answered_with_the_closest_stub() {
    let h = admin(
        scenario::parse(
            "\
version: 1
name: one-stub
stubs:
  - when: {method: GET, path: /v2/fhir/Widget/**}
    then: {status: 200, body: {ok: true}}
",
            scenario::Source::Builtin("test"),
        )
        .unwrap(),
    )
    .await;
    let token = h.access_token().await;
    let miss = h
        .send(
            h.client
                .post(h.url("/v2/fhir/Widget/1"))
                .bearer_auth(&token),
        )
        .await;
    assert_eq!(miss.status, StatusCode::NOT_FOUND);
    let (_, body) = get(&h, "/__admin/unmatched", "unmatched").await;
    let unmatched = body["unmatched"].as_array().unwrap();
    assert_eq!(unmatched.len(), 1, "{body:#}");
    assert_eq!(unmatched[0]["target"], "/v2/fhir/Widget/1");
    let closest = &unmatched[0]["miss"]["closest"];
    assert_eq!(closest["index"], 0);
    assert_eq!(
        closest["diffs"],
        json!([{"field": "method", "expected": "GET", "actual": "POST"}])
    );
    let (_, journal) = get(&h, "/__admin/journal", "journal").await;
    let last = journal["exchanges"]
        .as_array()
        .unwrap()
        .last()
        .unwrap()
        .clone();
    assert_eq!(last["unmatched"], true);
    assert!(!body.to_string().contains(&token));
}

#[tokio::test]
async fn shutdown_answers_then_the_server_stops() {
    let h = admin_builtin().await;
    let addr = h.server.local_addr();
    let (status, body) = post(&h, "/__admin/shutdown", "", "shutdown").await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(body, json!({"stopping": true}));
    h.server.stop_requested().await;
    // The listener closes by itself; wait for it (no upper bound).
    while tokio::net::TcpStream::connect(addr).await.is_ok() {
        tokio::time::sleep(std::time::Duration::from_millis(10)).await;
    }
    h.server.stop().await;
}

#[tokio::test]
async fn bbh_serve_admin_exits_0_after_shutdown() {
    let (bbh, url) = spawn_bbh(
        ["serve", "--admin", "--addr", "127.0.0.1:0"],
        Stdio::piped(),
        LISTENING,
    );
    let client = http_client();
    let health = client
        .get(format!("{url}/__admin/health"))
        .send()
        .await
        .unwrap();
    assert_eq!(health.status(), 200);
    let reply = client
        .post(format!("{url}/__admin/shutdown"))
        .send()
        .await
        .unwrap();
    assert_eq!(reply.status(), 200);
    let body: Value = reply.json().await.unwrap();
    assert_valid("admin/shutdown", &body);
    let (status, log) = bbh.wait();
    assert!(status.success(), "exit {status}: {log}");
    assert!(log.contains("admin API at http://127.0.0.1:"), "{log}");
    assert!(log.contains("stopping (POST /__admin/shutdown)"), "{log}");
    assert!(
        !log.contains("GET /__admin/health") && !log.contains("POST /__admin/shutdown 200"),
        "admin exchanges are not logged: {log}"
    );
}
