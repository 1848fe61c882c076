//! What one start of `bbh serve` costs: exec to the first answered request, the first page
//! of a large beneficiary read cold, and the peak memory of serving the whole sandbox
//! population. Each figure starts `bbh serve` as a child process, as users run it.

use super::{BenchError, spawn_ready};
use crate::oauth::pkce;
use serde::Deserialize;
use std::fmt;
use std::path::Path;
use std::process::Stdio;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::time::{Duration, Instant};
use tokio::io::BufReader;
use tokio::process::{Child, ChildStdout, Command};

/// The built-in confidential app (scenario defaults).
const CLIENT_ID: &str = "swBu7LWsCnIRfu530qnfPw1y5vMmER3lAM2L6rq2";
/// The built-in confidential app's secret.
const CLIENT_SECRET: &str = "bbh-sandbox-secret";
/// A redirect URI the built-in apps register.
const REDIRECT_URI: &str = "http://localhost:8080/testclient/callback";
/// The PKCE verifier of RFC 7636's example.
const VERIFIER: &str = "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk";
/// The `state` every journey sends.
const STATE: &str = "8e896a59f0744a8e93bf2f1f13230be5";
/// How long `bbh serve` may take to print its ready line before the benchmark gives up.
const READY_TIMEOUT: Duration = Duration::from_secs(30);

/// The target for the median cold start.
const COLD_START_TARGET: Duration = Duration::from_millis(20);
/// The bound on page 1,000 over page 1, both cold.
const PAGING_TARGET_RATIO: f64 = 1.2;
/// The bound on peak RSS serving the population, in KiB (64 MiB).
const RSS_TARGET_KIB: u64 = 64 * 1024;

/// Claims of the beneficiary of the paging benchmark.
const PAGING_CLAIMS: usize = 10_000;
/// The paging benchmark's scenario: one beneficiary with 10,000 claims, logged in by default.
const PAGING_SCENARIO: &str = "\
version: 1
name: bench-paging
description: 'One beneficiary with 10,000 claims, for the cold paging benchmark.'
beneficiaries:
  - username: BBUser21000
    password: PW21000!
    patient_id: \"-20140000001001\"
    name: Paige N Turner
    claims:
      carrier: 4600
      inpatient: 270
      pde: 5130
login:
  username: BBUser21000
";
/// Page 1 of the paging benchmark.
const PAGE_1: &str = "/v2/fhir/ExplanationOfBenefit/?_count=10&startIndex=0";
/// Page 1,000 of the paging benchmark (the last of 10,000 claims at 10 a page).
const PAGE_1000: &str = "/v2/fhir/ExplanationOfBenefit/?_count=10&startIndex=9990";

/// Sandbox logins `BBUser00000` to `BBUser29999`: the whole population.
const POPULATION: usize = 30_000;

/// A running `bbh serve` child process; killed when dropped.
#[derive(Debug)]
pub struct Served {
    /// The process (`kill_on_drop`).
    pub child: Child,
    /// `http://127.0.0.1:PORT`, from the ready line.
    pub origin: String,
    /// The process id, for `/proc/PID/status`.
    pub pid: u32,
    /// Its stdout, kept open after the ready line so later writes cannot fail.
    _stdout: BufReader<ChildStdout>,
}

impl Served {
    /// Kills the process and waits for it to exit.
    pub async fn stop(mut self) -> Result<(), BenchError> {
        self.child.kill().await.map_err(|source| BenchError::Io {
            context: format!("stopping bbh serve (pid {})", self.pid),
            source,
        })
    }
}

/// Starts `bbh serve --addr 127.0.0.1:0` plus `args`, stdout piped for the ready line, stderr
/// (the request log) to a sink, and returns once the ready line is read.
pub async fn spawn_serve(bbh: &Path, args: &[&str]) -> Result<Served, BenchError> {
    let mut command = Command::new(bbh);
    command
        .args(["serve", "--addr", "127.0.0.1:0"])
        .args(args)
        .stderr(Stdio::null());
    let ready = tokio::time::timeout(
        READY_TIMEOUT,
        spawn_ready(command, "bbh serve", "bbh listening on "),
    )
    .await
    .map_err(|_| {
        BenchError::Server(format!(
            "bbh serve printed no ready line within {} s",
            READY_TIMEOUT.as_secs()
        ))
    })??;
    let pid = ready
        .child
        .id()
        .ok_or_else(|| BenchError::Server("bbh serve exited at once".to_owned()))?;
    Ok(Served {
        child: ready.child,
        origin: ready.address,
        pid,
        _stdout: ready.stdout,
    })
}

