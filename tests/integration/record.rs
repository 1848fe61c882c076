//! `bbh record`: a reverse proxy in front of a fake server writes the journey as a redacted,
//! replayable scenario; a fresh client then gets the same journey from the replay.

use crate::support::*;
use base64::Engine;
use bluebutton_harness::clock::Clock;
use bluebutton_harness::oauth::pkce;
use bluebutton_harness::record::{self, RecordOptions, RunningRecorder};
use bluebutton_harness::scenario;
use bluebutton_harness::server::tls::SelfSigned;
use bluebutton_harness::server::{self, RunningServer, ServerOptions};
use reqwest::StatusCode;
use serde_json::Value;
use std::ffi::OsStr;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::Arc;

/// How many pages of Jane's claims the journey reads (two claims a page).
const PAGES: usize = 3;

/// What a client saw at one step of the journey.
#[derive(Debug)]
struct Step {
    label: String,
    status: StatusCode,
    location: Option<String>,
    body: Option<Value>,
}

/// What the journey handed out, to look for in the recording.
#[derive(Debug, Default)]
struct Issued {
    code: String,
    tokens: Vec<String>,
    patient: Value,
    userinfo: Value,
}

/// The guide's journey against `base`: authorize, exchange the code, Patient, userinfo,
/// PAGES pages of claims, a refresh, Patient with the new token, and Patient with the old
/// one (refused: the same request as before with another answer).
async fn journey(base: &str) -> (Vec<Step>, Issued) {
    let client = http_client();
    let mut steps = Vec::new();
    let mut issued = Issued::default();
    let mut step = |label: &str, status, location, body: Option<Value>| {
        steps.push(Step {
            label: label.to_owned(),
            status,
            location,
            body: body.clone(),
        });
        body
    };

    let authorize = client
        .get(format!(
            "{base}/v2/o/authorize/?{}",
            pkce_query(REDIRECT, "")
        ))
        .send()
        .await
        .unwrap();
    let location = authorize.headers()["location"].to_str().unwrap().to_owned();
    step(
        "authorize",
        authorize.status(),
        Some(location.clone()),
        None,
    );
    let params: Vec<(String, String)> =
        form_urlencoded::parse(location.split_once('?').unwrap().1.as_bytes())
            .into_owned()
            .collect();
    assert!(location.starts_with(&format!("{REDIRECT}?")), "{location}");
    assert!(
        params.contains(&("state".to_owned(), STATE.to_owned())),
        "{location}"
    );
    issued.code = params
        .iter()
        .find(|(name, _)| name == "code")
        .map(|(_, code)| code.clone())
        .unwrap_or_else(|| panic!("no code in {location}"));

    let exchanged = client
        .post(format!("{base}/v2/o/token/"))
        .form(&exchange_form(&issued.code))
        .send()
        .await
        .unwrap();
    let status = exchanged.status();
    let tokens = step("exchange", status, None, exchanged.json().await.ok()).unwrap();
    let access = string_at(&tokens, "access_token");
    issued.tokens.push(access.clone());
    issued.tokens.push(string_at(&tokens, "refresh_token"));

    let get = |path: String, token: String| {
        let client = client.clone();
        async move {
            let url = if path.starts_with("http") {
                path
            } else {
                format!("{base}{path}")
            };
            let reply = client.get(url).bearer_auth(token).send().await.unwrap();
            (reply.status(), reply.json::<Value>().await.ok())
        }
    };
    let (status, patient) = get(format!("/v2/fhir/Patient/{JANE}"), access.clone()).await;
    issued.patient = step("patient", status, None, patient).unwrap();
    let (status, userinfo) = get("/v2/connect/userinfo".to_owned(), access.clone()).await;
    issued.userinfo = step("userinfo", status, None, userinfo).unwrap();

    let mut next = Some("/v2/fhir/ExplanationOfBenefit/?_count=2".to_owned());
    for page in 1..=PAGES {
        let path = next.take().unwrap_or_else(|| panic!("no page {page}"));
        let (status, bundle) = get(path, access.clone()).await;
        let bundle = step(&format!("page {page}"), status, None, bundle).unwrap();
        next = link(&bundle, "next");
        let next_url = next
            .as_deref()
            .unwrap_or_else(|| panic!("no next link: {bundle}"));
        assert!(
            next_url.starts_with(base),
            "links lead back to {base}: {next_url}"
        );
    }

    let refreshed = client
        .post(format!("{base}/v2/o/token/"))
        .basic_auth(CONFIDENTIAL_ID, Some(CONFIDENTIAL_SECRET))
        .form(&[
            ("grant_type", "refresh_token"),
            ("refresh_token", issued.tokens[1].as_str()),
        ])
        .send()
        .await
        .unwrap();
    let status = refreshed.status();
    let tokens = step("refresh", status, None, refreshed.json().await.ok()).unwrap();
    let new_access = string_at(&tokens, "access_token");
    issued.tokens.push(new_access.clone());
    issued.tokens.push(string_at(&tokens, "refresh_token"));

    let (status, body) = get(format!("/v2/fhir/Patient/{JANE}"), new_access).await;
    step("patient, new token", status, None, body);
    let (status, body) = get(format!("/v2/fhir/Patient/{JANE}"), access).await;
    step("patient, old token", status, None, body);
    (steps, issued)
}

