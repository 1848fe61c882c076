//! The in-process Rust API (`bluebutton_harness::api`): a harness started from a file or a
//! built-in scenario, mocks mounted from code answering over real HTTP, the journal, reset,
//! the clock, and the socket closing when the harness is dropped or stopped.

use crate::support::{REDIRECT, exchange_form, http_client, pkce_query, project_path};
use bluebutton_harness::api::{Answer, Harness, Mock, MockError, Scenario, then::*, when::*};
use bluebutton_harness::scenario::{
    Delay, Dribble, FaultSpec, Latency, LoadError, Passthrough, SessionMatch, StateMachine, Stub,
    StubThen, StubWhen, ValueMatch,
};
use http::{HeaderName, HeaderValue, Method, StatusCode};
use serde_json::{Value, json};
use std::io::ErrorKind;
use std::time::Duration;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

async fn start(name: &str) -> Harness {
    Harness::start(Scenario::builtin(name).unwrap())
        .await
        .unwrap()
}

async fn get(harness: &Harness, path: &str) -> reqwest::Response {
    http_client()
        .get(format!("{}{path}", harness.url()))
        .send()
        .await
        .unwrap()
}

async fn status_of(harness: &Harness, path: &str) -> u16 {
    get(harness, path).await.status().as_u16()
}

/// A code for the confidential app through the automated login.
async fn code(harness: &Harness) -> String {
    let authorize = format!("/v2/o/authorize/?{}", pkce_query(REDIRECT, ""));
    let response = get(harness, &authorize).await;
    assert_eq!(response.status(), StatusCode::FOUND);
    let location = response.headers()["location"].to_str().unwrap().to_owned();
    let query = location.split_once('?').unwrap().1;
    form_urlencoded::parse(query.as_bytes())
        .find(|(name, _)| name == "code")
        .map(|(_, code)| code.into_owned())
        .unwrap_or_else(|| panic!("no code in {location}"))
}

async fn exchange(harness: &Harness, code: &str) -> reqwest::Response {
    http_client()
        .post(format!("{}/v2/o/token/", harness.url()))
        .form(&exchange_form(code))
        .send()
        .await
        .unwrap()
}

async fn access_token(harness: &Harness) -> String {
    let code = code(harness).await;
    let tokens: Value = exchange(harness, &code).await.json().await.unwrap();
    tokens["access_token"].as_str().unwrap().to_owned()
}

async fn read_patient(harness: &Harness, token: &str) -> reqwest::Response {
    http_client()
        .get(format!("{}/v2/fhir/Patient/", harness.url()))
        .bearer_auth(token)
        .send()
        .await
        .unwrap()
}

/// Connects until the connection is refused (the listening socket is closed).
async fn wait_until_refused(address: std::net::SocketAddr) {
    loop {
        match TcpStream::connect(address).await {
            Err(error) if error.kind() == ErrorKind::ConnectionRefused => return,
            _ => tokio::time::sleep(Duration::from_millis(5)).await,
        }
    }
}

fn header_pair(name: &'static str, value: &'static str) -> (HeaderName, HeaderValue) {
    (
        HeaderName::from_static(name),
        HeaderValue::from_static(value),
    )
}

fn matches(pattern: &str) -> ValueMatch {
    ValueMatch::Matches(pattern.to_owned())
}

#[tokio::test]
async fn starts_from_a_file_and_serves_its_stubs_then_the_built_in_api() {
    let file = project_path("scenarios/rate-limited.yaml");
    let harness = Harness::start(Scenario::from_file(&file).unwrap())
        .await
        .unwrap();
    assert_eq!(harness.scenario().name, "rate-limited");
    let eob = "/v2/fhir/ExplanationOfBenefit/";
    let throttled = get(&harness, eob).await;
    assert_eq!(throttled.status(), StatusCode::TOO_MANY_REQUESTS);
    assert_eq!(throttled.headers()["retry-after"], "1");
    assert_eq!(status_of(&harness, eob).await, 401);
}

