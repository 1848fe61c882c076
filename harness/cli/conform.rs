//! `bbh conform`: runs a client against scenarios, judges it, writes the reports and sets the
//! exit code (DESIGN "bbh conform": 0 pass, 1 a required check failed, a baseline entry is
//! stale or the client timed out, 2 bad usage or configuration, 3 internal error; README adds
//! 130 and 143, interrupted by SIGINT or SIGTERM).

use crate::conform::baseline::Baseline;
use crate::conform::run::ScenarioRun;
use crate::conform::runner::{self, RunOptions};
use crate::conform::{assertions, checks};
use crate::report;
use crate::scenario::{self, ClientType, LoadError, Profile, Scenario};
use crate::snapshot::{self, SnapshotMode};
use futures_util::StreamExt;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::Duration;

/// What `bbh conform` was asked to do.
#[derive(Debug, clap::Args)]
pub struct ConformArgs {
    /// Scenario files or built-in names (repeatable).
    #[arg(long = "scenario", value_name = "FILE|NAME", num_args = 1..)]
    scenarios: Vec<String>,
    /// A built-in suite: `all`.
    #[arg(long, value_name = "NAME", conflicts_with = "scenarios")]
    suite: Option<String>,
    /// The client command; `sh -c` runs it in the current directory.
    #[arg(long, value_name = "CMD")]
    client: Option<String>,
    /// The API version the client is told to use.
    #[arg(long, value_name = "v1|v2", default_value = "v2", value_parser = ["v1", "v2"])]
    api_version: String,
    /// Where the reports go: DIR/<scenario>/.
    #[arg(long, value_name = "DIR", default_value = "bbh-report")]
    report_dir: PathBuf,
    /// Also write a JUnit XML report.
    #[arg(long, value_name = "FILE")]
    junit: Option<PathBuf>,
    /// Known failures, one `scenario-name:check-id` per line.
    #[arg(long, value_name = "FILE")]
    baseline: Option<PathBuf>,
    /// Compare the client's output and the transcript with snapshots in DIR.
    #[arg(long, value_name = "DIR")]
    snapshots: Option<PathBuf>,
    /// Seconds a client may run per scenario before its process group is killed.
    #[arg(long, value_name = "SECS", default_value_t = 120)]
    timeout: u64,
    /// Scenarios run at once (default: the number of cores).
    #[arg(long, value_name = "N")]
    jobs: Option<usize>,
    /// A web app's login URL: the runner starts the journey there, as a browser would.
    #[arg(long, value_name = "URL")]
    app_url: Option<String>,
    /// List every check (id, level, title, requirements) and exit.
    #[arg(long)]
    list_checks: bool,
}

/// Exit code: a required check failed, a baseline entry is stale, or a client timed out.
const FAILED: u8 = 1;
/// Exit code: bad usage or configuration.
const USAGE: u8 = 2;
/// Exit code: the runner itself failed.
const INTERNAL: u8 = 3;

/// Where snapshots live unless `--snapshots` says otherwise (the user's project).
pub const DEFAULT_SNAPSHOTS: &str = "snapshots";

/// The built-in suites: `all` runs every built-in scenario.
const SUITES: [&str; 1] = ["all"];

/// Runs `bbh conform`.
pub fn conform(args: ConformArgs) -> ExitCode {
    if args.list_checks {
        print!("{}", check_list());
        return ExitCode::SUCCESS;
    }
    let plan = match Plan::from_args(args) {
        Ok(plan) => plan,
        Err(message) => {
            eprintln!("bbh conform: {message}");
            return ExitCode::from(USAGE);
        }
    };
    match super::runtime(&mut tokio::runtime::Builder::new_multi_thread()) {
        Ok(runtime) => runtime.block_on(plan.run()),
        Err(error) => super::internal_error(error, INTERNAL),
    }
}

