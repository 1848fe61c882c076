//! Programmable answers over real loopback HTTP: `sequence` steps in turn, `passthrough` edits
//! of the built-in body, templates echoing the request (in answers and in `when` values) and
//! fresh values, and per-session state machines (separate per grant, kept through a refresh,
//! one move per state under load).

use crate::support::*;
use bluebutton_harness::exchange::SessionId;
use reqwest::StatusCode;
use serde_json::{Value, json};

/// A GET sent without the schema checks of `Harness::send` (edited bodies are not BB2's).
async fn raw_get(
    h: &Harness,
    path: &str,
    token: &str,
) -> (StatusCode, reqwest::header::HeaderMap, Value) {
    let response = h
        .client
        .get(h.url(path))
        .bearer_auth(token)
        .send()
        .await
        .unwrap();
    let (status, headers) = (response.status(), response.headers().clone());
    let body = response.bytes().await.unwrap();
    let json = serde_json::from_slice(&body)
        .unwrap_or_else(|e| panic!("not JSON ({e}): {}", String::from_utf8_lossy(&body)));
    (status, headers, json)
}

#[tokio::test]
async fn a_sequence_answers_in_turn_and_its_last_step_repeats() {
    let h = Harness::yaml(
        "\
version: 1
name: flaky-patient
stubs:
  - when: {method: GET, path: /v2/fhir/Patient/}
    then:
      headers: {X-Step: default}
      sequence:
        - {status: 500, body: {detail: first}}
        - {status: 503, headers: {Retry-After: '2'}, body: {detail: second}}
        - {passthrough: true}
",
    )
    .await;
    let token = h.access_token().await;
    // Coverage does not reach the stub, so it does not use up a step.
    let coverage = h.get_with_token("/v2/fhir/Coverage/", &token).await;
    assert_eq!(coverage.status, StatusCode::OK);
    assert_eq!(coverage.header("x-step"), None);

    let first = h.get_with_token("/v2/fhir/Patient/", &token).await;
    assert_eq!(first.status, StatusCode::INTERNAL_SERVER_ERROR);
    assert_eq!(first.json(), json!({"detail": "first"}));
    assert_eq!(first.header("x-step"), Some("default"));
    assert_eq!(first.header("retry-after"), None);

    let second = h.get_with_token("/v2/fhir/Patient", &token).await;
    assert_eq!(second.status, StatusCode::SERVICE_UNAVAILABLE);
    assert_eq!(second.json(), json!({"detail": "second"}));
    assert_eq!(second.header("retry-after"), Some("2"));
    assert_eq!(second.header("x-step"), Some("default"));

    for _ in 0..3 {
        let built_in = h.get_with_token("/v2/fhir/Patient/", &token).await;
        assert_eq!(built_in.status, StatusCode::OK);
        assert_eq!(built_in.json()["resourceType"], "Bundle");
        assert_eq!(built_in.header("x-step"), Some("default"));
    }

    // A reset starts the sequence again.
    h.server.reset();
    let token = h.access_token().await;
    let again = h.get_with_token("/v2/fhir/Patient/", &token).await;
    assert_eq!(again.status, StatusCode::INTERNAL_SERVER_ERROR);
}

#[tokio::test]
async fn passthrough_edits_set_and_remove_in_the_built_in_body() {
    let h = Harness::yaml(
        "\
version: 1
name: edited
stubs:
  - when: {method: GET, path: /v2/fhir/ExplanationOfBenefit/}
    then:
      status: 206
      headers: {X-Edited: 'yes'}
      passthrough:
        set:
          /total: 0
          /entry/0/resource/id: '{{request.query._count}}-edited'
          /meta: {tag: [{code: harness}]}
        remove: [/link/1, /entry/1, /type]
",
    )
    .await;
    let path = "/v2/fhir/ExplanationOfBenefit/?_count=3";
    let plain = Harness::yaml("version: 1\nname: plain\n").await;
    let token = plain.access_token().await;
    let (_, _, original) = raw_get(&plain, path, &token).await;
    let token = h.access_token().await;
    let (status, headers, edited) = raw_get(&h, path, &token).await;
    assert_eq!(status, StatusCode::PARTIAL_CONTENT);
    assert_eq!(headers.get("x-edited").unwrap(), "yes");
    assert_eq!(edited["total"], 0);
    assert_eq!(edited["entry"][0]["resource"]["id"], "3-edited");
    assert_eq!(edited["meta"], json!({"tag": [{"code": "harness"}]}));
    assert!(edited.get("type").is_none(), "{edited:#}");
    let originals = original["entry"].as_array().unwrap();
    let entries = edited["entry"].as_array().unwrap();
    assert_eq!(originals.len(), 3);
    assert_eq!(entries.len(), 2);
    assert_eq!(entries[1], originals[2]);
    let links = |bundle: &Value| bundle["link"].as_array().unwrap().len();
    assert_eq!(links(&edited), links(&original) - 1);
    // Everything else is the built-in answer's, in its order.
    assert_eq!(edited["resourceType"], "Bundle");
    assert_eq!(keys(&edited)[0], "resourceType");
    assert_eq!(
        headers.get("content-type").unwrap(),
        "application/fhir+json"
    );
}

