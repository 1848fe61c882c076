//! Micro benchmarks of the hot paths, through the crate's public API: one ExplanationOfBenefit
//! page of 10 claims rendered as the server routes and builds it, the gzip body of that page,
//! token issue + verify (and verify alone, and a refresh rotation), and scenario loading.
//!
//! Run: `cargo bench --bench micro` (criterion options after `--`, e.g.
//! `cargo bench --bench micro -- --warm-up-time 1 --measurement-time 3 render`).

use bluebutton_harness::Scenario;
use bluebutton_harness::clock::Clock;
use bluebutton_harness::exchange::{Request, Response};
use bluebutton_harness::oauth::store::{self, AccessCheck, Session, TokenStore};
use bluebutton_harness::scenario::builtin_text;
use bluebutton_harness::server::page_cache::Served;
use bluebutton_harness::server::{compression, router};
use bluebutton_harness::world::World;
use bytes::Bytes;
use criterion::{Criterion, Throughput};
use http::header::{AUTHORIZATION, HOST, HeaderValue};
use http::{HeaderMap, Method, StatusCode};
use std::error::Error;
use std::fmt::Write as _;
use std::hint::black_box;
use std::sync::Arc;
use std::time::{Duration, Instant};
use tokio::runtime::Runtime;

/// A bench's setup failed; the message says which step.
type BenchResult<T = ()> = Result<T, Box<dyn Error>>;

/// The built-in scenario `bbh serve` runs by default.
const SCENARIO: &str = "oauth-success";
/// Jane Doe, the default sandbox login.
const LOGIN: &str = "BBUser29999";
/// The origin a local client reaches `bbh serve` at.
const ORIGIN: &str = "http://127.0.0.1:8000";
/// The EOB page under test: the first page of 10 claims.
const EOB_PATH: &str = "/v2/fhir/ExplanationOfBenefit/";
const EOB_QUERY: &str = "_count=10";

fn main() -> BenchResult {
    let mut criterion = Criterion::default().configure_from_args();
    let server = ServerParts::new()?;
    render_page(&mut criterion, &server)?;
    gzip_page(&mut criterion, &server)?;
    tokens(&mut criterion, &server)?;
    scenario_load(&mut criterion)?;
    criterion.final_summary();
    Ok(())
}

/// What `bbh serve` holds for the default scenario, with one signed-in session of Jane Doe.
struct ServerParts {
    world: World,
    store: TokenStore,
    session: Arc<Session>,
    access_token: String,
    runtime: Runtime,
}

impl ServerParts {
    fn new() -> BenchResult<ServerParts> {
        let world = World::new(
            Scenario::builtin(SCENARIO)?,
            Arc::new(Clock::from_wall_clock()),
        );
        let store = TokenStore::with_expire_after_calls(world.scenario().tokens.expire_after_calls);
        let who = world
            .who(LOGIN)
            .ok_or_else(|| format!("{LOGIN} is not a login of {SCENARIO}"))?;
        let app = world
            .scenario()
            .apps
            .first()
            .ok_or_else(|| format!("{SCENARIO} registers no app"))?;
        let scope = app.scopes.join(" ");
        let session = store.open_session(&app.client_id, who, &scope, None);
        let tokens = store.issue_tokens(Arc::clone(&session), &session.scope, expires(&world))?;
        let runtime = tokio::runtime::Builder::new_current_thread().build()?;
        Ok(ServerParts {
            world,
            store,
            session,
            access_token: tokens.access_token,
            runtime,
        })
    }

    /// `GET /v2/fhir/ExplanationOfBenefit/?_count=10` with the session's bearer token, as the
    /// server hands it to the router.
    fn eob_request(&self) -> BenchResult<Request> {
        let mut headers = HeaderMap::new();
        headers.insert(HOST, HeaderValue::from_static("127.0.0.1:8000"));
        headers.insert(
            AUTHORIZATION,
            HeaderValue::from_str(&format!("Bearer {}", self.access_token))?,
        );
        Ok(Request {
            method: Method::GET,
            path: EOB_PATH.to_owned(),
            query: Some(EOB_QUERY.to_owned()),
            headers,
            body: Bytes::new(),
            origin: ORIGIN.to_owned(),
        })
    }

    /// The router's answer to `request` (the built-in API, no stub, no cache).
    fn route(&self, request: &Request) -> Response {
        self.runtime.block_on(router::route(
            &self.world,
            &self.store,
            None,
            &Served::uncached(),
            request,
        ))
    }

