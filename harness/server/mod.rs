//! The fake Blue Button server: a hyper 1.x HTTP/1.1 accept loop with keep-alive, graceful
//! stop, the journal hook, compression and BB2's global headers around the router.

mod admin;
pub mod backend_fault;
pub mod compression;
pub mod fault_dice;
pub mod journal;
pub mod limits;
pub mod matcher;
pub mod near_miss;
pub mod page_cache;
pub mod redact;
pub mod request_log;
pub mod request_session;
pub mod router;
pub mod session_state;
pub mod stub_answer;
pub mod stubs;
pub mod template;
pub mod tls;
pub mod wire;

use crate::clock::Clock;
use crate::exchange::{Request, Response, SessionId};
use crate::oauth::pages::Pages;
use crate::oauth::store::TokenStore;
use crate::scenario::{Scenario, Stub};
use crate::world::{World, throttle};
use arc_swap::ArcSwap;
use bytes::Bytes;
use fault_dice::FaultDice;
use http::HeaderName;
use http::header::{ACCEPT_ENCODING, CONTENT_ENCODING, HOST, HeaderValue};
use http_body_util::{BodyExt, LengthLimitError, Limited};
use hyper::body::{Body as _, Incoming};
use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper_util::rt::TokioIo;
use hyper_util::server::graceful::{GracefulShutdown, Watcher};
use journal::{Exchange, Journal, Observer};
use limits::Refusal;
use matcher::Matcher;
use page_cache::{PageCache, Served};
use session_state::SessionStates;
use std::convert::Infallible;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, Instant};
use stubs::{Choice, Stubs};
use template::Fresh;
use tokio::io::{AsyncRead, AsyncWrite};
use tokio::net::TcpListener;
use tokio::sync::watch;
use tokio::task::JoinHandle;
use wire::{AbortOnDrop, CutSlot, WireBody, WireIo};

pub use limits::MAX_BODY_BYTES;

/// How long a graceful stop waits for open connections.
const STOP_GRACE: Duration = Duration::from_secs(5);

/// How long a TLS client may take to finish its handshake.
const TLS_HANDSHAKE: Duration = Duration::from_secs(10);

/// Headers BB2's middleware puts on every response (behaviour file §6).
const GLOBAL_HEADERS: [(HeaderName, HeaderValue); 6] = [
    (
        HeaderName::from_static("access-control-allow-origin"),
        HeaderValue::from_static("*"),
    ),
    (
        HeaderName::from_static("x-frame-options"),
        HeaderValue::from_static("DENY"),
    ),
    (
        HeaderName::from_static("x-content-type-options"),
        HeaderValue::from_static("nosniff"),
    ),
    (
        HeaderName::from_static("referrer-policy"),
        HeaderValue::from_static("strict-origin-when-cross-origin"),
    ),
    (
        HeaderName::from_static("cross-origin-opener-policy"),
        HeaderValue::from_static("same-origin"),
    ),
    // BB2's policy names more sources after `'self'`; this server serves no assets.
    (
        HeaderName::from_static("content-security-policy-report-only"),
        HeaderValue::from_static("default-src 'self'"),
    ),
];

/// What a scenario makes: the world, its tokens and its stubs. Reset and load replace it
/// whole; requests already running finish on the one they started with.
pub(crate) struct Live {
    pub(crate) world: World,
    pub(crate) store: TokenStore,
    /// The stubs, mounted ones first; replaced whole when a stub is mounted.
    pub(crate) stubs: ArcSwap<Stubs>,
    /// The state of the scenario's state machines in each session.
    pub(crate) states: SessionStates,
    /// Values bound once per run for `{{fresh.NAME}}` templates.
    pub(crate) fresh: Fresh,
    /// The login and consent pages, in interactive mode.
    pub(crate) pages: Option<Pages>,
    /// The seeded draws of fault rates, latencies and random bytes.
    pub(crate) dice: FaultDice,
    /// Rendered FHIR answers and their gzip bodies: a new world starts with none.
    pub(crate) page_cache: PageCache,
}