/// What a sign-in gave: the tokens and the beneficiary's patient id.
#[derive(Debug, Clone)]
pub struct Tokens {
    /// The bearer token.
    pub access_token: String,
    /// The refresh token (rotates on every refresh).
    pub refresh_token: String,
    /// The patient id of the token's beneficiary.
    pub patient: String,
}

/// A token endpoint answer, the fields the benchmarks use.
#[derive(Deserialize)]
struct TokenResponse {
    /// The bearer token.
    access_token: String,
    /// The refresh token.
    refresh_token: String,
    /// The patient id.
    patient: String,
}

/// A loopback HTTP client that never follows redirects and keeps at most one idle
/// connection (one keep-alive connection for a sequential caller).
pub fn client() -> Result<reqwest::Client, BenchError> {
    reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .no_proxy()
        .pool_max_idle_per_host(1)
        .build()
        .map_err(|error| BenchError::Http {
            context: "building the HTTP client".to_owned(),
            detail: error.to_string(),
        })
}

/// One OAuth journey of the built-in confidential app (authorize with the automated login,
/// then the code exchange with PKCE S256) on a new client; `login_hint` picks the sandbox
/// login (`BBUserNNNNN`), else the scenario's.
pub async fn sign_in(origin: &str, login_hint: Option<&str>) -> Result<Tokens, BenchError> {
    sign_in_with(&client()?, origin, login_hint).await
}

/// [`sign_in`] over an existing client (its keep-alive connection).
pub async fn sign_in_with(
    client: &reqwest::Client,
    origin: &str,
    login_hint: Option<&str>,
) -> Result<Tokens, BenchError> {
    let code = authorize(client, origin, login_hint)
        .await?
        .ok_or_else(|| BenchError::Http {
            context: authorize_context(login_hint),
            detail: "404: the scenario has no such login".to_owned(),
        })?;
    exchange(client, origin, &code).await
}

/// What a failed authorize step was about.
fn authorize_context(login_hint: Option<&str>) -> String {
    format!("authorize ({})", login_hint.unwrap_or("default login"))
}

/// The authorize step with the automated login: the code of the redirect, or `None` when the
/// login does not exist in the scenario (404, BB2's "beneficiary not found" page).
async fn authorize(
    client: &reqwest::Client,
    origin: &str,
    login_hint: Option<&str>,
) -> Result<Option<String>, BenchError> {
    let challenge = pkce::s256_challenge(VERIFIER);
    let mut authorize = format!(
        "{origin}/v2/o/authorize/?client_id={CLIENT_ID}&redirect_uri={REDIRECT_URI}\
         &response_type=code&state={STATE}&code_challenge={challenge}&code_challenge_method=S256"
    );
    if let Some(login) = login_hint {
        authorize.push_str("&login_hint=");
        authorize.push_str(login);
    }
    let response = client
        .get(&authorize)
        .send()
        .await
        .map_err(|error| http_error(authorize_context(login_hint), &error))?;
    let status = response.status();
    let location = response
        .headers()
        .get(reqwest::header::LOCATION)
        .and_then(|value| value.to_str().ok())
        .map(str::to_owned);
    response
        .bytes()
        .await
        .map_err(|error| http_error(authorize_context(login_hint), &error))?;
    if status == reqwest::StatusCode::NOT_FOUND {
        return Ok(None);
    }
    location
        .as_deref()
        .and_then(|location| reqwest::Url::parse(location).ok())
        .and_then(|url| {
            url.query_pairs()
                .find(|(name, _)| name == "code")
                .map(|(_, code)| code.into_owned())
        })
        .map(Some)
        .ok_or_else(|| BenchError::Http {
            context: authorize_context(login_hint),
            detail: format!("{status} without a code in Location {location:?}"),
        })
}