    /// The EOB page, checked: 200 and a searchset Bundle of 10 entries.
    fn eob_page(&self) -> BenchResult<Response> {
        let response = self.route(&self.eob_request()?);
        if response.status != StatusCode::OK {
            return Err(format!("the EOB page answered {}", response.status).into());
        }
        let bundle: serde_json::Value = serde_json::from_slice(&response.body)?;
        let entries = bundle["entry"].as_array().map_or(0, Vec::len);
        if entries != 10 {
            return Err(format!("the EOB page has {entries} entries, not 10").into());
        }
        Ok(response)
    }
}

fn expires(world: &World) -> jiff::Timestamp {
    store::expiry(world.clock().now(), world.access_ttl())
}

/// Route, authenticate, throttle-count, render and serialize one EOB page of 10 claims.
fn render_page(c: &mut Criterion, server: &ServerParts) -> BenchResult {
    let page = server.eob_page()?;
    let request = server.eob_request()?;
    let mut group = c.benchmark_group("render");
    group.throughput(Throughput::Bytes(page.body.len() as u64));
    group.bench_function("eob_page_10_claims", |b| {
        b.iter(|| server.route(black_box(&request)));
    });
    group.finish();
    Ok(())
}

/// The gzip body of that page, as the server's compression step makes it.
fn gzip_page(c: &mut Criterion, server: &ServerParts) -> BenchResult {
    let page = server.eob_page()?;
    let profile = server.world.profile();
    let encoding = compression::encode(&page, Some("gzip"), profile);
    let gzipped = encoding
        .gzipped
        .ok_or("the EOB page was not gzipped for Accept-Encoding: gzip")?;
    eprintln!(
        "EOB page of 10 claims: {} bytes plain, {} bytes gzipped",
        page.body.len(),
        gzipped.len()
    );
    let mut group = c.benchmark_group("gzip");
    group.throughput(Throughput::Bytes(page.body.len() as u64));
    group.bench_function("eob_page_10_claims", |b| {
        b.iter(|| compression::encode(black_box(&page), Some("gzip"), profile));
    });
    group.finish();
    Ok(())
}

/// Token issue + verify, verify alone (every FHIR request's bearer check) and a refresh
/// rotation, on one store of the default scenario. A store only grows, so the issuing benches
/// time each sample on a fresh store holding the default session.
fn tokens(c: &mut Criterion, server: &ServerParts) -> BenchResult {
    let world = &server.world;
    let now = world.clock().now();
    let expires_at = expires(world);
    // Fail early, outside the timed loops, if issuing fails here at all.
    let probe = TokenStore::new();
    let probe_session = probe.open_session(
        &server.session.client_id,
        server.session.who.clone(),
        &server.session.scope,
        None,
    );
    let issued =
        probe.issue_tokens(Arc::clone(&probe_session), &probe_session.scope, expires_at)?;
    if !matches!(
        probe.check_access(&issued.access_token, now),
        AccessCheck::Valid { .. }
    ) {
        return Err("a fresh access token does not verify".into());
    }
    probe
        .rotate(&issued.refresh_token, &probe_session.scope, expires_at)?
        .map_err(|problem| format!("a fresh refresh token does not rotate: {problem:?}"))?;

    let fresh_store = || {
        let store = TokenStore::new();
        let session = store.open_session(
            &server.session.client_id,
            server.session.who.clone(),
            &server.session.scope,
            None,
        );
        (store, session)
    };
    let mut group = c.benchmark_group("token");
    group.bench_function("issue_and_verify", |b| {
        b.iter_custom(|iters| {
            let (store, session) = fresh_store();
            let start = Instant::now();
            for _ in 0..iters {
                if let Ok(tokens) =
                    store.issue_tokens(Arc::clone(&session), &session.scope, expires_at)
                {
                    black_box(store.check_access(&tokens.access_token, now));
                }
            }
            let elapsed = start.elapsed();
            drop(store);
            elapsed
        });
    });
    group.bench_function("verify", |b| {
        b.iter(|| {
            server
                .store
                .check_access(black_box(&server.access_token), now)
        });
    });
    group.bench_function("refresh_rotate", |b| {
        b.iter_custom(|iters| {
            let (store, session) = fresh_store();
            let Ok(first) = store.issue_tokens(Arc::clone(&session), &session.scope, expires_at)
            else {
                return Duration::ZERO;
            };
            let mut refresh = first.refresh_token;
            let start = Instant::now();
            for _ in 0..iters {
                if let Ok(Ok(next)) = store.rotate(&refresh, &session.scope, expires_at) {
                    refresh = next.refresh_token;
                }
            }
            start.elapsed()
        });
    });
    group.finish();
    Ok(())
}