fn statuses(steps: &[Step]) -> Vec<(String, u16)> {
    steps
        .iter()
        .map(|step| (step.label.clone(), step.status.as_u16()))
        .collect()
}

/// The JSON structure of a body with every scalar replaced by its type.
fn shape(value: &Value) -> Value {
    match value {
        Value::Object(map) => map.iter().map(|(k, v)| (k.clone(), shape(v))).collect(),
        Value::Array(items) => items.iter().map(shape).collect(),
        Value::String(_) => "string".into(),
        Value::Number(_) => "number".into(),
        Value::Bool(_) => "bool".into(),
        Value::Null => Value::Null,
    }
}

/// The `oauth-success` fake server on a free loopback port, over HTTPS with `tls`.
async fn upstream_server(tls: Option<SelfSigned>) -> RunningServer {
    let options = ServerOptions {
        clock: Some(Arc::new(Clock::from_wall_clock())),
        tls,
        ..ServerOptions::default()
    };
    let scenario = scenario::builtin("oauth-success").unwrap();
    server::start(scenario, "127.0.0.1:0".parse().unwrap(), options)
        .await
        .unwrap()
}

/// An upstream fake server, a recorder in front of it writing `folder/journey.yaml`, and
/// the journey through the recorder.
async fn recorded_journey(folder: &Path) -> (RunningServer, PathBuf, Vec<Step>, Issued) {
    let upstream = upstream_server(None).await;
    recorded_journey_from(upstream, RecordOptions::default(), folder).await
}

/// The journey through a recorder in front of `upstream`, writing `folder/journey.yaml`.
async fn recorded_journey_from(
    upstream: RunningServer,
    options: RecordOptions,
    folder: &Path,
) -> (RunningServer, PathBuf, Vec<Step>, Issued) {
    let out = folder.join("journey.yaml");
    let recorder: RunningRecorder = record::start_with(
        &upstream.url(),
        "127.0.0.1:0".parse().unwrap(),
        &out,
        options,
    )
    .await
    .unwrap();
    assert_eq!(recorder.upstream(), upstream.url());
    let (steps, issued) = journey(&recorder.url()).await;
    assert_eq!(
        statuses(&steps),
        [
            ("authorize", 302),
            ("exchange", 200),
            ("patient", 200),
            ("userinfo", 200),
            ("page 1", 200),
            ("page 2", 200),
            ("page 3", 200),
            ("refresh", 200),
            ("patient, new token", 200),
            ("patient, old token", 401),
        ]
        .map(|(label, status)| (label.to_owned(), status))
    );
    // Every answer the client got is in the file already.
    assert_eq!(recorder.exchanges(), steps.len());
    assert_eq!(recorder.stop().await, steps.len());
    (upstream, out, steps, issued)
}

/// Every string under the personal keys of `value` (codes such as `use` excepted).
fn personal_texts(key: &str, value: &Value, into: &mut Vec<String>) {
    match value {
        Value::String(text) if !["use", "system", "type", "url"].contains(&key) => {
            into.push(text.clone());
        }
        Value::Object(map) => map
            .iter()
            .for_each(|(key, value)| personal_texts(key, value, into)),
        Value::Array(items) => items
            .iter()
            .for_each(|item| personal_texts(key, item, into)),
        _ => {}
    }
}

