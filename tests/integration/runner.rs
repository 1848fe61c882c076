//! The conformance runner with real client processes: `sh -c` one-liners and python3
//! (standard library only) clients, the fake server and `bbh browse` on loopback.

use crate::support::*;
use bluebutton_harness::conform::check::Status;
use bluebutton_harness::conform::evidence::ClientOutput;
use bluebutton_harness::conform::run::ScenarioRun;
use bluebutton_harness::conform::runner::{RunError, RunOptions, run_scenario};
use bluebutton_harness::scenario::{self, Scenario};
use serde_json::json;
use std::io::{Read, Write};
use std::net::{SocketAddr, TcpListener};
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

const BBH: &str = env!("CARGO_BIN_EXE_bbh");

fn options(command: &str) -> RunOptions {
    RunOptions::new(command, BBH)
}

async fn run_builtin(command: &str) -> ScenarioRun {
    run_with(options(command)).await
}

async fn run_with(options: RunOptions) -> ScenarioRun {
    run_scenario(scenario::builtin("oauth-success").unwrap(), &options)
        .await
        .unwrap()
}

/// A python3 script written to a fresh folder; the folder lives as long as the value.
struct Script {
    _dir: tempfile::TempDir,
    path: PathBuf,
}

impl Script {
    fn new(text: &str) -> Script {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("client.py");
        std::fs::write(&path, text).unwrap();
        Script { _dir: dir, path }
    }

    fn command(&self, args: &str) -> String {
        format!("python3 '{}' {args}", self.path.display())
    }
}

/// Shared by the python clients: no proxy, PKCE, state, and the token exchange.
const PY_PRELUDE: &str = r#"
import base64, hashlib, http.server, json, os, secrets, shlex, subprocess, sys, urllib.parse, urllib.request
urllib.request.install_opener(urllib.request.build_opener(urllib.request.ProxyHandler({})))
BASE, V = os.environ["BB_BASE_URL"], os.environ["BB_API_VERSION"]
CID, SECRET = os.environ["BB_CLIENT_ID"], os.environ["BB_CLIENT_SECRET"]

def authorize_url(redirect, state, verifier):
    challenge = base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest()).rstrip(b"=").decode()
    return BASE + "/" + V + "/o/authorize/?" + urllib.parse.urlencode({
        "response_type": "code", "client_id": CID, "redirect_uri": redirect, "state": state,
        "code_challenge": challenge, "code_challenge_method": "S256"})

def redeem(code, redirect, verifier):
    body = urllib.parse.urlencode({"grant_type": "authorization_code", "code": code,
        "redirect_uri": redirect, "code_verifier": verifier}).encode()
    basic = base64.b64encode((CID + ":" + SECRET).encode()).decode()
    request = urllib.request.Request(BASE + "/" + V + "/o/token/", data=body,
        headers={"Authorization": "Basic " + basic})
    tokens = json.load(urllib.request.urlopen(request))
    read = urllib.request.Request(BASE + "/" + V + "/fhir/Patient/" + tokens["patient"],
        headers={"Authorization": "Bearer " + tokens["access_token"], "Accept": "application/fhir+json"})
    urllib.request.urlopen(read).read()
    return tokens
"#;

/// A command-line client: callback server on a free port, BROWSER for the authorize step.
const PY_CLI_CLIENT: &str = r#"
state, verifier, got = secrets.token_urlsafe(24), secrets.token_urlsafe(48), {}
class Callback(http.server.BaseHTTPRequestHandler):
    def do_GET(self):
        query = urllib.parse.parse_qs(urllib.parse.urlsplit(self.path).query)
        if "code" in got or query.get("state", [""])[0] != state or "code" not in query:
            self.send_response(400); self.end_headers(); return
        got["code"] = query["code"][0]
        self.send_response(200); self.end_headers(); self.wfile.write(b"you may close this window")
    def log_message(self, *args): pass
server = http.server.HTTPServer(("127.0.0.1", 0), Callback)
redirect = "http://127.0.0.1:%d/callback" % server.server_port
url = authorize_url(redirect, state, verifier)
subprocess.run(os.environ["BROWSER"].replace("%s", shlex.quote(url)), shell=True, check=True)
while "code" not in got:
    server.handle_request()
tokens = redeem(got["code"], redirect, verifier)
with open(os.environ["BB_OUTPUT"], "w") as out:
    json.dump({"patient_id": tokens["patient"], "coverage_ids": [], "eob_ids": []}, out)
