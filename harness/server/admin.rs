//! The admin API (`bbh serve --admin`, [`ServerOptions::admin`](super::ServerOptions)): JSON
//! endpoints under `/__admin/` that inspect and steer a running server. Only loopback
//! clients are served (any other peer gets 403); admin exchanges are not journaled. Each body
//! has a JSON Schema in `schemas/admin/`.
//!
//! | endpoint | does |
//! | --- | --- |
//! | `GET /__admin/health` | `{"status": "ok", "bbh_version", "scenario"}` |
//! | `POST /__admin/reset` | forgets tokens, grants, stub counts, session states and the journal |
//! | `POST /__admin/scenario` | serves the scenario YAML of the body from now on (400: every error) |
//! | `GET /__admin/journal` | one redacted summary per exchange |
//! | `GET /__admin/journal/{id}` | one exchange, redacted |
//! | `GET /__admin/unmatched` | requests no stub and no route answered, with the closest stub |
//! | `GET`, `PUT /__admin/state` | the state machines per session; put one in a state |
//! | `GET`, `POST /__admin/clock` | the virtual time; move it forward |
//! | `POST /__admin/shutdown` | answers, then the server stops gracefully |

mod render;

use super::State;
use crate::exchange::{Response, SessionId};
use crate::scenario::{self, ScenarioError, Source};
use crate::server::redact::Redactor;
use arc_swap::ArcSwap;
use bytes::Bytes;
use http::header::{ALLOW, CACHE_CONTROL, HOST, ORIGIN};
use http::{HeaderMap, Method, StatusCode};
use serde::Deserialize;
use serde_json::{Value, json};
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

/// The path every admin endpoint is under.
const PREFIX: &str = "/__admin";

/// How scenarios loaded over the admin API are named in their errors.
const SOURCE: Source = Source::Builtin("admin");

/// Whether `path` is the admin API's (`/__admin` or below `/__admin/`).
pub(super) fn is_admin_path(path: &str) -> bool {
    path.strip_prefix(PREFIX)
        .is_some_and(|rest| rest.is_empty() || rest.starts_with('/'))
}

/// The admin API of one server.
#[derive(Debug, Default)]
pub(super) struct Admin {
    /// One redactor until the journal is emptied (reset, load), so an alias (`token#2`)
    /// names the same value in every admin answer meanwhile; it starts over with the journal
    /// so its memory stays bounded by what the journal holds.
    redactor: ArcSwap<Redactor>,
}

impl Admin {
    /// Forgets every alias handed out (the journal was emptied).
    pub(super) fn forget_aliases(&self) {
        self.redactor.store(Arc::new(Redactor::new()));
    }
}

/// An admin endpoint, by path.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Endpoint<'a> {
    Health,
    Reset,
    Scenario,
    Journal,
    /// `journal/{id}`, with the id as sent.
    Exchange(&'a str),
    Unmatched,
    State,
    Clock,
    Shutdown,
}

impl<'a> Endpoint<'a> {
    /// The endpoint at `path` (one trailing slash allowed).
    fn at(path: &'a str) -> Option<Endpoint<'a>> {
        let rest = path.strip_prefix(PREFIX)?.strip_prefix('/')?;
        let rest = rest.strip_suffix('/').unwrap_or(rest);
        Some(match rest {
            "health" => Endpoint::Health,
            "reset" => Endpoint::Reset,
            "scenario" => Endpoint::Scenario,
            "journal" => Endpoint::Journal,
            "unmatched" => Endpoint::Unmatched,
            "state" => Endpoint::State,
            "clock" => Endpoint::Clock,
            "shutdown" => Endpoint::Shutdown,
            _ => Endpoint::Exchange(
                rest.strip_prefix("journal/")
                    .filter(|id| !id.contains('/'))?,
            ),
        })
    }

    /// The methods it answers, as `Allow` lists them.
    fn allow(self) -> &'static str {
        match self {
            Endpoint::Health | Endpoint::Journal | Endpoint::Exchange(_) | Endpoint::Unmatched => {
                "GET"
            }
            Endpoint::Reset | Endpoint::Scenario | Endpoint::Shutdown => "POST",
            Endpoint::State => "GET, PUT",
            Endpoint::Clock => "GET, POST",
        }
    }
}

