//! The `bbh` command line: `serve`, `validate`, `scenarios list|show`, `conform`,
//! `snapshots review|accept`, `browse`, `record`, `bench`, `--version`.
//!
//! Exit codes: 0 success; 1 a runtime failure (e.g. the address is in use, or a browse
//! journey that did not reach a non-redirect answer); 2 bad usage, a bad scenario, or
//! something not built yet.

mod conform;

use crate::conform::browse;
use crate::scenario::{self, LoadError, Profile, Scenario};
use crate::server::request_log::RequestLog;
use crate::server::tls::{self, SelfSigned};
use crate::server::{self, ServerOptions};
use crate::snapshot;
use clap::{Parser, Subcommand, ValueEnum};
use std::io::Write;
use std::net::{SocketAddr, ToSocketAddrs};
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::Arc;

/// A fake CMS Blue Button 2.0 server and conformance harness.
#[derive(Debug, Parser)]
#[command(name = "bbh", version, about)]
pub struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Run the fake Blue Button server.
    Serve {
        /// A scenario file, or the name of a built-in scenario (default: oauth-success).
        #[arg(long, value_name = "FILE|NAME")]
        scenario: Option<String>,
        /// Address to listen on; port 0 picks a free port.
        #[arg(long, value_name = "HOST:PORT", default_value = "127.0.0.1:8000")]
        addr: String,
        /// Behaviour profile; overrides the scenario's.
        #[arg(long, value_enum)]
        profile: Option<ProfileArg>,
        /// Where the virtual clock starts (RFC 3339, e.g. 2026-01-01T09:00:00Z); overrides
        /// the scenario's `now:`.
        #[arg(long, value_name = "RFC3339", value_parser = crate::clock::parse_instant)]
        now: Option<jiff::Timestamp>,
        /// Show login and consent pages at authorize instead of the automated login.
        #[arg(long)]
        interactive: bool,
        /// Serve the admin API under /__admin/ (loopback clients only).
        #[arg(long)]
        admin: bool,
        /// Serve HTTPS with a new self-signed certificate for localhost, 127.0.0.1 and ::1.
        #[arg(long)]
        tls: bool,
        /// Where `--tls` writes its certificate (PEM) for clients to trust.
        #[arg(long, value_name = "FILE", default_value = DEFAULT_TLS_CERT, requires = "tls")]
        tls_cert: PathBuf,
    },
    /// Check scenario files; reports every error of every file.
    Validate {
        /// Scenario files.
        #[arg(required = true, value_name = "FILE")]
        files: Vec<PathBuf>,
    },
    /// The scenarios built into this binary.
    Scenarios {
        #[command(subcommand)]
        action: ScenariosAction,
    },
    /// Run a client app against scenarios and judge it (`--list-checks` lists the checks).
    Conform(conform::ConformArgs),
    /// Review or accept the snapshots `bbh conform` left for review (`*.new`).
    Snapshots {
        #[command(subcommand)]
        action: SnapshotsAction,
        /// The snapshot folder.
        #[arg(long, value_name = "DIR", global = true, default_value = conform::DEFAULT_SNAPSHOTS)]
        dir: PathBuf,
    },
    /// Open a URL the way a browser would: follow its redirects (what BROWSER runs).
    ///
    /// Returns at once and does the work in a detached process; a literal `%s` argument is
    /// ignored (for clients that append the URL to BROWSER).
    Browse {
        /// The URL (an optional literal `%s` before or after it is ignored).
        #[arg(required = true, num_args = 1..=2, value_name = "URL")]
        url: Vec<String>,
        /// Do the work in this process and wait for it.
        #[arg(long, hide = true)]
        foreground: bool,
    },
    /// Record a server's answers as a replayable scenario: a reverse proxy to --upstream
    /// that rewrites --out after every exchange (credentials and personal data redacted).
    Record {
        /// The server to forward to: an origin such as http://127.0.0.1:8001 or
        /// https://sandbox.bluebutton.cms.gov.
        #[arg(long, value_name = "URL")]
        upstream: String,
        /// Extra roots to trust for an https:// upstream (PEM certificates), besides the
        /// public web PKI roots built in: a corporate proxy's CA, a self-signed test server.
        #[arg(long, value_name = "FILE")]
        upstream_ca: Option<PathBuf>,
        /// The scenario file to write (replaced after every exchange).
        #[arg(long, value_name = "FILE")]
        out: PathBuf,
        /// Address to listen on; port 0 picks a free port.
        #[arg(long, value_name = "HOST:PORT", default_value = "127.0.0.1:8000")]
        addr: String,
    },
    /// Load benchmark against a bare hyper baseline, then cold start, cold paging and peak
    /// RSS (issue 6); run it from a release build: `cargo run --release -- bench`.
    Bench(crate::bench::BenchArgs),
    /// The load benchmark's baseline: answers every request with the fixed answer in FILE.
    #[command(hide = true)]
    BenchBaseline {
        /// The answer (written by `bbh bench`).
        #[arg(long, value_name = "FILE")]
        response: PathBuf,
        /// Address to listen on; port 0 picks a free port.
        #[arg(long, value_name = "HOST:PORT", default_value = "127.0.0.1:0")]
        addr: String,
    },
}

