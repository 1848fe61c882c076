//! One scenario end to end: start the fake server in-process on a free loopback port, run the
//! client under test against it (and, for web apps, drive the journey in its place), stop the
//! server, read the client's output, and judge. POSIX only (the client runs in a process group).

use crate::conform::browse::UserAgent;
use crate::conform::client::{ClientEnv, ClientError, RunningClient, StopRequest};
use crate::conform::evidence::Evidence;
use crate::conform::judge;
use crate::conform::output::read_output;
use crate::conform::run::ScenarioRun;
use crate::conform::traffic::Traffic;
use crate::scenario::{self, App, Scenario};
use crate::server::journal::{Exchange, Observer};
use crate::server::{self, ServerOptions};
use reqwest::Url;
use std::net::{Ipv4Addr, SocketAddr};
use std::path::PathBuf;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;
use tokio::net::TcpStream;
use tokio::sync::{Notify, watch};
use tokio::time::Instant;

/// How long a client may run per scenario unless told otherwise.
pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(120);

/// Exchanges kept per run unless told otherwise; one more and the client is stopped as a
/// flood.
pub const DEFAULT_FLOOD_LIMIT: usize = 2000;

/// How often a web app's address is tried until it answers.
const APP_POLL_EVERY: Duration = Duration::from_millis(100);

/// How a scenario is run.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RunOptions {
    /// The client command line, run with `sh -c` in the current directory.
    pub command: String,
    /// How long the client may run (web apps: until the journey ends).
    pub timeout: Duration,
    /// `BB_API_VERSION`: `v1` or `v2`.
    pub api_version: String,
    /// The `bbh` binary `BROWSER` runs (made absolute against the current directory).
    pub bbh_path: PathBuf,
    /// A web app's address: the runner drives the journey from there and then stops it.
    pub app_url: Option<String>,
    /// Exchanges kept before the run counts as a flood.
    pub flood_limit: usize,
}

impl RunOptions {
    /// Options for `command` with the defaults: [`DEFAULT_TIMEOUT`], `v2`, no app URL,
    /// [`DEFAULT_FLOOD_LIMIT`].
    pub fn new(command: impl Into<String>, bbh_path: impl Into<PathBuf>) -> RunOptions {
        RunOptions {
            command: command.into(),
            timeout: DEFAULT_TIMEOUT,
            api_version: "v2".to_owned(),
            bbh_path: bbh_path.into(),
            app_url: None,
            flood_limit: DEFAULT_FLOOD_LIMIT,
        }
    }
}

/// A scenario could not be run (as opposed to a client that failed its checks).
#[derive(Debug, thiserror::Error)]
pub enum RunError {
    /// The scenario or the options cannot be run: a configuration error (exit code 2).
    #[error("scenario {scenario}: {message}")]
    Configuration {
        /// The scenario's name.
        scenario: String,
        /// What is wrong.
        message: String,
    },
    /// The fake server could not start.
    #[error("scenario {scenario}: cannot start the fake server: {source}")]
    Server {
        /// The scenario's name.
        scenario: String,
        /// Why.
        source: std::io::Error,
    },
    /// The per-run temporary directory could not be made.
    #[error("scenario {scenario}: cannot create a temporary directory for BB_OUTPUT: {source}")]
    TempDir {
        /// The scenario's name.
        scenario: String,
        /// Why.
        source: std::io::Error,
    },
    /// The client could not be run.
    #[error("scenario {scenario}: {source}")]
    Client {
        /// The scenario's name.
        scenario: String,
        /// Why.
        source: ClientError,
    },
}

impl RunError {
    /// Whether this is the user's configuration (exit code 2) rather than an internal error.
    pub fn is_configuration(&self) -> bool {
        matches!(self, RunError::Configuration { .. })
    }
}

/// Tells the scenarios that run that `bbh conform` was interrupted: each stops its client as
/// at the timeout, then judges what it saw, so that its report can still be written.
#[derive(Debug, Clone)]
pub struct Interruption(watch::Receiver<bool>);

/// Interrupts the runs that hold one of its [`Interruption`]s.
#[derive(Debug)]
pub struct Interrupter(watch::Sender<bool>);