/// `PUT /__admin/state` (`schemas/admin/state-change.schema.json`).
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct StateChange {
    session: u64,
    machine: String,
    state: String,
}

/// `POST /__admin/clock` (`schemas/admin/clock-advance.schema.json`).
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct ClockAdvance {
    advance_seconds: f64,
}

impl Admin {
    /// The answer to an admin request from `peer`; `body` is `None` when it could not be
    /// read (larger than [`super::MAX_BODY_BYTES`]).
    pub(super) fn answer(
        &self,
        state: &State,
        peer: SocketAddr,
        headers: &HeaderMap,
        method: &Method,
        path: &str,
        body: Option<Bytes>,
    ) -> Response {
        if let Some(refusal) = refusal(peer).or_else(|| browser_refusal(headers)) {
            return refusal;
        }
        let Some(endpoint) = Endpoint::at(path) else {
            return error(
                StatusCode::NOT_FOUND,
                &format!(
                    "no admin endpoint at `{path}`; there are /__admin/health, reset, scenario, \
                     journal, journal/{{id}}, unmatched, state, clock and shutdown"
                ),
            );
        };
        let allow = endpoint.allow();
        if !allow.split(", ").any(|allowed| allowed == method.as_str()) {
            return error(
                StatusCode::METHOD_NOT_ALLOWED,
                &format!("{path} answers {allow}, not {method}"),
            )
            .header(ALLOW, allow);
        }
        let Some(body) = body else {
            return error(
                StatusCode::PAYLOAD_TOO_LARGE,
                "the body could not be read: at most 2.5 MiB is accepted",
            );
        };
        match (endpoint, method) {
            (Endpoint::Health, _) => health(state),
            (Endpoint::Reset, _) => {
                state.reset();
                ok(json!({"reset": true, "scenario": scenario_name(state)}))
            }
            (Endpoint::Scenario, _) => load(state, &body),
            (Endpoint::Journal, _) => self.journal(state),
            (Endpoint::Exchange(id), _) => self.exchange(state, id),
            (Endpoint::Unmatched, _) => self.unmatched(state),
            (Endpoint::State, &Method::PUT) => set_state(state, &body),
            (Endpoint::State, _) => ok(states(state)),
            (Endpoint::Clock, &Method::POST) => advance_clock(state, &body),
            (Endpoint::Clock, _) => ok(clock(state)),
            (Endpoint::Shutdown, _) => {
                // Open exchanges, this one included, finish before the server stops.
                state.stop.send_replace(true);
                ok(json!({"stopping": true}))
            }
        }
    }

    fn journal(&self, state: &State) -> Response {
        let redactor = self.redactor.load();
        let exchanges: Vec<Value> = state
            .journal
            .exchanges()
            .iter()
            .map(|exchange| render::summary(exchange, &redactor))
            .collect();
        self.redacted(json!({ "exchanges": exchanges }))
    }

    fn exchange(&self, state: &State, id: &str) -> Response {
        let Some(id) = id.parse::<u64>().ok().filter(|id| *id > 0) else {
            return error(
                StatusCode::NOT_FOUND,
                &format!("`{id}` is not an exchange id (a number from 1, as the journal lists)"),
            );
        };
        match state.journal.get(id) {
            Some(exchange) => self.redacted(render::exchange(&exchange, &self.redactor.load())),
            None => error(
                StatusCode::NOT_FOUND,
                &format!(
                    "no exchange {id} in the journal (it keeps the most recent ones; a reset or \
                     a scenario load empties it)"
                ),
            ),
        }
    }

    fn unmatched(&self, state: &State) -> Response {
        let redactor = self.redactor.load();
        let unmatched: Vec<Value> = state
            .journal
            .exchanges()
            .iter()
            .filter(|exchange| exchange.miss.is_some())
            .map(|exchange| render::unmatched(exchange, &redactor))
            .collect();
        self.redacted(json!({ "unmatched": unmatched }))
    }

    /// A 200 with `document`, scrubbed of every value aliased so far.
    fn redacted(&self, mut document: Value) -> Response {
        render::scrub(&mut document, &self.redactor.load());
        ok(document)
    }
}

