//! The `bbh` binary as users run it.

use crate::support::*;
use std::path::PathBuf;
use std::process::{Command, Output, Stdio};

fn bbh() -> Command {
    Command::new(env!("CARGO_BIN_EXE_bbh"))
}

fn run(args: &[&str]) -> Output {
    bbh().args(args).output().expect("bbh runs")
}

fn scratch_file(name: &str, text: &str) -> PathBuf {
    let path = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join(name);
    std::fs::write(&path, text).unwrap();
    path
}

#[test]
fn version() {
    let out = run(&["--version"]);
    assert!(out.status.success());
    assert_eq!(
        String::from_utf8_lossy(&out.stdout).trim(),
        format!("bbh {}", env!("CARGO_PKG_VERSION"))
    );
}

#[tokio::test]
async fn serve_prints_the_ready_line_logs_redacted_and_stops_on_sigterm() {
    let (bbh, url) = spawn_bbh(
        ["serve", "--addr", "127.0.0.1:0"],
        Stdio::piped(),
        LISTENING,
    );
    assert!(url.starts_with("http://127.0.0.1:"), "{url}");

    let client = http_client();
    let authorize = format!("{url}/v2/o/authorize/?{}", pkce_query(REDIRECT, ""));
    let reply = client.get(&authorize).send().await.unwrap();
    assert_eq!(reply.status(), 302);
    let location = reply.headers()["location"].to_str().unwrap().to_owned();
    let code = location
        .split("code=")
        .nth(1)
        .unwrap()
        .split('&')
        .next()
        .unwrap()
        .to_owned();
    let tokens: serde_json::Value = client
        .post(format!("{url}/v2/o/token/"))
        .basic_auth(CONFIDENTIAL_ID, Some(CONFIDENTIAL_SECRET))
        .form(&[
            ("grant_type", "authorization_code"),
            ("code", &code),
            ("redirect_uri", REDIRECT),
            ("code_verifier", VERIFIER),
        ])
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let access = tokens["access_token"].as_str().unwrap().to_owned();
    let patient = client
        .get(format!("{url}/v2/fhir/Patient/{JANE}"))
        .bearer_auth(&access)
        .send()
        .await
        .unwrap();
    assert_eq!(patient.status(), 200);

    let (status, log) = bbh.terminate();
    assert!(status.success(), "graceful stop exits 0, got {status}");
    assert!(log.contains("GET /v2/fhir/Patient/patient#1 200"), "{log}");
    assert!(log.contains("code_challenge=secret#1"), "{log}");
    let challenge = bluebutton_harness::oauth::pkce::s256_challenge(VERIFIER);
    for secret in [
        code.as_str(),
        access.as_str(),
        challenge.as_str(),
        JANE,
        CONFIDENTIAL_SECRET,
    ] {
        assert!(!log.contains(secret), "the log leaks {secret}: {log}");
    }
}

#[tokio::test]
async fn every_answered_request_is_logged_before_a_sigterm_stop() {
    let (bbh, url) = spawn_bbh(
        ["serve", "--addr", "127.0.0.1:0"],
        Stdio::piped(),
        LISTENING,
    );
    let client = http_client();
    let workers: Vec<_> = (0..4)
        .map(|worker| {
            let (client, url) = (client.clone(), url.clone());
            tokio::spawn(async move {
                for n in 0..75 {
                    let target = format!("{url}/v2/fhir/metadata?n={worker}-{n}");
                    let reply = client.get(target).send().await.unwrap();
                    assert_eq!(reply.status(), 200);
                    reply.bytes().await.unwrap();
                }
            })
        })
        .collect();
    for worker in workers {
        worker.await.unwrap();
    }
    let (status, log) = bbh.terminate();
    assert!(status.success(), "{status}: {log}");
    for worker in 0..4 {
        for n in 0..75 {
            let line = format!("GET /v2/fhir/metadata?n={worker}-{n} 200 ");
            assert_eq!(
                log.lines().filter(|l| l.starts_with(&line)).count(),
                1,
                "{line}\n{log}"
            );
        }
    }
}

