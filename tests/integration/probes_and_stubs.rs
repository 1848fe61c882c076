//! Scenario stubs, authorize probes, `expire_after_calls` and the journal's capacity (what
//! the conformance runner builds on), over real loopback HTTP.

use crate::support::*;
use bluebutton_harness::oauth::pkce;
use bluebutton_harness::scenario;
use bluebutton_harness::server::{self, ServerOptions};
use reqwest::StatusCode;
use serde_json::json;

const EXPIRED: &str = "Bearer realm=\"api\",error=\"invalid_token\",error_description=\"The access token has expired.\"";
const INVALID: &str = "Bearer realm=\"api\",error=\"invalid_token\",error_description=\"The access token is invalid.\"";

/// The authorize query of the confidential app's code flow with `STATE` and PKCE.
fn authorize_query() -> String {
    let challenge = pkce::s256_challenge(VERIFIER);
    format!(
        "client_id={CONFIDENTIAL_ID}&redirect_uri={REDIRECT}&response_type=code&state={STATE}\
         &code_challenge={challenge}&code_challenge_method=S256"
    )
}

#[tokio::test]
async fn an_nth_stub_answers_only_the_nth_matching_request() {
    let h = Harness::yaml(
        "\
version: 1
name: throttled
stubs:
  - when: {method: GET, path: /v2/fhir/ExplanationOfBenefit/, nth: 2}
    then: {status: 429, headers: {Retry-After: '1'}, body: {detail: Request was throttled.}}
",
    )
    .await;
    let token = h.access_token().await;
    let first = h
        .get_with_token("/v2/fhir/ExplanationOfBenefit/", &token)
        .await;
    assert_eq!(first.status, StatusCode::OK);
    assert_eq!(first.json()["resourceType"], "Bundle");
    // Other methods are not counted: this POST is the built-in answer, not the 2nd request.
    let post = h
        .send(
            h.client
                .post(h.url("/v2/fhir/ExplanationOfBenefit/"))
                .bearer_auth(&token),
        )
        .await;
    assert_ne!(post.status, StatusCode::TOO_MANY_REQUESTS);
    // The 2nd GET, sent without the trailing slash, still matches.
    let second = h
        .get_with_token("/v2/fhir/ExplanationOfBenefit", &token)
        .await;
    assert_eq!(second.status, StatusCode::TOO_MANY_REQUESTS);
    assert_eq!(second.header("retry-after"), Some("1"));
    assert_eq!(second.header("content-type"), Some("application/json"));
    assert_eq!(second.text(), r#"{"detail":"Request was throttled."}"#);
    // BB2's global headers are on stubbed answers too.
    assert_eq!(second.header("x-frame-options"), Some("DENY"));
    let third = h
        .get_with_token("/v2/fhir/ExplanationOfBenefit/", &token)
        .await;
    assert_eq!(third.status, StatusCode::OK);
    assert_eq!(third.header("retry-after"), None);
    assert_eq!(third.json()["resourceType"], "Bundle");
}

#[tokio::test]
async fn a_stub_without_nth_answers_every_matching_request() {
    let h = Harness::yaml(
        "\
version: 1
name: unavailable
stubs:
  - when: {method: GET, path: /v2/fhir/Coverage/}
    then:
      status: 503
      headers: {Content-Type: text/plain, Retry-After: '2'}
      body: Service Unavailable
",
    )
    .await;
    let token = h.access_token().await;
    for path in [
        "/v2/fhir/Coverage/",
        "/v2/fhir/Coverage",
        "/v2/fhir/Coverage/",
    ] {
        let reply = h.get_with_token(path, &token).await;
        assert_eq!(reply.status, StatusCode::SERVICE_UNAVAILABLE, "{path}");
        assert_eq!(reply.header("content-type"), Some("text/plain"));
        assert_eq!(reply.header("retry-after"), Some("2"));
        assert_eq!(reply.text(), "Service Unavailable");
    }
    // Unauthenticated requests match too: the stub answers before the API looks at them.
    assert_eq!(
        h.get("/v2/fhir/Coverage/").await.status,
        StatusCode::SERVICE_UNAVAILABLE
    );
    // Other paths are the built-in API's.
    let patient = h
        .get_with_token(&format!("/v2/fhir/Patient/{JANE}"), &token)
        .await;
    assert_eq!(patient.status, StatusCode::OK);
}

#[tokio::test]
async fn passthrough_keeps_the_built_in_answer_and_applies_status_and_headers() {
    let h = Harness::yaml(
        "\
version: 1
name: passthrough
stubs:
  - when: {path: /v2/o/token/}
    then: {passthrough: true, headers: {X-Extra: '1', Cache-Control: private}}
  - when: {path: /nowhere}
    then: {passthrough: true, status: 418}
",
    )
    .await;
    let code = h.code("").await;
    let reply = h.exchange(&code).await;
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.text());
    assert_eq!(reply.header("x-extra"), Some("1"));
    assert_eq!(reply.header("cache-control"), Some("private"));
    let tokens = reply.json();
    assert_eq!(tokens["patient"], JANE);
    let access = tokens["access_token"].as_str().unwrap();
    let patient = h
        .get_with_token(&format!("/v2/fhir/Patient/{JANE}"), access)
        .await;
    assert_eq!(patient.status, StatusCode::OK);
    assert_eq!(patient.header("x-extra"), None);

    let teapot = h.get("/nowhere/").await;
    assert_eq!(teapot.status, StatusCode::IM_A_TEAPOT);
    assert_eq!(
        teapot.header("content-type"),
        Some("text/html; charset=utf-8")
    );
    assert!(
        teapot.text().contains("<h1>Not Found</h1>"),
        "{}",
        teapot.text()
    );
}