/// The stubs of the file whose `when.path` is `path`, in file order.
fn stubs_at<'a>(document: &'a Value, method: &str, path: &str) -> Vec<&'a Value> {
    document["stubs"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|stub| {
            let at = stub["when"]["path"].as_str().unwrap();
            stub["when"]["method"] == method
                && at.trim_end_matches('/') == path.trim_end_matches('/')
        })
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_recording_holds_no_credential_token_code_or_personal_data() {
    let folder = tempfile::tempdir().unwrap();
    let (_upstream, out, _steps, issued) = recorded_journey(folder.path()).await;
    let text = std::fs::read_to_string(&out).unwrap();

    let basic = base64::engine::general_purpose::STANDARD
        .encode(format!("{CONFIDENTIAL_ID}:{CONFIDENTIAL_SECRET}"));
    let mut secrets = vec![
        issued.code.clone(),
        CONFIDENTIAL_SECRET.to_owned(),
        VERIFIER.to_owned(),
        pkce::s256_challenge(VERIFIER),
        STATE.to_owned(),
        basic,
    ];
    secrets.extend(issued.tokens.iter().cloned());
    for secret in &secrets {
        assert!(
            !text.contains(secret.as_str()),
            "the recording leaks {secret}"
        );
    }
    let mut personal = Vec::new();
    for key in ["name", "address", "telecom", "birthDate"] {
        personal_texts(key, &issued.patient[key], &mut personal);
    }
    for key in ["name", "given_name", "family_name", "email"] {
        personal_texts(key, &issued.userinfo[key], &mut personal);
    }
    assert!(
        personal.iter().any(|text| text == "Doe") && personal.iter().any(|t| t.len() >= 10),
        "Jane's name and birth date are served: {personal:?}"
    );
    // Words of the names and addresses are nowhere. Short texts (a middle initial) and
    // numbers (a ZIP code that is also a provider's in the claims) occur in ordinary data:
    // the Patient's structure is checked below.
    let data = text_without_comments(&text);
    let words = personal
        .iter()
        .filter(|text| text.len() >= 3 && text.chars().any(char::is_alphabetic));
    for personal in words {
        assert!(
            !text_has_word(&data, personal),
            "the recording leaks {personal:?}"
        );
    }

    let document: Value = yaml_serde::from_str(&text).unwrap();
    assert_eq!(document["version"], 1);
    assert_eq!(document["name"], "journey");
    assert!(text.starts_with("# Recorded by `bbh record`"), "{text}");

    let authorize = stubs_at(&document, "GET", "/v2/o/authorize/");
    assert_eq!(authorize.len(), 1);
    assert_eq!(authorize[0]["when"]["query"]["client_id"], CONFIDENTIAL_ID);
    assert_eq!(authorize[0]["when"]["query"]["state"], "*");
    assert_eq!(authorize[0]["when"]["query"]["code_challenge"], "*");
    assert_eq!(
        authorize[0]["when"]["query"]["redirect_uri"],
        "http://localhost:*/testclient/callback"
    );
    assert_eq!(authorize[0]["then"]["status"], 302);
    assert_eq!(
        authorize[0]["then"]["headers"]["location"],
        "{{request.query.redirect_uri}}?code={{fresh.code-1}}&state={{request.query.state}}"
    );

    let token = stubs_at(&document, "POST", "/v2/o/token/");
    assert_eq!(token.len(), 2);
    assert_eq!(token[0]["when"]["form"]["code"], "{{fresh.code-1}}");
    assert_eq!(token[0]["when"]["form"]["client_secret"], "*");
    assert_eq!(token[0]["when"]["form"]["code_verifier"], "*");
    assert_eq!(token[0]["when"]["headers"]["Authorization"], Value::Null);
    assert_eq!(
        token[0]["then"]["body"]["access_token"],
        "{{fresh.token-1}}"
    );
    assert_eq!(
        token[0]["then"]["body"]["refresh_token"],
        "{{fresh.token-2}}"
    );
    assert_eq!(token[0]["then"]["body"]["patient"], JANE);
    assert_eq!(
        token[1]["when"]["form"]["refresh_token"],
        "{{fresh.token-2}}"
    );
    assert_eq!(token[1]["when"]["headers"]["Authorization"], "Basic *");
    assert_eq!(
        token[1]["then"]["body"]["access_token"],
        "{{fresh.token-3}}"
    );

    // Patient: with the first token, 200 and later 401 (a sequence); with the new token, 200.
    let patient = stubs_at(&document, "GET", &format!("/v2/fhir/Patient/{JANE}"));
    assert_eq!(patient.len(), 2);
    assert_eq!(
        patient[0]["when"]["headers"]["Authorization"],
        "Bearer {{fresh.token-1}}"
    );
    let sequence = patient[0]["then"]["sequence"].as_array().unwrap();
    assert_eq!(sequence.len(), 2);
    assert_eq!(sequence[0]["status"], 200);
    assert_eq!(sequence[1]["status"], 401);
    let recorded = &sequence[0]["body"];
    assert_eq!(recorded["id"], JANE);
    assert_eq!(shape(recorded), shape(&issued.patient));
    let mut left = Vec::new();
    for key in ["name", "address", "telecom"] {
        personal_texts(key, &recorded[key], &mut left);
    }
    assert!(
        left.iter().all(|text| text == "redacted"),
        "every personal text is replaced: {left:?}"
    );
    assert_eq!(recorded["birthDate"], "1900-01-01");
    assert_eq!(
        patient[1]["when"]["headers"]["Authorization"],
        "Bearer {{fresh.token-3}}"
    );

    let userinfo = stubs_at(&document, "GET", "/v2/connect/userinfo");
    assert_eq!(userinfo[0]["then"]["body"]["name"], "redacted");

    // Pages: the first requires the absence of `startIndex`, links lead to the replay's host.
    let pages = stubs_at(&document, "GET", "/v2/fhir/ExplanationOfBenefit/");
    assert_eq!(pages.len(), PAGES);
    assert_eq!(pages[0]["when"]["query"]["startIndex"], Value::Null);
    assert_eq!(pages[1]["when"]["query"]["startIndex"], "2");
    assert_eq!(pages[2]["when"]["query"]["startIndex"], "4");
    // The refresh is told apart from the code exchange by its grant type alone.
    assert!(token[1]["when"]["form"].get("code").is_none());
    let next = link(&pages[0]["then"]["body"], "next").unwrap();
    assert!(
        next.starts_with("http://{{request.header.host}}/v2/fhir/ExplanationOfBenefit?"),
        "{next}"
    );
}