/// The code exchange of the built-in confidential app (credentials and PKCE verifier in the
/// body).
async fn exchange(
    client: &reqwest::Client,
    origin: &str,
    code: &str,
) -> Result<Tokens, BenchError> {
    let response = client
        .post(format!("{origin}/v2/o/token/"))
        .form(&[
            ("grant_type", "authorization_code"),
            ("code", code),
            ("redirect_uri", REDIRECT_URI),
            ("code_verifier", VERIFIER),
            ("client_id", CLIENT_ID),
            ("client_secret", CLIENT_SECRET),
        ])
        .send()
        .await
        .map_err(|error| http_error("token exchange".to_owned(), &error))?;
    let status = response.status();
    let body = response
        .bytes()
        .await
        .map_err(|error| http_error("token exchange".to_owned(), &error))?;
    if status != reqwest::StatusCode::OK {
        return Err(BenchError::Http {
            context: "token exchange".to_owned(),
            detail: format!("{status}: {}", String::from_utf8_lossy(&body)),
        });
    }
    let tokens: TokenResponse =
        serde_json::from_slice(&body).map_err(|error| BenchError::Http {
            context: "token exchange".to_owned(),
            detail: format!("unexpected body ({error})"),
        })?;
    Ok(Tokens {
        access_token: tokens.access_token,
        refresh_token: tokens.refresh_token,
        patient: tokens.patient,
    })
}

/// A reqwest failure as a [`BenchError::Http`].
fn http_error(context: String, error: &reqwest::Error) -> BenchError {
    BenchError::Http {
        context,
        detail: error.to_string(),
    }
}

/// GETs `url` (with a bearer token if given), reads the whole body, and fails unless 200.
async fn get_ok(
    client: &reqwest::Client,
    url: &str,
    bearer: Option<&str>,
) -> Result<bytes::Bytes, BenchError> {
    let mut request = client.get(url);
    if let Some(token) = bearer {
        request = request.bearer_auth(token);
    }
    let response = request
        .send()
        .await
        .map_err(|error| http_error(format!("GET {url}"), &error))?;
    let status = response.status();
    let body = response
        .bytes()
        .await
        .map_err(|error| http_error(format!("GET {url}"), &error))?;
    if status != reqwest::StatusCode::OK {
        return Err(BenchError::Http {
            context: format!("GET {url}"),
            detail: format!("{status}: {}", String::from_utf8_lossy(&body)),
        });
    }
    Ok(body)
}

/// The median of some durations (the mean of the two middle ones for an even count).
fn median(durations: &mut [Duration]) -> Duration {
    durations.sort_unstable();
    let middle = durations.len() / 2;
    match durations.len() {
        0 => Duration::ZERO,
        n if n % 2 == 1 => durations[middle],
        _ => (durations[middle - 1] + durations[middle]) / 2,
    }
}

/// Milliseconds with two decimals.
fn ms(duration: Duration) -> String {
    format!("{:.2} ms", duration.as_secs_f64() * 1000.0)
}

/// "met" or "NOT met".
fn verdict(met: bool) -> &'static str {
    if met { "met" } else { "NOT met" }
}

/// Cold starts of `bbh serve`: exec to the first answered request.
#[derive(Debug, Clone)]
pub struct ColdStart {
    /// Each start's time, in the order measured.
    pub runs: Vec<Duration>,
    /// The median of `runs`.
    pub median: Duration,
    /// The fastest start.
    pub min: Duration,
    /// The slowest start.
    pub max: Duration,
}

impl fmt::Display for ColdStart {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(
            f,
            "cold start, exec of bbh serve to the first answered request (GET /v2/fhir/metadata), {} runs:",
            self.runs.len()
        )?;
        writeln!(
            f,
            "  median {}, min {}, max {}",
            ms(self.median),
            ms(self.min),
            ms(self.max)
        )?;
        write!(
            f,
            "  target: median under {}: {}",
            ms(COLD_START_TARGET),
            verdict(self.median < COLD_START_TARGET)
        )
    }
}

/// Medians and spreads of `runs` starts (at least one) of `bbh serve`: from the exec to the
/// end of the answer to the first request (`GET /v2/fhir/metadata`, sent as soon as the
/// ready line is read).
pub async fn cold_start(bbh: &Path, runs: usize) -> Result<ColdStart, BenchError> {
    let client = client()?;
    let mut times = Vec::with_capacity(runs.max(1));
    for _ in 0..runs.max(1) {
        let started = Instant::now();
        let served = spawn_serve(bbh, &[]).await?;
        get_ok(
            &client,
            &format!("{}/v2/fhir/metadata", served.origin),
            None,
        )
        .await?;
        times.push(started.elapsed());
        served.stop().await?;
    }
    let min = times.iter().copied().min().unwrap_or_default();
    let max = times.iter().copied().max().unwrap_or_default();
    let median = median(&mut times.clone());
    Ok(ColdStart {
        runs: times,
        median,
        min,
        max,
    })
}