#[tokio::test]
async fn a_mounted_mock_answers_with_its_status_headers_and_body() {
    let harness = start("oauth-success").await;
    harness
        .mount(
            Mock::given(method("GET"))
                .and(path("/v2/fhir/Coverage/"))
                .respond_with(
                    status(503)
                        .header("Retry-After", "7")
                        .json(json!({"detail": "down for maintenance"})),
                ),
        )
        .unwrap();
    // With one trailing slash removed too.
    let response = get(&harness, "/v2/fhir/Coverage").await;
    assert_eq!(response.status(), StatusCode::SERVICE_UNAVAILABLE);
    assert_eq!(response.headers()["retry-after"], "7");
    assert_eq!(response.headers()["content-type"], "application/json");
    assert_eq!(
        response.text().await.unwrap(),
        r#"{"detail":"down for maintenance"}"#
    );
    // Another method, another path: the built-in API.
    let post = http_client()
        .post(format!("{}/v2/fhir/Coverage/", harness.url()))
        .send()
        .await
        .unwrap();
    assert_ne!(post.status(), StatusCode::SERVICE_UNAVAILABLE);
    assert_eq!(status_of(&harness, "/v2/fhir/Patient/").await, 401);
}

#[tokio::test]
async fn mocks_come_before_the_scenarios_stubs_in_mount_order() {
    let harness = Harness::start(Scenario::builtin("rate-limited").unwrap())
        .await
        .unwrap();
    let eob = "/v2/fhir/ExplanationOfBenefit/";
    Mock::given(path(eob))
        .and(nth(1))
        .respond_with(status(503))
        .mount(&harness)
        .unwrap();
    Mock::given(path(eob))
        .respond_with(status(500))
        .mount(&harness)
        .unwrap();
    Mock::given(path(eob))
        .respond_with(status(418))
        .mount(&harness)
        .unwrap();
    assert_eq!(status_of(&harness, eob).await, 503);
    assert_eq!(status_of(&harness, eob).await, 500);
    assert_eq!(status_of(&harness, eob).await, 500);
}

#[tokio::test]
async fn nth_answers_only_the_nth_matching_request() {
    let harness = start("oauth-success").await;
    harness
        .mount(
            Mock::given(method("GET"))
                .and(path("/v2/fhir/metadata"))
                .and(nth(3))
                .respond_with(status(504)),
        )
        .unwrap();
    let mut statuses = Vec::new();
    for _ in 0..5 {
        statuses.push(status_of(&harness, "/v2/fhir/metadata").await);
    }
    assert_eq!(statuses, [200, 200, 504, 200, 200]);
}

#[tokio::test]
async fn passthrough_keeps_the_built_in_answer_under_the_mocks_status_and_headers() {
    let harness = start("oauth-success").await;
    harness
        .mount(
            Mock::given(path("/v2/fhir/metadata")).respond_with(
                passthrough()
                    .status(203)
                    .header("Cache-Control", "no-store"),
            ),
        )
        .unwrap();
    let response = get(&harness, "/v2/fhir/metadata").await;
    assert_eq!(response.status(), StatusCode::NON_AUTHORITATIVE_INFORMATION);
    assert_eq!(response.headers()["cache-control"], "no-store");
    let body: Value = response.json().await.unwrap();
    assert_eq!(body["resourceType"], "CapabilityStatement");
}

#[tokio::test]
async fn a_backend_fault_answers_as_bb2_does_at_that_endpoint() {
    let harness = start("oauth-success").await;
    harness
        .mount(
            Mock::given(method("POST"))
                .and(path("/v2/o/token/"))
                .respond_with(fault(Fault::Backend(BackendFault::Failure))),
        )
        .unwrap();
    let code = code(&harness).await;
    let response = exchange(&harness, &code).await;
    assert_eq!(response.status(), StatusCode::BAD_GATEWAY);
    let body: Value = response.json().await.unwrap();
    assert_eq!(
        body,
        json!({"status_code": 502, "message": "Failed to retrieve data from data source."})
    );
}

#[tokio::test]
async fn the_journal_and_received_requests_hold_every_exchange_in_order() {
    let harness = start("oauth-success").await;
    let token = access_token(&harness).await;
    assert_eq!(
        read_patient(&harness, &token).await.status(),
        StatusCode::OK
    );

    let journal = harness.journal();
    let seen: Vec<(u64, &str, &str, u16)> = journal
        .iter()
        .map(|e| {
            (
                e.id,
                e.request.method.as_str(),
                e.request.path.as_str(),
                e.response.status.as_u16(),
            )
        })
        .collect();
    assert_eq!(
        seen,
        [
            (1, "GET", "/v2/o/authorize/", 302),
            (2, "POST", "/v2/o/token/", 200),
            (3, "GET", "/v2/fhir/Patient/", 200),
        ]
    );
    let requests = harness.received_requests();
    assert_eq!(requests.len(), 3);
    let grant_type = form_urlencoded::parse(&requests[1].body)
        .find(|(name, _)| name == "grant_type")
        .map(|(_, value)| value.into_owned());
    assert_eq!(grant_type.as_deref(), Some("authorization_code"));
    assert_eq!(
        requests[2].header("authorization"),
        Some(format!("Bearer {token}").as_str())
    );
    assert!(harness.unmatched_requests().is_empty());
}