fn text_from(path: &Path) -> String {
    std::fs::read_to_string(path).unwrap()
}

fn text_without_comments(text: &str) -> String {
    text.lines()
        .filter(|line| !line.trim_start().starts_with('#'))
        .collect::<Vec<_>>()
        .join("\n")
}

/// Whether `word` occurs in `text` as a whole word.
fn text_has_word(text: &str, word: &str) -> bool {
    text.match_indices(word).any(|(start, _)| {
        let before = text[..start].chars().next_back();
        let after = text[start + word.len()..].chars().next();
        let boundary = |c: Option<char>| c.is_none_or(|c| !c.is_alphanumeric());
        boundary(before) && boundary(after)
    })
}

/// Needs the scenario keys of sections A (`when.query`, `headers`, `form`) and B (`sequence`,
/// templates): it passes once they are merged.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_recording_replays_the_journey_to_a_fresh_client() {
    let folder = tempfile::tempdir().unwrap();
    let (_upstream, out, recorded, issued) = recorded_journey(folder.path()).await;
    assert_replays(&out, &recorded, &issued).await;
}

/// `out` passes `bbh validate`, and served as a scenario it gives a fresh client the recorded
/// journey with fresh credentials and redacted data.
async fn assert_replays(out: &Path, recorded: &[Step], issued: &Issued) {
    let validated = Command::new(env!("CARGO_BIN_EXE_bbh"))
        .arg("validate")
        .arg(out)
        .output()
        .unwrap();
    assert!(
        validated.status.success(),
        "bbh validate: {}\n{}",
        String::from_utf8_lossy(&validated.stderr),
        text_from(out)
    );
    let scenario = scenario::load_file(out).unwrap_or_else(|error| panic!("{error}"));
    assert_eq!(scenario.name, "journey");
    let replay = Harness::start(scenario).await;

    let (replayed, fresh) = journey(&replay.server.url()).await;
    assert_eq!(statuses(&replayed), statuses(recorded));
    for (was, is) in recorded.iter().zip(&replayed) {
        assert_eq!(
            was.body.as_ref().map(shape),
            is.body.as_ref().map(shape),
            "{}: the body has the recorded shape",
            is.label
        );
    }
    // The replay answered, not the fake server behind it: redacted data, fresh credentials.
    assert_eq!(fresh.patient["name"][0]["family"], "redacted");
    assert_eq!(fresh.userinfo["name"], "redacted");
    assert_ne!(fresh.code, issued.code);
    for (token, upstream) in fresh.tokens.iter().zip(&issued.tokens) {
        assert_ne!(token, upstream);
        assert_eq!(token.len(), 32, "{token}");
        assert!(token.bytes().all(|b| b.is_ascii_alphanumeric()), "{token}");
    }
    let location = replayed[0].location.as_deref().unwrap();
    assert_eq!(
        location,
        format!("{REDIRECT}?code={}&state={STATE}", fresh.code)
    );
    // A token the replay never issued does not get the recorded answer.
    let foreign = replay
        .get_with_token(&format!("/v2/fhir/Patient/{JANE}"), &issued.tokens[0])
        .await;
    assert_ne!(foreign.status, StatusCode::OK);
}