/// Every check: id, level for confidential and public apps in `documented`, title and
/// requirements, one per line.
fn check_list() -> String {
    let mut text = String::new();
    for check in checks::all() {
        let confidential = check.level(Profile::Documented, ClientType::Confidential);
        let public = check.level(Profile::Documented, ClientType::Public);
        let level = if confidential == public {
            confidential.name().to_owned()
        } else {
            format!(
                "{} (confidential) / {} (public)",
                confidential.name(),
                public.name()
            )
        };
        text.push_str(&format!(
            "{:<30} {}\n{:<30} {level}; {}\n",
            check.id(),
            check.title(),
            "",
            check.requirements().join(", ")
        ));
    }
    text
}

/// A validated `bbh conform` invocation.
struct Plan {
    scenarios: Vec<Scenario>,
    options: RunOptions,
    jobs: usize,
    report_dir: PathBuf,
    junit: Option<PathBuf>,
    baseline: Option<Baseline>,
    snapshots: Option<PathBuf>,
}

impl Plan {
    fn from_args(args: ConformArgs) -> Result<Plan, String> {
        let Some(command) = args.client.filter(|c| !c.trim().is_empty()) else {
            return Err("--client CMD is required (the client app to judge)".to_owned());
        };
        let names: Vec<String> = match (&args.suite, args.scenarios.is_empty()) {
            (Some(suite), _) if SUITES.contains(&suite.as_str()) => scenario::builtin_names()
                .iter()
                .map(|name| (*name).to_owned())
                .collect(),
            (Some(suite), _) => {
                return Err(format!(
                    "no suite named `{suite}` (suites: {})",
                    SUITES.join(", ")
                ));
            }
            (None, true) => {
                return Err("give --scenario FILE|NAME... or --suite all".to_owned());
            }
            (None, false) => args.scenarios.clone(),
        };
        let scenarios = load_scenarios(&names)?;
        if args.timeout == 0 {
            return Err("--timeout must be at least 1 second".to_owned());
        }
        let baseline = match &args.baseline {
            Some(path) => Some(Baseline::load(path).map_err(|error| error.to_string())?),
            None => None,
        };
        let bbh_path = std::env::current_exe()
            .map_err(|error| format!("cannot find the bbh binary for BROWSER: {error}"))?;
        let mut options = RunOptions::new(command, bbh_path);
        options.timeout = Duration::from_secs(args.timeout);
        options.api_version = args.api_version;
        options.app_url = args.app_url;
        let jobs = match args.jobs {
            Some(0) => return Err("--jobs must be at least 1".to_owned()),
            Some(jobs) => jobs,
            None => std::thread::available_parallelism().map_or(1, usize::from),
        };
        Ok(Plan {
            scenarios,
            options,
            jobs,
            report_dir: args.report_dir,
            junit: args.junit,
            baseline,
            snapshots: args.snapshots,
        })
    }