#[tokio::test]
async fn reset_empties_the_journal_forgets_tokens_and_keeps_the_mocks() {
    let harness = start("oauth-success").await;
    harness
        .mount(
            Mock::given(path("/v2/fhir/Coverage/"))
                .and(nth(1))
                .respond_with(status(503)),
        )
        .unwrap();
    assert_eq!(status_of(&harness, "/v2/fhir/Coverage/").await, 503);
    let token = access_token(&harness).await;
    assert_eq!(
        read_patient(&harness, &token).await.status(),
        StatusCode::OK
    );
    assert_eq!(harness.journal().len(), 4);

    harness.reset();
    assert!(harness.journal().is_empty());
    assert_eq!(
        read_patient(&harness, &token).await.status(),
        StatusCode::UNAUTHORIZED
    );
    // The mock is still mounted and counts from 1 again.
    assert_eq!(status_of(&harness, "/v2/fhir/Coverage/").await, 503);
    assert_eq!(status_of(&harness, "/v2/fhir/Coverage/").await, 401);
    assert_eq!(harness.journal().len(), 3);
}

#[tokio::test]
async fn the_clock_expires_a_code_without_waiting() {
    let harness = start("oauth-success").await;
    let fresh = code(&harness).await;
    assert_eq!(exchange(&harness, &fresh).await.status(), StatusCode::OK);

    let stale = code(&harness).await;
    let before = harness.clock().now();
    harness.clock().advance(Duration::from_secs(61));
    assert!(harness.clock().now().duration_since(before).as_secs() >= 61);
    let response = exchange(&harness, &stale).await;
    assert_eq!(response.status(), StatusCode::BAD_REQUEST);
    let body: Value = response.json().await.unwrap();
    assert_eq!(body["error"], "invalid_grant");
}

#[tokio::test]
async fn dropping_the_harness_closes_the_socket_and_open_connections() {
    let harness = start("oauth-success").await;
    let address = harness.address();
    // A keep-alive connection that has had one exchange.
    let mut open = TcpStream::connect(address).await.unwrap();
    let request = format!("GET /v2/fhir/metadata HTTP/1.1\r\nHost: {address}\r\n\r\n");
    open.write_all(request.as_bytes()).await.unwrap();
    let mut head = [0u8; 12];
    open.read_exact(&mut head).await.unwrap();
    assert_eq!(&head, b"HTTP/1.1 200");

    drop(harness);
    wait_until_refused(address).await;
    // The open connection is closed too: reading reaches its end (or a reset).
    let mut rest = Vec::new();
    let _ = open.read_to_end(&mut rest).await;
    let after = http_client()
        .get(format!("http://{address}/v2/fhir/metadata"))
        .send()
        .await;
    assert!(after.is_err(), "{after:?}");
}

#[tokio::test]
async fn stop_returns_once_connecting_is_refused() {
    let harness = start("oauth-success").await;
    let address = harness.address();
    assert_eq!(status_of(&harness, "/v2/fhir/metadata").await, 200);
    harness.stop().await;
    let refused = TcpStream::connect(address).await.unwrap_err();
    assert_eq!(refused.kind(), ErrorKind::ConnectionRefused);
}