/// An interrupter and the interruption it triggers.
pub fn interruption() -> (Interrupter, Interruption) {
    let (sender, receiver) = watch::channel(false);
    (Interrupter(sender), Interruption(receiver))
}

impl Interrupter {
    /// Interrupts every run that holds one of its interruptions, and every run started later.
    pub fn interrupt(&self) {
        self.0.send_replace(true);
    }
}

impl Interruption {
    /// An interruption that never comes.
    pub fn never() -> Interruption {
        interruption().1
    }

    /// Whether the interrupter has interrupted.
    pub fn is_interrupted(&self) -> bool {
        *self.0.borrow()
    }

    /// Waits until the interrupter interrupts; forever when it is gone without having done so.
    async fn arrived(&self) {
        let mut receiver = self.0.clone();
        if receiver.wait_for(|interrupted| *interrupted).await.is_err() {
            std::future::pending::<()>().await;
        }
    }
}

/// Runs `scenario` with the client of `options` and judges it.
pub async fn run_scenario(
    scenario: Scenario,
    options: &RunOptions,
) -> Result<ScenarioRun, RunError> {
    run_interruptible(scenario, options, &Interruption::never()).await
}

/// Runs `scenario` like [`run_scenario`], but stops the client (as at the timeout) when
/// `interruption` comes; the run is then judged on what it saw and marked interrupted.
pub async fn run_interruptible(
    scenario: Scenario,
    options: &RunOptions,
    interruption: &Interruption,
) -> Result<ScenarioRun, RunError> {
    let name = scenario.name.clone();
    let configuration = |message: String| RunError::Configuration {
        scenario: name.clone(),
        message,
    };
    let app = check_app(&scenario).map_err(configuration)?;
    if !matches!(options.api_version.as_str(), "v1" | "v2") {
        return Err(configuration(format!(
            "API version `{}`: expected v1 or v2",
            options.api_version
        )));
    }
    let app_url = match &options.app_url {
        Some(url) => Some(app_address(url).map_err(configuration)?),
        None => None,
    };
    let temp = tempfile::Builder::new()
        .prefix("bbh-run-")
        .tempdir()
        .map_err(|source| RunError::TempDir {
            scenario: name.clone(),
            source,
        })?;
    let bb_output = temp.path().join("output.json");

    let started = Instant::now();
    let deadline = started + options.timeout;
    let recorder = Arc::new(Recorder::new(options.flood_limit));
    let server_options = ServerOptions {
        observers: vec![Arc::clone(&recorder) as Arc<dyn Observer>],
        clock: None,
        // The recorder keeps what the checks need; the server's own journal would be a copy.
        journal_capacity: Some(0),
        ..ServerOptions::default()
    };
    let loopback = SocketAddr::from((Ipv4Addr::LOCALHOST, 0));
    let server = server::start(scenario.clone(), loopback, server_options)
        .await
        .map_err(|source| RunError::Server {
            scenario: name.clone(),
            source,
        })?;
    let env = ClientEnv {
        base_url: server.url(),
        api_version: options.api_version.clone(),
        client_id: app.client_id.clone(),
        client_secret: app.client_secret.clone().unwrap_or_default(),
        output: bb_output.clone(),
        bbh_path: std::path::absolute(&options.bbh_path)
            .unwrap_or_else(|_| options.bbh_path.clone()),
    };
    let finished = match RunningClient::spawn(&options.command, &env) {
        Ok(client) => {
            let stop = stop_request(&recorder, app_url.as_ref(), deadline, interruption);
            client.finish(deadline, stop).await
        }
        Err(error) => Err(error),
    };
    let duration = started.elapsed();
    server.stop().await;
    let finished = finished.map_err(|source| RunError::Client {
        scenario: name.clone(),
        source,
    })?;

    let (exchanges, flooded) = recorder.take();
    let traffic = Traffic::new(exchanges, flooded);
    let output = read_output(&bb_output, &finished.stdout);
    drop(temp);
    let results = judge::judge(&Evidence {
        scenario: &scenario,
        app: &app,
        traffic: &traffic,
        client: &finished.end,
        output: &output,
    });
    Ok(ScenarioRun {
        scenario,
        command: options.command.clone(),
        client: finished.end,
        stdout: finished.stdout,
        stderr: finished.stderr,
        traffic,
        output,
        results,
        duration,
    })
}

