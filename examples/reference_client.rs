//! The reference client for `bbh conform`: a Blue Button 2.0 app that does everything the
//! conformance checks expect (`/work/conform-plan.md`, "The good client's behaviour"), plus
//! a set of deliberate flaws, each of which breaks exactly one behaviour so that exactly one
//! check fails. It is the runner's own test subject and a worked example for client authors.
//!
//! ```text
//! cargo run --example reference_client -- [--flaw NAME]      (no flag: the good client)
//! cargo run --example reference_client -- --list-flaws
//! ```
//!
//! It follows only the client contract (DESIGN "The client under test"): `BB_BASE_URL`,
//! `BB_API_VERSION`, `BB_CLIENT_ID`, `BB_CLIENT_SECRET` (empty for public apps),
//! `BB_REDIRECT_URI`, `BB_OUTPUT` and `BROWSER`. It writes
//! `{"patient_id", "coverage_ids", "eob_ids", "patient_read", "userinfo_read", "notes"}` to
//! `BB_OUTPUT` (stdout when unset) and exits 0; on failure it prints one line to stderr and
//! exits 1 (2 for bad usage).
//!
//! The good client, step by step:
//! 1. Binds its callback server on `127.0.0.1:0` before anything else and sends
//!    `http://127.0.0.1:PORT/callback` (the path of `BB_REDIRECT_URI`) as `redirect_uri`.
//! 2. Per flow: a fresh PKCE verifier (64 unreserved characters from the OS CSPRNG, S256
//!    challenge) and a fresh `state` (32 random URL-safe characters).
//! 3. Runs `BROWSER` through `sh -c` with `%s` replaced by the (shell-quoted) authorize URL, or
//!    the URL appended when there is no `%s`; it does not wait for the command, it waits (60 s
//!    at most) for the callback.
//! 4. Callback: `error=access_denied` → output `{patient_id: null, coverage_ids: [], eob_ids:
//!    []}`, exit 0. Wrong `state` → 400, no token request, exit 1. Only the first valid callback
//!    of a flow is redeemed; any later one answers 400.
//! 5. Token request: form body only; confidential apps authenticate with HTTP Basic only,
//!    public apps send `client_id` in the body and no secret.
//! 6. Reads, in order: Coverage (every page), userinfo, ExplanationOfBenefit (every page),
//!    `Patient/{patient}` (the token response's `patient`), each with `Authorization: Bearer`,
//!    `Accept: application/fhir+json`, `Accept-Encoding: gzip`; bodies are gunzipped only when
//!    `Content-Encoding: gzip`. Searches follow `link[relation=next]` verbatim until absent.
//!    403 on Patient or userinfo is noted, never retried.
//! 7. 401 → one refresh with the newest refresh token, then the request again with the new
//!    access token; the rotated refresh token is always stored. A refresh answered
//!    `invalid_grant` → one new authorization (new state, new verifier); a second → exit 1.
//! 8. 429/503 with `Retry-After: N` → waits N seconds; other 5xx (or no Retry-After) → 200 ms;
//!    at most 3 retries of one request, then that resource is given up (what was read stays).
//!
//! Flaws (`--flaw NAME`), and the one check each is meant to fail:
//!
//! | flaw | what the client does wrong | check |
//! |---|---|---|
//! | `no-pkce` | no `code_challenge`, no `code_verifier` | `pkce-s256` |
//! | `bad-verifier-chars` | 64-char verifier with `+` and `/` (standard base64), S256-correct | `pkce-verifier-valid` |
//! | `reused-pkce` | one code verifier for every flow of the run | `pkce-verifier-valid` |
//! | `no-state` | no `state` parameter | `state-sent` |
//! | `short-state` | an 8-character `state` | `state-entropy` |
//! | `ignore-state` | does not compare the callback's `state` | `state-verified` |
//! | `redeem-twice` | redeems the code of a replayed callback again | `callback-replay-rejected` |
//! | `first-page-only` | reads only the first page of each search | `pagination-complete` |
//! | `build-page-links` | ignores `link[next]`, builds `?startIndex=N&_count=10` itself | `next-link-followed-verbatim` |
//! | `crash-on-403` | exits 1 when Patient answers 403 | `patient-403-handled` |
//! | `crash-on-userinfo-403` | exits 1 when userinfo answers 403 | `userinfo-403-handled` |
//! | `crash-on-denied` | exits 101 without output on `error=access_denied` | `access-denied-handled` |
//! | `always-gunzip` | gunzips every FHIR body whatever `Content-Encoding` says (exit 1 on a plain one) | `gzip-and-identity-decoded` |
//! | `no-gzip` | sends no `Accept-Encoding` | `gzip-requested` |
//! | `no-retry-wait` | retries 429/503 at once, ignoring `Retry-After` | `retry-after-honoured` |
//! | `retry-forever` | retries a 5xx up to 30 times, 50 ms apart (or `Retry-After`) | `bounded-retries` |
//! | `reuse-refresh` | the second refresh sends the first (replaced) refresh token again; after the `invalid_grant`, re-authorizes | `rotated-refresh-token-used` |
//! | `stale-access-token` | after each refresh, sends the next request once with the old access token | `current-access-token-used` |
//! | `no-refresh` | on 401 sends the same expired token once more, then re-authorizes instead of refreshing | `token-refreshed-on-expiry` |
//! | `refresh-loop` | on `invalid_grant` refreshes again (3 times), never re-authorizes | `refresh-failure-reauthorizes` |
//! | `token-in-query` | userinfo with `?access_token=` instead of the header (then again, correctly) | `bearer-header-only` |
//! | `secret-in-url` | `client_secret=<secret>` in the userinfo URL | `no-secret-in-url` |
//! | `basic-and-body` | confidential: HTTP Basic and `client_secret` in the body | `client-auth-valid` |
//! | `public-sends-secret` | public (`BB_CLIENT_SECRET` empty): HTTP Basic `client_id:` | `public-client-sends-no-secret` |
//! | `wrong-type` | first EOB search with `type=CARRIER`, dropped after the 400 | `claim-type-values-valid` |
//! | `other-patient` | also reads another beneficiary's `Patient` | `own-patient-only` |
//! | `bad-accept` | `Accept: application/json+fhir` on Patient; after the 406, again correctly | `accept-header-valid` |
//! | `redirect-mismatch` | token call with `?x=1` added to `redirect_uri`; after the 400, again correctly | `redirect-uri-consistent` |
//! | `token-query` | first code exchange with `?grant_type=authorization_code` on the token URL; after the 400, again correctly | `token-request-well-formed` |
//! | `unknown-search-param` | Coverage search with `_sort=status` (BB2 drops unknown parameters silently) | `search-params-valid` |
//!
//! Notes on the flaws: the server refuses `redirect-mismatch`'s first token call (400
//! "Mismatching redirect URI.", the code is not consumed) and `token-in-query`'s userinfo call
//! (400), so those flaws repeat the call correctly to keep the rest of the journey unchanged;
//! it accepts `public-sends-secret`'s Basic header (public apps authenticate by id alone) and
//! `basic-and-body`. `always-gunzip` decodes token and userinfo responses correctly (they are
//! always small and plain, so it could not get anywhere otherwise) and fails on the first
//! plain FHIR body (e.g. the empty Bundles of `small-response-no-gzip`). Flaws whose trigger a scenario
//! never produces (e.g. `no-refresh` without a 401) leave the client's traffic unchanged.

