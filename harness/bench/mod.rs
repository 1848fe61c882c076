//! `bbh bench`: the load benchmark of issue 6, then the startup figures.
//!
//! For each case ([`cases::Case`]) it captures the answer `bbh serve` gives, starts the
//! baseline ([`baseline`]: a bare hyper server answering those very bytes) and drives both
//! with the same keep-alive load ([`load`]): `--connections` connections for throughput, then
//! `--latency-connections` for latency, each for `--duration` after a short warm-up. Both
//! servers are child processes of this binary (`bbh serve` with its request log on, to a
//! sink). Then, unless `--skip-startup`: cold start, cold paging and peak RSS ([`startup`]).
//! `--soak SECS` runs only the soak ([`soak`]).

mod baseline;
mod cases;
mod error;
mod load;
mod report;
pub mod soak;
pub mod startup;

pub use baseline::serve as serve_baseline;
pub use error::BenchError;

use cases::Case;
use load::{Generator, Script, Stats, Timing};
use report::{Row, Table};
use std::io::Write;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::time::Duration;
use tokio::io::{AsyncBufReadExt, BufReader};

/// How long each phase sends requests before the measured window.
const WARM_UP: Duration = Duration::from_millis(500);

/// Concurrent connections of the peak-RSS run (the figure).
const POPULATION_CONNECTIONS: usize = 256;

/// The options of `bbh bench`.
#[derive(Debug, Clone, clap::Args)]
pub struct BenchArgs {
    /// Seconds each phase is measured, after a 0.5 s warm-up.
    #[arg(long, value_name = "SECS", default_value = "3", value_parser = parse_secs)]
    duration: Duration,
    /// Keep-alive connections of the throughput load.
    #[arg(long, value_name = "N", default_value_t = 8,
          value_parser = clap::value_parser!(u16).range(1..))]
    connections: u16,
    /// Keep-alive connections of the latency load.
    #[arg(long, value_name = "N", default_value_t = 2,
          value_parser = clap::value_parser!(u16).range(1..))]
    latency_connections: u16,
    /// Starts of `bbh serve` for the cold start and cold paging figures.
    #[arg(long, value_name = "N", default_value_t = 20,
          value_parser = clap::value_parser!(u16).range(1..))]
    cold_runs: u16,
    /// Only the load benchmark: no cold start, cold paging or peak RSS.
    #[arg(long)]
    skip_startup: bool,
    /// The load generator's runtime; `auto` tries both against the baseline and keeps the
    /// one that gets more requests per second out of it.
    #[arg(long, value_enum, default_value_t = GeneratorArg::Auto)]
    generator: GeneratorArg,
    /// Only a soak: the sandbox population's journeys round and round for SECS (at most a
    /// day) on `--soak-connections`, memory sampled every 10 s.
    #[arg(long, value_name = "SECS", value_parser = parse_soak_secs, conflicts_with_all = [
        "duration", "connections", "latency_connections", "cold_runs", "skip_startup", "generator",
    ])]
    soak: Option<Duration>,
    /// Keep-alive connections of the soak.
    #[arg(long, value_name = "N", default_value_t = 64, requires = "soak",
          value_parser = clap::value_parser!(u16).range(1..))]
    soak_connections: u16,
}

/// `--generator`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
enum GeneratorArg {
    /// Try both, keep the faster against the baseline.
    Auto,
    /// One thread.
    CurrentThread,
    /// Two worker threads.
    TwoWorkers,
}

fn parse_secs(text: &str) -> Result<Duration, String> {
    match text.parse::<f64>() {
        Ok(secs) if secs.is_finite() && secs > 0.0 && secs <= 3600.0 => {
            Ok(Duration::from_secs_f64(secs))
        }
        _ => Err(format!(
            "{text:?}: expected seconds, more than 0 and at most 3600"
        )),
    }
}

fn parse_soak_secs(text: &str) -> Result<Duration, String> {
    match text.parse::<u64>() {
        Ok(secs) if (1..=86_400).contains(&secs) => Ok(Duration::from_secs(secs)),
        _ => Err(format!(
            "{text:?}: expected whole seconds, at least 1 and at most 86400"
        )),
    }
}