#[tokio::test]
async fn templates_echo_the_request_and_fresh_values_stay_put() {
    let h = Harness::yaml(
        "\
version: 1
name: echo
stubs:
  - when: {path: /echo}
    then:
      headers: {X-Echo: '{{request.query.q}}', X-Token: '{{fresh.token}}'}
      body:
        path: '{{request.path}}'
        query: '{{ request.query.q }}'
        form: '{{request.form.code}}'
        header: '{{request.header.x-in}}'
        missing: '[{{request.query.nope}}]'
        token: '{{fresh.token}}'
        other: '{{fresh.other}}'
        literal: '{{something else}}'
",
    )
    .await;
    let echo = |code: &'static str| {
        h.send(
            h.client
                .post(h.url("/echo/?q=a%20%22b%22"))
                .header("X-In", "from header")
                .form(&[("code", code)]),
        )
    };
    let first = echo("c+1").await;
    assert_eq!(first.status, StatusCode::OK);
    let body = first.json();
    let token = string_at(&body, "token");
    assert_eq!(
        body,
        json!({
            "path": "/echo/",
            "query": "a \"b\"",
            "form": "c+1",
            "header": "from header",
            "missing": "[]",
            "token": token,
            "other": body["other"],
            "literal": "{{something else}}",
        })
    );
    assert_eq!(token.len(), 32);
    assert!(token.bytes().all(|b| b.is_ascii_alphanumeric()), "{token}");
    assert_ne!(body["other"], body["token"]);
    assert_eq!(first.header("x-echo"), Some("a \"b\""));
    assert_eq!(first.header("x-token"), Some(token.as_str()));

    let second = echo("c2").await.json();
    assert_eq!(second["token"], token.as_str());
    assert_eq!(second["other"], body["other"]);
    assert_eq!(second["form"], "c2");

    // A reset binds new fresh values.
    h.server.reset();
    let third = echo("c3").await.json();
    assert_ne!(third["token"], token.as_str());
}

