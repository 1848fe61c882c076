//! The typed scenario: what a scenario file means once parsed, validated and merged over the
//! built-in defaults (DESIGN "Scenario files").

use crate::claim_type::ClaimCounts;

/// Which server behaviour a scenario asks for (DESIGN "Profiles").
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Profile {
    /// The published guide (the default).
    #[default]
    Documented,
    /// The 2026 server (behaviour file).
    Current,
}

impl Profile {
    /// The name used in scenario files and on the command line.
    pub fn name(self) -> &'static str {
        match self {
            Profile::Documented => "documented",
            Profile::Current => "current",
        }
    }

    /// Parses `documented` or `current`.
    pub fn from_name(name: &str) -> Option<Profile> {
        match name {
            "documented" => Some(Profile::Documented),
            "current" => Some(Profile::Current),
            _ => None,
        }
    }
}

/// A registered app's client type.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ClientType {
    /// Has a secret it can keep (server-side web apps).
    Confidential,
    /// Cannot keep a secret (native and browser apps): PKCE, no secret.
    Public,
}

/// A grant type an app is registered for (BB2's `authorization_grant_type`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum GrantType {
    /// `authorization-code`: the code flow (refresh comes with it).
    AuthorizationCode,
    /// `implicit`: the token in the redirect fragment (public apps only).
    Implicit,
}

/// How long an app keeps access to a beneficiary's data (BB2's `data_access_type`,
/// behaviour file §2.9).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum DataAccessType {
    /// "1 hour": access ends with the access token; refresh is refused.
    OneTime,
    /// The grant expires 13 months after the authorization (the default).
    #[default]
    ThirteenMonth,
    /// The grant never expires.
    ResearchStudy,
}

impl DataAccessType {
    /// The name used in scenario files (`ONE_TIME`, `THIRTEEN_MONTH`, `RESEARCH_STUDY`).
    pub fn name(self) -> &'static str {
        match self {
            DataAccessType::OneTime => "ONE_TIME",
            DataAccessType::ThirteenMonth => "THIRTEEN_MONTH",
            DataAccessType::ResearchStudy => "RESEARCH_STUDY",
        }
    }

    /// Parses a scenario-file name.
    pub fn from_name(name: &str) -> Option<DataAccessType> {
        [
            DataAccessType::OneTime,
            DataAccessType::ThirteenMonth,
            DataAccessType::ResearchStudy,
        ]
        .into_iter()
        .find(|t| t.name() == name)
    }
}

/// Which BB2 environment a scenario stands for: it decides which redirect URIs an app may
/// register (plain `http` only in the sandbox, loopback excepted).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Environment {
    /// `sandbox.bluebutton.cms.gov` (the default).
    #[default]
    Sandbox,
    /// `api.bluebutton.cms.gov`.
    Production,
}

impl Environment {
    /// The name used in scenario files.
    pub fn name(self) -> &'static str {
        match self {
            Environment::Sandbox => "sandbox",
            Environment::Production => "production",
        }
    }

    /// Parses `sandbox` or `production`.
    pub fn from_name(name: &str) -> Option<Environment> {
        match name {
            "sandbox" => Some(Environment::Sandbox),
            "production" => Some(Environment::Production),
            _ => None,
        }
    }
}

/// An app registered with the fake server.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct App {
    /// Display name (shown in inactive-app errors and on consent pages).
    pub name: String,
    /// 40 alphanumeric characters.
    pub client_id: String,
    /// The secret of a confidential app; `None` for public apps.
    pub client_secret: Option<String>,
    /// Confidential or public.
    pub client_type: ClientType,
    /// What the app may use; never empty.
    pub grant_types: Vec<GrantType>,
    /// Registered redirect URIs, in order (the first is the default); never empty.
    pub redirect_uris: Vec<String>,
    /// The scopes the app may be granted; every one is a supported scope.
    pub scopes: Vec<String>,
    /// Whether the beneficiary is asked to share demographics (default true); when false,
    /// Patient scopes and `profile` are never granted.
    pub require_demographic_scopes: bool,
    /// How long its access to a beneficiary's data lasts.
    pub data_access_type: DataAccessType,
    /// Whether the app is active (an inactive app is refused everywhere).
    pub active: bool,
}