#[tokio::test]
async fn an_invalid_mock_reports_every_problem_and_mounts_nothing() {
    let harness = start("oauth-success").await;
    let mock = Mock::given(method("get"))
        .and(path("v2/fhir/Patient"))
        .and(header("bad name", "x"))
        .and(query("type", "carrier"))
        .and(query("type", "pde"))
        .and(nth(0))
        .respond_with(
            status(1000)
                .header("Content-Length", "3")
                .body("abc")
                .passthrough()
                .set("total", 0)
                .rate(1.5)
                .lognormal_delay(Duration::from_millis(1), 0.0)
                .dribble(0, Duration::from_secs(1)),
        );
    let error = harness.mount(mock).unwrap_err();
    let problems: Vec<String> = error.problems().iter().map(|p| p.to_string()).collect();
    let keys: Vec<&str> = error.problems().iter().map(|p| p.key.as_str()).collect();
    assert_eq!(
        keys,
        [
            "when.method",
            "when.path",
            "when.headers.bad name",
            "when.query.type",
            "when.nth",
            "then.status",
            "then.headers.Content-Length",
            "then.passthrough.set.total",
            "then.fault.rate",
            "then.fault.rate",
            "then.delay.lognormal.sigma",
            "then.delay.dribble.chunks",
            // Keys that exclude each other come last, as the answer is assembled.
            "then.body",
        ],
        "{problems:#?}"
    );
    assert_eq!(
        problems[0],
        "when.method: expected an HTTP method in upper case such as `GET` or `POST`, found `get`"
    );
    assert_eq!(error.to_string(), problems.join("\n"));
    // Nothing was mounted: the built-in API answers.
    assert_eq!(status_of(&harness, "/v2/fhir/metadata").await, 200);
}

#[tokio::test]
async fn the_builder_makes_the_stubs_a_scenario_file_makes() {
    let file = Scenario::from_yaml(
        r#"
version: 1
name: same-stubs
stubs:
  - when: {method: GET, path: /v2/fhir/ExplanationOfBenefit/, nth: 2}
    then:
      status: 429
      headers: {Retry-After: "1"}
      body: {detail: Request was throttled. Expected available in 1 second.}
  - when: {path: /v2/fhir/metadata}
    then: {passthrough: true, status: 203, headers: {Cache-Control: no-store}}
  - when: {method: POST, path: /v2/o/token/}
    then: {fault: backend-timeout}
  - when: {path: /robots.txt}
    then: {body: "User-agent: *"}
"#,
    )
    .unwrap();
    let built: Vec<Stub> =
        [
            Mock::given(method("GET"))
                .and(path("/v2/fhir/ExplanationOfBenefit/"))
                .and(nth(2))
                .respond_with(status(429).header("Retry-After", "1").json(
                    json!({"detail": "Request was throttled. Expected available in 1 second."}),
                )),
            Mock::given(path("/v2/fhir/metadata")).respond_with(
                passthrough()
                    .status(203)
                    .header("Cache-Control", "no-store"),
            ),
            Mock::given(method("POST"))
                .and(path("/v2/o/token/"))
                .respond_with(fault(Fault::Backend(BackendFault::Timeout))),
            Mock::given(path("/robots.txt")).respond_with(body("User-agent: *")),
        ]
        .into_iter()
        .map(|mock| mock.into_stub().unwrap())
        .collect();
    assert_eq!(built, file.stubs);
}