/// The app the client plays (the first), which must register the loopback redirect URI.
fn check_app(scenario: &Scenario) -> Result<App, String> {
    if let Some(problem) = scenario::runner_app_problem(scenario) {
        return Err(problem);
    }
    scenario
        .apps
        .first()
        .cloned()
        .ok_or_else(|| "the scenario has no app".to_owned())
}

/// A web app's address: an absolute http URL with a host.
fn app_address(url: &str) -> Result<Url, String> {
    let parsed = Url::parse(url).map_err(|error| format!("--app-url {url}: {error}"))?;
    if parsed.scheme() != "http" || parsed.host_str().is_none() {
        return Err(format!("--app-url {url}: expected an http URL with a host"));
    }
    Ok(parsed)
}

/// When the runner stops a client that still runs: when it floods the server, when the runner
/// is interrupted, or (web apps) once the runner has driven the journey.
async fn stop_request(
    recorder: &Recorder,
    app_url: Option<&Url>,
    deadline: Instant,
    interruption: &Interruption,
) -> StopRequest {
    let journey = async {
        match app_url {
            Some(url) => drive_web_app(url, deadline).await,
            None => std::future::pending().await,
        }
    };
    tokio::select! {
        () = recorder.flooded.notified() => StopRequest::Flooded,
        () = interruption.arrived() => StopRequest::Interrupted,
        request = journey => request,
    }
}

/// Waits until the web app accepts connections, then drives the journey from its address.
async fn drive_web_app(url: &Url, deadline: Instant) -> StopRequest {
    let Ok(addrs) = url.socket_addrs(|| None) else {
        return StopRequest::AfterJourney { completed: false };
    };
    loop {
        let mut listening = false;
        for addr in &addrs {
            listening |= TcpStream::connect(addr).await.is_ok();
        }
        if listening {
            break;
        }
        if Instant::now() >= deadline {
            // The timeout ends the run; nothing to stop early.
            return std::future::pending().await;
        }
        tokio::time::sleep(APP_POLL_EVERY).await;
    }
    let completed = match UserAgent::new() {
        Ok(agent) => agent
            .journey(url.as_str(), |_| {})
            .await
            .is_ok_and(|status| !status.is_client_error() && !status.is_server_error()),
        Err(_) => false,
    };
    StopRequest::AfterJourney { completed }
}

/// The runner's observer: keeps the exchanges up to a limit; past it, the run is a flood,
/// the runner is told to stop the client, and nothing more is kept.
#[derive(Debug)]
struct Recorder {
    limit: usize,
    state: Mutex<Recorded>,
    flooded: Notify,
}

#[derive(Debug, Default)]
struct Recorded {
    exchanges: Vec<Exchange>,
    flooded: bool,
}

impl Recorder {
    fn new(limit: usize) -> Recorder {
        Recorder {
            limit,
            state: Mutex::new(Recorded::default()),
            flooded: Notify::new(),
        }
    }

    /// The exchanges kept, in order of id, and whether the run flooded.
    fn take(&self) -> (Vec<Exchange>, bool) {
        let mut state = self.state.lock().unwrap_or_else(PoisonError::into_inner);
        let mut exchanges = std::mem::take(&mut state.exchanges);
        exchanges.sort_by_key(|exchange| exchange.id);
        (exchanges, state.flooded)
    }
}

impl Observer for Recorder {
    fn observe(&self, exchange: &Arc<Exchange>) {
        let mut state = self.state.lock().unwrap_or_else(PoisonError::into_inner);
        if state.flooded {
            return;
        }
        if state.exchanges.len() < self.limit {
            state.exchanges.push(Exchange::clone(exchange));
            return;
        }
        state.flooded = true;
        drop(state);
        self.flooded.notify_one();
    }
}