"#;

/// A web app on the port given as its argument: `/` starts the flow (and sets a cookie),
/// `/callback` needs that cookie, redeems the code and answers a page.
const PY_WEB_APP: &str = r#"
PORT = int(sys.argv[1])
REDIRECT = "http://127.0.0.1:%d/callback" % PORT
flows = {}
class App(http.server.BaseHTTPRequestHandler):
    def do_GET(self):
        parts = urllib.parse.urlsplit(self.path)
        if parts.path == "/":
            sid, state, verifier = secrets.token_urlsafe(8), secrets.token_urlsafe(24), secrets.token_urlsafe(48)
            flows[sid] = (state, verifier)
            self.send_response(302)
            self.send_header("Set-Cookie", "sid=" + sid + "; Path=/")
            self.send_header("Location", authorize_url(REDIRECT, state, verifier))
            self.end_headers(); return
        cookie = self.headers.get("Cookie", "")
        sid = cookie[4:] if cookie.startswith("sid=") else ""
        query = urllib.parse.parse_qs(parts.query)
        if sid not in flows or query.get("state", [""])[0] != flows[sid][0]:
            self.send_response(400); self.end_headers(); self.wfile.write(b"no session"); return
        redeem(query["code"][0], REDIRECT, flows.pop(sid)[1])
        self.send_response(200); self.end_headers(); self.wfile.write(b"signed in")
    def log_message(self, *args): pass
http.server.HTTPServer(("127.0.0.1", PORT), App).serve_forever()
"#;

fn result_status(run: &ScenarioRun, id: &str) -> Status {
    run.results
        .iter()
        .find(|r| r.id == id)
        .unwrap_or_else(|| panic!("no result {id}"))
        .verdict
        .status
}

#[tokio::test]
async fn the_client_gets_the_documented_environment() {
    let script = Script::new(
        r#"
import json, os
env = {k: v for k, v in os.environ.items() if k.startswith("BB_") or k == "BROWSER"}
env["output_exists"] = os.path.exists(env["BB_OUTPUT"])
env["output_dir_exists"] = os.path.isdir(os.path.dirname(env["BB_OUTPUT"]))
env["cwd"] = os.getcwd()
print("starting")
print(json.dumps(env))
"#,
    );
    let run = run_builtin(&script.command("")).await;
    assert_eq!(run.client.exit_code, Some(0), "{:?}", run.stderr);
    let env = run
        .output
        .json()
        .expect("stdout's last line is the JSON")
        .clone();
    let base = env["BB_BASE_URL"].as_str().unwrap();
    let port = base.strip_prefix("http://127.0.0.1:").expect(base);
    assert!(port.parse::<u16>().is_ok(), "{base}");
    assert_eq!(env["BB_API_VERSION"], "v2");
    assert_eq!(env["BB_CLIENT_ID"], CONFIDENTIAL_ID);
    assert_eq!(env["BB_CLIENT_SECRET"], CONFIDENTIAL_SECRET);
    assert_eq!(env["BB_REDIRECT_URI"], "http://127.0.0.1/callback");
    assert_eq!(env["BROWSER"], format!("{BBH} browse %s"));
    assert!(Path::new(BBH).is_absolute());
    let output = env["BB_OUTPUT"].as_str().unwrap();
    assert!(Path::new(output).is_absolute(), "{output}");
    assert_eq!(env["output_exists"], false);
    assert_eq!(env["output_dir_exists"], true);
    assert!(
        !Path::new(output).parent().unwrap().exists(),
        "the per-run folder is removed after the run"
    );
    let cwd = std::env::current_dir().unwrap();
    assert_eq!(Path::new(env["cwd"].as_str().unwrap()), cwd);
}

#[tokio::test]
async fn a_python_client_completes_the_journey_through_bbh_browse() {
    let script = Script::new(&format!("{PY_PRELUDE}{PY_CLI_CLIENT}"));
    let run = run_builtin(&script.command("")).await;
    let stderr = String::from_utf8_lossy(&run.stderr.bytes).into_owned();
    assert_eq!(run.client.exit_code, Some(0), "{stderr}");
    assert!(run.client.succeeded());
    assert_eq!(
        run.output,
        ClientOutput::Json(json!({"patient_id": JANE, "coverage_ids": [], "eob_ids": []}))
    );
    assert_eq!(run.traffic.authorizations.len(), 1);
    assert!(run.traffic.token_requests[0].succeeded());
    assert!(!run.traffic.truncated);
    assert_eq!(result_status(&run, "journey-complete"), Status::Pass);
    assert_eq!(result_status(&run, "pkce-s256"), Status::Pass);
    assert!(!run.failed(), "{:#?}", run.results);
    // bbh browse logs its hops on the client's stderr, without the codes of the query.
    assert!(
        stderr.contains("bbh browse: GET http://127.0.0.1:")
            && stderr.contains("/v2/o/authorize/ -> 302"),
        "{stderr}"
    );
    assert!(stderr.contains("/callback -> 200"), "{stderr}");
    assert!(!stderr.contains("code="), "{stderr}");
    assert!(run.duration > Duration::ZERO);
}