/// An HTTPS upstream whose self-signed certificate is given as `--upstream-ca`: the journey
/// through the recorder (plain HTTP on its side) is recorded and replays.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_recorder_trusting_the_upstream_ca_records_an_https_journey_that_replays() {
    let folder = tempfile::tempdir().unwrap();
    let tls = SelfSigned::generate().unwrap();
    let ca = folder.path().join("upstream-ca.pem");
    std::fs::write(&ca, tls.cert_pem()).unwrap();
    let upstream = upstream_server(Some(tls)).await;
    assert!(upstream.url().starts_with("https://127.0.0.1:"));
    let options = RecordOptions {
        upstream_ca: Some(ca),
    };
    let (upstream, out, recorded, issued) =
        recorded_journey_from(upstream, options, folder.path()).await;
    // The upstream served every exchange, over TLS.
    assert_eq!(upstream.journal().exchanges().len(), recorded.len());

    let text = text_from(&out);
    // The description names the upstream; no stub does.
    assert!(
        text.contains(&format!("Recorded from {}", upstream.url())),
        "{text}"
    );
    let stubs = &text[text.find("\nstubs:").unwrap()..];
    assert!(
        !stubs.contains(&upstream.url()),
        "links to the https upstream are pointed at the replay: {stubs}"
    );
    let document: Value = yaml_serde::from_str(&text).unwrap();
    let patient = stubs_at(&document, "GET", &format!("/v2/fhir/Patient/{JANE}"));
    assert_eq!(patient[0]["then"]["sequence"][0]["status"], 200);
    assert_eq!(patient[0]["then"]["sequence"][0]["body"]["id"], JANE);
    let pages = stubs_at(&document, "GET", "/v2/fhir/ExplanationOfBenefit/");
    let next = link(&pages[0]["then"]["body"], "next").unwrap();
    assert!(
        next.starts_with("http://{{request.header.host}}/v2/fhir/ExplanationOfBenefit?"),
        "{next}"
    );
    assert_replays(&out, &recorded, &issued).await;
}

