//! The fake Blue Button server: a hyper 1.x HTTP/1.1 accept loop with keep-alive, graceful
//! stop, the journal hook, compression and BB2's global headers around the router.

pub mod backend_fault;
pub mod compression;
pub mod journal;
pub mod redact;
pub mod request_log;
pub mod router;
pub mod stubs;

use crate::clock::Clock;
use crate::exchange::{Request, Response};
use crate::oauth::errors;
use crate::oauth::pages::Pages;
use crate::oauth::store::TokenStore;
use crate::scenario::Scenario;
use crate::world::{World, throttle};
use bytes::Bytes;
use http::header::{ACCEPT_ENCODING, CONTENT_ENCODING, CONTENT_LENGTH, HOST, HeaderValue, VARY};
use http::{HeaderName, Method};
use http_body_util::{BodyExt, Full, Limited};
use hyper::body::Incoming;
use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper_util::rt::TokioIo;
use hyper_util::server::graceful::GracefulShutdown;
use journal::{Exchange, Journal, Observer};
use std::convert::Infallible;
use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};
use stubs::Stubs;
use tokio::net::TcpListener;
use tokio::sync::watch;
use tokio::task::JoinHandle;

/// Largest request body read (Django's `DATA_UPLOAD_MAX_MEMORY_SIZE`, 2.5 MiB); larger → 400.
pub const MAX_BODY_BYTES: usize = 2_621_440;

/// How long a graceful stop waits for open connections.
const STOP_GRACE: Duration = Duration::from_secs(5);

/// Headers BB2's middleware puts on every response (behaviour file §6).
const GLOBAL_HEADERS: [(&str, &str); 6] = [
    ("access-control-allow-origin", "*"),
    ("x-frame-options", "DENY"),
    ("x-content-type-options", "nosniff"),
    ("referrer-policy", "strict-origin-when-cross-origin"),
    ("cross-origin-opener-policy", "same-origin"),
    // BB2's policy names more sources after `'self'`; this server serves no assets.
    ("content-security-policy-report-only", "default-src 'self'"),
];

/// What the server runs on: the world and its tokens.
struct State {
    world: World,
    store: TokenStore,
    stubs: Stubs,
    /// The login and consent pages, in interactive mode.
    pages: Option<Pages>,
    journal: Arc<Journal>,
    observers: Vec<Arc<dyn Observer>>,
    local_addr: SocketAddr,
    started: Instant,
    next_id: AtomicU64,
}

/// Options of a server beyond its scenario.
#[derive(Default)]
pub struct ServerOptions {
    /// Observers called for every exchange besides the journal (e.g. the request log).
    pub observers: Vec<Arc<dyn Observer>>,
    /// The clock; when `None`, one that starts at the scenario's `now:` or the wall clock.
    pub clock: Option<Arc<Clock>>,
    /// How many exchanges the journal keeps; [`Journal::DEFAULT_CAPACITY`] when `None`.
    pub journal_capacity: Option<usize>,
    /// Interactive mode: authorize shows login and consent pages instead of logging in the
    /// scenario's beneficiary automatically.
    pub interactive: bool,
}

/// A server that is accepting connections.
pub struct RunningServer {
    state: Arc<State>,
    stop: watch::Sender<bool>,
    task: JoinHandle<()>,
}

/// Binds `addr` and serves `scenario` until stopped.
pub async fn start(
    scenario: Scenario,
    addr: SocketAddr,
    options: ServerOptions,
) -> std::io::Result<RunningServer> {
    let listener = TcpListener::bind(addr).await?;
    let local_addr = listener.local_addr()?;
    let clock = options.clock.unwrap_or_else(|| {
        Arc::new(match scenario.now {
            Some(now) => Clock::starting_at(now),
            None => Clock::from_wall_clock(),
        })
    });
    let journal = Arc::new(Journal::with_capacity(
        options
            .journal_capacity
            .unwrap_or(Journal::DEFAULT_CAPACITY),
    ));
    let stubs = Stubs::new(&scenario.stubs);
    let store = TokenStore::with_expire_after_calls(scenario.tokens.expire_after_calls);
    let state = Arc::new(State {
        world: World::new(scenario, clock),
        store,
        stubs,
        pages: options.interactive.then(Pages::default),
        journal,
        observers: options.observers,
        local_addr,
        started: Instant::now(),
        next_id: AtomicU64::new(1),
    });
    let (stop, stopped) = watch::channel(false);
    let task = tokio::spawn(accept_loop(listener, Arc::clone(&state), stopped));
    Ok(RunningServer { state, stop, task })
}

impl RunningServer {
    /// The address it listens on.
    pub fn local_addr(&self) -> SocketAddr {
        self.state.local_addr
    }

    /// Its base URL (`http://127.0.0.1:41234`).
    pub fn url(&self) -> String {
        format!("http://{}", self.state.local_addr)
    }