use base64::Engine;
use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
use bytes::Bytes;
use http_body_util::Full;
use hyper::body::Incoming;
use hyper_util::rt::TokioIo;
use reqwest::header::{
    ACCEPT, ACCEPT_ENCODING, AUTHORIZATION, CONTENT_ENCODING, CONTENT_TYPE, HeaderMap, RETRY_AFTER,
};
use reqwest::{StatusCode, Url};
use serde_json::{Value, json};
use sha2::{Digest, Sha256};
use std::collections::HashSet;
use std::convert::Infallible;
use std::fmt;
use std::io::{Read, Write};
use std::os::fd::AsFd;
use std::path::PathBuf;
use std::process::{Command, Stdio};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::time::Duration;
use tokio::net::TcpListener;
use tokio::sync::mpsc;
use tokio::time::Instant;

/// How long the client waits for the browser to come back to its callback.
const CALLBACK_TIMEOUT: Duration = Duration::from_secs(60);
/// How long it still waits once the browser command failed.
const AFTER_BROWSER_FAILED: Duration = Duration::from_secs(5);
/// Timeout of one HTTP request.
const REQUEST_TIMEOUT: Duration = Duration::from_secs(30);
/// Retries of one request after 429/503/5xx.
const MAX_RETRIES: u32 = 3;
/// Wait before a retry when the server gave no `Retry-After`.
const BACKOFF: Duration = Duration::from_millis(200);
/// The longest `Retry-After` honoured (so a bad header cannot hang the client).
const MAX_RETRY_AFTER: u64 = 120;
/// The FHIR JSON media type.
const FHIR_JSON: &str = "application/fhir+json";
/// RFC 3986 unreserved characters (PKCE verifier alphabet).
const UNRESERVED: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-._~";
/// URL-safe characters (state alphabet).
const URL_SAFE: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

// ---------------------------------------------------------------------------------------
// Flaws
// ---------------------------------------------------------------------------------------

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Flaw {
    NoPkce,
    BadVerifierChars,
    ReusedPkce,
    NoState,
    ShortState,
    IgnoreState,
    RedeemTwice,
    FirstPageOnly,
    BuildPageLinks,
    CrashOn403,
    CrashOnUserinfo403,
    CrashOnDenied,
    AlwaysGunzip,
    NoGzip,
    NoRetryWait,
    RetryForever,
    ReuseRefresh,
    StaleAccessToken,
    NoRefresh,
    RefreshLoop,
    TokenInQuery,
    SecretInUrl,
    BasicAndBody,
    PublicSendsSecret,
    WrongType,
    OtherPatient,
    BadAccept,
    RedirectMismatch,
    TokenQuery,
    UnknownSearchParam,
}

/// Every flaw: its name, itself, and the check it should fail.
const FLAWS: &[(&str, Flaw, &str)] = &[
    ("no-pkce", Flaw::NoPkce, "pkce-s256"),
    (
        "bad-verifier-chars",
        Flaw::BadVerifierChars,
        "pkce-verifier-valid",
    ),
    ("reused-pkce", Flaw::ReusedPkce, "pkce-verifier-valid"),
    ("no-state", Flaw::NoState, "state-sent"),
    ("short-state", Flaw::ShortState, "state-entropy"),
    ("ignore-state", Flaw::IgnoreState, "state-verified"),
    (
        "redeem-twice",
        Flaw::RedeemTwice,
        "callback-replay-rejected",
    ),
    (
        "first-page-only",
        Flaw::FirstPageOnly,
        "pagination-complete",
    ),
    (
        "build-page-links",
        Flaw::BuildPageLinks,
        "next-link-followed-verbatim",
    ),
    ("crash-on-403", Flaw::CrashOn403, "patient-403-handled"),
    (
        "crash-on-userinfo-403",
        Flaw::CrashOnUserinfo403,
        "userinfo-403-handled",
    ),
    (
        "crash-on-denied",
        Flaw::CrashOnDenied,
        "access-denied-handled",
    ),
    (
        "always-gunzip",
        Flaw::AlwaysGunzip,
        "gzip-and-identity-decoded",
    ),
    ("no-gzip", Flaw::NoGzip, "gzip-requested"),
    ("no-retry-wait", Flaw::NoRetryWait, "retry-after-honoured"),
    ("retry-forever", Flaw::RetryForever, "bounded-retries"),
    (
        "reuse-refresh",
        Flaw::ReuseRefresh,
        "rotated-refresh-token-used",
    ),
    (
        "stale-access-token",
        Flaw::StaleAccessToken,
        "current-access-token-used",
    ),
    ("no-refresh", Flaw::NoRefresh, "token-refreshed-on-expiry"),
    (
        "refresh-loop",
        Flaw::RefreshLoop,
        "refresh-failure-reauthorizes",
    ),
    ("token-in-query", Flaw::TokenInQuery, "bearer-header-only"),
    ("secret-in-url", Flaw::SecretInUrl, "no-secret-in-url"),
    ("basic-and-body", Flaw::BasicAndBody, "client-auth-valid"),
    (
        "public-sends-secret",
        Flaw::PublicSendsSecret,
        "public-client-sends-no-secret",
    ),
    ("wrong-type", Flaw::WrongType, "claim-type-values-valid"),
    ("other-patient", Flaw::OtherPatient, "own-patient-only"),
    ("bad-accept", Flaw::BadAccept, "accept-header-valid"),
    (
        "redirect-mismatch",
        Flaw::RedirectMismatch,
        "redirect-uri-consistent",
    ),
    ("token-query", Flaw::TokenQuery, "token-request-well-formed"),
    (
        "unknown-search-param",
        Flaw::UnknownSearchParam,
        "search-params-valid",
    ),
];