#[tokio::test]
async fn tampered_state_alters_the_state_of_success_redirects_only() {
    let h = Harness::yaml("version: 1\nname: tampered\nlogin: {probe: tampered-state}\n").await;
    let reply = h.authorize(&authorize_query()).await;
    assert_eq!(reply.status, StatusCode::FOUND, "{}", reply.text());
    let params = reply.location_params();
    assert_eq!(
        params.get("state").map(String::as_str),
        Some(format!("{STATE}-tampered").as_str())
    );
    assert!(params.contains_key("code"), "{}", reply.location());
    assert_eq!(reply.header("x-bbh-probe"), None);
    // The code itself is good: the probe tests the client, not the server.
    let code = &params["code"];
    assert_eq!(h.exchange(code).await.status, StatusCode::OK);
    // An error redirect keeps the state the client sent.
    let error = h
        .authorize(&authorize_query().replace("response_type=code", "response_type=id_token"))
        .await;
    let params = error.location_params();
    assert_eq!(
        params.get("error").map(String::as_str),
        Some("unsupported_response_type")
    );
    assert_eq!(params.get("state").map(String::as_str), Some(STATE));
}

#[tokio::test]
async fn replay_callback_marks_success_redirects_only() {
    let h = Harness::yaml("version: 1\nname: replay\nlogin: {probe: replay-callback}\n").await;
    let reply = h.authorize(&authorize_query()).await;
    assert_eq!(reply.status, StatusCode::FOUND, "{}", reply.text());
    assert_eq!(reply.header("x-bbh-probe"), Some("replay-callback"));
    let params = reply.location_params();
    assert_eq!(params.get("state").map(String::as_str), Some(STATE));
    assert!(params.contains_key("code"));
    let error = h
        .authorize(&authorize_query().replace("response_type=code", "response_type=id_token"))
        .await;
    assert_eq!(error.status, StatusCode::FOUND);
    assert_eq!(error.header("x-bbh-probe"), None);
    // Without a probe, success redirects carry no probe header.
    let plain = Harness::builtin("oauth-success").await;
    let reply = plain.authorize(&authorize_query()).await;
    assert_eq!(reply.status, StatusCode::FOUND);
    assert_eq!(reply.header("x-bbh-probe"), None);
}