/// Page 1 and page 1,000 of a 10,000-claim beneficiary, each read cold.
#[derive(Debug, Clone)]
pub struct ColdPaging {
    /// Starts per page.
    pub runs: usize,
    /// Median time of page 1 (`startIndex=0&_count=10`).
    pub page_1: Duration,
    /// Median time of page 1,000 (`startIndex=9990&_count=10`).
    pub page_1000: Duration,
}

impl ColdPaging {
    /// Page 1,000's median over page 1's.
    pub fn ratio(&self) -> f64 {
        self.page_1000.as_secs_f64() / self.page_1.as_secs_f64().max(f64::MIN_POSITIVE)
    }
}

impl fmt::Display for ColdPaging {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(
            f,
            "cold paging, 10,000 claims, first EOB request after a fresh start, {} starts per page:",
            self.runs
        )?;
        writeln!(
            f,
            "  page 1 median {}, page 1,000 median {}, ratio {:.2}",
            ms(self.page_1),
            ms(self.page_1000),
            self.ratio()
        )?;
        write!(
            f,
            "  target: page 1,000 within {PAGING_TARGET_RATIO} x page 1: {}",
            verdict(self.ratio() <= PAGING_TARGET_RATIO)
        )
    }
}

/// Page 1 and page 1,000 of a 10,000-claim beneficiary, each the first EOB request after a
/// fresh start (nothing cached), over `runs` starts (at least one) each. Each start signs in
/// first on the connection the timed request then uses; the time is the request's alone.
pub async fn cold_paging(bbh: &Path, runs: usize) -> Result<ColdPaging, BenchError> {
    let dir = tempfile::tempdir().map_err(|source| BenchError::Io {
        context: "creating a temporary directory".to_owned(),
        source,
    })?;
    let scenario = dir.path().join("bench-paging.yaml");
    std::fs::write(&scenario, PAGING_SCENARIO).map_err(|source| BenchError::Io {
        context: format!("writing {}", scenario.display()),
        source,
    })?;
    let scenario = scenario.to_string_lossy().into_owned();
    let mut page_1 = Vec::with_capacity(runs.max(1));
    let mut page_1000 = Vec::with_capacity(runs.max(1));
    for _ in 0..runs.max(1) {
        page_1.push(cold_page(bbh, &scenario, PAGE_1).await?);
        page_1000.push(cold_page(bbh, &scenario, PAGE_1000).await?);
    }
    Ok(ColdPaging {
        runs: runs.max(1),
        page_1: median(&mut page_1),
        page_1000: median(&mut page_1000),
    })
}

/// The time of one EOB page, the first after a fresh start; checks the page has 10 claims of
/// the 10,000.
async fn cold_page(bbh: &Path, scenario: &str, page: &str) -> Result<Duration, BenchError> {
    let served = spawn_serve(bbh, &["--scenario", scenario]).await?;
    let client = client()?;
    let tokens = sign_in_with(&client, &served.origin, None).await?;
    let url = format!("{}{page}", served.origin);
    let started = Instant::now();
    let body = get_ok(&client, &url, Some(&tokens.access_token)).await?;
    let elapsed = started.elapsed();
    served.stop().await?;
    let bundle: serde_json::Value =
        serde_json::from_slice(&body).map_err(|error| BenchError::Http {
            context: format!("GET {url}"),
            detail: format!("not JSON ({error})"),
        })?;
    let entries = bundle["entry"].as_array().map_or(0, Vec::len);
    if bundle["total"] != PAGING_CLAIMS || entries != 10 {
        return Err(BenchError::Http {
            context: format!("GET {url}"),
            detail: format!(
                "expected 10 of {PAGING_CLAIMS} claims, got {entries} of {}",
                bundle["total"]
            ),
        });
    }
    Ok(elapsed)
}