#[tokio::test]
async fn a_hanging_client_is_killed_with_its_whole_group_at_the_timeout() {
    let dir = tempfile::tempdir().unwrap();
    let pid_file = dir.path().join("pid");
    let command = format!(
        "sleep 1000 & echo $! > '{}'; sleep 1000",
        pid_file.display()
    );
    let mut options = options(&command);
    options.timeout = Duration::from_secs(1);
    let run = run_with(options).await;
    assert!(run.client.timed_out);
    assert!(run.failed());
    assert_eq!(run.client.describe(), "killed at the timeout");
    assert_eq!(run.client.exit_code, None);
    assert!(run.client.signal.is_some());
    let pid = std::fs::read_to_string(&pid_file)
        .unwrap()
        .trim()
        .to_owned();
    assert!(!alive(&pid), "the grandchild {pid} outlived the run");
}

#[tokio::test]
async fn what_a_client_leaves_behind_is_killed_when_it_exits() {
    let dir = tempfile::tempdir().unwrap();
    let pid_file = dir.path().join("pid");
    let command = format!("sleep 1000 & echo $! > '{}'; exit 0", pid_file.display());
    let run = run_builtin(&command).await;
    assert_eq!(run.client.exit_code, Some(0));
    assert!(!run.client.timed_out);
    let pid = std::fs::read_to_string(&pid_file)
        .unwrap()
        .trim()
        .to_owned();
    assert!(!alive(&pid), "the grandchild {pid} outlived the run");
}

#[tokio::test]
async fn fifty_megabytes_of_stdout_are_captured_bounded_and_counted() {
    let command = "dd if=/dev/zero bs=1048576 count=50 2>/dev/null; echo oops >&2; exit 0";
    let run = run_builtin(command).await;
    assert_eq!(run.client.exit_code, Some(0));
    assert_eq!(run.stdout.bytes.len(), 1 << 20);
    assert_eq!(run.stdout.total, 50 << 20);
    assert!(run.stdout.truncated());
    assert_eq!(run.stderr.bytes, b"oops\n");
    assert!(!run.stderr.truncated());
    assert_eq!(
        run.output,
        ClientOutput::Missing("BB_OUTPUT was not written and stdout is not a JSON object".into())
    );
}

#[tokio::test]
async fn exit_codes_and_signals_are_reported() {
    let run = run_builtin("exit 3").await;
    assert_eq!((run.client.exit_code, run.client.signal), (Some(3), None));
    assert_eq!(run.client.describe(), "exit code 3");
    assert!(!run.client.succeeded());

    let run = run_builtin("kill -9 $$").await;
    assert_eq!((run.client.exit_code, run.client.signal), (None, Some(9)));
    assert_eq!(run.client.describe(), "ended by signal 9");

    let run = run_builtin("exit 0").await;
    assert!(run.client.succeeded());
    // A client that does nothing fails the journey.
    assert_eq!(result_status(&run, "journey-complete"), Status::Fail);
    assert!(run.failed());
}

#[tokio::test]
async fn a_first_app_without_the_loopback_redirect_uri_is_a_configuration_error() {
    let text = "\
version: 1
name: no-loopback
apps:
  - name: web
    client_id: 0123456789abcdefghijABCDEFGHIJ0123456789
    client_secret: s3cret
    client_type: confidential
    grant_types: [authorization-code]
    redirect_uris: ['http://localhost:8080/testclient/callback']
";
    let scenario: Scenario = scenario::parse(text, scenario::Source::Builtin("test")).unwrap();
    let error = run_scenario(scenario, &options("exit 0"))
        .await
        .unwrap_err();
    assert!(error.is_configuration());
    let message = error.to_string();
    assert!(message.starts_with("scenario no-loopback: "), "{message}");
    assert!(message.contains("http://127.0.0.1/callback"), "{message}");
    assert!(matches!(error, RunError::Configuration { .. }));

    let mut bad_version = options("exit 0");
    bad_version.api_version = "v3".to_owned();
    let error = run_scenario(scenario::builtin("oauth-success").unwrap(), &bad_version)
        .await
        .unwrap_err();
    assert!(error.is_configuration(), "{error}");
}