#[derive(Debug, Subcommand)]
enum SnapshotsAction {
    /// Show each pending snapshot with its diff.
    Review,
    /// Replace each snapshot by its pending `.new` candidate.
    Accept,
}

#[derive(Debug, Subcommand)]
enum ScenariosAction {
    /// List the built-in scenarios.
    List,
    /// Print a built-in scenario file.
    Show {
        /// The scenario's name.
        name: String,
    },
}

#[derive(Debug, Clone, Copy, ValueEnum)]
enum ProfileArg {
    Documented,
    Current,
}

impl From<ProfileArg> for Profile {
    fn from(arg: ProfileArg) -> Profile {
        match arg {
            ProfileArg::Documented => Profile::Documented,
            ProfileArg::Current => Profile::Current,
        }
    }
}

/// Runs `bbh` with the process's arguments.
pub fn main() -> ExitCode {
    let cli = Cli::parse();
    match cli.command {
        Command::Serve {
            scenario,
            addr,
            profile,
            now,
            interactive,
            admin,
            tls,
            tls_cert,
        } => serve(
            scenario.as_deref(),
            &addr,
            profile.map(Profile::from),
            now,
            Serving {
                interactive,
                admin,
                tls_cert: tls.then_some(tls_cert),
            },
        ),
        Command::Validate { files } => validate(&files),
        Command::Scenarios {
            action: ScenariosAction::List,
        } => list(),
        Command::Scenarios {
            action: ScenariosAction::Show { name },
        } => show(&name),
        Command::Browse { url, foreground } => browse(&url, foreground),
        Command::Conform(args) => conform::conform(args),
        Command::Snapshots { action, dir } => snapshots(action, &dir),
        Command::Record {
            upstream,
            upstream_ca,
            out,
            addr,
        } => record(
            &upstream,
            &out,
            &addr,
            crate::record::RecordOptions { upstream_ca },
        ),
        Command::Bench(args) => bench(&args),
        Command::BenchBaseline { response, addr } => bench_baseline(&response, &addr),
    }
}

/// `bbh bench`: 0 when every measured request was answered as expected and every figure
/// could be measured, 1 otherwise (a target not met is reported, not an error).
fn bench(args: &crate::bench::BenchArgs) -> ExitCode {
    let runtime = match runtime(&mut tokio::runtime::Builder::new_current_thread()) {
        Ok(runtime) => runtime,
        Err(error) => return internal_error(error, 1),
    };
    match runtime.block_on(crate::bench::run(args)) {
        Ok(true) => ExitCode::SUCCESS,
        Ok(false) => ExitCode::from(1),
        Err(error) => {
            eprintln!("bbh bench: {error}");
            ExitCode::from(1)
        }
    }
}

/// `bbh bench-baseline`: runs until killed; 1 when it cannot read its answer or listen.
fn bench_baseline(response: &Path, addr: &str) -> ExitCode {
    let Some(addr) = resolve_addr(addr) else {
        return usage_error(format!("--addr {addr}: expected HOST:PORT"));
    };
    let runtime = match runtime(&mut tokio::runtime::Builder::new_multi_thread()) {
        Ok(runtime) => runtime,
        Err(error) => return internal_error(error, 1),
    };
    match runtime.block_on(crate::bench::serve_baseline(response, addr)) {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("bbh bench-baseline: {error}");
            ExitCode::from(1)
        }
    }
}

