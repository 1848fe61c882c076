//! Shared test support: a server per test on 127.0.0.1:0, an HTTP client that never follows
//! redirects, and JSON Schema checks applied to every JSON body the tests receive.

use bluebutton_harness::api_version::ApiVersion;
use bluebutton_harness::clock::Clock;
use bluebutton_harness::oauth::pkce;
use bluebutton_harness::scenario::{self, Scenario};
use bluebutton_harness::server::{self, RunningServer, ServerOptions};
use http::header::{CONTENT_TYPE, LOCATION};
use reqwest::StatusCode;
use reqwest::header::HeaderMap;
use serde_json::Value;
use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::{Arc, OnceLock};

pub const CONFIDENTIAL_ID: &str = "swBu7LWsCnIRfu530qnfPw1y5vMmER3lAM2L6rq2";
pub const CONFIDENTIAL_SECRET: &str = "bbh-sandbox-secret";
pub const PUBLIC_ID: &str = "bbhPublicNativeClient0000000000000000000";
pub const REDIRECT: &str = "http://localhost:8080/testclient/callback";
pub const JANE: &str = "-20140000008325";
pub const BBUSER20023: &str = "-20140000000024";
pub const VERIFIER: &str = "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk";
pub const STATE: &str = "8e896a59f0744a8e93bf2f1f13230be5";

/// The project's own path.
pub fn project_path(relative: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join(relative)
}

/// A compiled schema of `schemas/<name>.schema.json`.
pub fn schema(name: &str) -> Arc<jsonschema::Validator> {
    static SCHEMAS: OnceLock<std::sync::Mutex<HashMap<String, Arc<jsonschema::Validator>>>> =
        OnceLock::new();
    let schemas = SCHEMAS.get_or_init(Default::default);
    let mut schemas = schemas.lock().unwrap();
    schemas
        .entry(name.to_owned())
        .or_insert_with(|| {
            let path = project_path(&format!("schemas/{name}.schema.json"));
            let text = std::fs::read_to_string(&path)
                .unwrap_or_else(|e| panic!("{}: {e}", path.display()));
            let json: Value = serde_json::from_str(&text).unwrap();
            Arc::new(jsonschema::validator_for(&json).unwrap_or_else(|e| panic!("{name}: {e}")))
        })
        .clone()
}

/// Fails the test unless `body` is valid against `schemas/<name>.schema.json`.
pub fn assert_valid(name: &str, body: &Value) {
    let validator = schema(name);
    let errors: Vec<String> = validator
        .iter_errors(body)
        .map(|e| format!("{} at {}", e, e.instance_path()))
        .collect();
    assert!(
        errors.is_empty(),
        "body does not match {name}: {errors:#?}\n{body:#}"
    );
}

/// Which schema the JSON body of an answer to `path` with `status` must match.
fn schema_for(path: &str, status: StatusCode, body: &Value) -> Option<&'static str> {
    let ok = status == StatusCode::OK;
    let (version, rest) = ApiVersion::split_path(path)?;
    if rest.starts_with("o/introspect") {
        return Some(if ok { "introspection" } else { "oauth-error" });
    }
    if rest.starts_with("o/") {
        return Some(if ok { "token-response" } else { "oauth-error" });
    }
    if rest.starts_with("connect/userinfo") {
        return Some(if ok { "userinfo" } else { "fhir-error" });
    }
    if rest.starts_with("fhir/") {
        if !ok {
            return Some("fhir-error");
        }
        return match (body["resourceType"].as_str(), version) {
            (Some("Bundle"), ApiVersion::V1) => Some("fhir/bundle-v1"),
            (Some("Bundle"), ApiVersion::V2) => Some("bundle"),
            (Some(resource_type), version) => resource_schema(resource_type, version),
            (None, _) => None,
        };
    }
    None
}

/// The tight schema of a served FHIR resource (`schemas/fhir/`), by type and version.
fn resource_schema(resource_type: &str, version: ApiVersion) -> Option<&'static str> {
    Some(match (resource_type, version) {
        ("Patient", ApiVersion::V1) => "fhir/patient-v1",
        ("Patient", ApiVersion::V2) => "fhir/patient-v2",
        ("Coverage", ApiVersion::V1) => "fhir/coverage-v1",
        ("Coverage", ApiVersion::V2) => "fhir/coverage-v2",
        ("ExplanationOfBenefit", ApiVersion::V1) => "fhir/eob-v1",
        ("ExplanationOfBenefit", ApiVersion::V2) => "fhir/eob-v2",
        _ => return None,
    })
}