#[tokio::test]
async fn a_flooding_client_is_stopped_and_the_journal_cut_off() {
    let script = Script::new(
        r#"
import os, urllib.request
urllib.request.install_opener(urllib.request.build_opener(urllib.request.ProxyHandler({})))
while True:
    try:
        urllib.request.urlopen(os.environ["BB_BASE_URL"] + "/v3/").read()
    except Exception:
        pass
"#,
    );
    let command = script.command("");
    let mut options = options(&command);
    options.flood_limit = 20;
    let run = run_with(options).await;
    assert!(run.client.flooded, "{}", run.client.describe());
    assert!(!run.client.timed_out);
    assert!(run.traffic.truncated);
    assert_eq!(run.traffic.exchanges.len(), 20);
    let ids: Vec<u64> = run.traffic.exchanges.iter().map(|e| e.id).collect();
    assert!(ids.windows(2).all(|w| w[0] < w[1]), "{ids:?}");
}

/// Two connections dropped mid-body before the journey: a token request whose body stops at
/// 10 of its 1,000 bytes, and a metadata answer dropped after 10 bytes.
const PY_DROPPED_CONNECTIONS: &str = r#"
import socket
ORIGIN = urllib.parse.urlsplit(BASE)
cut = socket.create_connection((ORIGIN.hostname, ORIGIN.port))
cut.sendall(("POST /" + V + "/o/token/ HTTP/1.1\r\nHost: " + ORIGIN.netloc + "\r\n"
    "Content-Type: application/x-www-form-urlencoded\r\nContent-Length: 1000\r\n\r\ngrant_type").encode())
cut.close()
dropped = socket.create_connection((ORIGIN.hostname, ORIGIN.port))
dropped.sendall(("GET /" + V + "/fhir/metadata HTTP/1.1\r\nHost: " + ORIGIN.netloc + "\r\n\r\n").encode())
dropped.recv(10)
dropped.close()
"#;

#[tokio::test]
async fn connections_closed_mid_body_are_reported_and_the_run_goes_on() {
    use bluebutton_harness::server::limits::Refusal;
    let script = Script::new(&format!(
        "{PY_PRELUDE}{PY_DROPPED_CONNECTIONS}{PY_CLI_CLIENT}"
    ));
    let run = run_builtin(&script.command("")).await;
    let stderr = String::from_utf8_lossy(&run.stderr.bytes).into_owned();
    assert_eq!(run.client.exit_code, Some(0), "{stderr}");
    let exchanges = &run.traffic.exchanges;
    let cut = exchanges
        .iter()
        .find(|exchange| exchange.refused == Some(Refusal::BodyCutOff))
        .unwrap_or_else(|| panic!("no cut-off body in {} exchanges", exchanges.len()));
    assert_eq!(cut.request.path, "/v2/o/token/");
    assert_eq!(cut.response.status, 400);
    assert_eq!(result_status(&run, "journey-complete"), Status::Pass);
    // The reports are written whole and say what happened.
    let reports = tempfile::tempdir().unwrap();
    bluebutton_harness::report::write_run(reports.path(), &run).unwrap();
    let folder = reports.path().join("oauth-success");
    let transcript: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(folder.join("transcript.json")).unwrap())
            .unwrap();
    assert_valid("transcript", &transcript);
    let refused: Vec<&str> = transcript["exchanges"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|exchange| exchange["request"]["refused"].as_str())
        .collect();
    assert_eq!(refused, [Refusal::BodyCutOff.describe()]);
    let checks: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(folder.join("checks.json")).unwrap())
            .unwrap();
    assert_valid("checks", &checks);
}