/// The 403 for a peer that is not on this machine's loopback interface.
fn refusal(peer: SocketAddr) -> Option<Response> {
    if peer.ip().to_canonical().is_loopback() {
        return None;
    }
    Some(error(
        StatusCode::FORBIDDEN,
        "the admin API answers loopback clients only (127.0.0.1, ::1)",
    ))
}

/// The 403 for a request a web page may have sent: one with an `Origin` header (any page
/// can POST to a loopback port), or one whose `Host` is not a loopback name (a page reaching
/// us through DNS rebinding).
fn browser_refusal(headers: &HeaderMap) -> Option<Response> {
    if headers.contains_key(ORIGIN) {
        return Some(error(
            StatusCode::FORBIDDEN,
            "the admin API refuses requests sent by web pages (they carry an Origin header)",
        ));
    }
    let host = headers
        .get(HOST)
        .and_then(|h| h.to_str().ok())
        .unwrap_or("");
    if loopback_host(host) {
        return None;
    }
    Some(error(
        StatusCode::FORBIDDEN,
        "the admin API answers requests addressed to localhost, 127.0.0.1 or [::1] only",
    ))
}

/// Whether a `Host` value names this machine's loopback (`localhost`, `127.x.y.z`, `[::1]`,
/// each with an optional port).
fn loopback_host(host: &str) -> bool {
    let name = match host.strip_prefix('[') {
        Some(rest) => rest.split(']').next().unwrap_or(""),
        None => host.rsplit_once(':').map_or(host, |(name, _)| name),
    };
    name.eq_ignore_ascii_case("localhost")
        || name
            .parse::<std::net::IpAddr>()
            .is_ok_and(|ip| ip.to_canonical().is_loopback())
}

fn health(state: &State) -> Response {
    ok(json!({
        "status": "ok",
        "bbh_version": env!("CARGO_PKG_VERSION"),
        "scenario": scenario_name(state),
    }))
}

fn scenario_name(state: &State) -> String {
    state.live.load().world.scenario().name.clone()
}

/// `POST /__admin/scenario`: parses the YAML body and serves it, or reports every error.
fn load(state: &State, body: &[u8]) -> Response {
    let Ok(text) = std::str::from_utf8(body) else {
        return scenario_errors(&[ScenarioError {
            origin: SOURCE.to_string(),
            line: 1,
            column: 1,
            key: String::new(),
            message: "the body is not UTF-8 text; send the scenario file's YAML".to_owned(),
        }]);
    };
    match scenario::parse(text, SOURCE) {
        Ok(scenario) => {
            let name = scenario.name.clone();
            let stubs = scenario.stubs.len();
            state.load(scenario);
            ok(json!({"loaded": true, "scenario": name, "stubs": stubs}))
        }
        Err(errors) => scenario_errors(&errors),
    }
}

/// The 400 listing every error of a scenario sent to the admin API.
fn scenario_errors(errors: &[ScenarioError]) -> Response {
    let errors: Vec<Value> = errors
        .iter()
        .map(|error| {
            json!({
                "line": error.line,
                "column": error.column,
                "key": error.key,
                "message": admin_message(error),
            })
        })
        .collect();
    json_response(StatusCode::BAD_REQUEST, &json!({ "errors": errors }))
}

/// The error's message, said for a scenario sent over HTTP: it has no folder, so a path it
/// names (`body_file`, `output_schema`) is refused rather than read from the server's
/// current directory.
fn admin_message(error: &ScenarioError) -> String {
    if !error
        .message
        .starts_with("a built-in scenario has no folder")
    {
        return error.message.clone();
    }
    let name = error.key.rsplit('.').next().unwrap_or(&error.key);
    let advice = if name == "body_file" {
        "give the body inline with `body`"
    } else {
        "load the scenario from its file with `bbh serve --scenario FILE`"
    };
    format!(
        "a scenario sent to POST /__admin/scenario has no folder, so `{name}` is refused (a \
         path is never read relative to the server's current directory); {advice}"
    )
}