    /// Runs every scenario (up to `jobs` at once), writes each report as its run ends, then
    /// the JUnit file and the summary; returns the exit code.
    ///
    /// SIGINT or SIGTERM interrupts the run: the clients that run are stopped as at the
    /// timeout, their runs judged and reported as usual, the scenarios not started are not
    /// run, and the exit code is the shell's for the signal (130, 143).
    async fn run(self) -> ExitCode {
        let snapshot_mode = SnapshotMode::from_env();
        let (interrupter, interruption) = runner::interruption();
        let signals = super::StopSignals::listen();
        let stopped_by = tokio::spawn(async move {
            let signal = signals.received().await;
            interrupter.interrupt();
            let _ = writeln!(
                std::io::stderr(),
                "bbh conform: {}: stopping the clients that run and writing their reports",
                signal.name()
            );
            signal
        });
        let finished = futures_util::stream::iter(self.scenarios.iter().cloned())
            .map(|scenario| {
                let options = &self.options;
                let interruption = interruption.clone();
                async move {
                    if interruption.is_interrupted() {
                        return Err(scenario.name);
                    }
                    Ok(runner::run_interruptible(scenario, options, &interruption).await)
                }
            })
            .buffered(self.jobs);
        let mut finished = std::pin::pin!(finished);
        let mut runs: Vec<ScenarioRun> = Vec::new();
        let mut not_run: Vec<String> = Vec::new();
        let mut code = None;
        while let Some(started) = finished.next().await {
            let result = match started {
                Ok(result) => result,
                Err(name) => {
                    not_run.push(name);
                    continue;
                }
            };
            let mut run = match result {
                Ok(run) => run,
                Err(error) => {
                    eprintln!("bbh conform: {error}");
                    let exit = if error.is_configuration() {
                        USAGE
                    } else {
                        INTERNAL
                    };
                    code = Some(code.map_or(exit, |c: u8| c.max(exit)));
                    continue;
                }
            };
            self.assert(&mut run, snapshot_mode);
            if let Err(error) = report::write_run(&self.report_dir, &run) {
                eprintln!("bbh conform: {error}");
                code = Some(INTERNAL);
            }
            runs.push(run);
        }
        let stale = self
            .baseline
            .as_ref()
            .map(|baseline| baseline.stale(&runs))
            .unwrap_or_default();
        if let Some(junit) = &self.junit
            && let Err(error) = report::junit::write(junit, &runs)
        {
            eprintln!("bbh conform: {error}");
            code = Some(INTERNAL);
        }
        print!("{}", report::summary::render(&runs, &stale));
        if interruption.is_interrupted() {
            let signal = stopped_by.await.unwrap_or(super::StopSignal::Interrupt);
            let names = if not_run.is_empty() {
                String::new()
            } else {
                format!(": {}", not_run.join(", "))
            };
            println!(
                "INTERRUPTED by {}: {} scenario(s) not run{names}",
                signal.name(),
                not_run.len()
            );
            return ExitCode::from(signal.exit_code());
        }
        stopped_by.abort();
        if let Some(code) = code {
            return ExitCode::from(code);
        }
        if !stale.is_empty() || runs.iter().any(ScenarioRun::failed) {
            return ExitCode::from(FAILED);
        }
        ExitCode::SUCCESS
    }

    /// Adds the assertions (output schema, snapshots) and applies the baseline. An interrupted
    /// run is not compared with its snapshots: its cut-off transcript would only leave `.new`
    /// files to mislead a review.
    fn assert(&self, run: &mut ScenarioRun, mode: SnapshotMode) {
        if let Some(result) = assertions::output_schema(run) {
            run.results.push(result);
        }
        if !run.client.interrupted {
            let dir = self
                .snapshots
                .as_deref()
                .unwrap_or(Path::new(DEFAULT_SNAPSHOTS));
            let snapshots = snapshot::assert_run(dir, mode, run, self.snapshots.is_some());
            run.results.extend(snapshots);
        }
        if let Some(baseline) = &self.baseline {
            baseline.apply(run);
        }
    }
}

/// Loads each scenario and checks what the runner needs: unique names, known check ids in
/// `expect`, and a first app the client can play.
fn load_scenarios(names: &[String]) -> Result<Vec<Scenario>, String> {
    let mut scenarios: Vec<Scenario> = Vec::new();
    let mut problems = Vec::new();
    for name in names {
        let scenario = match scenario::resolve(name) {
            Ok(scenario) => scenario,
            Err(LoadError::Invalid(errors)) => {
                problems.extend(errors.iter().map(ToString::to_string));
                continue;
            }
            Err(error) => {
                problems.push(error.to_string());
                continue;
            }
        };
        problems.extend(unknown_checks(&scenario));
        if let Some(problem) = scenario::runner_app_problem(&scenario) {
            problems.push(format!("{}: {problem}", scenario.source));
        }
        if scenarios.iter().any(|s| s.name == scenario.name) {
            problems.push(format!(
                "{}: another scenario is also named `{}` (reports go to DIR/<name>/)",
                scenario.source, scenario.name
            ));
        }
        scenarios.push(scenario);
    }
    if problems.is_empty() {
        Ok(scenarios)
    } else {
        Err(problems.join("\n"))
    }
}

/// `file:line:column: expect.checks.<id>: unknown check` for each id no check has.
pub fn unknown_checks(scenario: &Scenario) -> Vec<String> {
    scenario
        .expect
        .checks
        .iter()
        .filter(|expected| checks::find(&expected.id).is_none())
        .map(|expected| {
            format!(
                "{}:{}:{}: expect.checks.{}: no check has this id (`bbh conform --list-checks` lists them)",
                scenario.source, expected.line, expected.column, expected.id
            )
        })
        .collect()
}