#[tokio::test]
async fn profile_current_and_now_set_the_behaviour_and_the_clock() {
    let (_bbh, url) = spawn_bbh(
        [
            "serve",
            "--profile",
            "current",
            "--now",
            "2030-01-02T03:04:05Z",
            "--addr",
            "127.0.0.1:0",
        ],
        Stdio::null(),
        LISTENING,
    );
    let client = http_client();
    let authorize = format!("{url}/v2/o/authorize/?{}", pkce_query(REDIRECT, ""));
    let redirect = client.get(&authorize).send().await.unwrap();
    let location = redirect.headers()["location"].to_str().unwrap().to_owned();
    let code = reqwest::Url::parse(&location)
        .unwrap()
        .query_pairs()
        .find(|(k, _)| k == "code")
        .map(|(_, v)| v.into_owned())
        .unwrap();
    // `current` takes the token endpoint without its slash (documented: 301).
    let reply = client
        .post(format!("{url}/v2/o/token"))
        .form(&exchange_form(&code))
        .send()
        .await
        .unwrap();
    let status = reply.status();
    let body: serde_json::Value = reply.json().await.unwrap_or_default();
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["expires_in"], 3600);
    // The 13-month grant runs from the clock `--now` set (the wall clock is years earlier).
    let expiration = body["access_grant_expiration"].as_str().unwrap();
    assert!(expiration.starts_with("2031-02-02T"), "{expiration}");
}

#[test]
fn now_must_be_an_rfc3339_instant() {
    let out = run(&["serve", "--now", "yesterday", "--addr", "127.0.0.1:0"]);
    assert_eq!(out.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains(
            "expected an RFC 3339 instant such as `2026-01-01T09:00:00Z`, found `yesterday`"
        ),
        "{stderr}"
    );
}

#[test]
fn unknown_scenario_is_a_usage_error() {
    let out = run(&[
        "serve",
        "--scenario",
        "no-such-scenario",
        "--addr",
        "127.0.0.1:0",
    ]);
    assert_eq!(out.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("no-such-scenario") && stderr.contains("oauth-success"),
        "{stderr}"
    );
}

#[test]
fn validate_reports_every_error_with_positions() {
    let good = scratch_file(
        "good.yaml",
        "version: 1\nname: good-one\nlogin:\n  approve: false\n",
    );
    let out = run(&["validate", good.to_str().unwrap()]);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(String::from_utf8_lossy(&out.stdout).contains("ok"));

    let bad = scratch_file(
        "bad.yaml",
        "version: 2\nname: Bad Name\ncolour: blue\ntokens:\n  code_ttl: \"60\"\n",
    );
    let out = run(&["validate", bad.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&out.stderr);
    let file = bad.display().to_string();
    for position in [":1:", ":2:", ":3:", ":5:"] {
        assert!(
            stderr
                .lines()
                .any(|l| l.starts_with(&file) && l.contains(position)),
            "no error at line {position} in:\n{stderr}"
        );
    }
    let missing = run(&["validate", "/nonexistent/scenario.yaml"]);
    assert_eq!(missing.status.code(), Some(2));
}

#[test]
fn built_in_scenarios_are_listed_and_shown() {
    let out = run(&["scenarios", "list"]);
    assert!(out.status.success());
    let listing = String::from_utf8_lossy(&out.stdout);
    for name in [
        "oauth-success",
        "denied-demographics",
        "invalid-claim-type",
        "small-response-no-gzip",
        "pagination",
    ] {
        assert!(
            listing.lines().any(|l| l.starts_with(name)),
            "{name} missing from:\n{listing}"
        );
        let shown = run(&["scenarios", "show", name]);
        assert!(shown.status.success());
        let on_disk =
            std::fs::read_to_string(project_path(&format!("scenarios/{name}.yaml"))).unwrap();
        assert_eq!(String::from_utf8_lossy(&shown.stdout), on_disk);
    }
    assert_eq!(run(&["scenarios", "show", "nope"]).status.code(), Some(2));
}
