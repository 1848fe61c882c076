//! Stub matching over real HTTP: path patterns, query, headers, form fields, the session of a
//! request, `nth`, sequences, the near-miss journal, and `strict` (the journal, `bbh serve`'s
//! warning and the conformance check).

use crate::support::*;
use bluebutton_harness::scenario::{Passthrough, Stub, StubThen, StubWhen};
use bluebutton_harness::server::journal::Exchange;
use bluebutton_harness::server::near_miss::{ClosestStub, FieldDiff, Miss};
use reqwest::StatusCode;
use serde_json::Value;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

/// `version: 1`, a name, then `rest`.
fn scenario(rest: &str) -> String {
    format!("version: 1\nname: matching\n{rest}")
}

/// The statuses `paths` get, in order.
async fn statuses(h: &Harness, paths: &[&str]) -> Vec<u16> {
    let mut statuses = Vec::new();
    for path in paths {
        statuses.push(h.get(path).await.status.as_u16());
    }
    statuses
}

#[tokio::test]
async fn path_patterns_match_within_and_across_segments() {
    let h = Harness::yaml(&scenario(
        "stubs:
  - when: {path: /v2/fhir/Patient/*}
    then: {status: 291}
  - when: {path: /v2/fhir/ExplanationOfBenefit/**}
    then: {status: 292}
  - when: {path: /v*/connect/userinfo}
    then: {status: 293}
",
    ))
    .await;
    assert_eq!(
        statuses(
            &h,
            &[
                "/v2/fhir/Patient/-20140000008325",
                "/v2/fhir/Patient/",
                "/v2/fhir/Patient",
                "/v2/fhir/Patient/a/b",
                "/v2/fhir/ExplanationOfBenefit",
                "/v2/fhir/ExplanationOfBenefit/?type=carrier",
                "/v2/fhir/ExplanationOfBenefit/x/y/",
                "/v2/fhir/ExplanationOfBenefitX",
                "/v1/connect/userinfo",
                "/v2/connect/userinfo/",
                "/v2/x/connect/userinfo",
                "/v2/fhir/Coverage/",
            ]
        )
        .await,
        [291, 291, 291, 401, 292, 292, 292, 404, 293, 293, 404, 401]
    );
}

#[tokio::test]
async fn query_conditions_with_any_value_absent_and_repeated_parameters() {
    let h = Harness::yaml(&scenario(
        "stubs:
  - when:
      path: /v2/fhir/ExplanationOfBenefit/
      query: {type: carrier, _count: '*', startIndex: null}
    then: {status: 294}
",
    ))
    .await;
    let eob = "/v2/fhir/ExplanationOfBenefit/";
    assert_eq!(
        statuses(
            &h,
            &[
                &format!("{eob}?type=carrier&_count=10"),
                &format!("{eob}?_count=&type=carrier"),
                &format!("{eob}?type=pde&type=carrier&_count=1"),
                &format!("{eob}?type=car%72ier&_count=1"),
                &format!("{eob}?type=carrier"),
                &format!("{eob}?type=carrier&_count=10&startIndex=10"),
                &format!("{eob}?type=Carrier&_count=10"),
                &format!("{eob}?type=pde&_count=10"),
            ]
        )
        .await,
        [294, 294, 294, 294, 401, 401, 401, 401]
    );
}

#[tokio::test]
async fn header_names_ignore_case_and_values_are_compared_as_sent() {
    let h = Harness::yaml(&scenario(
        "stubs:
  - when:
      path: /v2/fhir/Coverage/
      headers: {ACCEPT: 'application/fhir+json*', X-Debug: null}
    then: {status: 295}
",
    ))
    .await;
    let get = |accept: &str, debug: Option<&str>| {
        let mut request = h
            .client
            .get(h.url("/v2/fhir/Coverage/"))
            .header("accept", accept);
        if let Some(debug) = debug {
            request = request.header("x-debug", debug);
        }
        h.send(request)
    };
    assert_eq!(get("application/fhir+json", None).await.status, 295);
    assert_eq!(
        get("application/fhir+json; charset=utf-8", None)
            .await
            .status,
        295
    );
    assert_eq!(get("Application/FHIR+json", None).await.status, 406);
    assert_eq!(get("application/json", None).await.status, 401);
    assert_eq!(get("application/fhir+json", Some("1")).await.status, 401);
    assert_eq!(h.get("/v2/fhir/Coverage/").await.status, 401);
}