/// `bbh record`: 0 after a stop signal, 1 when it cannot listen or write, 2 for bad arguments
/// (the upstream, the address, an unreadable or invalid `--upstream-ca`).
fn record(
    upstream: &str,
    out: &std::path::Path,
    addr: &str,
    options: crate::record::RecordOptions,
) -> ExitCode {
    let Some(addr) = resolve_addr(addr) else {
        return usage_error(format!(
            "--addr {addr}: expected HOST:PORT, e.g. 127.0.0.1:8000"
        ));
    };
    let runtime = match runtime(&mut tokio::runtime::Builder::new_multi_thread()) {
        Ok(runtime) => runtime,
        Err(error) => return internal_error(error, 1),
    };
    runtime.block_on(async {
        let recorder = match crate::record::start_with(upstream, addr, out, options).await {
            Ok(recorder) => recorder,
            Err(
                error @ (crate::record::RecordError::Upstream { .. }
                | crate::record::RecordError::UpstreamCa(_)),
            ) => return usage_error(error),
            Err(error) => {
                eprintln!("bbh: {error}");
                return ExitCode::from(1);
            }
        };
        let stop_signals = StopSignals::listen();
        let mut stdout = std::io::stdout();
        let _ = writeln!(stdout, "bbh recording on {}", recorder.url());
        let _ = stdout.flush();
        eprintln!(
            "bbh: forwarding to {} and recording into {} (stop with Ctrl-C)",
            recorder.upstream(),
            out.display()
        );
        stop_signals.received().await;
        let exchanges = recorder.stop().await;
        eprintln!(
            "bbh: stopped; {} holds {exchanges} exchange(s)",
            out.display()
        );
        ExitCode::SUCCESS
    })
}

/// The tokio runtime a command runs on, with I/O and timers.
fn runtime(builder: &mut tokio::runtime::Builder) -> std::io::Result<tokio::runtime::Runtime> {
    builder.enable_all().build()
}

/// Reports that the runtime could not start; exits with `code`.
fn internal_error(error: std::io::Error, code: u8) -> ExitCode {
    eprintln!("bbh: cannot start the runtime: {error}");
    ExitCode::from(code)
}

fn usage_error(message: impl std::fmt::Display) -> ExitCode {
    eprintln!("bbh: {message}");
    ExitCode::from(2)
}

/// Where `bbh serve --tls` writes its certificate without `--tls-cert`.
const DEFAULT_TLS_CERT: &str = "bbh-tls-cert.pem";

/// How `bbh serve` serves, beyond its scenario and address.
struct Serving {
    interactive: bool,
    admin: bool,
    /// With `--tls`: where the certificate is written.
    tls_cert: Option<PathBuf>,
}

fn serve(
    scenario_arg: Option<&str>,
    addr: &str,
    profile: Option<Profile>,
    now: Option<jiff::Timestamp>,
    serving: Serving,
) -> ExitCode {
    let mut scenario = match scenario::resolve(scenario_arg.unwrap_or(scenario::DEFAULT_SCENARIO)) {
        Ok(scenario) => scenario,
        Err(error) => return usage_error(error),
    };
    if let Some(profile) = profile {
        scenario.profile = profile;
    }
    if now.is_some() {
        scenario.now = now;
    }
    let addr = match resolve_addr(addr) {
        Some(addr) => addr,
        None => {
            return usage_error(format!(
                "--addr {addr}: expected HOST:PORT, e.g. 127.0.0.1:8000"
            ));
        }
    };
    match runtime(&mut tokio::runtime::Builder::new_multi_thread()) {
        Ok(runtime) => runtime.block_on(run_server(scenario, addr, serving)),
        Err(error) => internal_error(error, 1),
    }
}

fn resolve_addr(addr: &str) -> Option<SocketAddr> {
    addr.to_socket_addrs().ok()?.next()
}