    /// The journal of every exchange so far.
    pub fn journal(&self) -> &Journal {
        &self.state.journal
    }

    /// The virtual clock (move it forward to expire codes and tokens).
    pub fn clock(&self) -> &Arc<Clock> {
        self.state.world.clock()
    }

    /// Stops accepting, lets open exchanges finish (up to a grace period), and returns.
    pub async fn stop(self) {
        let _ = self.stop.send(true);
        let _ = self.task.await;
    }
}

async fn accept_loop(listener: TcpListener, state: Arc<State>, mut stopped: watch::Receiver<bool>) {
    let graceful = GracefulShutdown::new();
    loop {
        tokio::select! {
            accepted = listener.accept() => {
                let Ok((stream, _peer)) = accepted else { continue };
                let _ = stream.set_nodelay(true);
                let state = Arc::clone(&state);
                let service = service_fn(move |request| serve(Arc::clone(&state), request));
                let connection = http1::Builder::new()
                    .keep_alive(true)
                    .serve_connection(TokioIo::new(stream), service);
                let watched = graceful.watch(connection);
                tokio::spawn(async move {
                    let _ = watched.await;
                });
            }
            _ = stopped.changed() => break,
        }
    }
    drop(listener);
    let _ = tokio::time::timeout(STOP_GRACE, graceful.shutdown()).await;
}

async fn serve(
    state: Arc<State>,
    request: hyper::Request<Incoming>,
) -> Result<hyper::Response<Full<Bytes>>, Infallible> {
    let arrived = Instant::now();
    let id = state.next_id.fetch_add(1, Ordering::Relaxed);
    let (parts, body) = request.into_parts();
    let origin = match parts.headers.get(HOST).and_then(|h| h.to_str().ok()) {
        Some(host) => format!("http://{host}"),
        None => format!("http://{}", state.local_addr),
    };
    let body = Limited::new(body, MAX_BODY_BYTES)
        .collect()
        .await
        .map(|b| b.to_bytes());
    let request = Request {
        method: parts.method,
        path: parts.uri.path().to_owned(),
        query: parts.uri.query().map(str::to_owned),
        headers: parts.headers,
        body: body.as_ref().map(Bytes::clone).unwrap_or_default(),
        origin,
    };
    // An unreadable body is refused before any stub sees the request.
    let stub = body
        .as_ref()
        .ok()
        .and_then(|_| state.stubs.answering(&request));
    let response = match (&body, stub) {
        (Err(_), _) => errors::bad_request_text("<h1>Bad Request (400)</h1>"),
        (Ok(_), Some(then)) if !then.passthrough => stubs::answer(then, &request),
        (Ok(_), _) => {
            router::route(&state.world, &state.store, state.pages.as_ref(), &request).await
        }
    };
    let mut response = throttle::unthrottled(with_global_headers(response));
    if let Some(then) = stub {
        stubs::overlay(then, &mut response);
    }
    let accept_encoding = request
        .headers
        .get(ACCEPT_ENCODING)
        .and_then(|v| v.to_str().ok());
    let encoding = compression::encode(&response, accept_encoding, state.world.profile());
    let wire = to_wire(&request.method, &response, encoding);
    let exchange = Exchange {
        id,
        at: arrived.duration_since(state.started),
        elapsed: arrived.elapsed(),
        content_encoding: wire
            .headers()
            .contains_key(CONTENT_ENCODING)
            .then_some("gzip"),
        request,
        response,
    };
    state.journal.observe(&exchange);
    for observer in &state.observers {
        observer.observe(&exchange);
    }
    Ok(wire)
}

fn with_global_headers(mut response: Response) -> Response {
    for (name, value) in GLOBAL_HEADERS {
        response.headers.insert(
            HeaderName::from_static(name),
            HeaderValue::from_static(value),
        );
    }
    response
}

/// The hyper response, encoded as `encoding` says; `HEAD` keeps the headers and the length
/// of the `GET` body, and sends no body.
fn to_wire(
    method: &Method,
    response: &Response,
    encoding: compression::Encoding,
) -> hyper::Response<Full<Bytes>> {
    let mut headers = response.headers.clone();
    if encoding.vary {
        headers.append(VARY, HeaderValue::from_static("Accept-Encoding"));
    }
    let body = match encoding.gzipped {
        Some(gzipped) => {
            headers.insert(CONTENT_ENCODING, HeaderValue::from_static("gzip"));
            Bytes::from(gzipped)
        }
        None => response.body.clone(),
    };
    headers.insert(CONTENT_LENGTH, HeaderValue::from(body.len()));
    let body = if method == Method::HEAD {
        Bytes::new()
    } else {
        body
    };
    let mut wire = hyper::Response::new(Full::new(body));
    *wire.status_mut() = response.status;
    *wire.headers_mut() = headers;
    wire
}