/// `GET /__admin/state`: the machines and each session's states.
fn states(state: &State) -> Value {
    let live = state.live.load();
    let machines: Vec<Value> = live
        .world
        .scenario()
        .states
        .iter()
        .map(|machine| json!({"name": machine.name, "states": machine.states}))
        .collect();
    let sessions: Vec<Value> = live
        .states
        .snapshot()
        .into_iter()
        .map(|(session, states)| {
            let states: serde_json::Map<String, Value> = states
                .into_iter()
                .map(|(machine, state)| (machine, Value::String(state)))
                .collect();
            json!({"session": session.0, "states": states})
        })
        .collect();
    json!({"machines": machines, "sessions": sessions})
}

/// `PUT /__admin/state`: puts one machine of one session into a state.
fn set_state(state: &State, body: &[u8]) -> Response {
    let change: StateChange = match serde_json::from_slice(body) {
        Ok(change) => change,
        Err(problem) => {
            return error(
                StatusCode::BAD_REQUEST,
                &format!(
                    "expected {{\"session\": N, \"machine\": \"NAME\", \"state\": \"STATE\"}}: \
                     {problem}"
                ),
            );
        }
    };
    if change.session == 0 {
        return error(
            StatusCode::BAD_REQUEST,
            "`session` is a session number: sessions are numbered from 1 in the order they open",
        );
    }
    let live = state.live.load();
    match live
        .states
        .set(SessionId(change.session), &change.machine, &change.state)
    {
        Ok(()) => ok(states(state)),
        Err(problem) => error(StatusCode::BAD_REQUEST, &problem),
    }
}

fn clock(state: &State) -> Value {
    json!({"now": state.live.load().world.clock().now().to_string()})
}

/// `POST /__admin/clock`: moves the virtual clock forward.
fn advance_clock(state: &State, body: &[u8]) -> Response {
    let advance: ClockAdvance = match serde_json::from_slice(body) {
        Ok(advance) => advance,
        Err(problem) => {
            return error(
                StatusCode::BAD_REQUEST,
                &format!("expected {{\"advance_seconds\": N}}: {problem}"),
            );
        }
    };
    let seconds = advance.advance_seconds;
    let Ok(by) = Duration::try_from_secs_f64(seconds) else {
        return error(
            StatusCode::BAD_REQUEST,
            &format!(
                "the clock only moves forward: `advance_seconds` must be a number of seconds of \
                 at least 0, found {seconds}"
            ),
        );
    };
    state.live.load().world.clock().advance(by);
    ok(clock(state))
}

fn ok(document: Value) -> Response {
    json_response(StatusCode::OK, &document)
}

/// `{"error": message}` (`schemas/admin/error.schema.json`).
fn error(status: StatusCode, message: &str) -> Response {
    json_response(status, &json!({ "error": message }))
}