#[test]
fn every_when_and_then_field_reaches_the_stub() {
    let mock = Mock::given(method("GET"))
        .and(path("/v2/fhir/ExplanationOfBenefit/**"))
        .and(query("type", "carrier"))
        .and(query("_count", "*"))
        .and(query_absent("startIndex"))
        .and(header("Accept", "application/fhir+json*"))
        .and(header_absent("x-forwarded-for"))
        .and(form("grant_type", "refresh_token"))
        .and(form_absent("client_secret"))
        .and(session_nth(2))
        .and(session_state("outage", "failing"))
        .and(nth(3))
        .respond_with(
            passthrough()
                .status(200)
                .header("Retry-After", "{{request.query.type}}")
                .set("/total", 0)
                .set("/entry/0/resource/id", "x")
                .remove("/link/1")
                .fault(Fault::TooManyRequests { retry_after: 30 })
                .rate(0.25)
                .lognormal_delay(Duration::from_millis(100), 0.5)
                .dribble(10, Duration::from_secs(2)),
        );
    let expected = Stub {
        when: StubWhen {
            method: Some(Method::GET),
            path: "/v2/fhir/ExplanationOfBenefit/**".to_owned(),
            query: vec![
                ("type".to_owned(), matches("carrier")),
                ("_count".to_owned(), matches("*")),
                ("startIndex".to_owned(), ValueMatch::Absent),
            ],
            headers: vec![
                (
                    HeaderName::from_static("accept"),
                    matches("application/fhir+json*"),
                ),
                (
                    HeaderName::from_static("x-forwarded-for"),
                    ValueMatch::Absent,
                ),
            ],
            form: vec![
                ("grant_type".to_owned(), matches("refresh_token")),
                ("client_secret".to_owned(), ValueMatch::Absent),
            ],
            session: Some(SessionMatch {
                nth: Some(2),
                state: vec![("outage".to_owned(), "failing".to_owned())],
            }),
            nth: Some(3),
        },
        then: StubThen {
            status: Some(StatusCode::OK),
            headers: vec![header_pair("retry-after", "{{request.query.type}}")],
            body: None,
            passthrough: Some(Passthrough {
                set: vec![
                    ("/total".to_owned(), json!(0)),
                    ("/entry/0/resource/id".to_owned(), json!("x")),
                ],
                remove: vec!["/link/1".to_owned()],
            }),
            fault: Some(FaultSpec {
                fault: Fault::TooManyRequests { retry_after: 30 },
                rate: Some(0.25),
            }),
            delay: Some(Delay {
                latency: Some(Latency::LogNormal {
                    median: Duration::from_millis(100),
                    sigma: 0.5,
                }),
                dribble: Some(Dribble {
                    chunks: 10,
                    over: Duration::from_secs(2),
                }),
            }),
            sequence: Vec::new(),
        },
    };
    assert_eq!(mock.into_stub().unwrap(), expected);
}

#[test]
fn sequence_steps_take_the_defaults_key_by_key_and_keep_the_exclusivity_rules() {
    let defaults = Answer::new()
        .header("Retry-After", "1")
        .delay(Duration::from_millis(250))
        .fault(Fault::ConnectionReset)
        .rate(0.5);
    let stub = Mock::given(path("/v2/fhir/Patient/"))
        .respond_with(defaults.sequence([
            status(500),
            passthrough().header("X-Step", "2"),
            fault(Fault::EmptyResponse).dribble(2, Duration::from_secs(1)),
        ]))
        .into_stub()
        .unwrap();
    let reset_half = Some(FaultSpec {
        fault: Fault::ConnectionReset,
        rate: Some(0.5),
    });
    let quarter_second = Some(Delay {
        latency: Some(Latency::Fixed(Duration::from_millis(250))),
        dribble: None,
    });
    let steps = &stub.then.sequence;
    assert_eq!(
        steps[0],
        StubThen {
            status: Some(StatusCode::INTERNAL_SERVER_ERROR),
            headers: vec![header_pair("retry-after", "1")],
            fault: reset_half,
            delay: quarter_second,
            ..StubThen::default()
        }
    );
    assert_eq!(
        steps[1],
        StubThen {
            // A step's headers merge by name over the defaults'.
            headers: vec![header_pair("retry-after", "1"), header_pair("x-step", "2")],
            passthrough: Some(Passthrough::default()),
            fault: reset_half,
            delay: quarter_second,
            ..StubThen::default()
        }
    );
    assert_eq!(
        steps[2],
        StubThen {
            headers: vec![header_pair("retry-after", "1")],
            fault: Some(FaultSpec {
                fault: Fault::EmptyResponse,
                rate: None,
            }),
            delay: Some(Delay {
                latency: None,
                dribble: Some(Dribble {
                    chunks: 2,
                    over: Duration::from_secs(1),
                }),
            }),
            ..StubThen::default()
        }
    );
    // The defaults stay on the answer itself.
    assert_eq!(stub.then.fault, reset_half);
    assert_eq!(stub.then.headers, [header_pair("retry-after", "1")]);

    // A fault on every request excludes a step's passthrough; a step has no sequence; an
    // empty sequence is refused.
    let keys = |answer: Answer| -> Vec<String> {
        let error: MockError = Mock::given(any())
            .respond_with(answer)
            .into_stub()
            .unwrap_err();
        error.problems().iter().map(|p| p.key.clone()).collect()
    };
    assert_eq!(
        keys(fault(Fault::RandomBytes).sequence([status(500), passthrough()])),
        ["then.sequence[1].passthrough"]
    );
    assert_eq!(
        keys(sequence([sequence([status(500)])])),
        ["then.sequence[0].sequence"]
    );
    assert_eq!(keys(sequence([])), ["then.sequence"]);
}