/// `Scenario::from_yaml` of the built-in default scenario's text and of a large generated one.
fn scenario_load(c: &mut Criterion) -> BenchResult {
    let builtin = builtin_text(SCENARIO).ok_or("no built-in oauth-success text")?;
    let large = large_scenario(1_000, 500);
    let parsed = Scenario::from_yaml(&large)?;
    eprintln!(
        "large scenario: {} bytes of YAML, {} beneficiaries, {} stubs",
        large.len(),
        parsed.beneficiaries.len(),
        parsed.stubs.len()
    );
    Scenario::from_yaml(builtin)?;
    let mut group = c.benchmark_group("scenario_load");
    group.throughput(Throughput::Bytes(builtin.len() as u64));
    group.bench_function("builtin_oauth_success", |b| {
        b.iter(|| Scenario::from_yaml(black_box(builtin)));
    });
    group.throughput(Throughput::Bytes(large.len() as u64));
    group.sample_size(20);
    group.bench_function("generated_1000_beneficiaries_500_stubs", |b| {
        b.iter(|| Scenario::from_yaml(black_box(&large)));
    });
    group.finish();
    Ok(())
}

/// A valid scenario with `beneficiaries` beneficiaries (each with exact claim counts) and
/// `stubs` stubs that use every kind of `when` condition and body.
fn large_scenario(beneficiaries: usize, stubs: usize) -> String {
    let mut yaml = String::from(
        "version: 1\nname: large\ndescription: 'Generated for the micro benchmarks.'\nseed: 7\n",
    );
    yaml.push_str("states:\n  outage:\n    states: [healthy, failing]\n    transitions:\n");
    yaml.push_str(
        "      - {from: healthy, to: failing, when: {method: GET, path: /v2/fhir/Patient/**}}\n",
    );
    yaml.push_str("beneficiaries:\n");
    for n in 0..beneficiaries {
        let _ = write!(
            yaml,
            "  - username: BBUser1{n:04}\n    patient_id: \"-2000000000{id:04}\"\n    name: Given{n} M Family{n}\n    claims: {{carrier: {carrier}, inpatient: {inpatient}, pde: {pde}}}\n",
            id = n + 1,
            carrier = n % 50,
            inpatient = n % 3,
            pde = n % 40,
        );
    }
    yaml.push_str("stubs:\n");
    for n in 0..stubs {
        let stub = match n % 5 {
            0 => format!(
                "  - when: {{method: GET, path: /v2/fhir/ExplanationOfBenefit/, query: {{type: carrier, _count: \"{n}\", startIndex: null}}}}\n    then: {{status: 200, headers: {{X-Stub: \"{n}\"}}, body: {{resourceType: Bundle, type: searchset, total: {n}, entry: []}}}}\n"
            ),
            1 => format!(
                "  - when: {{method: GET, path: /v2/fhir/Patient/-2000000000{n:04}, headers: {{Accept: \"application/fhir+json*\"}}}}\n    then: {{passthrough: true, headers: {{X-Stub: \"{n}\"}}}}\n"
            ),
            2 => format!(
                "  - when: {{method: POST, path: /v2/o/token/, form: {{grant_type: refresh_token, client_id: \"client{n}\"}}, nth: {nth}}}\n    then: {{status: 400, body: {{error: invalid_grant, error_description: \"stub {n}\"}}}}\n",
                nth = n % 7 + 1,
            ),
            3 => format!(
                "  - when: {{method: GET, path: /v2/fhir/ExplanationOfBenefit/, session: {{state: {{outage: failing}}}}, query: {{_count: \"{n}\"}}}}\n    then: {{fault: backend-failure}}\n"
            ),
            _ => format!(
                "  - when: {{path: /v2/fhir/Coverage/**, query: {{_id: \"{n}\"}}}}\n    then: {{status: 404, body: \"not found {n}\"}}\n"
            ),
        };
        yaml.push_str(&stub);
    }
    yaml
}