/// The flaw in effect, if any.
#[derive(Debug, Clone, Copy)]
struct Flaws(Option<Flaw>);

impl Flaws {
    fn has(self, flaw: Flaw) -> bool {
        self.0 == Some(flaw)
    }
}

// ---------------------------------------------------------------------------------------
// Errors
// ---------------------------------------------------------------------------------------

#[derive(Debug)]
enum Error {
    /// Bad command line (exit 2).
    Usage(String),
    /// Missing or bad environment.
    Config(String),
    Io(std::io::Error),
    Http(reqwest::Error),
    /// The server or the browser did something the client cannot go on from.
    Protocol(String),
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Error::Usage(message) | Error::Config(message) | Error::Protocol(message) => {
                f.write_str(message)
            }
            Error::Io(error) => write!(f, "I/O error: {error}"),
            Error::Http(error) => {
                write!(f, "HTTP error: {error}")?;
                let mut source = std::error::Error::source(error);
                while let Some(cause) = source {
                    write!(f, ": {cause}")?;
                    source = cause.source();
                }
                Ok(())
            }
        }
    }
}

impl From<std::io::Error> for Error {
    fn from(error: std::io::Error) -> Self {
        Error::Io(error)
    }
}

impl From<reqwest::Error> for Error {
    fn from(error: reqwest::Error) -> Self {
        Error::Http(error)
    }
}

type Result<T, E = Error> = std::result::Result<T, E>;

fn protocol<T>(message: impl Into<String>) -> Result<T> {
    Err(Error::Protocol(message.into()))
}

// ---------------------------------------------------------------------------------------
// Configuration
// ---------------------------------------------------------------------------------------

/// The client contract's environment.
#[derive(Debug)]
struct Config {
    base: String,
    version: String,
    client_id: String,
    client_secret: String,
    redirect_uri: String,
    output: Option<PathBuf>,
    browser: Option<String>,
}

impl Config {
    fn from_env() -> Result<Config> {
        let var = |name: &str| std::env::var(name).ok().filter(|v| !v.is_empty());
        let base = var("BB_BASE_URL")
            .ok_or_else(|| Error::Config("BB_BASE_URL is not set".into()))?
            .trim_end_matches('/')
            .to_owned();
        let client_id =
            var("BB_CLIENT_ID").ok_or_else(|| Error::Config("BB_CLIENT_ID is not set".into()))?;
        Ok(Config {
            base,
            version: var("BB_API_VERSION").unwrap_or_else(|| "v2".into()),
            client_id,
            client_secret: var("BB_CLIENT_SECRET").unwrap_or_default(),
            redirect_uri: var("BB_REDIRECT_URI")
                .unwrap_or_else(|| "http://127.0.0.1/callback".into()),
            output: var("BB_OUTPUT").map(PathBuf::from),
            browser: var("BROWSER"),
        })
    }

    fn confidential(&self) -> bool {
        !self.client_secret.is_empty()
    }

    fn url(&self, path: &str) -> String {
        format!("{}/{}/{path}", self.base, self.version)
    }
}

fn parse_args() -> Result<Option<Flaws>> {
    let mut args = std::env::args().skip(1);
    let mut flaw = None;
    while let Some(arg) = args.next() {
        let name = match arg.as_str() {
            "--flaw" => args
                .next()
                .ok_or_else(|| Error::Usage("--flaw needs a NAME".into()))?,
            "--list-flaws" => {
                for (name, _, check) in FLAWS {
                    println!("{name:24} {check}");
                }
                return Ok(None);
            }
            "-h" | "--help" => {
                println!(
                    "usage: reference_client [--flaw NAME] | --list-flaws\n\
                     Runs the Blue Button 2.0 journey against BB_BASE_URL (see the file's docs)."
                );
                return Ok(None);
            }
            other => match other.strip_prefix("--flaw=") {
                Some(name) => name.to_owned(),
                None => return Err(Error::Usage(format!("unknown argument `{other}`"))),
            },
        };
        let Some((_, found, _)) = FLAWS.iter().find(|(n, _, _)| *n == name) else {
            return Err(Error::Usage(format!(
                "unknown flaw `{name}` (see --list-flaws)"
            )));
        };
        flaw = Some(*found);
    }
    Ok(Some(Flaws(flaw)))
}

// ---------------------------------------------------------------------------------------
// Small helpers
// ---------------------------------------------------------------------------------------

/// `n` characters drawn uniformly from `alphabet` with the OS CSPRNG.
fn random_string(n: usize, alphabet: &[u8]) -> Result<String> {
    let limit = 256 - 256 % alphabet.len();
    let mut out = String::with_capacity(n);
    let mut buffer = [0u8; 128];
    while out.len() < n {
        getrandom::fill(&mut buffer)
            .map_err(|e| Error::Protocol(format!("the system random generator failed: {e}")))?;
        for &byte in buffer.iter().filter(|&&b| usize::from(b) < limit) {
            if out.len() == n {
                break;
            }
            out.push(char::from(alphabet[usize::from(byte) % alphabet.len()]));
        }
    }
    Ok(out)
}

/// The `bad-verifier-chars` verifier: 64 characters of standard base64, with `+` and `/`.
fn standard_base64_verifier() -> Result<String> {
    let mut bytes = [0u8; 48];
    getrandom::fill(&mut bytes)
        .map_err(|e| Error::Protocol(format!("the system random generator failed: {e}")))?;
    let encoded = STANDARD.encode(bytes);
    let mut chars: Vec<char> = encoded.chars().collect();
    if !chars.contains(&'+') {
        chars[0] = '+';
    }
    if !chars.contains(&'/') {
        chars[1] = '/';
    }
    Ok(chars.into_iter().collect())
}

fn s256(verifier: &str) -> String {
    URL_SAFE_NO_PAD.encode(Sha256::digest(verifier.as_bytes()))
}

/// `application/x-www-form-urlencoded` escaping of one value (RFC 6749 §2.3.1 for Basic).
fn form_escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for byte in text.bytes() {
        if byte.is_ascii_alphanumeric() || b"-._~".contains(&byte) {
            out.push(char::from(byte));
        } else {
            out.push_str(&format!("%{byte:02X}"));
        }
    }
    out
}

fn basic(client_id: &str, secret: &str) -> String {
    let pair = format!("{}:{}", form_escape(client_id), form_escape(secret));
    format!("Basic {}", STANDARD.encode(pair))
}

/// Single-quotes `text` for `sh`.
fn shell_quote(text: &str) -> String {
    format!("'{}'", text.replace('\'', r"'\''"))
}