#[tokio::test]
async fn session_state_conditions_must_name_the_scenarios_machines() {
    let mut scenario = Scenario::builtin("oauth-success").unwrap();
    scenario.states = vec![StateMachine {
        name: "outage".to_owned(),
        states: vec!["healthy".to_owned(), "failing".to_owned()],
        transitions: Vec::new(),
    }];
    let harness = Harness::start(scenario).await.unwrap();
    let on = |machine: &str, state: &str| {
        Mock::given(session_state(machine, state)).respond_with(status(502))
    };
    harness.mount(on("outage", "failing")).unwrap();
    let problems = |mock: Mock| -> Vec<String> {
        let error = harness.mount(mock).unwrap_err();
        error.problems().iter().map(|p| p.to_string()).collect()
    };
    assert_eq!(
        problems(on("outage", "recovered")),
        [
            "when.session.state.outage: state machine `outage` has no state `recovered`; \
             expected one of: healthy, failing"
        ]
    );
    assert_eq!(
        problems(on("weather", "rainy")),
        ["when.session.state.weather: no state machine `weather`; expected one of: outage"]
    );
}

/// The errors of a file whose one stub is `stub` (a flow mapping), as `key: message` with
/// the key relative to the stub (`when.path`), for comparison with a mock's problems.
fn file_errors(stub: &str) -> Vec<String> {
    let text = format!("version: 1\nname: t\nstubs:\n  - {stub}\n");
    match Scenario::from_yaml(&text) {
        Err(LoadError::Invalid(errors)) => errors
            .iter()
            .map(|e| format!("{}: {}", e.key.trim_start_matches("stubs[0]."), e.message))
            .collect(),
        other => panic!("expected errors for {stub}, got {other:?}"),
    }
}

fn mock_problems(mock: Mock) -> Vec<String> {
    let error = mock.into_stub().unwrap_err();
    error.problems().iter().map(|p| p.to_string()).collect()
}

#[test]
fn a_mock_is_refused_where_a_file_is_with_the_same_message() {
    let any_path = || Mock::given(path("/x"));
    let second = Duration::from_secs(1);
    let cases: Vec<(&str, Mock)> = vec![
        // `**` is a whole segment.
        (
            "{when: {path: /a**}, then: {}}",
            Mock::given(path("/a**")).respond_with(Answer::new()),
        ),
        // Templates are valid wherever an answer holds them.
        (
            "{when: {path: /x}, then: {headers: {X-Echo: '{{request.nope}}'}}}",
            any_path().respond_with(status(200).header("X-Echo", "{{request.nope}}")),
        ),
        (
            "{when: {path: /x}, then: {body: 'id {{request.nope}}'}}",
            any_path().respond_with(body("id {{request.nope}}")),
        ),
        (
            "{when: {path: /x}, then: {passthrough: {set: {/id: '{{request.nope}}'}}}}",
            any_path().respond_with(passthrough().set("/id", "{{request.nope}}")),
        ),
        // ... and wherever a condition holds them.
        (
            "{when: {path: /x, query: {a: '{{request.qurey.a}}'}}, then: {}}",
            any_path()
                .and(query("a", "{{request.qurey.a}}"))
                .respond_with(Answer::new()),
        ),
        (
            "{when: {path: /x, headers: {X-A: '{{request.nope}}'}}, then: {}}",
            any_path()
                .and(header("X-A", "{{request.nope}}"))
                .respond_with(Answer::new()),
        ),
        // Dribbles, medians and sigmas have the file's ranges.
        (
            "{when: {path: /x}, then: {delay: {dribble: {chunks: 1, over: 1s}}}}",
            any_path().respond_with(passthrough().dribble(1, second)),
        ),
        (
            "{when: {path: /x}, then: {delay: {dribble: {chunks: 100001, over: 1s}}}}",
            any_path().respond_with(passthrough().dribble(100_001, second)),
        ),
        (
            "{when: {path: /x}, then: {delay: {lognormal: {median: 0ms, sigma: 0.5}}}}",
            any_path().respond_with(status(200).lognormal_delay(Duration::ZERO, 0.5)),
        ),
        (
            "{when: {path: /x}, then: {delay: {lognormal: {median: 1s, sigma: 6}}}}",
            any_path().respond_with(status(200).lognormal_delay(second, 6.0)),
        ),
        // Methods, statuses, counts, rates, header names and pointers: the parser's rules.
        (
            "{when: {method: get, path: /x, nth: 0, session: {nth: 0}}, then: {status: 99}}",
            Mock::given(method("get"))
                .and(path("/x"))
                .and(nth(0))
                .and(session_nth(0))
                .respond_with(status(99)),
        ),
        (
            "{when: {path: /x, headers: {'Bad Name': a, X-A: \"a\\nb\"}}, then: {}}",
            any_path()
                .and(header("Bad Name", "a"))
                .and(header("X-A", "a\nb"))
                .respond_with(Answer::new()),
        ),
        (
            "{when: {path: /x}, then: {headers: {Content-Length: '3'}, \
             fault: {kind: connection-reset, rate: 1.5}}}",
            any_path().respond_with(
                status(200)
                    .header("Content-Length", "3")
                    .fault(Fault::ConnectionReset)
                    .rate(1.5),
            ),
        ),
        (
            "{when: {path: /x}, then: {passthrough: {set: {total: 0}, remove: ['', /a, /b]}}}",
            any_path().respond_with(
                passthrough()
                    .set("total", 0)
                    .remove("")
                    .remove("/a")
                    .remove("/b"),
            ),
        ),
        (
            "{when: {path: /x}, then: {passthrough: {set: {/a: 1}, remove: [/a]}}}",
            any_path().respond_with(passthrough().set("/a", 1).remove("/a")),
        ),
    ];
    for (stub, mock) in cases {
        let file = file_errors(stub);
        assert!(!file.is_empty(), "{stub}");
        assert_eq!(mock_problems(mock), file, "{stub}");
    }
}