/// Checks every resource of a served Bundle against its tight schema.
fn assert_entries_valid(path: &str, body: &Value) {
    let Some((version, _)) = ApiVersion::split_path(path) else {
        return;
    };
    for entry in body["entry"].as_array().into_iter().flatten() {
        let resource = &entry["resource"];
        if let Some(name) = resource["resourceType"]
            .as_str()
            .and_then(|t| resource_schema(t, version))
        {
            assert_valid(name, resource);
        }
    }
}

/// One answer, its JSON body (if any) already checked against its schema.
#[derive(Debug)]
pub struct Reply {
    pub status: StatusCode,
    pub headers: HeaderMap,
    pub body: bytes::Bytes,
}

impl Reply {
    pub fn json(&self) -> Value {
        serde_json::from_slice(&self.body)
            .unwrap_or_else(|e| panic!("not JSON ({e}): {}", String::from_utf8_lossy(&self.body)))
    }

    pub fn text(&self) -> String {
        String::from_utf8_lossy(&self.body).into_owned()
    }

    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|v| v.to_str().ok())
    }

    pub fn location(&self) -> String {
        self.header(LOCATION.as_str())
            .expect("a Location header")
            .to_owned()
    }

    /// The query parameters of the `Location` redirect.
    pub fn location_params(&self) -> HashMap<String, String> {
        let location = self.location();
        let query = location.split_once('?').map(|(_, q)| q).unwrap_or_default();
        form_urlencoded::parse(query.as_bytes())
            .into_owned()
            .collect()
    }
}

/// A running fake server and a client for it.
pub struct Harness {
    pub server: RunningServer,
    pub client: reqwest::Client,
}

impl Harness {
    /// Starts the built-in scenario `name` on a free loopback port.
    pub async fn builtin(name: &str) -> Harness {
        Harness::start(scenario::builtin(name).unwrap()).await
    }

    /// Starts a scenario given as YAML text.
    pub async fn yaml(text: &str) -> Harness {
        let scenario =
            scenario::parse(text, scenario::Source::Builtin("test")).unwrap_or_else(|errors| {
                panic!(
                    "bad test scenario: {}",
                    errors
                        .iter()
                        .map(|e| e.to_string())
                        .collect::<Vec<_>>()
                        .join("\n")
                )
            });
        Harness::start(scenario).await
    }

    pub async fn start(scenario: Scenario) -> Harness {
        let options = ServerOptions {
            observers: Vec::new(),
            clock: Some(Arc::new(Clock::from_wall_clock())),
            ..ServerOptions::default()
        };
        let server = server::start(scenario, "127.0.0.1:0".parse().unwrap(), options)
            .await
            .unwrap();
        let client = http_client();
        Harness { server, client }
    }

    pub fn url(&self, path_and_query: &str) -> String {
        format!("{}{path_and_query}", self.server.url())
    }

    /// Sends a request and checks any JSON body against its schema.
    pub async fn send(&self, request: reqwest::RequestBuilder) -> Reply {
        let request = request.build().unwrap();
        let path = request.url().path().to_owned();
        let response = self.client.execute(request).await.unwrap();
        let reply = Reply {
            status: response.status(),
            headers: response.headers().clone(),
            body: response.bytes().await.unwrap(),
        };
        let is_json = reply
            .header(CONTENT_TYPE.as_str())
            .is_some_and(|t| t.contains("json"));
        let is_gzip = reply.header("content-encoding") == Some("gzip");
        if is_json && !is_gzip && !reply.body.is_empty() {
            let json = reply.json();
            if let Some(name) = schema_for(&path, reply.status, &json) {
                assert_valid(name, &json);
            }
            if reply.status == StatusCode::OK && json["resourceType"] == "Bundle" {
                assert_entries_valid(&path, &json);
            }
        }
        reply
    }

    pub async fn get(&self, path_and_query: &str) -> Reply {
        self.send(self.client.get(self.url(path_and_query))).await
    }