#[tokio::test]
async fn a_template_in_when_headers_matches_the_requests_own_value() {
    let h = Harness::yaml(
        "\
version: 1
name: when-echo
stubs:
  - when: {path: /echo, headers: {X-Echo: '{{request.query.x}}'}}
    then: {status: 299}
",
    )
    .await;
    let get = |query: &'static str, echo: &'static str| {
        h.send(
            h.client
                .get(h.url(&format!("/echo?{query}")))
                .header("X-Echo", echo),
        )
    };
    assert_eq!(get("x=abc", "abc").await.status.as_u16(), 299);
    assert_eq!(get("x=a%20b", "a b").await.status.as_u16(), 299);
    assert_eq!(get("x=abc", "abd").await.status, StatusCode::NOT_FOUND);
    // A `*` the client sends is text, not a wildcard.
    assert_eq!(get("x=*", "*").await.status.as_u16(), 299);
    assert_eq!(get("x=*", "anything").await.status, StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn multipart_fields_and_non_ascii_header_values_render() {
    let h = Harness::yaml(
        "\
version: 1
name: multipart-echo
stubs:
  - when: {method: POST, path: /echo, form: {code: '*'}}
    then:
      headers: {X-Greeting: 'Grüße, {{request.form.name}}'}
      body: {code: '{{request.form.code}}', name: '{{request.form.name}}'}
",
    )
    .await;
    let form = reqwest::multipart::Form::new()
        .text("code", "m-1")
        .text("name", "Zoë");
    let reply = h.send(h.client.post(h.url("/echo")).multipart(form)).await;
    assert_eq!(reply.status, StatusCode::OK);
    assert_eq!(reply.json(), json!({"code": "m-1", "name": "Zoë"}));
    assert_eq!(
        reply.headers.get("x-greeting").map(|v| v.as_bytes()),
        Some("Grüße, Zoë".as_bytes())
    );
}

/// Two machines, moved by the built-in API's answers to a session's requests.
const OUTAGE: &str = "\
version: 1
name: outage
states:
  outage:
    states: [healthy, failing, recovered]
    transitions:
      - {from: healthy, to: failing, when: {method: GET, path: /v2/fhir/Patient/}}
      - {from: failing, to: recovered, when: {method: GET, path: /v2/fhir/Coverage/}}
  visits:
    states: [none, some]
    transitions:
      - {from: none, to: some, when: {path: /v2/connect/userinfo}}
";

fn states(pairs: &[(&str, &str)]) -> Vec<(String, String)> {
    pairs
        .iter()
        .map(|(m, s)| ((*m).to_owned(), (*s).to_owned()))
        .collect()
}

#[tokio::test]
async fn two_sessions_keep_separate_states() {
    let h = Harness::yaml(OUTAGE).await;
    let first = h.access_token().await;
    let second = h.access_token().await;
    assert!(h.server.session_states().is_empty());

    assert_eq!(
        h.get_with_token("/v2/fhir/Patient/", &first).await.status,
        StatusCode::OK
    );
    assert_eq!(
        h.server.session_states(),
        [(
            SessionId(1),
            states(&[("outage", "failing"), ("visits", "none")])
        )]
    );
    // The second session is still healthy: Coverage moves nothing there.
    h.get_with_token("/v2/fhir/Coverage/", &second).await;
    assert_eq!(h.server.session_states().len(), 1);
    h.get_with_token("/v2/connect/userinfo", &second).await;
    h.get_with_token("/v2/fhir/Patient/", &second).await;
    h.get_with_token("/v2/fhir/Coverage/", &first).await;
    assert_eq!(
        h.server.session_states(),
        [
            (
                SessionId(1),
                states(&[("outage", "recovered"), ("visits", "none")])
            ),
            (
                SessionId(2),
                states(&[("outage", "failing"), ("visits", "some")])
            ),
        ]
    );
    // A request without a session moves nothing.
    let anonymous = h.get("/v2/fhir/Coverage/").await;
    assert_eq!(anonymous.status, StatusCode::UNAUTHORIZED);
    assert_eq!(h.server.session_states().len(), 2);
    // A reset forgets every state.
    h.server.reset();
    assert!(h.server.session_states().is_empty());
}

#[tokio::test]
async fn a_refresh_keeps_the_state_of_its_session() {
    let h = Harness::yaml(OUTAGE).await;
    let tokens = h.tokens("").await;
    let access = string_at(&tokens, "access_token");
    h.get_with_token("/v2/fhir/Patient/", &access).await;
    let refreshed = h.refresh(&string_at(&tokens, "refresh_token")).await;
    assert_eq!(refreshed.status, StatusCode::OK, "{}", refreshed.text());
    let renewed = string_at(&refreshed.json(), "access_token");
    assert_ne!(renewed, access);
    assert_eq!(
        h.server.session_states(),
        [(
            SessionId(1),
            states(&[("outage", "failing"), ("visits", "none")])
        )]
    );
    // The refreshed token's requests move the same session on from `failing`.
    h.get_with_token("/v2/fhir/Coverage/", &renewed).await;
    assert_eq!(
        h.server.session_states(),
        [(
            SessionId(1),
            states(&[("outage", "recovered"), ("visits", "none")])
        )]
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn racing_requests_make_exactly_one_move_out_of_each_state() {
    const STEPS: usize = 24;
    let names: Vec<String> = (0..=STEPS).map(|i| format!("s{i}")).collect();
    let transitions: String = (0..STEPS)
        .map(|i| {
            format!(
                "      - {{from: s{i}, to: s{}, when: {{method: GET, path: /v2/fhir/Patient/}}}}\n",
                i + 1
            )
        })
        .collect();
    let h = Harness::yaml(&format!(
        "version: 1\nname: chain\nstates:\n  chain:\n    states: [{}]\n    transitions:\n{transitions}",
        names.join(", ")
    ))
    .await;
    let token = h.access_token().await;
    let other = h.access_token().await;
    // Every request moves the chain one state on, from the state it finds: if two requests
    // both moved out of the same state, a move would be lost and the chain would stop short.
    let mut requests = tokio::task::JoinSet::new();
    for _ in 0..STEPS {
        let (client, url, token) = (h.client.clone(), h.url("/v2/fhir/Patient/"), token.clone());
        requests.spawn(async move {
            client
                .get(url)
                .bearer_auth(token)
                .send()
                .await
                .unwrap()
                .status()
        });
    }
    while let Some(status) = requests.join_next().await {
        assert_eq!(status.unwrap(), StatusCode::OK);
    }
    assert_eq!(
        h.server.session_states(),
        [(SessionId(1), states(&[("chain", &format!("s{STEPS}"))]))]
    );
    // Exactly STEPS moves: one out of each state but the last, none in the other session.
    h.get_with_token("/v2/fhir/Patient/", &other).await;
    assert_eq!(
        h.server.session_states(),
        [
            (SessionId(1), states(&[("chain", &format!("s{STEPS}"))])),
            (SessionId(2), states(&[("chain", "s1")])),
        ]
    );
}

/// A story told with a state machine: reading Patient puts a session's data source in an
/// outage that only its EOB reads see (a throttle, then a 503, then the data again), and its
/// Coverage read, answered by a stub, ends the outage.
const STORY: &str = "\
version: 1
name: story
states:
  outage:
    states: [healthy, failing]
    transitions:
      - {from: healthy, to: failing, when: {method: GET, path: /v2/fhir/Patient/**}}
      - {from: failing, to: healthy, when: {method: GET, path: /v2/fhir/Coverage/}}
stubs:
  - when: {method: GET, path: /v2/fhir/Coverage/}
    then: {body: {resourceType: Bundle, type: searchset, total: 0}}
  - when: {method: GET, path: /v2/fhir/ExplanationOfBenefit/, session: {state: {outage: failing}}}
    then:
      sequence:
        - {fault: {kind: too-many-requests, retry_after: 7}}
        - {status: 503, body: {detail: down}}
        - {passthrough: true}
";

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn stub_conditions_on_session_state_follow_each_session_and_stub_answers_move_it() {
    let h = Harness::yaml(STORY).await;
    // One after the other: the first token is the first session's.
    let first = h.access_token().await;
    let second = h.access_token().await;
    let eob = "/v2/fhir/ExplanationOfBenefit/";

    // Both sessions start healthy: the built-in API answers their EOB reads.
    let (a, b) = tokio::join!(raw_get(&h, eob, &first), raw_get(&h, eob, &second));
    assert_eq!((a.0, b.0), (StatusCode::OK, StatusCode::OK));
    assert_eq!(a.2["resourceType"], "Bundle");

    // Only the first session reads Patient: only its EOB reads go through the outage.
    assert_eq!(
        raw_get(&h, "/v2/fhir/Patient/", &first).await.0,
        StatusCode::OK
    );
    let (throttled, spared) = tokio::join!(raw_get(&h, eob, &first), raw_get(&h, eob, &second));
    assert_eq!(throttled.0, StatusCode::TOO_MANY_REQUESTS);
    assert_eq!(throttled.1["retry-after"], "7");
    assert_eq!(spared.0, StatusCode::OK);
    let down = raw_get(&h, eob, &first).await;
    assert_eq!(
        (down.0, down.2.clone()),
        (StatusCode::SERVICE_UNAVAILABLE, json!({"detail": "down"}))
    );
    let again = raw_get(&h, eob, &first).await;
    assert_eq!(again.0, StatusCode::OK);
    assert_eq!(again.2["resourceType"], "Bundle");

    // The Coverage read is answered by a stub, and still moves the session back to healthy.
    let coverage = raw_get(&h, "/v2/fhir/Coverage/", &first).await;
    assert_eq!(coverage.2["total"], 0);
    assert_eq!(
        h.server.session_states(),
        [(SessionId(1), states(&[("outage", "healthy")]))]
    );
    assert_eq!(raw_get(&h, eob, &first).await.0, StatusCode::OK);
}

#[tokio::test]
async fn mounting_a_stub_keeps_tokens_counts_and_states_and_its_answers_keep_their_session() {
    use bluebutton_harness::scenario::{Stub, StubThen, StubWhen};
    let h = Harness::yaml(OUTAGE).await;
    let token = h.access_token().await;
    assert_eq!(
        h.get_with_token("/v2/fhir/Patient/", &token).await.status,
        StatusCode::OK
    );
    h.server.mount(Stub {
        when: StubWhen {
            path: "/v2/fhir/Coverage/".to_owned(),
            ..StubWhen::default()
        },
        then: StubThen {
            status: Some(StatusCode::SERVICE_UNAVAILABLE),
            ..StubThen::default()
        },
    });
    // The token issued before the mount still works, and the session kept its state.
    assert_eq!(
        h.get_with_token("/v2/fhir/Patient/", &token).await.status,
        StatusCode::OK
    );
    assert_eq!(
        raw_status(&h, "/v2/fhir/Coverage/", &token).await,
        StatusCode::SERVICE_UNAVAILABLE
    );
    // The stub's answer still moved the session (failing → recovered) ...
    assert_eq!(
        h.server.session_states(),
        [(
            SessionId(1),
            states(&[("outage", "recovered"), ("visits", "none")])
        )]
    );
    // ... and the journal puts it in that session.
    let journal = h.server.journal().exchanges();
    let stubbed = journal
        .iter()
        .rev()
        .find(|e| e.request.path == "/v2/fhir/Coverage/")
        .unwrap();
    assert_eq!(stubbed.response.status, StatusCode::SERVICE_UNAVAILABLE);
    assert_eq!(stubbed.response.session, Some(SessionId(1)));
}

async fn raw_status(h: &Harness, path: &str, token: &str) -> StatusCode {
    h.client
        .get(h.url(path))
        .bearer_auth(token)
        .send()
        .await
        .unwrap()
        .status()
}