#[test]
fn a_sequence_step_merges_over_the_defaults_as_a_files_does() {
    let file = Scenario::from_yaml(
        r#"
version: 1
name: merged
stubs:
  - when: {path: /v2/fhir/Patient/}
    then:
      passthrough: true
      headers: {Retry-After: "1", Cache-Control: no-store}
      delay: 100ms
      sequence:
        - {status: 503, headers: {retry-after: "5", X-Step: "1"}}
        - {passthrough: false, body: down, status: 500}
        - {headers: {Cache-Control: max-age=60}, delay: {dribble: {chunks: 2, over: 1s}}}
"#,
    )
    .unwrap();
    let mock = Mock::given(path("/v2/fhir/Patient/")).respond_with(
        passthrough()
            .header("Retry-After", "1")
            .header("Cache-Control", "no-store")
            .delay(Duration::from_millis(100))
            .sequence([
                status(503).header("retry-after", "5").header("X-Step", "1"),
                Answer::new().no_passthrough().body("down").status(500),
                Answer::new()
                    .header("Cache-Control", "max-age=60")
                    .dribble(2, Duration::from_secs(1)),
            ]),
    );
    let stub = mock.into_stub().unwrap();
    assert_eq!(stub, file.stubs[0]);
    let steps = &stub.then.sequence;
    assert_eq!(
        steps[0].headers,
        [
            header_pair("cache-control", "no-store"),
            header_pair("retry-after", "5"),
            header_pair("x-step", "1"),
        ]
    );
    assert_eq!(steps[1].passthrough, None);
    assert_eq!(
        steps[2].headers,
        [
            header_pair("retry-after", "1"),
            header_pair("cache-control", "max-age=60"),
        ]
    );

    // A clash a step inherits is reported as a file reports it.
    let stub =
        "{when: {path: /x}, then: {body: x, sequence: [{status: 500}, {passthrough: true}]}}";
    let mock =
        Mock::given(path("/x")).respond_with(body("x").sequence([status(500), passthrough()]));
    assert_eq!(mock_problems(mock), file_errors(stub));
}