/// A beneficiary a scenario defines (scenario beneficiaries win over generated sandbox logins).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BeneficiarySpec {
    /// Login name, e.g. `BBUser29999`.
    pub username: String,
    /// Login password, e.g. `PW29999!`.
    pub password: String,
    /// FHIR patient id (BFD `bene_id`), e.g. `-20140000008325`.
    pub patient_id: String,
    /// Full name, given names first, family name last (`Jane X Doe`); `None` generates one.
    pub name: Option<String>,
    /// Exact claim counts per type; `None` generates a deterministic mix from the seed.
    pub claims: Option<ClaimCounts>,
}

/// How the automated login behaves at `/authorize` (a map: merged key by key).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Login {
    /// The beneficiary who logs in unless `login_hint` names another.
    pub username: String,
    /// Whether the beneficiary shares demographics (Patient scopes and `profile`).
    pub share_demographics: bool,
    /// Whether the beneficiary approves (false → `error=access_denied`).
    pub approve: bool,
    /// A probe of the client at the authorize step.
    pub probe: Option<Probe>,
}

/// A probe of the client at the authorize step (DESIGN "Probes").
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Probe {
    /// The success redirect carries a different `state` than the client sent.
    TamperedState,
    /// The success redirect is delivered to the client twice.
    ReplayCallback,
}

/// Token and code lifetimes (a map: merged key by key).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Tokens {
    /// Access-token lifetime in seconds; `None` uses the profile's (36000 in `documented`).
    pub access_ttl: Option<u64>,
    /// Authorization-code lifetime in seconds (default 60).
    pub code_ttl: u64,
    /// An access token answers as expired after this many authenticated calls.
    pub expire_after_calls: Option<u64>,
}

/// What a conformance run of the scenario expects (`expect:`).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Expect {
    /// Checks that must apply, with their expected outcome.
    pub checks: Vec<ExpectedCheck>,
    /// A JSON Schema the client's output must satisfy (resolved path).
    pub output_schema: Option<std::path::PathBuf>,
    /// Whether the client's output and the transcript are compared with snapshots.
    pub snapshot: bool,
}

/// One entry of `expect.checks`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ExpectedCheck {
    /// The check id.
    pub id: String,
    /// Its expected outcome.
    pub outcome: ExpectedOutcome,
    /// Where it is written (1-based).
    pub line: usize,
    /// Where it is written (1-based).
    pub column: usize,
}

/// The expected outcome of a check.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ExpectedOutcome {
    /// It passes.
    Pass,
    /// It fails (a known failure).
    Fail,
}

/// A canned answer given before the built-in API (`stubs:`).
#[derive(Debug, Clone, PartialEq)]
pub struct Stub {
    /// Which requests it answers.
    pub when: StubWhen,
    /// What it answers.
    pub then: StubThen,
}

/// The requests a stub answers; every condition given must hold.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct StubWhen {
    /// The method; any method when `None`.
    pub method: Option<http::Method>,
    /// The path as sent (starts with `/`), or a pattern: `*` matches within one segment,
    /// `**` across segments. It also matches with one trailing slash added or removed.
    pub path: String,
    /// Query parameters (decoded), in file order.
    pub query: Vec<(String, ValueMatch)>,
    /// Request headers (names in lower case), in file order.
    pub headers: Vec<(http::HeaderName, ValueMatch)>,
    /// Fields of an `application/x-www-form-urlencoded` body, in file order.
    pub form: Vec<(String, ValueMatch)>,
    /// Conditions on the request's session (a grant and its refreshed tokens).
    pub session: Option<SessionMatch>,
    /// Answer only the nth matching request (from 1); every one when `None`.
    pub nth: Option<u64>,
}

/// How one query parameter, header or form field must look.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ValueMatch {
    /// Present with a value matching this pattern (`*` matches any run of characters;
    /// `{{...}}` templates are rendered first, the text they bring literal).
    Matches(String),
    /// Absent (`null` in the file).
    Absent,
}

/// Conditions on the session a request belongs to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SessionMatch {
    /// The session is the nth opened on this server (from 1).
    pub nth: Option<u64>,
    /// Each named state machine is in this state for the session.
    pub state: Vec<(String, String)>,
}