impl Live {
    /// A fresh world for `scenario` on `clock`, with `mounted` stubs tried before the
    /// scenario's own.
    fn new(scenario: Scenario, clock: Arc<Clock>, mounted: &[Stub], interactive: bool) -> Live {
        let stubs = Stubs::new(mounted.iter().chain(&scenario.stubs));
        Live {
            store: TokenStore::with_expire_after_calls(scenario.tokens.expire_after_calls),
            stubs: ArcSwap::from_pointee(stubs),
            states: SessionStates::new(&scenario.states),
            fresh: Fresh::default(),
            dice: FaultDice::new(scenario.seed),
            world: World::new(scenario, clock),
            pages: interactive.then(Pages::default),
            page_cache: PageCache::default(),
        }
    }
}

/// What the server runs on: the live scenario and what outlives a reset.
struct State {
    live: ArcSwap<Live>,
    /// Stubs mounted from code ([`RunningServer::mount`]), newest last; they survive a reset
    /// and a load.
    mounted: Mutex<Vec<Stub>>,
    interactive: bool,
    journal: Arc<Journal>,
    observers: Vec<Arc<dyn Observer>>,
    local_addr: SocketAddr,
    started: Instant,
    next_id: AtomicU64,
    /// The admin API (`/__admin/`), when enabled.
    admin: Option<admin::Admin>,
    /// The certificate served over TLS; plain HTTP when `None`.
    tls: Option<tls::SelfSigned>,
    /// Set to `true` to stop: by [`RunningServer::stop`] or `POST /__admin/shutdown`.
    stop: watch::Sender<bool>,
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
    /// Serve the admin API under `/__admin/` (loopback clients only); without it those paths
    /// are ordinary requests (BB2's 404).
    pub admin: bool,
    /// Serve HTTPS with this certificate instead of plain HTTP.
    pub tls: Option<tls::SelfSigned>,
}

/// A server that is accepting connections.
pub struct RunningServer {
    state: Arc<State>,
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
    let (stop, stopped) = watch::channel(false);
    let state = Arc::new(State {
        live: ArcSwap::from_pointee(Live::new(scenario, clock, &[], options.interactive)),
        mounted: Mutex::new(Vec::new()),
        interactive: options.interactive,
        journal,
        observers: options.observers,
        local_addr,
        started: Instant::now(),
        next_id: AtomicU64::new(1),
        admin: options.admin.then(admin::Admin::default),
        tls: options.tls,
        stop,
    });
    let task = tokio::spawn(accept_loop(listener, Arc::clone(&state), stopped));
    Ok(RunningServer { state, task })
}

impl RunningServer {
    /// The address it listens on.
    pub fn local_addr(&self) -> SocketAddr {
        self.state.local_addr
    }

    /// Its base URL (`http://127.0.0.1:41234`, `https://...` with TLS).
    pub fn url(&self) -> String {
        format!("{}://{}", self.state.scheme(), self.state.local_addr)
    }

    /// The journal of every exchange so far.
    pub fn journal(&self) -> &Journal {
        &self.state.journal
    }

    /// The virtual clock (move it forward to expire codes and tokens).
    pub fn clock(&self) -> Arc<Clock> {
        Arc::clone(self.state.live.load().world.clock())
    }

    /// The scenario being served.
    pub fn scenario(&self) -> Scenario {
        self.state.live.load().world.scenario().clone()
    }

    /// Adds a stub tried before the scenario's stubs (and after stubs mounted earlier); it
    /// lasts until the server stops, through resets and loads. Tokens, sessions, states and
    /// the counts of the other stubs stay as they are.
    pub fn mount(&self, stub: Stub) {
        let mut mounted = self
            .state
            .mounted
            .lock()
            .unwrap_or_else(PoisonError::into_inner);
        let live = self.state.live.load();
        let stubs = live.stubs.load().with_inserted(mounted.len(), &stub);
        live.stubs.store(Arc::new(stubs));
        mounted.push(stub);
    }

    /// Each session that has left the initial state of a state machine (`states:`), in order,
    /// with every machine's state in it.
    pub fn session_states(&self) -> Vec<(SessionId, Vec<(String, String)>)> {
        self.state.live.load().states.snapshot()
    }

    /// [`mount`](Self::mount) once `check` accepts `stub` for the scenario being served; a
    /// [`load_checked`](Self::load_checked) waits for it.
    pub(crate) fn mount_checked<E>(
        &self,
        stub: Stub,
        check: impl FnOnce(&Stub, &Scenario) -> Result<(), E>,
    ) -> Result<(), E> {
        let mut mounted = self
            .state
            .mounted
            .lock()
            .unwrap_or_else(PoisonError::into_inner);
        check(&stub, self.state.live.load().world.scenario())?;
        mounted.push(stub);
        self.state.rebuild(None, &mounted);
        Ok(())
    }