#[tokio::test]
async fn form_fields_and_the_method() {
    let h = Harness::yaml(&scenario(
        "stubs:
  - when: {method: POST, path: /v2/o/token/, form: {grant_type: refresh_token, scope: null}}
    then: {status: 503, headers: {Retry-After: '7'}}
",
    ))
    .await;
    let refresh = h.refresh("unknown-refresh-token").await;
    assert_eq!(refresh.status, StatusCode::SERVICE_UNAVAILABLE);
    assert_eq!(refresh.header("retry-after"), Some("7"));
    // A multipart body carries form fields too.
    let multipart = reqwest::multipart::Form::new()
        .text("grant_type", "refresh_token")
        .text("refresh_token", "x");
    let reply = h
        .send(h.client.post(h.url("/v2/o/token/")).multipart(multipart))
        .await;
    assert_eq!(reply.status, StatusCode::SERVICE_UNAVAILABLE);
    // Another grant type, an extra field the stub wants absent, another method: the API.
    let code = h.code("").await;
    assert_eq!(h.exchange(&code).await.status, StatusCode::OK);
    let scoped = h
        .token_form(
            &[
                ("grant_type", "refresh_token"),
                ("refresh_token", "x"),
                ("scope", "profile"),
            ],
            CONFIDENTIAL_BASIC,
        )
        .await;
    assert_eq!(scoped.status, StatusCode::BAD_REQUEST);
    let get = h.get("/v2/o/token/?grant_type=refresh_token").await;
    assert_eq!(get.status, StatusCode::METHOD_NOT_ALLOWED);
}