/// What a stub answers.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct StubThen {
    /// The status (200 when `None`; with `passthrough`, the built-in answer's).
    pub status: Option<http::StatusCode>,
    /// Headers set on the answer, in file order (they replace headers of the same name).
    pub headers: Vec<(http::HeaderName, http::HeaderValue)>,
    /// The body: a string as written, a mapping or list as compact JSON.
    pub body: Option<bytes::Bytes>,
    /// The built-in answer is produced, changed as this says, with `status` and `headers`
    /// applied on top.
    pub passthrough: Option<Passthrough>,
    /// A fault instead of (or, with a rate, sometimes instead of) the answer.
    pub fault: Option<FaultSpec>,
    /// How long and how slowly the answer is sent.
    pub delay: Option<Delay>,
    /// Answers given in turn, one per matching request; the last repeats. Each step is
    /// complete: the other keys of `then` were merged into it as defaults.
    pub sequence: Vec<StubThen>,
}

/// Changes made to the built-in answer's JSON body (`passthrough: {set, remove}`).
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Passthrough {
    /// JSON Pointer (RFC 6901) → the value put there, in file order.
    pub set: Vec<(String, serde_json::Value)>,
    /// JSON Pointers removed, in file order.
    pub remove: Vec<String>,
}

/// A fault and how often it strikes.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct FaultSpec {
    /// What goes wrong.
    pub fault: Fault,
    /// The fraction of matching requests it strikes (0 < rate ≤ 1); every one when `None`.
    /// The others get the rest of the answer.
    pub rate: Option<f64>,
}

/// What goes wrong instead of a normal answer (`then.fault`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Fault {
    /// BB2's answer when its data source fails or times out (behaviour file §3.2).
    Backend(BackendFault),
    /// `too-many-requests`: BB2's 429 throttle answer with `Retry-After` in seconds.
    TooManyRequests {
        /// The `Retry-After` value in seconds.
        retry_after: u64,
    },
    /// `connection-reset`: the connection is reset (TCP RST) without an answer.
    ConnectionReset,
    /// `empty-response`: the connection is closed without a byte.
    EmptyResponse,
    /// `malformed-chunk`: a chunked answer whose chunk framing is broken, then close.
    MalformedChunk,
    /// `random-bytes`: random bytes that are not HTTP, then close.
    RandomBytes,
    /// `truncated-gzip`: `Content-Encoding: gzip` with a gzip body cut short.
    TruncatedGzip,
    /// `gzip-header-only`: `Content-Encoding: gzip` on a body that is not gzip.
    GzipHeaderOnly,
}

/// Latency before the answer and pacing of its body (`then.delay`).
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub struct Delay {
    /// Time before the status line is sent.
    pub latency: Option<Latency>,
    /// The body sent in chunks spread over a duration.
    pub dribble: Option<Dribble>,
}

/// Time before an answer.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Latency {
    /// Always this long.
    Fixed(std::time::Duration),
    /// Drawn from a log-normal distribution with this median and shape.
    LogNormal {
        /// The median delay.
        median: std::time::Duration,
        /// The standard deviation of the underlying normal distribution (> 0).
        sigma: f64,
    },
}

/// A body sent slowly: `chunks` pieces spread evenly over `over`.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Dribble {
    /// How many pieces (at least 1).
    pub chunks: u32,
    /// The time from the first piece to the last.
    pub over: std::time::Duration,
}

/// A named state machine kept per session (`states:`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StateMachine {
    /// Its name (the key under `states`).
    pub name: String,
    /// Every state it has, the initial one first.
    pub states: Vec<String>,
    /// Moves, tried in order after each request of a session is answered.
    pub transitions: Vec<Transition>,
}

/// A move of a state machine: a request of a session in `from` that matches `when` moves
/// that session to `to`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Transition {
    /// The state it leaves.
    pub from: String,
    /// The state it enters.
    pub to: String,
    /// The requests that trigger it (`session` and `nth` are not allowed here).
    pub when: StubWhen,
}