#[tokio::test]
async fn load_refuses_a_scenario_lacking_a_mounted_mocks_state_machine() {
    let with_outage = || {
        Scenario::from_yaml(
            "version: 1\nname: with-outage\nstates:\n  outage:\n    states: [healthy, failing]\n    \
             transitions:\n      - {from: healthy, to: failing, when: {path: /v2/o/token/}}\n",
        )
        .unwrap()
    };
    let harness = Harness::start(with_outage()).await.unwrap();
    Mock::given(path("/v2/fhir/metadata"))
        .respond_with(status(503))
        .mount(&harness)
        .unwrap();
    Mock::given(session_state("outage", "failing"))
        .respond_with(status(502))
        .mount(&harness)
        .unwrap();
    let error = harness
        .load(Scenario::builtin("oauth-success").unwrap())
        .unwrap_err();
    assert_eq!(
        error.to_string(),
        "mocks[1].when.session.state.outage: no state machine `outage`: the scenario declares no \
         `states`"
    );
    // Nothing changed: the scenario and the mocks are served as before.
    assert_eq!(harness.scenario().name, "with-outage");
    assert_eq!(status_of(&harness, "/v2/fhir/metadata").await, 503);
    // A scenario declaring the machine loads.
    harness.load(with_outage()).unwrap();
}

#[test]
fn scenario_constructors_report_errors() {
    let missing = Scenario::from_file(project_path("scenarios/missing.yaml")).unwrap_err();
    assert!(missing.to_string().starts_with("cannot read "), "{missing}");
    let invalid =
        Scenario::from_yaml("version: 1\nname: x\nstubs:\n  - when: {path: nope}\n    then: {}\n")
            .unwrap_err();
    assert_eq!(
        invalid.to_string(),
        "<built-in inline>:4:18: stubs[0].when.path: expected a path starting with `/` such as \
         `/v2/fhir/Patient/`, found `nope`"
    );
    let unknown = Scenario::builtin("nope").unwrap_err();
    assert!(unknown.to_string().contains("upstream-outage"), "{unknown}");
}

// What other sections make work (matching of query/headers/form, sequences, passthrough
// edits): over HTTP once they are merged.

#[tokio::test]
async fn after_merge_a_sequence_answers_in_turn_and_the_last_step_repeats() {
    let harness = start("oauth-success").await;
    Mock::given(path("/v2/fhir/metadata"))
        .respond_with(sequence([status(500), status(503), passthrough()]))
        .mount(&harness)
        .unwrap();
    let mut statuses = Vec::new();
    for _ in 0..5 {
        statuses.push(status_of(&harness, "/v2/fhir/metadata").await);
    }
    assert_eq!(statuses, [500, 503, 200, 200, 200]);
}

#[tokio::test]
async fn after_merge_query_header_and_form_conditions_select_the_mock() {
    let harness = start("oauth-success").await;
    Mock::given(path("/v2/fhir/ExplanationOfBenefit/"))
        .and(query("type", "carrier"))
        .and(query_absent("startIndex"))
        .and(header("Accept", "application/fhir+json*"))
        .respond_with(status(503))
        .mount(&harness)
        .unwrap();
    Mock::given(method("POST"))
        .and(path("/v2/o/token/"))
        .and(form("grant_type", "refresh_token"))
        .respond_with(status(504))
        .mount(&harness)
        .unwrap();
    let client = http_client();
    let eob = |query: &str| {
        client
            .get(format!(
                "{}/v2/fhir/ExplanationOfBenefit/?{query}",
                harness.url()
            ))
            .header("Accept", "application/fhir+json; charset=utf-8")
    };
    let status = |response: reqwest::Response| response.status().as_u16();
    assert_eq!(status(eob("type=carrier").send().await.unwrap()), 503);
    assert_eq!(status(eob("type=pde").send().await.unwrap()), 401);
    let paged = eob("type=carrier&startIndex=10").send().await.unwrap();
    assert_eq!(status(paged), 401);
    let token = |grant_type: &str| {
        client
            .post(format!("{}/v2/o/token/", harness.url()))
            .form(&[("grant_type", grant_type)])
    };
    assert_eq!(status(token("refresh_token").send().await.unwrap()), 504);
    assert_ne!(
        status(token("authorization_code").send().await.unwrap()),
        504
    );
}

#[tokio::test]
async fn after_merge_passthrough_edits_change_the_built_in_body() {
    let harness = start("oauth-success").await;
    Mock::given(path("/v2/fhir/metadata"))
        .respond_with(
            passthrough()
                .set("/publisher", "a stub")
                .remove("/fhirVersion"),
        )
        .mount(&harness)
        .unwrap();
    let body: Value = get(&harness, "/v2/fhir/metadata")
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(body["resourceType"], "CapabilityStatement");
    assert_eq!(body["publisher"], "a stub");
    assert!(body.get("fhirVersion").is_none(), "{body}");
}