/// A new self-signed certificate, written to `path` for clients to trust.
fn certificate(path: &Path) -> Result<SelfSigned, String> {
    let certificate = SelfSigned::generate().map_err(|error| error.to_string())?;
    std::fs::write(path, certificate.cert_pem()).map_err(|error| {
        format!(
            "cannot write the TLS certificate to {}: {error}",
            path.display()
        )
    })?;
    eprintln!(
        "bbh: TLS certificate (self-signed, for {}) written to {}; trust it, e.g. curl --cacert {}",
        tls::NAMES.join(", "),
        path.display(),
        path.display()
    );
    Ok(certificate)
}

async fn run_server(scenario: Scenario, addr: SocketAddr, serving: Serving) -> ExitCode {
    let tls = match serving.tls_cert.as_deref().map(certificate).transpose() {
        Ok(tls) => tls,
        Err(error) => {
            eprintln!("bbh: {error}");
            return ExitCode::from(1);
        }
    };
    let log = match RequestLog::new(Box::new(std::io::stderr())) {
        Ok(log) => Arc::new(log),
        Err(error) => {
            eprintln!("bbh: cannot start the request log: {error}");
            return ExitCode::from(1);
        }
    };
    let options = ServerOptions {
        observers: vec![Arc::clone(&log) as Arc<dyn server::journal::Observer>],
        interactive: serving.interactive,
        admin: serving.admin,
        tls,
        ..ServerOptions::default()
    };
    let name = scenario.name.clone();
    let server = match server::start(scenario, addr, options).await {
        Ok(server) => server,
        Err(error) => {
            eprintln!("bbh: cannot listen on {addr}: {error}");
            return ExitCode::from(1);
        }
    };
    let stop_signals = StopSignals::listen();
    let mut stdout = std::io::stdout();
    let _ = writeln!(stdout, "bbh listening on {}", server.url());
    let _ = stdout.flush();
    eprintln!("bbh: serving scenario {name} (stop with Ctrl-C)");
    if serving.admin {
        eprintln!(
            "bbh: admin API at {}/__admin/ (loopback clients only)",
            server.url()
        );
    }
    tokio::select! {
        _ = stop_signals.received() => eprintln!("bbh: stopping"),
        () = server.stop_requested() => eprintln!("bbh: stopping (POST /__admin/shutdown)"),
    }
    server.stop().await;
    // Every line of the exchanges answered so far is written before the process exits.
    log.flush();
    ExitCode::SUCCESS
}

/// SIGINT and SIGTERM (Ctrl-C elsewhere), listened for from the moment it is made: made
/// before the ready line is printed, a signal sent right after that line is never missed.
pub(crate) struct StopSignals {
    #[cfg(unix)]
    signals: Option<(tokio::signal::unix::Signal, tokio::signal::unix::Signal)>,
}

/// The stop signal that arrived.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum StopSignal {
    /// SIGINT (Ctrl-C).
    Interrupt,
    /// SIGTERM.
    Terminate,
}

impl StopSignal {
    /// Its name, as `kill -l` prints it with the `SIG` prefix.
    pub(crate) fn name(self) -> &'static str {
        match self {
            StopSignal::Interrupt => "SIGINT",
            StopSignal::Terminate => "SIGTERM",
        }
    }

    /// The exit code a shell gives a process this signal ended: 128 + its number.
    pub(crate) fn exit_code(self) -> u8 {
        match self {
            StopSignal::Interrupt => 130,
            StopSignal::Terminate => 143,
        }
    }
}

impl StopSignals {
    /// Starts listening.
    pub(crate) fn listen() -> StopSignals {
        #[cfg(unix)]
        {
            use tokio::signal::unix::{SignalKind, signal};
            let interrupt = signal(SignalKind::interrupt());
            let terminate = signal(SignalKind::terminate());
            StopSignals {
                signals: interrupt.ok().zip(terminate.ok()),
            }
        }
        #[cfg(not(unix))]
        {
            StopSignals {}
        }
    }