/// How BB2's data source (BFD) fails behind a stubbed request (`then.fault`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BackendFault {
    /// `backend-failure`: BFD answers 5xx (or BB2 cannot reach it).
    Failure,
    /// `backend-timeout`: BFD does not answer within BB2's 30 s timeout.
    Timeout,
}

impl BackendFault {
    /// The name used in scenario files.
    pub fn name(self) -> &'static str {
        match self {
            BackendFault::Failure => "backend-failure",
            BackendFault::Timeout => "backend-timeout",
        }
    }

    /// Parses `backend-failure` or `backend-timeout`.
    pub fn from_name(name: &str) -> Option<BackendFault> {
        [BackendFault::Failure, BackendFault::Timeout]
            .into_iter()
            .find(|fault| fault.name() == name)
    }
}

/// Where a scenario came from, for messages.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Source {
    /// A file given on the command line.
    File(std::path::PathBuf),
    /// A scenario embedded in the binary, by name.
    Builtin(&'static str),
}

impl std::fmt::Display for Source {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Source::File(path) => write!(f, "{}", path.display()),
            Source::Builtin(name) => write!(f, "<built-in {name}>"),
        }
    }
}

/// A complete, validated scenario, defaults applied.
#[derive(Debug, Clone, PartialEq)]
pub struct Scenario {
    /// Format version; always 1.
    pub version: u32,
    /// Unique kebab-case name (reports go to `DIR/<name>/`).
    pub name: String,
    /// What the scenario reproduces.
    pub description: String,
    /// Which behaviour profile it asks for.
    pub profile: Profile,
    /// Which BB2 environment it stands for.
    pub environment: Environment,
    /// Seed of every generated value (ids, names, claims).
    pub seed: u64,
    /// Where the virtual clock starts (`now:`); the wall clock when `None`.
    pub now: Option<jiff::Timestamp>,
    /// Registered apps; the first is the one the runner uses.
    pub apps: Vec<App>,
    /// Scenario-defined beneficiaries.
    pub beneficiaries: Vec<BeneficiarySpec>,
    /// The automated login.
    pub login: Login,
    /// Lifetimes.
    pub tokens: Tokens,
    /// What a conformance run expects.
    pub expect: Expect,
    /// Canned answers evaluated in order before the built-in API; the first match answers.
    pub stubs: Vec<Stub>,
    /// Whether a request that matches no stub and no built-in route is a failure.
    pub strict: bool,
    /// State machines kept per session.
    pub states: Vec<StateMachine>,
    /// The FHIR throttle per access token (`rate_limit: 10/minute`); BB2's default otherwise.
    pub rate_limit: Option<RateLimit>,
    /// Where it came from.
    pub source: Source,
}

/// A throttle rate in DRF's form `N/period` (`1/day`, `100/minute`): at most `requests`
/// requests per access token in any `period_secs` window.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RateLimit {
    /// Requests allowed per window (at least 1).
    pub requests: u64,
    /// The window in seconds: 1, 60, 3600 or 86400.
    pub period_secs: u64,
}

impl RateLimit {
    /// BB2's default `TOKEN_THROTTLE_RATE`, `100000/s` (behaviour file §3.3).
    pub const BB2_DEFAULT: RateLimit = RateLimit {
        requests: 100_000,
        period_secs: 1,
    };

    /// Parses DRF's rate form: a count, `/`, and a period whose first letter is `s`, `m`,
    /// `h` or `d` (`second`, `minute`, `hour`, `day` and their abbreviations).
    pub fn parse(text: &str) -> Result<RateLimit, String> {
        let expected = || {
            format!(
                "expected a rate such as `10/minute` (N/second|minute|hour|day), found `{text}`"
            )
        };
        let (count, period) = text.split_once('/').ok_or_else(expected)?;
        let requests: u64 = count.trim().parse().map_err(|_| expected())?;
        let period_secs = match period.trim().chars().next() {
            Some('s') => 1,
            Some('m') => 60,
            Some('h') => 3600,
            Some('d') => 86_400,
            _ => return Err(expected()),
        };
        if requests == 0 {
            return Err(format!("a rate allows at least 1 request, found `{text}`"));
        }
        Ok(RateLimit {
            requests,
            period_secs,
        })
    }
}