/// Runs the benchmark and prints the report on stdout (progress on stderr). `Ok(true)` when
/// every request of every case was answered as expected and every startup figure could be
/// measured (a target not met is reported, not a failure); with `--soak`, when no journey of
/// the soak failed.
pub async fn run(args: &BenchArgs) -> Result<bool, BenchError> {
    let bbh = std::env::current_exe().map_err(|source| BenchError::Io {
        context: "cannot find this binary".into(),
        source,
    })?;
    if let Some(duration) = args.soak {
        let connections = args.soak_connections.into();
        progress(format_args!(
            "soak for {} s on {connections} connections",
            duration.as_secs()
        ));
        let soak = soak::soak(&bbh, connections, duration).await?;
        let mut out = std::io::stdout();
        let _ = writeln!(out, "{soak}").and_then(|()| out.flush());
        return Ok(soak.passed());
    }
    let scratch = tempfile::tempdir().map_err(|source| BenchError::Io {
        context: "cannot make a temporary folder".into(),
        source,
    })?;
    let timing = Timing {
        warm_up: WARM_UP,
        measure: args.duration,
    };
    let served = startup::spawn_serve(&bbh, &[]).await?;
    let bbh_addr = socket_addr(&served.origin)?;
    let tokens = startup::sign_in(&served.origin, None).await?;
    let bench = Bench {
        bbh: &bbh,
        scratch: scratch.path(),
        origin: &served.origin,
        bbh_addr,
        tokens: &tokens,
        timing,
    };
    let generator = match args.generator {
        GeneratorArg::CurrentThread => Generator::CurrentThread,
        GeneratorArg::TwoWorkers => Generator::TwoWorkers,
        GeneratorArg::Auto => bench.choose_generator(args.connections.into()).await?,
    };
    let mut rows = Vec::new();
    for case in Case::ALL {
        progress(format_args!("{}", case.name()));
        rows.push(
            bench
                .case(
                    case,
                    generator,
                    args.connections.into(),
                    args.latency_connections.into(),
                )
                .await?,
        );
    }
    served.stop().await?;
    let mut out = std::io::stdout();
    let table = Table {
        connections: args.connections.into(),
        latency_connections: args.latency_connections.into(),
        rows: &rows,
    };
    let _ = writeln!(
        out,
        "bbh bench: {} s per phase after a {} s warm-up; load generator: {generator}",
        args.duration.as_secs_f64(),
        WARM_UP.as_secs_f64()
    );
    let _ = write!(out, "{table}");
    let _ = out.flush();
    let mut passed = !rows.iter().any(Row::failed);
    if !args.skip_startup {
        let runs = args.cold_runs.into();
        progress(format_args!("cold start ({runs} runs)"));
        passed &= figure("cold start", startup::cold_start(&bbh, runs).await);
        progress(format_args!("cold paging ({runs} runs)"));
        passed &= figure("cold paging", startup::cold_paging(&bbh, runs).await);
        progress(format_args!(
            "peak RSS ({POPULATION_CONNECTIONS} connections)"
        ));
        passed &= figure(
            "peak RSS",
            startup::population_rss(&bbh, POPULATION_CONNECTIONS).await,
        );
    }
    Ok(passed)
}

/// Prints a startup figure, or why it could not be measured; true when it was.
fn figure(what: &str, result: Result<impl std::fmt::Display, BenchError>) -> bool {
    let mut out = std::io::stdout();
    let measured = match &result {
        Ok(figure) => writeln!(out, "{figure}"),
        Err(error) => writeln!(out, "{what}: could not measure: {error}"),
    };
    let _ = measured.and_then(|()| out.flush());
    result.is_ok()
}

fn progress(what: std::fmt::Arguments<'_>) {
    eprintln!("bbh bench: {what}…");
}

/// `127.0.0.1:PORT` of an `http://127.0.0.1:PORT` origin.
fn socket_addr(origin: &str) -> Result<SocketAddr, BenchError> {
    origin
        .strip_prefix("http://")
        .and_then(|authority| authority.parse().ok())
        .ok_or_else(|| BenchError::Server(format!("not a loopback http origin: {origin}")))
}

/// What every case needs: the binary, the running `bbh serve` and a sign-in to it.
struct Bench<'a> {
    bbh: &'a Path,
    scratch: &'a Path,
    origin: &'a str,
    bbh_addr: SocketAddr,
    tokens: &'a startup::Tokens,
    timing: Timing,
}

/// Which server a phase loads.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Side {
    Baseline,
    Bbh,
}