    pub async fn get_with_token(&self, path_and_query: &str, token: &str) -> Reply {
        self.send(self.client.get(self.url(path_and_query)).bearer_auth(token))
            .await
    }

    /// Follows the automated login: the authorize redirect's query parameters.
    pub async fn authorize(&self, query: &str) -> Reply {
        self.get(&format!("/v2/o/authorize/?{query}")).await
    }

    /// A code for the confidential app (PKCE S256 with the RFC 7636 verifier).
    pub async fn code(&self, extra: &str) -> String {
        let reply = self.authorize(&pkce_query(REDIRECT, extra)).await;
        assert_eq!(reply.status, StatusCode::FOUND, "{}", reply.text());
        let params = reply.location_params();
        assert_eq!(params.get("state").map(String::as_str), Some(STATE));
        params
            .get("code")
            .cloned()
            .unwrap_or_else(|| panic!("no code in {}", reply.location()))
    }

    /// POSTs a form to `path`, with HTTP Basic credentials when given.
    pub async fn post_form(
        &self,
        path: &str,
        form: &[(&str, &str)],
        basic: Option<(&str, &str)>,
    ) -> Reply {
        let mut request = self.client.post(self.url(path)).form(form);
        if let Some((id, secret)) = basic {
            request = request.basic_auth(id, Some(secret));
        }
        self.send(request).await
    }

    /// Refreshes with the confidential app's credentials in HTTP Basic.
    pub async fn refresh(&self, refresh_token: &str) -> Reply {
        let form = [
            ("grant_type", "refresh_token"),
            ("refresh_token", refresh_token),
        ];
        self.token_form(&form, CONFIDENTIAL_BASIC).await
    }

    /// POSTs a form to the token endpoint.
    pub async fn token_form(&self, form: &[(&str, &str)], basic: Option<(&str, &str)>) -> Reply {
        self.post_form("/v2/o/token/", form, basic).await
    }

    /// Exchanges a code for tokens with the confidential app (credentials in the body).
    pub async fn exchange(&self, code: &str) -> Reply {
        self.token_form(&exchange_form(code), None).await
    }

    /// A fresh token response (authorize + exchange), with optional extra authorize params.
    pub async fn tokens(&self, extra: &str) -> Value {
        let code = self.code(extra).await;
        let reply = self.exchange(&code).await;
        assert_eq!(reply.status, StatusCode::OK, "{}", reply.text());
        reply.json()
    }

    /// An access token of the default login.
    pub async fn access_token(&self) -> String {
        self.tokens("").await["access_token"]
            .as_str()
            .unwrap()
            .to_owned()
    }

    /// An access token of a sandbox login.
    pub async fn access_token_for(&self, login: &str) -> String {
        self.tokens(&format!("&login_hint={login}")).await["access_token"]
            .as_str()
            .unwrap()
            .to_owned()
    }
}

/// An HTTP client for loopback tests: no proxy, never follows redirects.
pub fn http_client() -> reqwest::Client {
    reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .no_proxy()
        .build()
        .unwrap()
}

/// The confidential app's credentials for HTTP Basic.
pub const CONFIDENTIAL_BASIC: Option<(&str, &str)> = Some((CONFIDENTIAL_ID, CONFIDENTIAL_SECRET));

/// The advice that ends BB2's grant messages.
pub const REAUTH: &str =
    "To refresh Medicare data, end user must re-authenticate and consent to share their data.";

/// The confidential app's authorize query with PKCE S256 and a 32-character state, for
/// `redirect`, with `extra` parameters appended.
pub fn pkce_query(redirect: &str, extra: &str) -> String {
    let challenge = pkce::s256_challenge(VERIFIER);
    format!(
        "client_id={CONFIDENTIAL_ID}&redirect_uri={redirect}&response_type=code&state={STATE}\
         &code_challenge={challenge}&code_challenge_method=S256{extra}"
    )
}

/// The string at `key` of a JSON object (a token response's `access_token`, ...).
pub fn string_at(value: &Value, key: &str) -> String {
    value[key]
        .as_str()
        .unwrap_or_else(|| panic!("no string {key} in {value}"))
        .to_owned()
}