    /// [`load`](Self::load) once `check` accepts the mounted stubs (oldest first) for
    /// `scenario`; a [`mount_checked`](Self::mount_checked) waits for it.
    pub(crate) fn load_checked<E>(
        &self,
        scenario: Scenario,
        check: impl FnOnce(&[Stub], &Scenario) -> Result<(), E>,
    ) -> Result<(), E> {
        let mounted = self
            .state
            .mounted
            .lock()
            .unwrap_or_else(PoisonError::into_inner);
        check(&mounted, &scenario)?;
        self.state.rebuild(Some(scenario), &mounted);
        self.state.journal.clear();
        Ok(())
    }

    /// Forgets every token, grant, stub count and session state, and empties the journal;
    /// the scenario, the mounted stubs and the clock stay.
    pub fn reset(&self) {
        self.state.reset();
    }

    /// Serves `scenario` from now on, as after a reset; the clock stays.
    pub fn load(&self, scenario: Scenario) {
        self.state.load(scenario);
    }

    /// Resolves once the server was asked to stop (`POST /__admin/shutdown`); it then stops
    /// accepting by itself, and [`RunningServer::stop`] waits for open exchanges to finish.
    pub async fn stop_requested(&self) {
        let mut stop = self.state.stop.subscribe();
        // The sender lives in the state this server holds, so the channel never closes here.
        let _ = stop.wait_for(|stop| *stop).await;
    }

    /// Stops accepting, lets open exchanges finish (up to a grace period), and returns.
    pub async fn stop(mut self) {
        self.state.stop.send_replace(true);
        let _ = (&mut self.task).await;
    }

    /// Stops accepting at once without waiting: the listening socket closes as soon as the
    /// runtime drops the accept loop, and open connections close after their exchange.
    pub(crate) fn close(&self) {
        self.state.stop.send_replace(true);
        self.task.abort();
    }

    /// Waits until the accept loop has ended (after [`RunningServer::close`]: the listening
    /// socket is closed when this returns).
    pub(crate) async fn closed(&mut self) {
        let _ = (&mut self.task).await;
    }
}

impl Drop for RunningServer {
    /// A server nobody holds stops accepting (open exchanges finish in the background).
    fn drop(&mut self) {
        self.state.stop.send_replace(true);
    }
}

impl State {
    /// Replaces the live world with a fresh one for `scenario` (the current one when `None`).
    fn rebuild(&self, scenario: Option<Scenario>, mounted: &[Stub]) {
        let live = self.live.load();
        let scenario = scenario.unwrap_or_else(|| live.world.scenario().clone());
        let clock = Arc::clone(live.world.clock());
        self.live.store(Arc::new(Live::new(
            scenario,
            clock,
            mounted,
            self.interactive,
        )));
    }

    fn reset(&self) {
        let mounted = self.mounted.lock().unwrap_or_else(PoisonError::into_inner);
        self.rebuild(None, &mounted);
        self.clear_journal();
    }

    fn load(&self, scenario: Scenario) {
        let mounted = self.mounted.lock().unwrap_or_else(PoisonError::into_inner);
        self.rebuild(Some(scenario), &mounted);
        self.clear_journal();
    }

    /// Empties the journal, and the admin API's aliases of what it held.
    fn clear_journal(&self) {
        self.journal.clear();
        if let Some(admin) = &self.admin {
            admin.forget_aliases();
        }
    }

    /// `https` with TLS, else `http`.
    fn scheme(&self) -> &'static str {
        if self.tls.is_some() { "https" } else { "http" }
    }
}

async fn accept_loop(listener: TcpListener, state: Arc<State>, mut stopped: watch::Receiver<bool>) {
    let graceful = GracefulShutdown::new();
    loop {
        tokio::select! {
            accepted = listener.accept() => {
                let Ok((stream, peer)) = accepted else { continue };
                let _ = stream.set_nodelay(true);
                let state = Arc::clone(&state);
                let watcher = graceful.watcher();
                tokio::spawn(async move {
                    let Some(acceptor) = state.tls.as_ref().map(tls::SelfSigned::acceptor) else {
                        return serve_connection(stream, state, peer, watcher).await;
                    };
                    // A client that never finishes its handshake is dropped.
                    if let Ok(Ok(stream)) =
                        tokio::time::timeout(TLS_HANDSHAKE, acceptor.accept(stream)).await
                    {
                        serve_connection(stream, state, peer, watcher).await;
                    }
                });
            }
            _ = stopped.changed() => break,
        }
    }
    drop(listener);
    let _ = tokio::time::timeout(STOP_GRACE, graceful.shutdown()).await;
}