#[tokio::test]
async fn access_tokens_expire_after_their_calls_and_refreshed_ones_start_over() {
    let h = Harness::yaml("version: 1\nname: call-limit\ntokens: {expire_after_calls: 3}\n").await;
    let tokens = h.tokens("").await;
    let access = tokens["access_token"].as_str().unwrap();
    let patient = format!("/v2/fhir/Patient/{JANE}");
    for path in [
        patient.as_str(),
        "/v2/connect/userinfo",
        "/v2/fhir/Coverage/",
    ] {
        let reply = h.get_with_token(path, access).await;
        assert_eq!(reply.status, StatusCode::OK, "{path}: {}", reply.text());
    }
    for path in [patient.as_str(), "/v2/connect/userinfo"] {
        let expired = h.get_with_token(path, access).await;
        assert_eq!(expired.status, StatusCode::UNAUTHORIZED, "{path}");
        assert_eq!(expired.header("www-authenticate"), Some(EXPIRED));
        assert_eq!(
            expired.json(),
            json!({"detail": "Authentication credentials were not provided."})
        );
    }

    let refreshed = h
        .token_form(
            &[
                ("grant_type", "refresh_token"),
                ("refresh_token", tokens["refresh_token"].as_str().unwrap()),
            ],
            Some((CONFIDENTIAL_ID, CONFIDENTIAL_SECRET)),
        )
        .await;
    assert_eq!(refreshed.status, StatusCode::OK, "{}", refreshed.text());
    let fresh = refreshed.json()["access_token"]
        .as_str()
        .unwrap()
        .to_owned();
    for _ in 0..3 {
        assert_eq!(
            h.get_with_token(&patient, &fresh).await.status,
            StatusCode::OK
        );
    }
    let expired = h.get_with_token(&patient, &fresh).await;
    assert_eq!(expired.status, StatusCode::UNAUTHORIZED);
    assert_eq!(expired.header("www-authenticate"), Some(EXPIRED));
    // The rotated-out token is invalid now, no longer merely expired.
    let old = h.get_with_token(&patient, access).await;
    assert_eq!(old.header("www-authenticate"), Some(INVALID));
}

#[tokio::test]
async fn the_journal_keeps_as_many_exchanges_as_asked() {
    let options = ServerOptions {
        journal_capacity: Some(2),
        ..ServerOptions::default()
    };
    let scenario = scenario::builtin("oauth-success").unwrap();
    let server = server::start(scenario, "127.0.0.1:0".parse().unwrap(), options)
        .await
        .unwrap();
    let client = reqwest::Client::builder().no_proxy().build().unwrap();
    for path in ["/a", "/b", "/c"] {
        let reply = client
            .get(format!("{}{path}", server.url()))
            .send()
            .await
            .unwrap();
        assert_eq!(reply.status(), StatusCode::NOT_FOUND);
    }
    let paths: Vec<String> = server
        .journal()
        .exchanges()
        .into_iter()
        .map(|e| e.request.path)
        .collect();
    assert_eq!(paths, ["/b", "/c"]);
    server.stop().await;
}

#[tokio::test]
async fn a_stub_answers_with_a_body_file_from_its_scenario_folder() {
    let folder = tempfile::tempdir().unwrap();
    let body = r#"{"detail": "An error occurred contacting the upstream server"}"#;
    std::fs::create_dir_all(folder.path().join("bodies")).unwrap();
    std::fs::write(folder.path().join("bodies/bfd-4xx.json"), body).unwrap();
    let file = folder.path().join("bfd-4xx.yaml");
    std::fs::write(
        &file,
        "version: 1\nname: bfd-4xx\nstubs:\n  - when: {method: GET, path: /v2/fhir/ExplanationOfBenefit/}\n    then:\n      status: 502\n      headers: {Content-Type: application/fhir+json}\n      body_file: bodies/bfd-4xx.json\n",
    )
    .unwrap();
    let h = Harness::start(scenario::load_file(&file).unwrap()).await;
    let reply = h.get("/v2/fhir/ExplanationOfBenefit/").await;
    assert_eq!(reply.status, StatusCode::BAD_GATEWAY);
    assert_eq!(reply.header("content-type"), Some("application/fhir+json"));
    assert_eq!(reply.text(), body);
}