/// Peak memory of `bbh serve` while the whole sandbox population signs in.
#[derive(Debug, Clone)]
pub struct PopulationRss {
    /// Concurrent keep-alive connections.
    pub connections: usize,
    /// Journeys run (one per sandbox login).
    pub journeys: usize,
    /// Logins the scenario does not have (authorize answered 404): a sandbox login whose
    /// generated patient id is a scenario beneficiary's (`BBUser28324` is Jane Doe's id).
    pub absent: usize,
    /// Requests sent.
    pub requests: usize,
    /// Journeys that failed (a transport error or an unexpected answer).
    pub failures: usize,
    /// The first failure, if any.
    pub first_failure: Option<String>,
    /// Wall time of the load.
    pub wall: Duration,
    /// Peak resident set size of the bbh process (`VmHWM`), in KiB.
    pub peak_rss_kib: u64,
}

impl fmt::Display for PopulationRss {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(
            f,
            "peak RSS serving the sandbox population (BBUser00000..BBUser29999: authorize, token, \
             EOB page, Patient), {} connections:",
            self.connections
        )?;
        writeln!(
            f,
            "  {:.1} MiB peak (VmHWM); {} logins ({} absent from the scenario, {} failed), \
             {} requests in {:.1} s",
            self.peak_rss_kib as f64 / 1024.0,
            self.journeys,
            self.absent,
            self.failures,
            self.requests,
            self.wall.as_secs_f64()
        )?;
        if let Some(failure) = &self.first_failure {
            writeln!(f, "  first failure: {failure}")?;
        }
        let met = self.failures == 0 && self.peak_rss_kib < RSS_TARGET_KIB;
        write!(
            f,
            "  target: under {} MiB with no failure: {}",
            RSS_TARGET_KIB / 1024,
            verdict(met)
        )
    }
}

/// What the population's workers share: the next login to take, and the failures.
pub(super) struct Population {
    /// The server's origin.
    origin: String,
    /// How many journeys have been started (the next login is `BBUser{next % 30000:05}`).
    pub(super) next: AtomicUsize,
    /// Requests sent.
    pub(super) sent: AtomicUsize,
    /// Logins the scenario does not have.
    absent: AtomicUsize,
    /// Failed journeys.
    pub(super) failures: AtomicUsize,
    /// The first failure.
    first_failure: std::sync::Mutex<Option<String>>,
    /// Set to end the journeys early.
    stopped: AtomicBool,
}

/// How long the population's workers go on.
#[derive(Debug, Clone, Copy)]
pub(super) enum Rounds {
    /// Every login once.
    Once,
    /// Round the population again and again until this instant.
    Until(Instant),
}

impl Population {
    /// A population to drive against `origin`, nothing sent yet.
    pub(super) fn new(origin: &str) -> Arc<Population> {
        Arc::new(Population {
            origin: origin.to_owned(),
            next: AtomicUsize::new(0),
            sent: AtomicUsize::new(0),
            absent: AtomicUsize::new(0),
            failures: AtomicUsize::new(0),
            first_failure: std::sync::Mutex::new(None),
            stopped: AtomicBool::new(false),
        })
    }

    /// Ends the journeys: each worker stops after the journey it is on.
    pub(super) fn stop(&self) {
        self.stopped.store(true, Ordering::Relaxed);
    }

    /// The first failure, if any (taken: later calls answer `None`).
    pub(super) fn take_first_failure(&self) -> Option<String> {
        self.first_failure
            .lock()
            .ok()
            .and_then(|mut first| first.take())
    }

    /// Runs journeys on `connections` (at least one) concurrent keep-alive connections for
    /// `rounds`.
    pub(super) async fn drive(
        self: &Arc<Population>,
        connections: usize,
        rounds: Rounds,
    ) -> Result<(), BenchError> {
        let mut workers = Vec::with_capacity(connections.max(1));
        for _ in 0..connections.max(1) {
            let client = client()?;
            let population = Arc::clone(self);
            workers.push(tokio::spawn(async move {
                loop {
                    let started = population.next.fetch_add(1, Ordering::Relaxed);
                    let done = population.stopped.load(Ordering::Relaxed)
                        || match rounds {
                            Rounds::Once => started >= POPULATION,
                            Rounds::Until(deadline) => Instant::now() >= deadline,
                        };
                    if done {
                        break;
                    }
                    match journey(&client, &population, started % POPULATION).await {
                        Ok(true) => {}
                        Ok(false) => {
                            population.absent.fetch_add(1, Ordering::Relaxed);
                        }
                        Err(error) => {
                            population.failures.fetch_add(1, Ordering::Relaxed);
                            if let Ok(mut first) = population.first_failure.lock() {
                                first.get_or_insert_with(|| error.to_string());
                            }
                        }
                    }
                }
            }));
        }
        for worker in workers {
            worker.await.map_err(|error| {
                BenchError::Server(format!("a population worker failed: {error}"))
            })?;
        }
        Ok(())
    }
}

