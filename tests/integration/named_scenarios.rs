//! Each shipped scenario reproduces what its comment block says.

use crate::support::*;
use reqwest::StatusCode;
use serde_json::json;

#[tokio::test]
async fn oauth_success_is_the_guides_happy_path() {
    let h = Harness::builtin("oauth-success").await;
    let token = h.access_token().await;
    for path in [
        format!("/v2/fhir/Patient/{JANE}"),
        "/v2/fhir/Coverage/".into(),
        "/v2/fhir/ExplanationOfBenefit/".into(),
        "/v2/connect/userinfo".into(),
    ] {
        assert_eq!(
            h.get_with_token(&path, &token).await.status,
            StatusCode::OK,
            "{path}"
        );
    }
}

#[tokio::test]
async fn denied_demographics_forbids_patient_and_userinfo_only() {
    let h = Harness::builtin("denied-demographics").await;
    let tokens = h.tokens("").await;
    assert_eq!(
        tokens["patient"], JANE,
        "the token response still names the patient"
    );
    assert_eq!(
        tokens["scope"],
        "patient/ExplanationOfBenefit.read patient/Coverage.read"
    );
    let token = tokens["access_token"].as_str().unwrap();
    let forbidden = json!({"detail": "You do not have permission to perform this action."});
    for path in [
        format!("/v2/fhir/Patient/{JANE}"),
        "/v2/fhir/Patient/".into(),
        "/v2/connect/userinfo".into(),
    ] {
        let reply = h.get_with_token(&path, token).await;
        assert_eq!(
            (reply.status, reply.json()),
            (StatusCode::FORBIDDEN, forbidden.clone()),
            "{path}"
        );
    }
    for path in ["/v2/fhir/Coverage/", "/v2/fhir/ExplanationOfBenefit/"] {
        assert_eq!(
            h.get_with_token(path, token).await.status,
            StatusCode::OK,
            "{path}"
        );
    }
    // Asking for demographics explicitly does not get them either.
    let tokens = h
        .tokens("&scope=profile%20patient/Patient.read%20patient/Coverage.read")
        .await;
    assert_eq!(tokens["scope"], "patient/Coverage.read");
}

#[tokio::test]
async fn invalid_claim_type_answers_each_form() {
    let h = Harness::builtin("invalid-claim-type").await;
    let tokens = h.tokens("").await;
    assert_eq!(tokens["patient"], BBUSER20023);
    let token = tokens["access_token"].as_str().unwrap();
    let invalid = json!({"detail": "not a valid value"});
    for value in [
        "CARRIER",
        "Pde",
        "foo",
        "carrier,",
        "",
        "http://example.org%7Ccarrier",
        "carrier%20pde",
    ] {
        let reply = h
            .get_with_token(
                &format!("/v2/fhir/ExplanationOfBenefit/?type={value}"),
                token,
            )
            .await;
        assert_eq!(
            (reply.status, reply.json()),
            (StatusCode::BAD_REQUEST, invalid.clone()),
            "type={value}"
        );
    }
    let system = "https://bluebutton.cms.gov/resources/codesystem/eob-type";
    for (value, total) in [
        ("carrier", 44),
        ("carrier,pde", 147),
        (&format!("{system}%7Cpde") as &str, 103),
        (&format!("{system}%7C"), 148),
    ] {
        let reply = h
            .get_with_token(
                &format!("/v2/fhir/ExplanationOfBenefit/?type={value}"),
                token,
            )
            .await;
        assert_eq!(reply.status, StatusCode::OK, "type={value}");
        assert_eq!(reply.json()["total"], total, "type={value}");
    }
}

#[tokio::test]
async fn small_response_is_never_gzipped() {
    let h = Harness::builtin("small-response-no-gzip").await;
    let token = h.access_token().await;
    for path in [
        "/v2/fhir/ExplanationOfBenefit/",
        "/v2/fhir/ExplanationOfBenefit/?type=pde",
        "/v2/fhir/ExplanationOfBenefit/?_count=50",
    ] {
        let request = h
            .client
            .get(h.url(path))
            .bearer_auth(&token)
            .header("accept-encoding", "gzip");
        let reply = h.send(request).await;
        assert_eq!(reply.status, StatusCode::OK);
        assert!(
            reply.body.len() < 1000,
            "{path}: {} bytes",
            reply.body.len()
        );
        assert_eq!(reply.header("content-encoding"), None, "{path}");
        let plain = h.get_with_token(path, &token).await;
        assert_eq!(
            reply.body, plain.body,
            "{path}: identical bytes with and without Accept-Encoding"
        );
    }
    let empty = h
        .get_with_token("/v2/fhir/ExplanationOfBenefit/", &token)
        .await
        .json();
    assert_eq!(empty["total"], 0);
    assert!(empty.get("entry").is_none());
}

#[tokio::test]
async fn pagination_has_many_pages() {
    let h = Harness::builtin("pagination").await;
    let token = h.access_token().await;
    let first = h
        .get_with_token("/v2/fhir/ExplanationOfBenefit/?_count=50", &token)
        .await
        .json();
    assert_eq!(first["total"], 260);
    assert_eq!(first["entry"].as_array().unwrap().len(), 50);
    let last = link(&first, "last").unwrap();
    assert!(
        last.ends_with("_count=50&startIndex=250&patient=-20140000001001"),
        "{last}"
    );
    let over = h
        .get_with_token("/v2/fhir/ExplanationOfBenefit/?_count=51", &token)
        .await;
    assert_eq!(over.status, StatusCode::BAD_REQUEST);
}
