//! `/v1/` (FHIR STU3) end to end: the same OAuth surface as `/v2/`, STU3-shaped resources
//! with v1 systems and no C4BB profiles, links that stay under `/v1/`, and tokens shared
//! between the versions (behaviour file §1, §7.1).

use crate::support::*;
use reqwest::StatusCode;
use serde_json::Value;

/// Every `system` string anywhere in `value`.
fn systems(value: &Value, found: &mut Vec<String>) {
    match value {
        Value::Object(members) => {
            for (key, member) in members {
                match (key.as_str(), member) {
                    ("system", Value::String(system)) => found.push(system.clone()),
                    _ => systems(member, found),
                }
            }
        }
        Value::Array(items) => items.iter().for_each(|item| systems(item, found)),
        _ => {}
    }
}

#[tokio::test]
async fn the_whole_journey_runs_under_v1() {
    let h = Harness::builtin("oauth-success").await;
    let challenge = bluebutton_harness::oauth::pkce::s256_challenge(VERIFIER);
    let reply = h
        .get(&format!(
            "/v1/o/authorize/?client_id={CONFIDENTIAL_ID}&redirect_uri={REDIRECT}&response_type=code\
             &state={STATE}&code_challenge={challenge}&code_challenge_method=S256&login_hint=BBUser20023"
        ))
        .await;
    assert_eq!(reply.status, StatusCode::FOUND, "{}", reply.text());
    let code = reply.location_params()["code"].clone();
    let tokens = h
        .send(
            h.client
                .post(h.url("/v1/o/token/"))
                .form(&exchange_form(&code)),
        )
        .await;
    assert_eq!(tokens.status, StatusCode::OK, "{}", tokens.text());
    let tokens = tokens.json();
    assert_eq!(tokens["patient"], BBUSER20023);
    let token = tokens["access_token"].as_str().unwrap();

    let userinfo = h.get_with_token("/v1/connect/userinfo", token).await;
    assert_eq!(userinfo.status, StatusCode::OK);
    assert_eq!(userinfo.json()["sub"], BBUSER20023);

    let patient = h
        .get_with_token(&format!("/v1/fhir/Patient/{BBUSER20023}"), token)
        .await;
    assert_eq!(patient.status, StatusCode::OK);
    assert_eq!(
        patient.header("content-type"),
        Some("application/fhir+json")
    );
    let patient = patient.json();
    assert!(patient["meta"].get("profile").is_none(), "{patient}");

    // Every page of the 148 claims, following `next` verbatim: links stay under /v1/.
    let mut path = "/v1/fhir/ExplanationOfBenefit/".to_owned();
    let mut seen = 0;
    loop {
        let page = h.get_with_token(&path, token).await;
        assert_eq!(page.status, StatusCode::OK, "{path}");
        let page = page.json();
        assert_eq!(page["total"], 148);
        for entry in page["entry"].as_array().unwrap() {
            let eob = &entry["resource"];
            let mut found = Vec::new();
            systems(eob, &mut found);
            assert!(
                found
                    .iter()
                    .any(|s| s == "http://hl7.org/fhir/ex-claimtype"),
                "{}",
                eob["id"]
            );
            assert!(
                found.iter().all(|s| !s.contains("carin-bb")),
                "{}: {found:?}",
                eob["id"]
            );
            assert!(eob["meta"].get("profile").is_none());
            assert!(eob["insurance"].is_object(), "STU3 insurance is one object");
            seen += 1;
        }
        match link(&page, "next") {
            Some(next) => {
                assert!(next.starts_with(&h.url("/v1/fhir/")), "{next}");
                path = path_of(&next, &h);
            }
            None => break,
        }
    }
    assert_eq!(seen, 148);
}

#[tokio::test]
async fn tokens_are_not_bound_to_an_api_version_and_ids_agree() {
    let h = Harness::builtin("oauth-success").await;
    let token = h.access_token().await;
    let v1 = h.get_with_token("/v1/fhir/Coverage/", &token).await.json();
    let v2 = h.get_with_token("/v2/fhir/Coverage/", &token).await.json();
    let ids = |bundle: &Value| -> Vec<String> {
        bundle["entry"]
            .as_array()
            .unwrap()
            .iter()
            .map(|e| e["resource"]["id"].as_str().unwrap().to_owned())
            .collect()
    };
    assert_eq!(ids(&v1), ids(&v2));
    assert_eq!(ids(&v1)[0], format!("part-a-{JANE}"));
    // The same claim in both versions: the same id, different shapes.
    let v2_eob = h
        .get_with_token("/v2/fhir/ExplanationOfBenefit/?_count=1", &token)
        .await
        .json();
    let id = v2_eob["entry"][0]["resource"]["id"].as_str().unwrap();
    let v1_eob = h
        .get_with_token(&format!("/v1/fhir/ExplanationOfBenefit/{id}"), &token)
        .await;
    assert_eq!(v1_eob.status, StatusCode::OK);
    let v1_eob = v1_eob.json();
    assert_eq!(v1_eob["id"], id);
    assert_ne!(v1_eob, v2_eob["entry"][0]["resource"]);
}
