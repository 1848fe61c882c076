//! STAND-IN for helper B's `startup.rs` (cold start, cold paging, peak RSS), so that
//! `bbh bench` compiles and runs before the merge: `spawn_serve` and `sign_in` work (the load
//! benchmark needs them); the three startup measurements only say they are not merged yet.
//! Helper B's file replaces this one whole, with the same signatures.

use super::BenchError;
use std::fmt;
use std::path::Path;
use std::process::Stdio;
use tokio::io::{AsyncBufReadExt, BufReader};

/// The default confidential app of the built-in scenarios.
const CLIENT_ID: &str = "swBu7LWsCnIRfu530qnfPw1y5vMmER3lAM2L6rq2";
/// Its secret.
const CLIENT_SECRET: &str = "bbh-sandbox-secret";
/// Its registered redirect URI.
const REDIRECT: &str = "http://localhost:8080/testclient/callback";
/// RFC 7636's example PKCE verifier.
const VERIFIER: &str = "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk";
/// `BASE64URL(SHA256(VERIFIER))`.
const CHALLENGE: &str = "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM";

/// A running `bbh serve`, killed when dropped.
pub(crate) struct Served {
    /// The process (kill on drop).
    pub(crate) child: tokio::process::Child,
    /// Where it listens, e.g. `http://127.0.0.1:40123`.
    pub(crate) origin: String,
    /// Its process id.
    pub(crate) pid: u32,
}

impl Served {
    /// Kills the process and waits for it to exit.
    pub(crate) async fn stop(mut self) -> Result<(), BenchError> {
        self.child.kill().await.map_err(|source| BenchError::Io {
            context: format!("stopping bbh serve (pid {})", self.pid),
            source,
        })
    }
}

/// What one OAuth journey gave.
pub(crate) struct Tokens {
    /// The bearer token.
    pub(crate) access_token: String,
    /// The refresh token.
    pub(crate) refresh_token: String,
    /// The patient id of the token.
    pub(crate) patient: String,
}

/// Starts `bbh serve --addr 127.0.0.1:0 ARGS…` (request log to a sink) and waits for its
/// ready line.
pub(crate) async fn spawn_serve(bbh: &Path, args: &[&str]) -> Result<Served, BenchError> {
    let mut child = tokio::process::Command::new(bbh)
        .args(["serve", "--addr", "127.0.0.1:0"])
        .args(args)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .kill_on_drop(true)
        .spawn()
        .map_err(|source| BenchError::Io {
            context: format!("cannot start {} serve", bbh.display()),
            source,
        })?;
    let pid = child
        .id()
        .ok_or_else(|| BenchError::Server("bbh serve exited at once".into()))?;
    let stdout = child
        .stdout
        .take()
        .ok_or_else(|| BenchError::Server("bbh serve: no stdout".into()))?;
    let mut line = String::new();
    BufReader::new(stdout)
        .read_line(&mut line)
        .await
        .map_err(|source| BenchError::Io {
            context: "reading the ready line of bbh serve".into(),
            source,
        })?;
    let origin = line
        .trim()
        .strip_prefix("bbh listening on ")
        .ok_or_else(|| BenchError::Server(format!("bbh serve did not start: {line:?}")))?
        .to_owned();
    Ok(Served { child, origin, pid })
}

/// One OAuth journey with the default confidential app (authorize → code → token).
pub(crate) async fn sign_in(origin: &str, login_hint: Option<&str>) -> Result<Tokens, BenchError> {
    let http = |context: &str, detail: String| BenchError::Http {
        context: context.to_owned(),
        detail,
    };
    let client = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .no_proxy()
        .build()
        .map_err(|error| http("building the sign-in client", error.to_string()))?;
    let mut authorize = vec![
        ("client_id", CLIENT_ID),
        ("redirect_uri", REDIRECT),
        ("response_type", "code"),
        ("state", "bbhbenchbbhbenchbbhbenchbbhbench"),
        ("code_challenge", CHALLENGE),
        ("code_challenge_method", "S256"),
    ];
    if let Some(login) = login_hint {
        authorize.push(("login_hint", login));
    }
    let query = form_urlencoded::Serializer::new(String::new())
        .extend_pairs(&authorize)
        .finish();
    let answer = client
        .get(format!("{origin}/v2/o/authorize/?{query}"))
        .send()
        .await
        .map_err(|error| http("authorize", error.to_string()))?;
    let location = answer
        .headers()
        .get(http::header::LOCATION)
        .and_then(|value| value.to_str().ok())
        .ok_or_else(|| {
            http(
                "authorize",
                format!("{} without a Location", answer.status()),
            )
        })?;
    let code = reqwest::Url::parse(location)
        .ok()
        .and_then(|url| {
            url.query_pairs()
                .find(|(name, _)| name == "code")
                .map(|(_, code)| code.into_owned())
        })
        .ok_or_else(|| http("authorize", format!("no code in {location}")))?;
    let answer = client
        .post(format!("{origin}/v2/o/token/"))
        .basic_auth(CLIENT_ID, Some(CLIENT_SECRET))
        .form(&[
            ("grant_type", "authorization_code"),
            ("code", &code),
            ("redirect_uri", REDIRECT),
            ("code_verifier", VERIFIER),
        ])
        .send()
        .await
        .map_err(|error| http("token", error.to_string()))?;
    let body: serde_json::Value = answer
        .json()
        .await
        .map_err(|error| http("token", error.to_string()))?;
    let field = |name: &str| {
        body[name]
            .as_str()
            .map(str::to_owned)
            .ok_or_else(|| http("token", format!("no {name} in {body}")))
    };
    Ok(Tokens {
        access_token: field("access_token")?,
        refresh_token: field("refresh_token")?,
        patient: field("patient")?,
    })
}

/// Cold start (stand-in: not merged yet, never made).
pub(crate) enum ColdStart {}
/// Cold paging (stand-in: not merged yet, never made).
pub(crate) enum ColdPaging {}
/// Peak RSS (stand-in: not merged yet, never made).
pub(crate) enum PopulationRss {}

impl fmt::Display for ColdStart {
    fn fmt(&self, _: &mut fmt::Formatter<'_>) -> fmt::Result {
        match *self {}
    }
}

impl fmt::Display for ColdPaging {
    fn fmt(&self, _: &mut fmt::Formatter<'_>) -> fmt::Result {
        match *self {}
    }
}

impl fmt::Display for PopulationRss {
    fn fmt(&self, _: &mut fmt::Formatter<'_>) -> fmt::Result {
        match *self {}
    }
}

/// Medians and spreads of N starts of `bbh serve`: exec → first answered request.
pub(crate) async fn cold_start(_bbh: &Path, _runs: usize) -> Result<ColdStart, BenchError> {
    Err(BenchError::Server("not merged".into()))
}

/// Page 1 and page 1,000 of a 10,000-claim beneficiary, each cold, over `runs` starts each.
pub(crate) async fn cold_paging(_bbh: &Path, _runs: usize) -> Result<ColdPaging, BenchError> {
    Err(BenchError::Server("not merged".into()))
}

/// Peak RSS of `bbh serve` while `connections` connections sign in the whole population.
pub(crate) async fn population_rss(
    _bbh: &Path,
    _connections: usize,
) -> Result<PopulationRss, BenchError> {
    Err(BenchError::Server("not merged".into()))
}