/// Serves HTTP/1.1 exchanges on one connection (plain TCP or TLS) until it closes.
async fn serve_connection<S>(stream: S, state: Arc<State>, peer: SocketAddr, watcher: Watcher)
where
    S: AsyncRead + AsyncWrite + AbortOnDrop + Unpin + Send + 'static,
{
    let (io, cut) = WireIo::new(stream);
    let service =
        service_fn(move |request| serve(Arc::clone(&state), peer, Arc::clone(&cut), request));
    let connection = http1::Builder::new()
        .keep_alive(true)
        .serve_connection(TokioIo::new(io), service);
    let _ = watcher.watch(connection).await;
}

async fn serve(
    state: Arc<State>,
    peer: SocketAddr,
    cut: Arc<CutSlot>,
    request: hyper::Request<Incoming>,
) -> Result<hyper::Response<WireBody>, Infallible> {
    let arrived = Instant::now();
    let (parts, body) = request.into_parts();
    // Admin exchanges are not journaled, observed, or counted in exchange ids.
    if let Some(admin) = &state.admin
        && admin::is_admin_path(parts.uri.path())
    {
        let body = read_body(body).await.ok();
        let answer = admin.answer(
            &state,
            peer,
            &parts.headers,
            &parts.method,
            parts.uri.path(),
            body,
        );
        let identity = compression::Encoding {
            gzipped: None,
            vary: false,
        };
        return Ok(wire::Plan::default().respond(&parts.method, &answer, identity, &cut));
    }
    let live = state.live.load_full();
    let id = state.next_id.fetch_add(1, Ordering::Relaxed);
    let scheme = state.scheme();
    let origin = origin(scheme, &parts.headers, state.local_addr);
    // A request without a body (most GETs) needs no collecting; one whose head is refused is
    // answered without reading it, and the connection closed.
    let head_refusal = Refusal::of_head(&parts);
    let body = if body.is_end_stream() || head_refusal.is_some() {
        Ok(Bytes::new())
    } else {
        read_body(body).await
    };
    let refused = head_refusal.or(body.as_ref().err().copied());
    let request = Request {
        method: parts.method,
        path: parts.uri.path().to_owned(),
        query: parts.uri.query().map(str::to_owned),
        headers: parts.headers,
        body: body.unwrap_or_default(),
        origin,
    };
    let slow = live.stubs.load().holds_answers();
    let exchange = Received {
        id,
        arrived,
        request,
        refused,
    };
    let answering = answer(Arc::clone(&state), live, cut, exchange);
    if !slow {
        return Ok(answering.await);
    }
    // A client that leaves while a stub holds its answer back does not stop the work: the
    // request is answered to the end and journaled, as BB2 goes on with a request whose client
    // has gone.
    Ok(tokio::spawn(answering)
        .await
        .unwrap_or_else(|_| wire::internal_error()))
}

/// `scheme://host` from the `Host` header, or from the address listened on without one, in
/// one allocation.
fn origin(scheme: &str, headers: &http::HeaderMap, local_addr: SocketAddr) -> String {
    let Some(host) = headers.get(HOST).and_then(|h| h.to_str().ok()) else {
        return format!("{scheme}://{local_addr}");
    };
    let mut origin = String::with_capacity(scheme.len() + 3 + host.len());
    origin.push_str(scheme);
    origin.push_str("://");
    origin.push_str(host);
    origin
}

/// A request as read, before it is answered.
struct Received {
    id: u64,
    arrived: Instant,
    request: Request,
    /// Why the edge refused it (its head or body too large, its body cut off), if it did.
    refused: Option<Refusal>,
}