fn is_gzip(headers: &HeaderMap) -> bool {
    headers
        .get(CONTENT_ENCODING)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.trim().eq_ignore_ascii_case("gzip"))
}

fn gunzip(raw: &[u8], url: &str) -> Result<Vec<u8>> {
    let mut out = Vec::new();
    flate2::read::GzDecoder::new(raw)
        .read_to_end(&mut out)
        .map_err(|e| Error::Protocol(format!("cannot gunzip the body of {url}: {e}")))?;
    Ok(out)
}

/// `Retry-After` in seconds (delta-seconds form; an HTTP date counts as 1 s).
fn retry_after(headers: &HeaderMap) -> Option<Duration> {
    let value = headers.get(RETRY_AFTER)?.to_str().ok()?.trim();
    let seconds = value.parse::<u64>().unwrap_or(1).min(MAX_RETRY_AFTER);
    // A little over N seconds, so "at least N" holds on any clock.
    Some(Duration::from_secs(seconds) + Duration::from_millis(20))
}

fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(PoisonError::into_inner)
}

fn str_field(value: &Value, name: &str) -> Option<String> {
    value.get(name).and_then(Value::as_str).map(str::to_owned)
}

// ---------------------------------------------------------------------------------------
// Token endpoint
// ---------------------------------------------------------------------------------------

/// What the token endpoint answered.
enum TokenReply {
    Issued(Value),
    Refused {
        status: StatusCode,
        error: Option<String>,
        description: Option<String>,
    },
}

impl TokenReply {
    fn refusal(&self) -> String {
        match self {
            TokenReply::Issued(_) => "issued".into(),
            TokenReply::Refused {
                status,
                error,
                description,
            } => format!(
                "{status} {} {}",
                error.as_deref().unwrap_or("-"),
                description.as_deref().unwrap_or("")
            )
            .trim_end()
            .to_owned(),
        }
    }
}