    /// Waits for the first stop signal and tells which it was.
    pub(crate) async fn received(self) -> StopSignal {
        #[cfg(unix)]
        if let Some((mut interrupt, mut terminate)) = self.signals {
            return tokio::select! {
                _ = interrupt.recv() => StopSignal::Interrupt,
                _ = terminate.recv() => StopSignal::Terminate,
            };
        }
        let _ = tokio::signal::ctrl_c().await;
        StopSignal::Interrupt
    }
}

fn validate(files: &[PathBuf]) -> ExitCode {
    let mut failed = false;
    for file in files {
        match scenario::load_file(file) {
            Ok(scenario) => {
                let unknown = conform::unknown_checks(&scenario);
                if unknown.is_empty() {
                    println!("{}: ok (scenario {})", file.display(), scenario.name);
                } else {
                    failed = true;
                    for problem in &unknown {
                        eprintln!("{problem}");
                    }
                    eprintln!("{}: {} error(s)", file.display(), unknown.len());
                }
            }
            Err(LoadError::Invalid(errors)) => {
                failed = true;
                for error in &errors {
                    eprintln!("{error}");
                }
                eprintln!("{}: {} error(s)", file.display(), errors.len());
            }
            Err(error) => {
                failed = true;
                eprintln!("{error}");
            }
        }
    }
    if failed {
        ExitCode::from(2)
    } else {
        ExitCode::SUCCESS
    }
}

fn list() -> ExitCode {
    for name in scenario::builtin_names() {
        let summary = match scenario::builtin(name) {
            Ok(scenario) => scenario
                .description
                .lines()
                .next()
                .unwrap_or_default()
                .to_owned(),
            Err(error) => format!("(invalid: {error})"),
        };
        println!("{name:<24} {summary}");
    }
    ExitCode::SUCCESS
}

fn show(name: &str) -> ExitCode {
    match scenario::builtin_text(name) {
        Some(text) => {
            print!("{text}");
            ExitCode::SUCCESS
        }
        None => usage_error(format!(
            "no built-in scenario named `{name}` (built-in: {})",
            scenario::builtin_names().join(", ")
        )),
    }
}

/// `bbh browse URL`: 0 once the detached worker is started (`--foreground`: once the journey
/// reached a non-redirect answer), 1 otherwise, 2 for bad arguments.
fn snapshots(action: SnapshotsAction, dir: &std::path::Path) -> ExitCode {
    match action {
        SnapshotsAction::Review => match snapshot::review(dir) {
            Ok(pending) if pending.is_empty() => {
                println!("no pending snapshots in {}", dir.display());
                ExitCode::SUCCESS
            }
            Ok(pending) => {
                for snapshot in &pending {
                    println!("--- {}", snapshot.snapshot.display());
                    println!("+++ {}", snapshot.new.display());
                    print!("{}", snapshot.diff);
                }
                println!(
                    "{} pending; `bbh snapshots accept` approves them",
                    pending.len()
                );
                ExitCode::SUCCESS
            }
            Err(error) => {
                eprintln!("bbh snapshots: {error}");
                ExitCode::from(1)
            }
        },
        SnapshotsAction::Accept => match snapshot::accept(dir) {
            Ok(count) => {
                println!("accepted {count} snapshot(s) in {}", dir.display());
                ExitCode::SUCCESS
            }
            Err(error) => {
                eprintln!("bbh snapshots: {error}");
                ExitCode::from(1)
            }
        },
    }
}

fn browse(args: &[String], foreground: bool) -> ExitCode {
    let urls: Vec<&String> = args.iter().filter(|arg| *arg != "%s").collect();
    let [url] = urls.as_slice() else {
        return usage_error("browse: expected one URL (besides a literal %s)");
    };
    if !foreground {
        let spawned = std::env::current_exe().and_then(|bbh| browse::spawn_detached(&bbh, url));
        return match spawned {
            Ok(()) => ExitCode::SUCCESS,
            Err(error) => {
                eprintln!("bbh browse: cannot start the worker: {error}");
                ExitCode::from(1)
            }
        };
    }
    let runtime = match runtime(&mut tokio::runtime::Builder::new_current_thread()) {
        Ok(runtime) => runtime,
        Err(error) => return internal_error(error, 1),
    };
    if runtime.block_on(browse::foreground(url)) {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    }
}