/// The confidential app's code exchange: the RFC 7636 verifier, the default redirect URI,
/// credentials in the body.
pub fn exchange_form(code: &str) -> [(&'static str, &str); 6] {
    [
        ("grant_type", "authorization_code"),
        ("code", code),
        ("redirect_uri", REDIRECT),
        ("code_verifier", VERIFIER),
        ("client_id", CONFIDENTIAL_ID),
        ("client_secret", CONFIDENTIAL_SECRET),
    ]
}

/// The keys of a JSON object, in the order received.
pub fn keys(object: &Value) -> Vec<&str> {
    object
        .as_object()
        .map(|members| members.keys().map(String::as_str).collect())
        .unwrap_or_default()
}

/// The `url` of a Bundle's link with this relation.
pub fn link(bundle: &Value, relation: &str) -> Option<String> {
    bundle["link"]
        .as_array()?
        .iter()
        .find(|l| l["relation"] == relation)
        .and_then(|l| l["url"].as_str())
        .map(str::to_owned)
}

/// The path and query of an absolute URL on our server.
pub fn path_of(url: &str, harness: &Harness) -> String {
    url.strip_prefix(&harness.server.url())
        .unwrap_or_else(|| panic!("{url} is not on {}", harness.server.url()))
        .to_owned()
}

/// A `bbh` process a test started: killed if a failed assertion leaves it running.
pub struct Bbh {
    /// The process (its stdout is taken; its stderr as [`spawn_bbh`] was told).
    pub child: std::process::Child,
}

impl Bbh {
    /// Sends SIGTERM and waits: the exit status and everything the process wrote to stderr
    /// (spawned with a piped stderr).
    pub fn terminate(self) -> (std::process::ExitStatus, String) {
        let killed = std::process::Command::new("kill")
            .args(["-TERM", &self.child.id().to_string()])
            .status()
            .unwrap();
        assert!(killed.success());
        self.wait()
    }

    /// Waits for the process to exit: its status and its stderr (spawned with a piped
    /// stderr).
    pub fn wait(mut self) -> (std::process::ExitStatus, String) {
        use std::io::Read;
        let status = self.child.wait().unwrap();
        let mut log = String::new();
        if let Some(mut stderr) = self.child.stderr.take() {
            stderr.read_to_string(&mut log).unwrap();
        }
        (status, log)
    }
}

impl Drop for Bbh {
    fn drop(&mut self) {
        if matches!(self.child.try_wait(), Ok(None)) {
            let _ = self.child.kill();
            let _ = self.child.wait();
        }
    }
}

/// Starts `bbh ARGS` with stderr as `stderr` says and reads its first stdout line, which must
/// start with `ready` (`bbh listening on `): the process and the rest of that line (its URL).
pub fn spawn_bbh<I, S>(args: I, stderr: std::process::Stdio, ready: &str) -> (Bbh, String)
where
    I: IntoIterator<Item = S>,
    S: AsRef<std::ffi::OsStr>,
{
    use std::io::{BufRead, BufReader};
    let mut bbh = Bbh {
        child: std::process::Command::new(env!("CARGO_BIN_EXE_bbh"))
            .args(args)
            .stdout(std::process::Stdio::piped())
            .stderr(stderr)
            .spawn()
            .unwrap(),
    };
    let mut line = String::new();
    BufReader::new(bbh.child.stdout.take().unwrap())
        .read_line(&mut line)
        .unwrap();
    let url = line
        .trim()
        .strip_prefix(ready)
        .unwrap_or_else(|| panic!("ready line: {line:?}"))
        .to_owned();
    (bbh, url)
}

/// The first stdout line of `bbh serve` before its URL.
pub const LISTENING: &str = "bbh listening on ";

/// Whether a process exists and is not a zombie (a zombie's parent may never reap it).
pub fn alive(pid: &str) -> bool {
    let exists = std::process::Command::new("kill")
        .args(["-0", pid])
        .stderr(std::process::Stdio::null())
        .status()
        .unwrap()
        .success();
    let zombie = std::fs::read_to_string(format!("/proc/{pid}/stat"))
        .ok()
        .and_then(|stat| {
            let (_, after_name) = stat.rsplit_once(')')?;
            after_name
                .split_whitespace()
                .next()
                .map(|state| state == "Z")
        })
        .unwrap_or(false);
    exists && !zombie
}