/// Without the upstream's CA the handshake fails: the client gets a 502 that says why, the
/// recorder goes on, and nothing is recorded.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_untrusted_upstream_certificate_is_a_502_not_a_panic() {
    let folder = tempfile::tempdir().unwrap();
    let upstream = upstream_server(Some(SelfSigned::generate().unwrap())).await;
    // Trusting another self-signed certificate (valid names, wrong issuer) does not help.
    let other = folder.path().join("other-ca.pem");
    std::fs::write(&other, SelfSigned::generate().unwrap().cert_pem()).unwrap();
    for upstream_ca in [None, Some(other)] {
        let out = folder.path().join("untrusted.yaml");
        let recorder = record::start_with(
            &upstream.url(),
            "127.0.0.1:0".parse().unwrap(),
            &out,
            RecordOptions { upstream_ca },
        )
        .await
        .unwrap();
        for _ in 0..2 {
            let reply = http_client()
                .get(format!("{}/v2/fhir/Patient/{JANE}", recorder.url()))
                .send()
                .await
                .unwrap();
            assert_eq!(reply.status(), StatusCode::BAD_GATEWAY);
            let text = reply.text().await.unwrap();
            assert!(text.contains("TLS handshake failed"), "{text}");
            assert!(text.contains("certificate"), "{text}");
        }
        assert_eq!(recorder.stop().await, 0);
        let empty: Value = yaml_serde::from_str(&text_from(&out)).unwrap();
        assert_eq!(empty["stubs"], serde_json::json!([]));
    }
    assert!(upstream.journal().exchanges().is_empty());
}