/// Answers a request on the `live` world and journals the exchange.
async fn answer(
    state: Arc<State>,
    live: Arc<Live>,
    cut: Arc<CutSlot>,
    received: Received,
) -> hyper::Response<WireBody> {
    let Received {
        id,
        arrived,
        request,
        refused,
    } = received;
    let stubs = live.stubs.load_full();
    let has_states = !live.world.scenario().states.is_empty();
    let now = live.world.clock().now();
    // Without stubs and state machines nothing is matched: the query and the form body are
    // left for the built-in API to read.
    let matcher = if stubs.is_empty() && !has_states {
        Matcher::unread(&request, &live.store, now, &live.states, &live.fresh)
    } else {
        Matcher::read(&request, &live.store, now, &live.states, &live.fresh).await
    };
    // A refused request is answered before any stub sees it.
    let choice = refused.is_none().then(|| stubs.choose(&matcher));
    let stub = choice.as_ref().and_then(Choice::then);
    // The session as the request names it, read before the answer can revoke its tokens.
    let named_session = has_states.then(|| matcher.session()).flatten();
    let plan = stub
        .map(|then| wire::plan(then, &live.dice))
        .unwrap_or_default();
    plan.wait().await;
    let fault_answer = plan.fault_answer(&request, live.world.throttle());
    let served = Served::new(&live.page_cache);
    let mut response = match (refused, stub, fault_answer) {
        (Some(refusal), _, _) => refusal.response(),
        (None, _, Some(answer)) => answer,
        (None, Some(then), None) if !plan.built_in() => {
            stub_answer::answer(then, &matcher.context())
        }
        (None, _, None) => {
            let pages = live.pages.as_ref();
            router::route(&live.world, &live.store, pages, &served, &request).await
        }
    };
    let miss = match &choice {
        Some(Choice::Unmatched(unmatched))
            if !router::has_route(&live.world, live.pages.as_ref(), &request) =>
        {
            let strict = live.world.scenario().strict;
            Some(stubs.explain(&matcher, unmatched, strict))
        }
        _ => None,
    };
    // A stub's or a fault's answer belongs to the session the request names.
    if stub.is_some() && response.session.is_none() {
        response.session = named_session.or_else(|| matcher.session());
    }
    // A refused request never reached BB2: it moves no state machine.
    if let Some(session) = response
        .session
        .or(named_session)
        .filter(|_| has_states && refused.is_none())
    {
        live.states
            .advance(session, &request, |when, _| matcher.matches(when));
    }
    // nginx's own pages never pass through Django's middleware: no headers, no compression.
    let by_nginx = refused.is_some_and(Refusal::by_nginx);
    let mut response = if by_nginx {
        response
    } else {
        throttle::unthrottled(with_global_headers(response))
    };
    if let Some(then) = stub
        && plan.overlays()
    {
        stub_answer::overlay(then, &matcher.context(), &mut response);
    }
    drop(matcher);
    let accept_encoding = request
        .headers
        .get(ACCEPT_ENCODING)
        .and_then(|v| v.to_str().ok())
        .filter(|_| !by_nginx);
    let encoding =
        compression::encode_with(&response, accept_encoding, live.world.profile(), |body| {
            served.gzip(body)
        });
    let wire = plan.respond(&request.method, &response, encoding, &cut);
    plan.mark(&mut response);
    let exchange = Arc::new(Exchange {
        id,
        at: arrived.duration_since(state.started),
        elapsed: arrived.elapsed(),
        content_encoding: wire
            .headers()
            .contains_key(CONTENT_ENCODING)
            .then_some("gzip"),
        miss,
        refused,
        // Kept after the answer: it must not hold on to the connection's read buffer.
        request: request.detached(),
        response,
    });
    state.journal.record(Arc::clone(&exchange));
    for observer in &state.observers {
        observer.observe(&exchange);
    }
    wire
}

/// The request body, refused when larger than [`MAX_BODY_BYTES`] or cut off.
async fn read_body(body: Incoming) -> Result<Bytes, Refusal> {
    match Limited::new(body, MAX_BODY_BYTES).collect().await {
        Ok(collected) => Ok(collected.to_bytes()),
        Err(error) if error.is::<LengthLimitError>() => Err(Refusal::BodyTooLarge),
        Err(_) => Err(Refusal::BodyCutOff),
    }
}

fn with_global_headers(mut response: Response) -> Response {
    // One growth of the map instead of one per header.
    response.headers.reserve(GLOBAL_HEADERS.len());
    // Names and values made at compile time: nothing is parsed or copied here.
    for (name, value) in GLOBAL_HEADERS {
        response.headers.insert(name, value);
    }
    response
}