/// POSTs a form to the token endpoint with the client's authentication.
async fn token_request(
    http: &reqwest::Client,
    config: &Config,
    flaws: Flaws,
    form: Vec<(&'static str, String)>,
) -> Result<TokenReply> {
    token_request_at(http, config, flaws, form, "o/token/").await
}

/// A token request to `path` (below the API version).
async fn token_request_at(
    http: &reqwest::Client,
    config: &Config,
    flaws: Flaws,
    mut form: Vec<(&'static str, String)>,
    path: &str,
) -> Result<TokenReply> {
    let mut request = http
        .post(config.url(path))
        .header(ACCEPT, "application/json");
    if config.confidential() {
        request = request.header(
            AUTHORIZATION,
            basic(&config.client_id, &config.client_secret),
        );
        if flaws.has(Flaw::BasicAndBody) {
            form.push(("client_secret", config.client_secret.clone()));
        }
    } else if flaws.has(Flaw::PublicSendsSecret) {
        request = request.header(AUTHORIZATION, basic(&config.client_id, ""));
    } else {
        form.push(("client_id", config.client_id.clone()));
    }
    let response = request.form(&form).send().await?;
    let status = response.status();
    let gzip = is_gzip(response.headers());
    let raw = response.bytes().await?;
    let body = if gzip {
        gunzip(&raw, "the token endpoint")?
    } else {
        raw.to_vec()
    };
    let json: Option<Value> = serde_json::from_slice(&body).ok();
    if status.is_success() {
        return match json {
            Some(value) if value.get("access_token").is_some_and(Value::is_string) => {
                Ok(TokenReply::Issued(value))
            }
            _ => protocol(format!(
                "the token endpoint answered {status} without an access_token"
            )),
        };
    }
    Ok(TokenReply::Refused {
        status,
        error: json.as_ref().and_then(|v| str_field(v, "error")),
        description: json
            .as_ref()
            .and_then(|v| str_field(v, "error_description").or_else(|| str_field(v, "detail"))),
    })
}

fn code_form(
    code: &str,
    redirect_uri: &str,
    verifier: Option<&str>,
) -> Vec<(&'static str, String)> {
    let mut form = vec![
        ("grant_type", "authorization_code".to_owned()),
        ("code", code.to_owned()),
        ("redirect_uri", redirect_uri.to_owned()),
    ];
    if let Some(verifier) = verifier {
        form.push(("code_verifier", verifier.to_owned()));
    }
    form
}

// ---------------------------------------------------------------------------------------
// Callback server
// ---------------------------------------------------------------------------------------

/// The authorization flow the callback server is waiting for.
struct Flow {
    id: u64,
    state: Option<String>,
    check_state: bool,
    done: bool,
    verifier: Option<String>,
    redirect_uri: String,
}

/// What the callback server and the browser tell the main task.
enum Event {
    Code { flow: u64, code: String },
    Denied { flow: u64 },
    Refused { flow: u64, message: String },
    BrowserExited { flow: u64, ok: bool, status: String },
}

/// State shared by the callback server and the main task.
struct Shared {
    path: String,
    flow: Mutex<Option<Flow>>,
    events: mpsc::UnboundedSender<Event>,
    /// Only for `redeem-twice`: what a replayed callback's redemption needs.
    replay: Option<(reqwest::Client, Arc<Config>, Flaws)>,
    /// Callback connections still being served (the client waits for them before exiting,
    /// so the browser always gets its answer).
    in_flight: AtomicUsize,
    /// Whether the flow's own code exchange has completed (`redeem-twice` redeems the
    /// replayed callback's code only after it, so the flaw shows as a second redemption).
    redeemed: AtomicBool,
}

impl Shared {
    /// Waits (a bounded time) until every callback connection has been answered.
    async fn drain(&self) {
        let deadline = Instant::now() + Duration::from_secs(2);
        while self.in_flight.load(Ordering::SeqCst) > 0 && Instant::now() < deadline {
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
    }
}

enum Action {
    Reply(StatusCode, &'static str),
    RedeemAgain {
        code: String,
        verifier: Option<String>,
        redirect_uri: String,
    },
}

fn page(status: StatusCode, text: &str) -> hyper::Response<Full<Bytes>> {
    let mut response = hyper::Response::new(Full::new(Bytes::from(format!(
        "<!doctype html><title>bbh reference client</title><p>{text}</p>\n"
    ))));
    *response.status_mut() = status;
    let headers = response.headers_mut();
    headers.insert(
        CONTENT_TYPE,
        hyper::header::HeaderValue::from_static("text/html; charset=utf-8"),
    );
    // One request per connection: a finished connection means a delivered answer.
    headers.insert(
        hyper::header::CONNECTION,
        hyper::header::HeaderValue::from_static("close"),
    );
    response
}

fn decide(shared: &Shared, params: &[(String, String)]) -> Action {
    let get = |name: &str| {
        params
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    };
    let mut guard = lock(&shared.flow);
    let Some(flow) = guard.as_mut() else {
        return Action::Reply(StatusCode::BAD_REQUEST, "No authorization is in progress.");
    };
    if flow.done {
        if shared.replay.is_some()
            && let Some(code) = get("code")
        {
            return Action::RedeemAgain {
                code: code.to_owned(),
                verifier: flow.verifier.clone(),
                redirect_uri: flow.redirect_uri.clone(),
            };
        }
        return Action::Reply(
            StatusCode::BAD_REQUEST,
            "This authorization was already completed.",
        );
    }
    let id = flow.id;
    if flow.check_state && get("state") != flow.state.as_deref() {
        flow.done = true;
        let _ = shared.events.send(Event::Refused {
            flow: id,
            message: "the callback's state does not match the state sent; not redeeming its code"
                .into(),
        });
        return Action::Reply(StatusCode::BAD_REQUEST, "State mismatch.");
    }
    if let Some(error) = get("error") {
        flow.done = true;
        if error == "access_denied" {
            let _ = shared.events.send(Event::Denied { flow: id });
            return Action::Reply(
                StatusCode::OK,
                "Access was denied. You can close this window.",
            );
        }
        let message = format!(
            "the authorization failed: {error} {}",
            get("error_description").unwrap_or("")
        );
        let _ = shared.events.send(Event::Refused {
            flow: id,
            message: message.trim_end().to_owned(),
        });
        return Action::Reply(StatusCode::OK, "The authorization failed.");
    }
    let Some(code) = get("code").filter(|c| !c.is_empty()) else {
        return Action::Reply(StatusCode::BAD_REQUEST, "The callback carries no code.");
    };
    flow.done = true;
    let _ = shared.events.send(Event::Code {
        flow: id,
        code: code.to_owned(),
    });
    Action::Reply(StatusCode::OK, "Authorized. You can close this window.")
}

async fn handle(
    shared: Arc<Shared>,
    request: hyper::Request<Incoming>,
) -> Result<hyper::Response<Full<Bytes>>, Infallible> {
    if request.uri().path() != shared.path {
        return Ok(page(StatusCode::NOT_FOUND, "Not found."));
    }
    let query = request.uri().query().unwrap_or("");
    let params: Vec<(String, String)> = Url::parse(&format!("http://callback/?{query}"))
        .map(|url| url.query_pairs().into_owned().collect())
        .unwrap_or_default();
    match decide(&shared, &params) {
        Action::Reply(status, text) => Ok(page(status, text)),
        Action::RedeemAgain {
            code,
            verifier,
            redirect_uri,
        } => {
            let Some((http, config, flaws)) = &shared.replay else {
                return Ok(page(StatusCode::BAD_REQUEST, "Already completed."));
            };
            let deadline = Instant::now() + Duration::from_secs(5);
            while !shared.redeemed.load(Ordering::SeqCst) && Instant::now() < deadline {
                tokio::time::sleep(Duration::from_millis(10)).await;
            }
            let form = code_form(&code, &redirect_uri, verifier.as_deref());
            match token_request(http, config, *flaws, form).await {
                Ok(reply) => eprintln!("replayed callback redeemed again: {}", reply.refusal()),
                Err(error) => eprintln!("replayed callback redeemed again: {error}"),
            }
            Ok(page(StatusCode::OK, "Redeemed again."))
        }
    }
}

async fn serve_callbacks(listener: TcpListener, shared: Arc<Shared>) {
    loop {
        let Ok((stream, _)) = listener.accept().await else {
            continue;
        };
        let shared = Arc::clone(&shared);
        shared.in_flight.fetch_add(1, Ordering::SeqCst);
        tokio::spawn(async move {
            let for_service = Arc::clone(&shared);
            let service = hyper::service::service_fn(move |request| {
                handle(Arc::clone(&for_service), request)
            });
            let _ = hyper::server::conn::http1::Builder::new()
                .serve_connection(TokioIo::new(stream), service)
                .await;
            shared.in_flight.fetch_sub(1, Ordering::SeqCst);
        });
    }
}

// ---------------------------------------------------------------------------------------
// The client
// ---------------------------------------------------------------------------------------

/// One response of an API read.
struct Fetched {
    status: StatusCode,
    body: Option<Value>,
}

/// How one API read is sent.
#[derive(Clone, Copy)]
struct ReadOptions {
    accept: &'static str,
    token_in_query: bool,
}

const NORMAL: ReadOptions = ReadOptions {
    accept: FHIR_JSON,
    token_in_query: false,
};

struct Client {
    config: Arc<Config>,
    http: reqwest::Client,
    flaws: Flaws,
    shared: Arc<Shared>,
    events: mpsc::UnboundedReceiver<Event>,
    redirect_uri: String,
    flows: u64,
    /// `reused-pkce`: the run's one verifier.
    reused: Option<String>,
    access_token: String,
    refresh_token: Option<String>,
    /// `reuse-refresh`: the grant's first refresh token.
    first_refresh_token: Option<String>,
    /// `reuse-refresh`: whether the replaced first refresh token was sent again already.
    reused_first_refresh: bool,
    /// `stale-access-token`: the access token replaced by the last refresh, used once.
    stale_access_token: Option<String>,
    patient: Option<String>,
    reauthorized: bool,
    notes: Vec<String>,
}

impl Client {
    /// Records a note for the output (without the origin, so outputs compare across runs).
    fn note(&mut self, note: String) {
        let note = note.replace(&self.config.base, "");
        eprintln!("note: {note}");
        self.notes.push(note);
    }

    /// One authorization flow, up to tokens. `Ok(false)`: the beneficiary denied access.
    async fn authorize(&mut self) -> Result<bool> {
        self.flows += 1;
        let flow = self.flows;
        let verifier = if self.flaws.has(Flaw::ReusedPkce) {
            match &self.reused {
                Some(verifier) => verifier.clone(),
                None => {
                    let verifier = random_string(64, UNRESERVED)?;
                    self.reused = Some(verifier.clone());
                    verifier
                }
            }
        } else if self.flaws.has(Flaw::BadVerifierChars) {
            standard_base64_verifier()?
        } else {
            random_string(64, UNRESERVED)?
        };
        let state_length = if self.flaws.has(Flaw::ShortState) {
            8
        } else {
            32
        };
        let state = random_string(state_length, URL_SAFE)?;
        let verifier = (!self.flaws.has(Flaw::NoPkce)).then_some(verifier);
        let state = (!self.flaws.has(Flaw::NoState)).then_some(state);

        let mut url = Url::parse(&self.config.url("o/authorize/"))
            .map_err(|e| Error::Config(format!("BB_BASE_URL is not a valid URL: {e}")))?;
        {
            let mut query = url.query_pairs_mut();
            query
                .append_pair("response_type", "code")
                .append_pair("client_id", &self.config.client_id)
                .append_pair("redirect_uri", &self.redirect_uri);
            if let Some(state) = &state {
                query.append_pair("state", state);
            }
            if let Some(verifier) = &verifier {
                query
                    .append_pair("code_challenge", &s256(verifier))
                    .append_pair("code_challenge_method", "S256");
            }
        }
        *lock(&self.shared.flow) = Some(Flow {
            id: flow,
            check_state: state.is_some() && !self.flaws.has(Flaw::IgnoreState),
            state,
            done: false,
            verifier: verifier.clone(),
            redirect_uri: self.redirect_uri.clone(),
        });
        self.open_browser(url.as_str(), flow)?;

        let code = match self.wait_for_callback(flow).await? {
            Event::Code { code, .. } => code,
            Event::Denied { .. } => {
                if self.flaws.has(Flaw::CrashOnDenied) {
                    std::process::exit(101);
                }
                return Ok(false);
            }
            Event::Refused { message, .. } => return protocol(message),
            Event::BrowserExited { status, .. } => {
                return protocol(format!("the browser command failed ({status})"));
            }
        };
        let mut reply = if self.flaws.has(Flaw::RedirectMismatch) {
            let wrong = format!("{}?x=1", self.redirect_uri);
            let form = code_form(&code, &wrong, verifier.as_deref());
            token_request(&self.http, &self.config, self.flaws, form).await?
        } else if self.flaws.has(Flaw::TokenQuery) {
            let form = code_form(&code, &self.redirect_uri, verifier.as_deref());
            let path = "o/token/?grant_type=authorization_code";
            token_request_at(&self.http, &self.config, self.flaws, form, path).await?
        } else {
            TokenReply::Refused {
                status: StatusCode::BAD_REQUEST,
                error: None,
                description: None,
            }
        };
        if !matches!(reply, TokenReply::Issued(_)) {
            let form = code_form(&code, &self.redirect_uri, verifier.as_deref());
            reply = token_request(&self.http, &self.config, self.flaws, form).await?;
        }
        let TokenReply::Issued(tokens) = reply else {
            return protocol(format!(
                "the token endpoint refused the code: {}",
                reply.refusal()
            ));
        };
        self.store_tokens(&tokens)?;
        self.first_refresh_token = self.refresh_token.clone();
        self.shared.redeemed.store(true, Ordering::SeqCst);
        if let Some(patient) = str_field(&tokens, "patient") {
            self.patient = Some(patient);
        }
        Ok(true)
    }

    fn store_tokens(&mut self, tokens: &Value) -> Result<()> {
        let Some(access) = str_field(tokens, "access_token") else {
            return protocol("the token response has no access_token");
        };
        let previous = std::mem::replace(&mut self.access_token, access);
        if self.flaws.has(Flaw::StaleAccessToken) && !previous.is_empty() {
            self.stale_access_token = Some(previous);
        }
        if let Some(refresh) = str_field(tokens, "refresh_token") {
            self.refresh_token = Some(refresh);
        }
        Ok(())
    }

    fn open_browser(&self, url: &str, flow: u64) -> Result<()> {
        let Some(browser) = &self.config.browser else {
            eprintln!("BROWSER is not set; open this URL to authorize: {url}");
            return Ok(());
        };
        let quoted = shell_quote(url);
        let command = if browser.contains("%s") {
            browser.replace("%s", &quoted)
        } else {
            format!("{browser} {quoted}")
        };
        // The browser's stdout goes to our stderr: stdout may carry the output JSON.
        let stdout = Stdio::from(std::io::stderr().as_fd().try_clone_to_owned()?);
        let mut child = Command::new("sh")
            .arg("-c")
            .arg(&command)
            .stdin(Stdio::null())
            .stdout(stdout)
            .spawn()?;
        let events = self.shared.events.clone();
        std::thread::spawn(move || {
            let (ok, status) = match child.wait() {
                Ok(status) => (status.success(), status.to_string()),
                Err(error) => (false, error.to_string()),
            };
            let _ = events.send(Event::BrowserExited { flow, ok, status });
        });
        Ok(())
    }

    async fn wait_for_callback(&mut self, flow: u64) -> Result<Event> {
        let mut deadline = Instant::now() + CALLBACK_TIMEOUT;
        let mut browser_failed = None;
        loop {
            let event = match tokio::time::timeout_at(deadline, self.events.recv()).await {
                Err(_) => {
                    return protocol(match browser_failed {
                        Some(status) => {
                            format!("the browser command failed ({status}) and no callback arrived")
                        }
                        None => format!(
                            "no callback arrived within {} s",
                            CALLBACK_TIMEOUT.as_secs()
                        ),
                    });
                }
                Ok(None) => return protocol("the callback server stopped"),
                Ok(Some(event)) => event,
            };
            match event {
                Event::BrowserExited {
                    flow: f,
                    ok: false,
                    status,
                } if f == flow => {
                    eprintln!("note: the browser command failed ({status}); waiting briefly");
                    deadline = deadline.min(Instant::now() + AFTER_BROWSER_FAILED);
                    browser_failed = Some(status);
                }
                Event::Code { flow: f, .. }
                | Event::Denied { flow: f }
                | Event::Refused { flow: f, .. }
                    if f == flow =>
                {
                    return Ok(event);
                }
                _ => {}
            }
        }
    }

    /// Refreshes the tokens; after `invalid_grant`, authorizes once more.
    async fn refresh(&mut self) -> Result<()> {
        let mut loops = 0;
        loop {
            let reuse_first = self.flaws.has(Flaw::ReuseRefresh)
                && !self.reused_first_refresh
                && self.refresh_token != self.first_refresh_token;
            let token = if reuse_first {
                self.reused_first_refresh = true;
                self.first_refresh_token.clone()
            } else {
                self.refresh_token.clone()
            };
            let Some(token) = token else {
                return protocol("the access token expired and there is no refresh token");
            };
            let form = vec![
                ("grant_type", "refresh_token".to_owned()),
                ("refresh_token", token),
            ];
            let reply = token_request(&self.http, &self.config, self.flaws, form).await?;
            let refusal = match &reply {
                TokenReply::Issued(tokens) => return self.store_tokens(tokens),
                TokenReply::Refused { error, .. } => error.clone(),
            };
            if refusal.as_deref() != Some("invalid_grant") {
                return protocol(format!("the refresh failed: {}", reply.refusal()));
            }
            if self.flaws.has(Flaw::RefreshLoop) {
                loops += 1;
                if loops <= 3 {
                    continue;
                }
                return protocol("the refresh token was refused (invalid_grant)");
            }
            if self.reauthorized {
                return protocol("the refresh token was refused again after re-authorizing");
            }
            self.reauthorized = true;
            self.note("the refresh token was refused (invalid_grant); authorizing again".into());
            self.refresh_token = None;
            if !self.authorize().await? {
                return protocol("access was denied on re-authorization");
            }
            return Ok(());
        }
    }

    async fn send(
        &self,
        url: &str,
        token: &str,
        options: ReadOptions,
    ) -> Result<reqwest::Response> {
        let mut request = if options.token_in_query {
            let mut url =
                Url::parse(url).map_err(|e| Error::Protocol(format!("bad URL `{url}`: {e}")))?;
            url.query_pairs_mut().append_pair("access_token", token);
            self.http.get(url)
        } else {
            self.http
                .get(url)
                .header(AUTHORIZATION, format!("Bearer {token}"))
        };
        request = request.header(ACCEPT, options.accept);
        if !self.flaws.has(Flaw::NoGzip) {
            request = request.header(ACCEPT_ENCODING, "gzip");
        }
        Ok(request.send().await?)
    }

    /// One API read with refresh on 401 and bounded retries on 429/5xx.
    async fn read(&mut self, url: &str, options: ReadOptions) -> Result<Fetched> {
        let mut retries = 0;
        let mut refreshed = false;
        let mut same_token_retries = 0;
        loop {
            let stale = self.stale_access_token.take();
            let used_stale = stale.is_some();
            let token = stale.unwrap_or_else(|| self.access_token.clone());
            let response = self.send(url, &token, options).await?;
            let status = response.status();
            if status == StatusCode::UNAUTHORIZED {
                if used_stale {
                    continue;
                }
                if self.flaws.has(Flaw::NoRefresh) {
                    if same_token_retries < 1 {
                        same_token_retries += 1;
                        continue;
                    }
                    self.note("the access token expired; authorizing again".into());
                    if !self.authorize().await? {
                        return protocol("access was denied on re-authorization");
                    }
                    same_token_retries = 0;
                    continue;
                }
                if refreshed {
                    return Ok(Fetched { status, body: None });
                }
                self.refresh().await?;
                refreshed = true;
                continue;
            }
            let throttled = matches!(
                status,
                StatusCode::TOO_MANY_REQUESTS | StatusCode::SERVICE_UNAVAILABLE
            );
            if throttled || status.is_server_error() {
                let limit = if self.flaws.has(Flaw::RetryForever) && status.is_server_error() {
                    30
                } else {
                    MAX_RETRIES
                };
                if retries >= limit {
                    self.note(format!(
                        "{url}: still {status} after {retries} retries; giving up"
                    ));
                    return Ok(Fetched { status, body: None });
                }
                retries += 1;
                let wait = retry_after(response.headers());
                let delay = if self.flaws.has(Flaw::NoRetryWait) && throttled {
                    Duration::ZERO
                } else if self.flaws.has(Flaw::RetryForever) && wait.is_none() {
                    Duration::from_millis(50)
                } else {
                    wait.unwrap_or(BACKOFF)
                };
                tokio::time::sleep(delay).await;
                continue;
            }
            let gzip = is_gzip(response.headers())
                || (self.flaws.has(Flaw::AlwaysGunzip) && url.contains("/fhir/"));
            let raw = response.bytes().await?;
            let bytes = if gzip {
                gunzip(&raw, url)?
            } else {
                raw.to_vec()
            };
            let body = if status.is_success() {
                match serde_json::from_slice(&bytes) {
                    Ok(value) => Some(value),
                    Err(error) => return protocol(format!("{url} answered invalid JSON: {error}")),
                }
            } else {
                None
            };
            return Ok(Fetched { status, body });
        }
    }

    /// Every page of a search, following `link[relation=next]`.
    async fn search(&mut self, resource: &str, first: String) -> Result<Vec<String>> {
        let mut ids = Vec::new();
        let mut seen = HashSet::new();
        let mut url = first;
        let mut start = 0u64;
        loop {
            if !seen.insert(url.clone()) {
                self.note(format!("{resource}: the next link repeats {url}; stopping"));
                break;
            }
            let fetched = self.read(&url, NORMAL).await?;
            let Some(bundle) = fetched.body.filter(|_| fetched.status.is_success()) else {
                self.note(format!("{resource}: {url} answered {}", fetched.status));
                break;
            };
            let entries = bundle
                .get("entry")
                .and_then(Value::as_array)
                .map(Vec::as_slice)
                .unwrap_or_default();
            ids.extend(entries.iter().filter_map(|entry| {
                entry
                    .get("resource")
                    .and_then(|r| r.get("id"))
                    .and_then(Value::as_str)
                    .map(str::to_owned)
            }));
            start += entries.len() as u64;
            if self.flaws.has(Flaw::FirstPageOnly) {
                break;
            }
            if self.flaws.has(Flaw::BuildPageLinks) {
                let total = bundle.get("total").and_then(Value::as_u64).unwrap_or(0);
                if entries.is_empty() || start >= total {
                    break;
                }
                url = self
                    .config
                    .url(&format!("fhir/{resource}/?startIndex={start}&_count=10"));
                continue;
            }
            let next = bundle
                .get("link")
                .and_then(Value::as_array)
                .and_then(|links| {
                    links
                        .iter()
                        .find(|l| l.get("relation").and_then(Value::as_str) == Some("next"))
                })
                .and_then(|l| str_field(l, "url"));
            match next {
                Some(next) => url = next,
                None => break,
            }
        }
        Ok(ids)
    }

    async fn read_everything(&mut self) -> Result<Value> {
        // Coverage
        let mut coverage_url = self.config.url("fhir/Coverage/");
        if self.flaws.has(Flaw::UnknownSearchParam) {
            coverage_url.push_str("?_sort=status");
        }
        let coverage_ids = self.search("Coverage", coverage_url).await?;

        // userinfo
        let mut userinfo_url = self.config.url("connect/userinfo");
        if self.flaws.has(Flaw::SecretInUrl) {
            userinfo_url.push_str(&format!(
                "?client_secret={}",
                form_escape(&self.config.client_secret)
            ));
        }
        let mut userinfo = if self.flaws.has(Flaw::TokenInQuery) {
            let options = ReadOptions {
                token_in_query: true,
                ..NORMAL
            };
            Some(self.read(&userinfo_url, options).await?)
        } else {
            None
        };
        if userinfo.as_ref().is_none_or(|f| !f.status.is_success()) {
            userinfo = Some(self.read(&userinfo_url, NORMAL).await?);
        }
        let userinfo_status = userinfo.map_or(StatusCode::OK, |f| f.status);
        if userinfo_status == StatusCode::FORBIDDEN {
            if self.flaws.has(Flaw::CrashOnUserinfo403) {
                return protocol("userinfo answered 403");
            }
            self.note("userinfo: 403 (demographics not shared)".into());
        } else if !userinfo_status.is_success() {
            self.note(format!("userinfo: {userinfo_status}"));
        }

        // ExplanationOfBenefit
        let eob_url = self.config.url("fhir/ExplanationOfBenefit/");
        if self.flaws.has(Flaw::WrongType) {
            let typed = format!("{eob_url}?type=CARRIER");
            let fetched = self.read(&typed, NORMAL).await?;
            self.note(format!("{typed}: {}", fetched.status));
        }
        let eob_ids = self.search("ExplanationOfBenefit", eob_url).await?;

        // Patient
        let mut patient_read = false;
        if let Some(patient) = self.patient.clone() {
            let url = self.config.url(&format!("fhir/Patient/{patient}"));
            let mut fetched = None;
            if self.flaws.has(Flaw::BadAccept) {
                let options = ReadOptions {
                    accept: "application/json+fhir",
                    ..NORMAL
                };
                fetched = Some(self.read(&url, options).await?);
            }
            if fetched
                .as_ref()
                .is_none_or(|f| f.status == StatusCode::NOT_ACCEPTABLE)
            {
                fetched = Some(self.read(&url, NORMAL).await?);
            }
            let status = fetched.map_or(StatusCode::OK, |f| f.status);
            patient_read = status.is_success();
            if status == StatusCode::FORBIDDEN {
                if self.flaws.has(Flaw::CrashOn403) {
                    return protocol("Patient answered 403");
                }
                self.note("Patient: 403 (demographics not shared)".into());
            } else if !patient_read {
                self.note(format!("Patient: {status}"));
            }
            if self.flaws.has(Flaw::OtherPatient) {
                let other = if patient == "-20140000000024" {
                    "-20140000008325"
                } else {
                    "-20140000000024"
                };
                let url = self.config.url(&format!("fhir/Patient/{other}"));
                let fetched = self.read(&url, NORMAL).await?;
                self.note(format!("other Patient: {}", fetched.status));
            }
        } else {
            self.note("the token response carried no patient id".into());
        }

        Ok(json!({
            "patient_id": self.patient,
            "coverage_ids": coverage_ids,
            "eob_ids": eob_ids,
            "patient_read": patient_read,
            "userinfo_read": userinfo_status.is_success(),
            "notes": self.notes,
        }))
    }
}

fn write_output(config: &Config, output: &Value) -> Result<()> {
    let mut text = serde_json::to_string_pretty(output)
        .map_err(|e| Error::Protocol(format!("cannot serialize the output: {e}")))?;
    text.push('\n');
    match &config.output {
        Some(path) => std::fs::write(path, text)?,
        None => {
            let mut stdout = std::io::stdout().lock();
            stdout.write_all(text.as_bytes())?;
            stdout.flush()?;
        }
    }
    Ok(())
}

async fn run() -> Result<()> {
    let Some(flaws) = parse_args()? else {
        return Ok(());
    };
    let config = Arc::new(Config::from_env()?);
    let http = reqwest::Client::builder()
        .no_proxy()
        .redirect(reqwest::redirect::Policy::none())
        .timeout(REQUEST_TIMEOUT)
        .build()?;

    // Bind first, so a browser that is quick to come back finds the listener.
    let listener = TcpListener::bind("127.0.0.1:0").await?;
    let port = listener.local_addr()?.port();
    let mut redirect = Url::parse(&config.redirect_uri)
        .map_err(|e| Error::Config(format!("BB_REDIRECT_URI is not a valid URL: {e}")))?;
    redirect
        .set_port(Some(port))
        .map_err(|()| Error::Config("BB_REDIRECT_URI cannot carry a port".into()))?;
    let (sender, events) = mpsc::unbounded_channel();
    let shared = Arc::new(Shared {
        path: redirect.path().to_owned(),
        flow: Mutex::new(None),
        events: sender,
        replay: flaws
            .has(Flaw::RedeemTwice)
            .then(|| (http.clone(), Arc::clone(&config), flaws)),
        in_flight: AtomicUsize::new(0),
        redeemed: AtomicBool::new(false),
    });
    tokio::spawn(serve_callbacks(listener, Arc::clone(&shared)));

    let mut client = Client {
        config: Arc::clone(&config),
        http,
        flaws,
        shared,
        events,
        redirect_uri: redirect.to_string(),
        flows: 0,
        reused: None,
        access_token: String::new(),
        refresh_token: None,
        first_refresh_token: None,
        reused_first_refresh: false,
        stale_access_token: None,
        patient: None,
        reauthorized: false,
        notes: Vec::new(),
    };
    let result = journey(&mut client).await;
    client.shared.drain().await;
    match result {
        Ok(output) => write_output(&config, &output),
        // Authorization failed (e.g. a callback whose state is not ours): nothing was read,
        // and the output says so before the client exits 1.
        Err(error) if client.patient.is_none() => {
            let nothing = json!({
                "patient_id": null,
                "coverage_ids": [],
                "eob_ids": [],
                "error": error.to_string(),
            });
            write_output(&config, &nothing)?;
            Err(error)
        }
        Err(error) => Err(error),
    }
}

/// Authorization, then every read; the output to write.
async fn journey(client: &mut Client) -> Result<Value> {
    if !client.authorize().await? {
        eprintln!("note: the beneficiary denied access");
        return Ok(json!({"patient_id": null, "coverage_ids": [], "eob_ids": []}));
    }
    client.read_everything().await
}

#[tokio::main]
async fn main() {
    let code = match run().await {
        Ok(()) => 0,
        Err(Error::Usage(message)) => {
            eprintln!("reference_client: {message}");
            2
        }
        Err(error) => {
            eprintln!("reference_client: {error}");
            1
        }
    };
    std::process::exit(code);
}