impl Bench<'_> {
    /// Runs `connections` connections against the baseline of the EOB page on each generator
    /// runtime; the one that got more requests per second.
    async fn choose_generator(&self, connections: usize) -> Result<Generator, BenchError> {
        let case = Case::EobPage;
        let baseline = self.baseline(case).await?;
        let mut best: Option<(Generator, f64)> = None;
        for generator in [Generator::CurrentThread, Generator::TwoWorkers] {
            progress(format_args!(
                "load generator {generator} against the baseline"
            ));
            let scripts = self.scripts(case, Side::Baseline, connections).await?;
            let stats = load::run(generator, baseline.addr, scripts, self.timing).await?;
            if stats.errors > 0 {
                return Err(BenchError::Http {
                    context: "the baseline failed while choosing the load generator".into(),
                    detail: stats.first_error.unwrap_or_default(),
                });
            }
            eprintln!(
                "bbh bench: baseline {}: {:.0} req/s with the {generator} generator",
                case.name(),
                stats.rate()
            );
            if best.is_none_or(|(_, rate)| stats.rate() > rate) {
                best = Some((generator, stats.rate()));
            }
        }
        best.map(|(generator, _)| generator)
            .ok_or_else(|| BenchError::Server("no load generator ran".into()))
    }

    /// Measures one case: the baseline, then bbh, under each load.
    async fn case(
        &self,
        case: Case,
        generator: Generator,
        connections: usize,
        latency_connections: usize,
    ) -> Result<Row, BenchError> {
        let baseline = self.baseline(case).await?;
        let phase = async |side: Side, connections: usize| -> Result<Stats, BenchError> {
            let scripts = self.scripts(case, side, connections).await?;
            let addr = match side {
                Side::Baseline => baseline.addr,
                Side::Bbh => self.bbh_addr,
            };
            load::run(generator, addr, scripts, self.timing).await
        };
        Ok(Row {
            case,
            baseline: phase(Side::Baseline, connections).await?,
            bbh: phase(Side::Bbh, connections).await?,
            baseline_latency: phase(Side::Baseline, latency_connections).await?,
            bbh_latency: phase(Side::Bbh, latency_connections).await?,
        })
    }

    /// One script per connection. Refresh chains on bbh each need their own grant.
    async fn scripts(
        &self,
        case: Case,
        side: Side,
        connections: usize,
    ) -> Result<Vec<Box<dyn Script>>, BenchError> {
        let host = self.bbh_addr.to_string();
        let mut scripts = Vec::with_capacity(connections);
        for _ in 0..connections {
            let refresh_token = match (case, side) {
                (Case::Refresh, Side::Bbh) => {
                    startup::sign_in(self.origin, None).await?.refresh_token
                }
                _ => self.tokens.refresh_token.clone(),
            };
            scripts.push(case.script(
                &host,
                &self.tokens.access_token,
                &self.tokens.patient,
                &refresh_token,
            )?);
        }
        Ok(scripts)
    }

    /// Captures bbh's answer for `case` and starts a baseline answering those bytes.
    async fn baseline(&self, case: Case) -> Result<Baseline, BenchError> {
        let mut scripts = self.scripts(case, Side::Bbh, 1).await?;
        let script = scripts
            .pop()
            .ok_or_else(|| BenchError::Server("no capture script".into()))?;
        let fixed = case.capture(self.bbh_addr, script).await?;
        let file = self.scratch.join(format!("{}.response", case.name()));
        baseline::write_response(&file, &fixed)?;
        Baseline::start(self.bbh, &file).await
    }
}

/// A running `bbh bench-baseline`, killed when dropped.
struct Baseline {
    /// Kept for its kill-on-drop.
    _child: tokio::process::Child,
    addr: SocketAddr,
}

impl Baseline {
    async fn start(bbh: &Path, response: &PathBuf) -> Result<Baseline, BenchError> {
        let mut command = tokio::process::Command::new(bbh);
        command
            .arg("bench-baseline")
            .arg("--response")
            .arg(response)
            .args(["--addr", "127.0.0.1:0"])
            .stderr(Stdio::inherit());
        // The baseline prints nothing after its ready line: its stdout is closed at once.
        let Ready { child, address, .. } =
            spawn_ready(command, "bbh bench-baseline", baseline::READY).await?;
        Ok(Baseline {
            addr: socket_addr(&address)?,
            _child: child,
        })
    }
}

/// A child process started by [`spawn_ready`], its ready line read.
struct Ready {
    /// The process (`kill_on_drop`).
    child: tokio::process::Child,
    /// Its stdout, past the ready line.
    stdout: BufReader<tokio::process::ChildStdout>,
    /// What follows the ready prefix on the ready line (trailing whitespace trimmed).
    address: String,
}

/// Spawns `command` with stdin closed, stdout piped and `kill_on_drop` (its arguments and
/// stderr as the caller set them), reads its first stdout line and returns what follows
/// `ready_prefix` on it. `what` names the process in errors. No timeout: callers that want
/// one wrap the call (dropping the future kills the child).
async fn spawn_ready(
    mut command: tokio::process::Command,
    what: &str,
    ready_prefix: &str,
) -> Result<Ready, BenchError> {
    let mut child = command
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .kill_on_drop(true)
        .spawn()
        .map_err(|source| BenchError::Io {
            context: format!(
                "starting {what} ({})",
                command.as_std().get_program().to_string_lossy()
            ),
            source,
        })?;
    let stdout = child
        .stdout
        .take()
        .ok_or_else(|| BenchError::Server(format!("{what} has no stdout pipe")))?;
    let mut stdout = BufReader::new(stdout);
    let mut line = String::new();
    let read = stdout
        .read_line(&mut line)
        .await
        .map_err(|source| BenchError::Io {
            context: format!("reading the ready line of {what}"),
            source,
        })?;
    if read == 0 {
        return Err(BenchError::Server(format!(
            "{what} exited before it was ready"
        )));
    }
    let address = line
        .trim_end()
        .strip_prefix(ready_prefix)
        .ok_or_else(|| {
            BenchError::Server(format!(
                "{what} did not start: unexpected ready line {:?}",
                line.trim_end()
            ))
        })?
        .to_owned();
    Ok(Ready {
        child,
        stdout,
        address,
    })
}