#[tokio::test]
async fn the_recorder_does_not_forward_the_admin_api() {
    let folder = tempfile::tempdir().unwrap();
    let options = ServerOptions {
        admin: true,
        ..ServerOptions::default()
    };
    let scenario = scenario::builtin("oauth-success").unwrap();
    let upstream = server::start(scenario, "127.0.0.1:0".parse().unwrap(), options)
        .await
        .unwrap();
    let out = folder.path().join("admin.yaml");
    let recorder = record::start(&upstream.url(), "127.0.0.1:0".parse().unwrap(), &out)
        .await
        .unwrap();
    let reply = http_client()
        .post(format!("{}/__admin/shutdown", recorder.url()))
        .send()
        .await
        .unwrap();
    assert_eq!(reply.status(), StatusCode::FORBIDDEN);
    // The upstream is still up, and serves its admin API to its own loopback clients.
    let health = http_client()
        .get(format!("{}/__admin/health", upstream.url()))
        .send()
        .await
        .unwrap();
    assert_eq!(health.status(), StatusCode::OK);
    assert_eq!(recorder.stop().await, 0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bbh_record_prints_its_address_and_records_until_stopped() {
    let upstream = Harness::builtin("oauth-success").await;
    let folder = tempfile::tempdir().unwrap();
    let out = folder.path().join("cli.yaml");
    let (running, url) = spawn_record(&upstream.server.url(), &out, &[]);
    assert!(url.starts_with("http://127.0.0.1:"), "{url}");
    let empty: Value = yaml_serde::from_str(&text_from(&out)).unwrap();
    assert_eq!(empty["stubs"], serde_json::json!([]));
    assert_eq!(empty["name"], "cli");

    let reply = http_client()
        .get(format!("{url}/v2/fhir/Patient/{JANE}"))
        .send()
        .await
        .unwrap();
    assert_eq!(reply.status(), StatusCode::UNAUTHORIZED);
    let recorded: Value = yaml_serde::from_str(&text_from(&out)).unwrap();
    assert_eq!(recorded["stubs"][0]["then"]["status"], 401);

    let (status, log) = running.terminate();
    assert!(status.success(), "a stop signal exits 0, got {status}");
    assert!(log.contains("holds 1 exchange(s)"), "{log}");
}

#[test]
fn bbh_record_refuses_an_upstream_that_is_not_an_http_origin() {
    let folder = tempfile::tempdir().unwrap();
    let out = folder.path().join("never.yaml");
    for upstream in [
        "ftp://sandbox.bluebutton.cms.gov",
        "http://h/v2/",
        "https://h/v2/",
    ] {
        let output = Command::new(env!("CARGO_BIN_EXE_bbh"))
            .args(["record", "--upstream", upstream, "--out"])
            .arg(&out)
            .args(["--addr", "127.0.0.1:0"])
            .output()
            .unwrap();
        assert_eq!(output.status.code(), Some(2), "{upstream}");
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert!(
            stderr.contains(&format!("--upstream {upstream}")),
            "{stderr}"
        );
        assert!(!out.exists(), "nothing is written for a refused upstream");
    }
}

#[test]
fn bbh_record_refuses_an_unreadable_or_invalid_upstream_ca() {
    let folder = tempfile::tempdir().unwrap();
    let out = folder.path().join("never.yaml");
    let not_pem = folder.path().join("not.pem");
    std::fs::write(&not_pem, "just some text\n").unwrap();
    let broken = folder.path().join("broken.pem");
    std::fs::write(
        &broken,
        "-----BEGIN CERTIFICATE-----\naGVsbG8gd29ybGQ=\n-----END CERTIFICATE-----\n",
    )
    .unwrap();
    for (ca, why) in [
        (folder.path().join("missing.pem"), "cannot read it"),
        (not_pem, "no PEM certificate"),
        (broken, "cannot be a trusted root"),
    ] {
        let output = Command::new(env!("CARGO_BIN_EXE_bbh"))
            .args([
                "record",
                "--upstream",
                "https://127.0.0.1:9",
                "--upstream-ca",
            ])
            .arg(&ca)
            .arg("--out")
            .arg(&out)
            .args(["--addr", "127.0.0.1:0"])
            .output()
            .unwrap();
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert_eq!(output.status.code(), Some(2), "{}: {stderr}", ca.display());
        assert!(
            stderr.contains(&format!("--upstream-ca {}", ca.display())) && stderr.contains(why),
            "{stderr}"
        );
        assert!(!stderr.contains("panicked"), "{stderr}");
        assert!(!out.exists(), "nothing is written for a refused CA file");
    }
}

/// `bbh record` in a child process: its base URL and the process.
fn spawn_record(upstream: &str, out: &Path, extra: &[&OsStr]) -> (Bbh, String) {
    let mut args: Vec<&OsStr> = ["record", "--upstream", upstream, "--out"]
        .map(OsStr::new)
        .to_vec();
    args.push(out.as_os_str());
    args.extend([OsStr::new("--addr"), OsStr::new("127.0.0.1:0")]);
    args.extend(extra);
    spawn_bbh(args, Stdio::piped(), "bbh recording on ")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bbh_record_forwards_to_https_with_upstream_ca_and_says_why_without() {
    let folder = tempfile::tempdir().unwrap();
    let tls = SelfSigned::generate().unwrap();
    let ca = folder.path().join("upstream-ca.pem");
    std::fs::write(&ca, tls.cert_pem()).unwrap();
    let upstream = upstream_server(Some(tls)).await;
    let patient = format!("/v2/fhir/Patient/{JANE}");

    // Trusting the upstream's certificate: forwarded and recorded.
    let out = folder.path().join("trusted.yaml");
    let (running, url) = spawn_record(
        &upstream.url(),
        &out,
        &["--upstream-ca".as_ref(), ca.as_os_str()],
    );
    let reply = http_client()
        .get(format!("{url}{patient}"))
        .send()
        .await
        .unwrap();
    assert_eq!(reply.status(), StatusCode::UNAUTHORIZED);
    let recorded: Value = yaml_serde::from_str(&text_from(&out)).unwrap();
    assert_eq!(recorded["stubs"][0]["then"]["status"], 401);
    let (status, log) = running.terminate();
    assert!(status.success(), "{status}: {log}");
    assert!(
        log.contains(&format!("forwarding to {}", upstream.url())),
        "{log}"
    );
    assert!(log.contains("holds 1 exchange(s)"), "{log}");

    // Without it: a 502 to the client, a line on stderr, and the recorder goes on.
    let out = folder.path().join("untrusted.yaml");
    let (running, url) = spawn_record(&upstream.url(), &out, &[]);
    let reply = http_client()
        .get(format!("{url}{patient}"))
        .send()
        .await
        .unwrap();
    assert_eq!(reply.status(), StatusCode::BAD_GATEWAY);
    let (status, log) = running.terminate();
    assert!(
        status.success(),
        "a stop signal exits 0, got {status}: {log}"
    );
    assert!(!log.contains("panicked"), "{log}");
    let line = log
        .lines()
        .find(|line| line.starts_with("bbh record: GET "))
        .unwrap_or_else(|| panic!("no line for the failed exchange: {log}"));
    assert!(
        line.contains("TLS handshake failed") && line.contains("--upstream-ca"),
        "{line}"
    );
    assert!(log.contains("holds 0 exchange(s)"), "{log}");
    assert_eq!(upstream.journal().exchanges().len(), 1);
}
