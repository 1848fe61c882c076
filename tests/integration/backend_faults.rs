//! `then.fault` of a stub: BB2's answers when its data source (BFD) fails or times out
//! behind a request, per endpoint (behaviour file §2.8, §3.2, §8.3).

use crate::support::*;
use reqwest::StatusCode;
use serde_json::json;

const FAULTS: &str = "version: 1
name: faults
stubs:
  - when: {path: /v2/fhir/ExplanationOfBenefit/}
    then: {fault: backend-failure}
  - when: {path: /v2/fhir/Coverage/}
    then: {fault: backend-timeout}
  - when: {path: /v2/fhir/metadata}
    then: {fault: backend-timeout}
  - when: {method: POST, path: /v2/o/token/, nth: 2}
    then: {fault: backend-failure}
";

#[tokio::test]
async fn each_endpoint_answers_bb2s_body_for_a_backend_fault() {
    let h = Harness::yaml(FAULTS).await;
    let tokens = h.tokens("").await;
    let token = tokens["access_token"].as_str().unwrap();

    let failed = h
        .get_with_token("/v2/fhir/ExplanationOfBenefit/", token)
        .await;
    assert_eq!(failed.status, StatusCode::BAD_GATEWAY);
    assert_eq!(failed.header("content-type"), Some("application/fhir+json"));
    assert_eq!(
        failed.json(),
        json!({"detail": "A failure occurred contacting the upstream server"})
    );

    let timed_out = h.get_with_token("/v2/fhir/Coverage/", token).await;
    assert_eq!(timed_out.status, StatusCode::INTERNAL_SERVER_ERROR);
    assert_eq!(timed_out.json(), json!({"error": "Server Error (500)"}));

    let metadata = h.get("/v2/fhir/metadata").await;
    assert_eq!(metadata.status, StatusCode::GATEWAY_TIMEOUT);
    assert_eq!(metadata.header("content-type"), Some("application/json"));
    assert_eq!(
        metadata.json(),
        json!({
            "errors": ["The gateway has timed out", "Failed to reach FHIR Database."],
            "code": 504,
            "status_code": 504,
            "text": "The gateway has timed out",
        })
    );

    // The second token request (a refresh) meets BFD down while BB2 re-checks the beneficiary.
    let refresh = h
        .token_form(
            &[
                ("grant_type", "refresh_token"),
                ("refresh_token", tokens["refresh_token"].as_str().unwrap()),
                ("client_id", CONFIDENTIAL_ID),
                ("client_secret", CONFIDENTIAL_SECRET),
            ],
            None,
        )
        .await;
    assert_eq!(refresh.status, StatusCode::BAD_GATEWAY);
    assert_eq!(
        refresh.json(),
        json!({"status_code": 502, "message": "Failed to retrieve data from data source."})
    );

    // Paths no stub names still answer normally.
    let patient = h
        .get_with_token(&format!("/v2/fhir/Patient/{JANE}"), token)
        .await;
    assert_eq!(patient.status, StatusCode::OK);
}