/// Peak RSS (`VmHWM` of the bbh process, `/proc/PID/status`) while `connections` (at least
/// one) concurrent keep-alive connections sign in every sandbox login (`BBUser00000` to
/// `BBUser29999` via `login_hint`, 30,000 journeys) and read their first EOB page and
/// Patient.
pub async fn population_rss(bbh: &Path, connections: usize) -> Result<PopulationRss, BenchError> {
    let connections = connections.max(1);
    let served = spawn_serve(bbh, &[]).await?;
    let population = Population::new(&served.origin);
    let started = Instant::now();
    population.drive(connections, Rounds::Once).await?;
    let wall = started.elapsed();
    let peak_rss_kib = rss_kib(served.pid, "VmHWM:")?;
    served.stop().await?;
    let failures = population.failures.load(Ordering::Relaxed);
    let first_failure = population.take_first_failure();
    Ok(PopulationRss {
        connections,
        journeys: POPULATION,
        absent: population.absent.load(Ordering::Relaxed),
        requests: population.sent.load(Ordering::Relaxed),
        failures,
        first_failure,
        wall,
        peak_rss_kib,
    })
}

/// One population journey: sign in `BBUser{index:05}`, read the first EOB page and the
/// Patient. `Ok(false)`: the scenario has no such login (authorize answered 404).
async fn journey(
    client: &reqwest::Client,
    population: &Population,
    index: usize,
) -> Result<bool, BenchError> {
    let origin = &population.origin;
    let login = format!("BBUser{index:05}");
    population.sent.fetch_add(1, Ordering::Relaxed);
    let Some(code) = authorize(client, origin, Some(&login)).await? else {
        return Ok(false);
    };
    population.sent.fetch_add(1, Ordering::Relaxed);
    let tokens = exchange(client, origin, &code).await?;
    let bearer = Some(tokens.access_token.as_str());
    population.sent.fetch_add(1, Ordering::Relaxed);
    get_ok(
        client,
        &format!("{origin}/v2/fhir/ExplanationOfBenefit/"),
        bearer,
    )
    .await?;
    population.sent.fetch_add(1, Ordering::Relaxed);
    get_ok(
        client,
        &format!("{origin}/v2/fhir/Patient/{}", tokens.patient),
        bearer,
    )
    .await?;
    Ok(true)
}

/// A memory figure of a process, in KiB, from `/proc/PID/status`: `VmHWM:` (peak resident
/// set) or `VmRSS:` (resident set now).
pub(super) fn rss_kib(pid: u32, field: &str) -> Result<u64, BenchError> {
    let path = format!("/proc/{pid}/status");
    let status = std::fs::read_to_string(&path).map_err(|source| BenchError::Io {
        context: format!("reading {path}"),
        source,
    })?;
    status
        .lines()
        .find_map(|line| line.strip_prefix(field))
        .and_then(|value| value.trim().trim_end_matches("kB").trim().parse().ok())
        .ok_or_else(|| BenchError::Server(format!("no {field} in {path}")))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn median_of_odd_and_even_counts() {
        let ms = Duration::from_millis;
        assert_eq!(median(&mut [ms(3), ms(1), ms(2)]), ms(2));
        assert_eq!(
            median(&mut [ms(4), ms(1), ms(2), ms(3)]),
            Duration::from_micros(2500)
        );
        assert_eq!(median(&mut []), Duration::ZERO);
    }

    #[test]
    fn paging_scenario_parses_with_ten_thousand_claims() {
        let scenario = crate::scenario::parse(
            PAGING_SCENARIO,
            crate::scenario::Source::Builtin("bench-paging"),
        );
        assert!(scenario.is_ok(), "{:?}", scenario.err());
    }
}