fn json_response(status: StatusCode, document: &Value) -> Response {
    Response::json(status, document).header(CACHE_CONTROL, "no-store")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::exchange::Request;
    use crate::server::journal::Exchange;
    use crate::server::near_miss::{ClosestStub, FieldDiff, Miss};
    use http::HeaderMap;
    use http::header::{AUTHORIZATION, CONTENT_TYPE};
    use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

    fn validator(name: &str) -> jsonschema::Validator {
        let path = format!(
            "{}/schemas/admin/{name}.schema.json",
            env!("CARGO_MANIFEST_DIR")
        );
        let schema: Value = serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap();
        jsonschema::validator_for(&schema).unwrap()
    }

    fn assert_valid(name: &str, document: &Value) {
        let validator = validator(name);
        let errors: Vec<String> = validator
            .iter_errors(document)
            .map(|e| format!("{e} at {}", e.instance_path()))
            .collect();
        assert!(errors.is_empty(), "{name}: {errors:#?}\n{document:#}");
    }

    #[test]
    fn requests_from_web_pages_and_other_host_names_are_refused() {
        let with = |pairs: &[(http::HeaderName, &str)]| {
            let mut headers = HeaderMap::new();
            for (name, value) in pairs {
                headers.insert(name.clone(), http::HeaderValue::from_str(value).unwrap());
            }
            headers
        };
        for host in [
            "127.0.0.1:8000",
            "localhost",
            "LOCALHOST:1",
            "[::1]:8000",
            "127.1.2.3",
        ] {
            assert!(browser_refusal(&with(&[(HOST, host)])).is_none(), "{host}");
        }
        for host in [
            "evil.example:8000",
            "",
            "10.0.0.7",
            "[fe80::1]:80",
            "localhost.evil",
        ] {
            let refused = browser_refusal(&with(&[(HOST, host)]))
                .unwrap_or_else(|| panic!("{host:?} is not a loopback name"));
            assert_eq!(refused.status, StatusCode::FORBIDDEN);
        }
        let from_page = with(&[(HOST, "127.0.0.1:8000"), (ORIGIN, "https://evil.example")]);
        let refused = browser_refusal(&from_page).unwrap_or_else(|| panic!("Origin accepted"));
        assert_eq!(refused.status, StatusCode::FORBIDDEN);
    }

    #[test]
    fn only_loopback_peers_are_served() {
        for ip in [
            IpAddr::V4(Ipv4Addr::LOCALHOST),
            IpAddr::V4(Ipv4Addr::new(127, 0, 0, 2)),
            IpAddr::V6(Ipv6Addr::LOCALHOST),
            IpAddr::V6(Ipv4Addr::LOCALHOST.to_ipv6_mapped()),
        ] {
            assert!(refusal(SocketAddr::new(ip, 40000)).is_none(), "{ip}");
        }
        for ip in [
            IpAddr::V4(Ipv4Addr::new(10, 0, 0, 7)),
            IpAddr::V4(Ipv4Addr::new(192, 168, 1, 20)),
            IpAddr::V4(Ipv4Addr::UNSPECIFIED),
            IpAddr::V6(Ipv4Addr::new(10, 0, 0, 7).to_ipv6_mapped()),
            IpAddr::V6(Ipv6Addr::new(0xfe80, 0, 0, 0, 0, 0, 0, 1)),
        ] {
            let refused = refusal(SocketAddr::new(ip, 40000))
                .unwrap_or_else(|| panic!("{ip} is not loopback"));
            assert_eq!(refused.status, StatusCode::FORBIDDEN);
            assert_eq!(refused.media_type().as_deref(), Some("application/json"));
            let body: Value = serde_json::from_slice(&refused.body).unwrap();
            assert_valid("error", &body);
            assert!(body["error"].as_str().unwrap().contains("loopback"));
        }
    }

    #[test]
    fn admin_paths_and_endpoints() {
        assert!(is_admin_path("/__admin"));
        assert!(is_admin_path("/__admin/health"));
        assert!(!is_admin_path("/__administrator"));
        assert!(!is_admin_path("/v2/__admin/health"));
        assert_eq!(Endpoint::at("/__admin/health/"), Some(Endpoint::Health));
        assert_eq!(
            Endpoint::at("/__admin/journal/12"),
            Some(Endpoint::Exchange("12"))
        );
        assert_eq!(Endpoint::at("/__admin/journal/1/2"), None);
        assert_eq!(Endpoint::at("/__admin/nothing"), None);
        assert_eq!(Endpoint::at("/__admin"), None);
        assert_eq!(Endpoint::State.allow(), "GET, PUT");
    }

    #[test]
    fn a_path_in_a_scenario_sent_over_http_is_refused_with_a_reason() {
        let text =
            "version: 1\nname: x\nstubs:\n  - when: {path: /x}\n    then: {body_file: page.json}\n";
        let errors = scenario::parse(text, SOURCE).unwrap_err();
        let response = scenario_errors(&errors);
        assert_eq!(response.status, StatusCode::BAD_REQUEST);
        let body: Value = serde_json::from_slice(&response.body).unwrap();
        assert_valid("scenario-errors", &body);
        let error = &body["errors"][0];
        assert_eq!(error["key"], "stubs[0].then.body_file");
        assert_eq!(
            (error["line"].as_u64(), error["column"].as_u64()),
            (Some(5), Some(23))
        );
        let message = error["message"].as_str().unwrap();
        assert!(
            message.contains("POST /__admin/scenario has no folder"),
            "{message}"
        );
        assert!(message.contains("`body_file` is refused"), "{message}");
        assert!(message.contains("current directory"), "{message}");
        assert!(message.contains("inline with `body`"), "{message}");
    }

    fn exchange_with_miss() -> Exchange {
        let mut headers = HeaderMap::new();
        headers.insert(AUTHORIZATION, "Bearer SECRET-TOKEN-0123".parse().unwrap());
        headers.insert(
            CONTENT_TYPE,
            "application/x-www-form-urlencoded".parse().unwrap(),
        );
        Exchange {
            id: 7,
            at: Duration::from_millis(3),
            elapsed: Duration::from_micros(250),
            request: Request {
                method: Method::POST,
                path: "/v2/fhir/Patient/-20140000008325/extra".to_owned(),
                query: Some("code=CODE-0123456789".to_owned()),
                headers,
                body: Bytes::from_static(b"refresh_token=REFRESH-0123456789&x=1"),
                origin: "http://127.0.0.1:1".to_owned(),
            },
            response: Response::html(StatusCode::NOT_FOUND, "<h1>Not Found</h1>"),
            content_encoding: None,
            refused: None,
            miss: Some(Miss {
                closest: Some(ClosestStub {
                    index: 0,
                    diffs: vec![
                        FieldDiff {
                            field: "method".to_owned(),
                            expected: "GET".to_owned(),
                            actual: Some("POST".to_owned()),
                        },
                        FieldDiff {
                            field: "headers.authorization".to_owned(),
                            expected: "Bearer abc*".to_owned(),
                            actual: Some("Bearer SECRET-TOKEN-0123".to_owned()),
                        },
                        FieldDiff {
                            field: "query.code".to_owned(),
                            expected: "*x".to_owned(),
                            actual: Some("CODE-0123456789".to_owned()),
                        },
                        FieldDiff {
                            field: "path".to_owned(),
                            expected: "/v2/fhir/Patient/*".to_owned(),
                            actual: Some("/v2/fhir/Patient/-20140000008325/extra".to_owned()),
                        },
                        FieldDiff {
                            field: "query.type".to_owned(),
                            expected: "carrier".to_owned(),
                            actual: None,
                        },
                    ],
                }),
                strict: false,
            }),
        }
    }

    #[test]
    fn unmatched_and_exchange_bodies_are_redacted_and_match_their_schemas() {
        let redactor = Redactor::new();
        let exchange = exchange_with_miss();
        let mut unmatched = json!({"unmatched": [render::unmatched(&exchange, &redactor)]});
        render::scrub(&mut unmatched, &redactor);
        assert_valid("unmatched", &unmatched);
        let mut one = render::exchange(&exchange, &redactor);
        render::scrub(&mut one, &redactor);
        assert_valid("exchange", &one);
        let mut journal = json!({"exchanges": [render::summary(&exchange, &redactor)]});
        render::scrub(&mut journal, &redactor);
        assert_valid("journal", &journal);
        assert_eq!(journal["exchanges"][0]["unmatched"], true);
        let text = format!("{unmatched} {one} {journal}");
        for secret in [
            "SECRET-TOKEN-0123",
            "CODE-0123456789",
            "REFRESH-0123456789",
            "20140000008325",
        ] {
            assert!(!text.contains(secret), "{secret} in {text}");
        }
        let diffs = &unmatched["unmatched"][0]["miss"]["closest"]["diffs"];
        assert_eq!(diffs[0]["actual"], "POST");
        assert_eq!(diffs[1]["actual"], "Bearer token#1");
        assert_eq!(diffs[1]["expected"], "Bearer abc*");
        assert_eq!(diffs[2]["actual"], "code#1");
        assert_eq!(diffs[3]["actual"], "/v2/fhir/Patient/patient#1/extra");
        assert_eq!(diffs[4]["actual"], Value::Null);
        assert_eq!(one["miss"], unmatched["unmatched"][0]["miss"]);
        assert_eq!(
            one["request"]["body"],
            json!({"kind": "form", "form": "refresh_token=token#2&x=1"})
        );
        assert_eq!(one["at_ms"], 3.0);
        assert_eq!(one["elapsed_ms"], 0.25);
    }
}