#[tokio::test]
async fn a_web_app_is_driven_from_its_address_and_stopped_after_the_journey() {
    let script = Script::new(&format!("{PY_PRELUDE}{PY_WEB_APP}"));
    let port = free_port();
    let command = script.command(&port.to_string());
    let mut options = options(&command);
    options.app_url = Some(format!("http://127.0.0.1:{port}/"));
    let run = run_with(options).await;
    let stderr = String::from_utf8_lossy(&run.stderr.bytes).into_owned();
    assert!(
        run.client.stopped_after_journey,
        "{}: {stderr}",
        run.client.describe()
    );
    assert!(run.client.succeeded());
    assert_eq!(result_status(&run, "journey-complete"), Status::Pass);
    assert_eq!(run.traffic.authorizations.len(), 1);
}

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// A tiny HTTP/1.1 server on `listener`: counts requests and answers each with `answer`.
fn tiny_server(listener: TcpListener, answer: String) -> Arc<AtomicUsize> {
    let hits = Arc::new(AtomicUsize::new(0));
    let counted = Arc::clone(&hits);
    std::thread::spawn(move || {
        for stream in listener.incoming() {
            let Ok(mut stream) = stream else { continue };
            let mut request = Vec::new();
            let mut byte = [0u8; 1];
            while !request.ends_with(b"\r\n\r\n") && stream.read(&mut byte).unwrap_or(0) == 1 {
                request.push(byte[0]);
            }
            counted.fetch_add(1, Ordering::SeqCst);
            let _ = stream.write_all(answer.as_bytes());
        }
    });
    hits
}

fn ok_page() -> String {
    "HTTP/1.1 200 OK\r\nContent-Length: 2\r\nConnection: close\r\n\r\nok".to_owned()
}

/// An authorize stand-in that redirects to `callback` with the replay-callback probe.
fn probing_redirect(callback: SocketAddr) -> SocketAddr {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    let answer = format!(
        "HTTP/1.1 302 Found\r\nLocation: http://{callback}/callback?code=secret-code&state=s\r\n\
         X-Bbh-Probe: replay-callback\r\nContent-Length: 0\r\nConnection: close\r\n\r\n"
    );
    tiny_server(listener, answer);
    addr
}

#[test]
fn bbh_browse_delivers_a_probed_callback_twice_and_waits_for_the_callback_server() {
    // The callback server only starts listening a moment after the browser is opened.
    let callback = TcpListener::bind("127.0.0.1:0").unwrap();
    let callback_addr = callback.local_addr().unwrap();
    drop(callback);
    let authorize = probing_redirect(callback_addr);
    let late = std::thread::spawn(move || {
        std::thread::sleep(Duration::from_millis(500));
        tiny_server(TcpListener::bind(callback_addr).unwrap(), ok_page())
    });
    let out = Command::new(BBH)
        .args([
            "browse",
            "--foreground",
            &format!("http://{authorize}/authorize?state=s"),
        ])
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
    assert!(out.status.success(), "{stderr}");
    let hits = late.join().unwrap();
    assert_eq!(hits.load(Ordering::SeqCst), 2);
    assert_eq!(stderr.lines().count(), 2, "{stderr}");
    assert!(
        stderr.contains(&format!("GET http://{authorize}/authorize -> 302")),
        "{stderr}"
    );
    assert!(
        stderr.contains("/callback -> 200 (delivered twice"),
        "{stderr}"
    );
    assert!(!stderr.contains("secret-code"), "{stderr}");
}

#[test]
fn bbh_browse_returns_at_once_and_ignores_a_literal_percent_s() {
    let callback = TcpListener::bind("127.0.0.1:0").unwrap();
    let callback_addr = callback.local_addr().unwrap();
    let hits = tiny_server(callback, ok_page());
    let authorize = probing_redirect(callback_addr);
    let out = Command::new(BBH)
        .args(["browse", "%s", &format!("http://{authorize}/authorize")])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    // The detached worker does the journey after bbh browse returned.
    for _ in 0..600 {
        if hits.load(Ordering::SeqCst) == 2 {
            break;
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    assert_eq!(hits.load(Ordering::SeqCst), 2);

    let out = Command::new(BBH)
        .args(["browse", "http://127.0.0.1:1/a", "http://127.0.0.1:1/b"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
}

#[test]
fn bbh_browse_fails_on_a_journey_that_leaves_http() {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    tiny_server(
        listener,
        "HTTP/1.1 302 Found\r\nLocation: gov.cms.bluebutton.oauthtester:/callback?code=c\r\n\
         Content-Length: 0\r\nConnection: close\r\n\r\n"
            .to_owned(),
    );
    let out = Command::new(BBH)
        .args(["browse", "--foreground", &format!("http://{addr}/")])
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    assert!(stderr.contains("not an http URL"), "{stderr}");
    assert!(!stderr.contains("code=c"), "{stderr}");
}