#[tokio::test]
async fn session_nth_follows_bearer_refresh_token_and_code() {
    let h = Harness::yaml(&scenario(
        "stubs:
  - when: {path: /v2/fhir/Patient/**, session: {nth: 2}}
    then: {status: 296}
  - when: {method: POST, path: /v2/o/token/, form: {grant_type: refresh_token}, session: {nth: 1}}
    then: {status: 297}
  - when: {method: POST, path: /v2/o/token/, form: {grant_type: authorization_code}, session: {nth: 3}}
    then: {status: 298}
  - when: {path: /v2/connect/userinfo, session: {}}
    then: {status: 299}
",
    ))
    .await;
    let first = h.tokens("").await;
    let second = h.tokens("").await;
    let patient = format!("/v2/fhir/Patient/{JANE}");
    let h = &h;
    let read = |token: Value| {
        let patient = patient.clone();
        async move {
            h.get_with_token(&patient, &string_at(&token, "access_token"))
                .await
        }
    };
    assert_eq!(read(first.clone()).await.status, StatusCode::OK);
    assert_eq!(read(second.clone()).await.status.as_u16(), 296);
    // No session: never meets a session condition.
    assert_eq!(h.get(&patient).await.status, StatusCode::UNAUTHORIZED);
    assert_eq!(
        h.get_with_token(&patient, "not-a-token").await.status,
        StatusCode::UNAUTHORIZED
    );
    // The refresh token's session.
    let refreshed = h.refresh(&string_at(&first, "refresh_token")).await;
    assert_eq!(refreshed.status.as_u16(), 297);
    let refreshed = h.refresh(&string_at(&second, "refresh_token")).await;
    assert_eq!(refreshed.status, StatusCode::OK);
    // The refreshed tokens stay in session 2.
    assert_eq!(read(refreshed.json()).await.status.as_u16(), 296);
    // The code's session: the third authorization.
    let code = h.code("").await;
    assert_eq!(h.exchange(&code).await.status.as_u16(), 298);
    // `session: {}`: any session.
    let userinfo = "/v2/connect/userinfo";
    let token = string_at(&first, "access_token");
    assert_eq!(
        h.get_with_token(userinfo, &token).await.status.as_u16(),
        299
    );
    assert_eq!(h.get(userinfo).await.status, StatusCode::UNAUTHORIZED);
}

#[tokio::test]
async fn nth_counts_only_requests_that_meet_every_other_condition() {
    let h = Harness::yaml(&scenario(
        "stubs:
  - when: {method: GET, path: /v2/fhir/Coverage/, query: {_count: '5'}, nth: 2}
    then: {status: 429, headers: {Retry-After: '1'}}
",
    ))
    .await;
    assert_eq!(
        statuses(
            &h,
            &[
                "/v2/fhir/Coverage/?_count=5",
                "/v2/fhir/Coverage/?_count=6",
                "/v2/fhir/Coverage/",
                "/v2/fhir/Coverage/?_count=5",
                "/v2/fhir/Coverage/?_count=5",
            ]
        )
        .await,
        [401, 401, 401, 429, 401]
    );
    // A reset starts the count again.
    h.server.reset();
    assert_eq!(
        statuses(
            &h,
            &["/v2/fhir/Coverage/?_count=5", "/v2/fhir/Coverage/?_count=5"]
        )
        .await,
        [401, 429]
    );
}

fn status(code: u16) -> StubThen {
    StubThen {
        status: http::StatusCode::from_u16(code).ok(),
        ..StubThen::default()
    }
}

#[tokio::test]
async fn a_sequence_answers_its_steps_in_turn_and_repeats_the_last() {
    let h = Harness::yaml(&scenario("")).await;
    h.server.mount(Stub {
        when: StubWhen {
            path: "/v2/fhir/Coverage/".into(),
            ..StubWhen::default()
        },
        then: StubThen {
            sequence: vec![
                status(500),
                status(502),
                StubThen {
                    passthrough: Some(Passthrough::default()),
                    ..StubThen::default()
                },
                status(200),
            ],
            ..StubThen::default()
        },
    });
    let paths = ["/v2/fhir/Coverage/"; 6];
    assert_eq!(
        statuses(&h, &paths).await,
        [500, 502, 401, 200, 200, 200],
        "the passthrough step gets the API's answer"
    );
    // Requests it does not match do not advance it; a reset starts it again.
    assert_eq!(h.get("/v2/fhir/Patient/").await.status, 401);
    h.server.reset();
    assert_eq!(statuses(&h, &paths[..2]).await, [500, 502]);
}

/// The journal's exchange of the request to `path` (the last one).
fn exchange(h: &Harness, path: &str) -> Exchange {
    h.server
        .journal()
        .exchanges()
        .into_iter()
        .rev()
        .find(|e| e.request.path == path)
        .unwrap_or_else(|| panic!("no exchange for {path}"))
}

const NEAR_MISSES: &str = "stubs:
  - when:
      method: POST
      path: /v2/o/token/
      headers: {Content-Type: application/x-www-form-urlencoded}
      form: {grant_type: refresh_token}
    then: {status: 503}
  - when:
      method: GET
      path: /v2/fhir/ExplanationOfBenefit/
      query: {type: carrier}
      headers: {Accept: application/fhir+json}
    then: {status: 503}
";

#[tokio::test]
async fn the_journal_explains_a_request_that_matched_no_stub_and_no_route() {
    let h = Harness::yaml(&scenario(NEAR_MISSES)).await;
    let eobs = "/v2/fhir/ExplanationOfBenefits/";
    let reply = h
        .send(
            h.client
                .get(h.url(&format!("{eobs}?type=pde&type=dme")))
                .header("accept", "application/json"),
        )
        .await;
    assert_eq!(reply.status, StatusCode::NOT_FOUND);
    assert_eq!(
        exchange(&h, eobs).miss,
        Some(Miss {
            closest: Some(ClosestStub {
                index: 1,
                diffs: vec![
                    FieldDiff {
                        field: "path".into(),
                        expected: "/v2/fhir/ExplanationOfBenefit/".into(),
                        actual: Some(eobs.into()),
                    },
                    FieldDiff {
                        field: "query.type".into(),
                        expected: "carrier".into(),
                        actual: Some("pde, dme".into()),
                    },
                    FieldDiff {
                        field: "headers.accept".into(),
                        expected: "application/fhir+json".into(),
                        actual: Some("application/json".into()),
                    },
                ],
            }),
            strict: false,
        })
    );
    // The closest stub misses the fewest conditions; the first of equals wins.
    h.post_form("/v2/o/tokens/", &[("grant_type", "refresh_token")], None)
        .await;
    let miss = exchange(&h, "/v2/o/tokens/").miss.unwrap();
    assert_eq!(
        miss.closest.unwrap().diffs,
        [FieldDiff {
            field: "path".into(),
            expected: "/v2/o/token/".into(),
            actual: Some("/v2/o/tokens/".into()),
        }]
    );
    let tie = h
        .client
        .get(h.url("/nowhere?type=carrier"))
        .form(&[("grant_type", "refresh_token")]);
    h.send(tie).await;
    let closest = exchange(&h, "/nowhere").miss.unwrap().closest.unwrap();
    assert_eq!(closest.index, 0);
    assert_eq!(
        closest
            .diffs
            .iter()
            .map(|d| d.field.as_str())
            .collect::<Vec<_>>(),
        ["method", "path"]
    );
    // A route of the API, or a stub's answer: no miss.
    h.get("/v2/fhir/metadata").await;
    assert_eq!(exchange(&h, "/v2/fhir/metadata").miss, None);
    h.get("/v2/fhir/ExplanationOfBenefit/?type=pde").await;
    assert_eq!(exchange(&h, "/v2/fhir/ExplanationOfBenefit/").miss, None);
    let reply = h
        .send(
            h.client
                .get(h.url("/v2/fhir/ExplanationOfBenefit/?type=carrier"))
                .header("accept", "application/fhir+json"),
        )
        .await;
    assert_eq!(reply.status, StatusCode::SERVICE_UNAVAILABLE);
    assert_eq!(exchange(&h, "/v2/fhir/ExplanationOfBenefit/").miss, None);
    // Without stubs, an unknown path is still a miss, with no closest stub.
    let bare = Harness::yaml(&scenario("strict: true\n")).await;
    bare.get("/nowhere").await;
    assert_eq!(
        exchange(&bare, "/nowhere").miss,
        Some(Miss {
            closest: None,
            strict: true
        })
    );
}

#[tokio::test]
async fn a_strict_scenario_marks_its_misses() {
    let h = Harness::yaml(&scenario(&format!("strict: true\n{NEAR_MISSES}"))).await;
    h.get("/v2/fhir/Nowhere/").await;
    h.get("/v2/fhir/Coverage/").await;
    let misses: Vec<(String, bool)> = h
        .server
        .journal()
        .exchanges()
        .into_iter()
        .filter_map(|e| Some((e.request.path, e.miss?.strict)))
        .collect();
    assert_eq!(misses, [("/v2/fhir/Nowhere/".to_owned(), true)]);
}

/// Writes `text` as a scenario file named `name.yaml` in a fresh folder.
fn scenario_file(name: &str, text: &str) -> PathBuf {
    let dir = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join(format!("stub-matching-{name}"));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join(format!("{name}.yaml"));
    std::fs::write(&path, text).unwrap();
    path
}

#[tokio::test]
async fn bbh_serve_warns_on_stderr_for_each_unmatched_request_of_a_strict_scenario() {
    let file = scenario_file(
        "strict-serve",
        "version: 1\nname: strict-serve\nstrict: true\nstubs:\n  - when: {path: /v2/fhir/Patient/}\n    then: {status: 204}\n",
    );
    let (bbh, url) = spawn_bbh(
        [
            "serve".as_ref(),
            "--addr".as_ref(),
            "127.0.0.1:0".as_ref(),
            "--scenario".as_ref(),
            file.as_os_str(),
        ],
        Stdio::piped(),
        LISTENING,
    );
    let client = http_client();
    for (path, status) in [
        ("/v2/fhir/Patients/?access_token=s3cr3t", 404),
        ("/v2/fhir/Patient/", 204),
        ("/v2/fhir/metadata", 200),
        ("/favicon.ico", 404),
    ] {
        let reply = client.get(format!("{url}{path}")).send().await.unwrap();
        assert_eq!(reply.status().as_u16(), status, "{path}");
    }
    let (status, log) = bbh.terminate();
    assert!(status.success(), "{status}: {log}");
    let warnings: Vec<&str> = log
        .lines()
        .filter(|line| line.starts_with("bbh: warning: strict scenario:"))
        .collect();
    assert_eq!(
        warnings,
        [
            "bbh: warning: strict scenario: GET /v2/fhir/Patients/?access_token=token#1 matched \
             no stub and no route (closest stub: stubs[0], unmet: path)",
            "bbh: warning: strict scenario: GET /favicon.ico matched no stub and no route \
             (closest stub: stubs[0], unmet: path)",
        ],
        "{log}"
    );
    assert!(!log.contains("s3cr3t"), "{log}");
}

/// The reference client example, built by `cargo test` next to the test binaries.
fn reference_client() -> PathBuf {
    let bbh = Path::new(env!("CARGO_BIN_EXE_bbh"));
    bbh.parent().unwrap().join("examples/reference_client")
}

/// Runs `bbh conform` on the scenario file `file` with the client `client`: the exit code
/// and the verdict (`status`, `reason`) of `no-unmatched-requests`.
fn conform(file: &Path, client: &str) -> (i32, String, String) {
    let reports = file.parent().unwrap().join("reports");
    let output = Command::new(env!("CARGO_BIN_EXE_bbh"))
        .args(["conform", "--client", client, "--scenario"])
        .arg(file)
        .arg("--report-dir")
        .arg(&reports)
        .output()
        .unwrap();
    let name = file.file_stem().unwrap().to_str().unwrap();
    let text = std::fs::read_to_string(reports.join(name).join("checks.json"))
        .unwrap_or_else(|e| panic!("{e}: {}", String::from_utf8_lossy(&output.stderr)));
    let checks: Value = serde_json::from_str(&text).unwrap();
    assert_valid("checks", &checks);
    let check = checks["checks"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["id"] == "no-unmatched-requests")
        .unwrap_or_else(|| panic!("no no-unmatched-requests in {checks:#}"));
    assert_eq!(check["level"], "required");
    (
        output.status.code().unwrap_or(-1),
        check["status"].as_str().unwrap().to_owned(),
        check["reason"].as_str().unwrap().to_owned(),
    )
}

#[test]
fn a_strict_scenario_fails_the_conformance_run_of_a_client_that_strays() {
    let client = reference_client();
    assert!(client.exists(), "{} is missing", client.display());
    let client = client.display().to_string();
    let strict = scenario_file(
        "strict-conform",
        "version: 1\nname: strict-conform\nstrict: true\n",
    );
    let (code, status, reason) = conform(&strict, &client);
    assert_eq!((code, status.as_str()), (0, "pass"), "{reason}");

    // `bbh browse` sends the stray GET: no tool beyond the build is needed.
    let stray = format!(
        "\"{}\" browse --foreground \"$BB_BASE_URL/v2/fhir/Claim/\"; {client}",
        env!("CARGO_BIN_EXE_bbh")
    );
    let (code, status, reason) = conform(&strict, &stray);
    assert_eq!((code, status.as_str()), (1, "fail"), "{reason}");
    assert_eq!(
        reason,
        "GET /v2/fhir/Claim/ matched no stub and no route (no stub is defined)"
    );

    let lenient = scenario_file("lenient-conform", "version: 1\nname: lenient-conform\n");
    let (code, status, reason) = conform(&lenient, &stray);
    assert_eq!((code, status.as_str()), (0, "skip"), "{reason}");
}

#[test]
fn the_schema_and_the_parser_agree_on_when_and_strict() {
    use crate::scenario_files::{schema, to_json};
    use bluebutton_harness::scenario::{self as scenarios, Source};
    let validator = schema();
    let good = scenario(
        "strict: true
stubs:
  - when:
      method: GET
      path: /v2/fhir/ExplanationOfBenefit/**
      query: {type: carrier, _count: '*', startIndex: null, page: 2}
      headers: {Accept: 'application/fhir+json*', X-Debug: null}
      form: {grant_type: refresh_token}
      session: {nth: 2, state: {outage: failing}}
      nth: 3
    then: {status: 503}
  - when: {path: '/v*/fhir/*/', session: {}}
    then: {status: 503}
states:
  outage:
    states: [healthy, failing]
    transitions:
      - {from: healthy, to: failing, when: {path: /v2/fhir/Patient/**}}
",
    );
    scenarios::parse(&good, Source::Builtin("good")).unwrap();
    let errors: Vec<String> = validator
        .iter_errors(&to_json(&good))
        .map(|e| format!("{e} at {}", e.instance_path()))
        .collect();
    assert!(errors.is_empty(), "{errors:#?}");
    for when in [
        "{path: '/a**'}",
        "{path: '/a/***/b'}",
        "{path: /, query: [type]}",
        "{path: /, query: {type: [a]}}",
        "{path: /, query: {'': a}}",
        "{path: /, headers: {'Bad Name': a}}",
        "{path: /, headers: {X-A: \"a\\nb\"}}",
        "{path: /, form: a=b}",
        "{path: /, session: {nth: 0}}",
        "{path: /, session: {state: {outage: [a]}}}",
        "{path: /, session: {machine: x}}",
        "{path: /, session: 2}",
        "{path: /, cookie: a}",
    ] {
        let text = scenario(&format!("stubs:\n  - when: {when}\n    then: {{}}\n"));
        assert!(
            !validator.is_valid(&to_json(&text)),
            "the schema accepts:\n{text}"
        );
        assert!(
            scenarios::parse(&text, Source::Builtin("bad")).is_err(),
            "the parser accepts:\n{text}"
        );
    }
    let text = scenario("strict: 'yes'\n");
    assert!(!validator.is_valid(&to_json(&text)));
    assert!(scenarios::parse(&text, Source::Builtin("bad")).is_err());
}
