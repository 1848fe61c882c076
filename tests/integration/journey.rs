//! The guide's whole journey on /v2/ against the default scenario: PKCE authorization, the
//! code exchange, Jane Doe's Patient and Coverage, a refresh, userinfo, and every page of
//! BBUser20023's 148 claims, gzipped when asked.

use crate::support::*;
use bluebutton_harness::oauth::pkce;
use flate2::read::GzDecoder;
use reqwest::StatusCode;
use serde_json::Value;
use std::collections::HashSet;
use std::io::Read;

#[tokio::test]
async fn web_application_flow_with_pkce() {
    let h = Harness::builtin("oauth-success").await;
    let tokens = h.tokens("").await;
    assert_eq!(tokens["token_type"], "Bearer");
    assert_eq!(tokens["expires_in"], 36000);
    assert_eq!(tokens["patient"], JANE);
    assert_eq!(
        tokens["scope"],
        "profile patient/Patient.read patient/ExplanationOfBenefit.read patient/Coverage.read"
    );
    let access = tokens["access_token"].as_str().unwrap();

    let patient = h
        .get_with_token(&format!("/v2/fhir/Patient/{JANE}"), access)
        .await;
    assert_eq!(patient.status, StatusCode::OK);
    assert_eq!(
        patient.header("content-type"),
        Some("application/fhir+json")
    );
    let patient = patient.json();
    assert_eq!(patient["resourceType"], "Patient");
    assert_eq!(patient["id"], JANE);
    assert_eq!(patient["name"][0]["family"], "Doe");
    assert_eq!(patient["name"][0]["given"][0], "Jane");

    let coverage = h.get_with_token("/v2/fhir/Coverage/", access).await;
    assert_eq!(coverage.status, StatusCode::OK);
    let coverage = coverage.json();
    assert_eq!(coverage["total"], 4);
    let ids: Vec<&str> = coverage["entry"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["resource"]["id"].as_str().unwrap())
        .collect();
    let expected: Vec<String> = ["a", "b", "c", "d"]
        .iter()
        .map(|p| format!("part-{p}-{JANE}"))
        .collect();
    assert_eq!(ids, expected);
    for entry in coverage["entry"].as_array().unwrap() {
        assert_eq!(
            entry["resource"]["beneficiary"]["reference"],
            format!("Patient/{JANE}")
        );
    }

    let userinfo = h.get_with_token("/v2/connect/userinfo", access).await;
    assert_eq!(userinfo.status, StatusCode::OK);
    assert_eq!(userinfo.header("content-type"), Some("application/json"));
    let userinfo = userinfo.json();
    assert_eq!(userinfo["sub"], JANE);
    assert_eq!(userinfo["patient"], JANE);
    assert_eq!(userinfo["name"], "Jane Doe");

    // Refresh rotates both tokens; the new access token works, the old one does not.
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
    assert_eq!(refreshed.header("cache-control"), Some("no-store"));
    let refreshed = refreshed.json();
    assert_ne!(refreshed["access_token"], tokens["access_token"]);
    assert_ne!(refreshed["refresh_token"], tokens["refresh_token"]);
    assert_eq!(refreshed["patient"], JANE);
    assert_eq!(refreshed["scope"], tokens["scope"]);
    let new_access = refreshed["access_token"].as_str().unwrap();
    assert_eq!(
        h.get_with_token(&format!("/v2/fhir/Patient/{JANE}"), new_access)
            .await
            .status,
        StatusCode::OK
    );
    assert_eq!(
        h.get_with_token(&format!("/v2/fhir/Patient/{JANE}"), access)
            .await
            .status,
        StatusCode::UNAUTHORIZED
    );
}

#[tokio::test]
async fn public_native_app_uses_pkce_without_a_secret() {
    let h = Harness::builtin("oauth-success").await;
    let challenge = pkce::s256_challenge(VERIFIER);
    let redirect = "http://127.0.0.1:53682/callback";
    let reply = h
        .authorize(&format!(
            "client_id={PUBLIC_ID}&redirect_uri={redirect}&response_type=code&state={STATE}&code_challenge={challenge}&code_challenge_method=S256"
        ))
        .await;
    assert_eq!(reply.status, StatusCode::FOUND);
    assert!(
        reply.location().starts_with(&format!("{redirect}?code=")),
        "{}",
        reply.location()
    );
    let code = reply.location_params()["code"].clone();
    let tokens = h
        .token_form(
            &[
                ("grant_type", "authorization_code"),
                ("code", &code),
                ("redirect_uri", redirect),
                ("code_verifier", VERIFIER),
                ("client_id", PUBLIC_ID),
            ],
            None,
        )
        .await;
    assert_eq!(tokens.status, StatusCode::OK, "{}", tokens.text());
    assert_eq!(tokens.json()["patient"], JANE);
}

#[tokio::test]
async fn token_endpoint_takes_multipart_basic_and_both() {
    let h = Harness::builtin("oauth-success").await;
    // multipart/form-data (the Python SDK), credentials in the body.
    let code = h.code("").await;
    let form = reqwest::multipart::Form::new()
        .text("grant_type", "authorization_code")
        .text("code", code)
        .text("redirect_uri", REDIRECT)
        .text("code_verifier", VERIFIER)
        .text("client_id", CONFIDENTIAL_ID)
        .text("client_secret", CONFIDENTIAL_SECRET);
    let reply = h
        .send(h.client.post(h.url("/v2/o/token/")).multipart(form))
        .await;
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.text());

    // Basic only.
    let code = h.code("").await;
    let form = [
        ("grant_type", "authorization_code"),
        ("code", code.as_str()),
        ("redirect_uri", REDIRECT),
        ("code_verifier", VERIFIER),
    ];
    let reply = h
        .token_form(&form, Some((CONFIDENTIAL_ID, CONFIDENTIAL_SECRET)))
        .await;
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.text());

    // Basic plus the same client_id in the body (the Node SDK's refresh), and a stray Bearer
    // header on another request is ignored.
    let refresh = reply.json()["refresh_token"].as_str().unwrap().to_owned();
    let form = [
        ("grant_type", "refresh_token"),
        ("refresh_token", refresh.as_str()),
        ("client_id", CONFIDENTIAL_ID),
    ];
    let reply = h
        .token_form(&form, Some((CONFIDENTIAL_ID, CONFIDENTIAL_SECRET)))
        .await;
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.text());

    let code = h.code("").await;
    let request = h
        .client
        .post(h.url("/v2/o/token/"))
        .bearer_auth("stray-token")
        .form(&[
            ("grant_type", "authorization_code"),
            ("code", code.as_str()),
            ("redirect_uri", REDIRECT),
            ("code_verifier", VERIFIER),
            ("client_id", CONFIDENTIAL_ID),
            ("client_secret", CONFIDENTIAL_SECRET),
        ]);
    assert_eq!(h.send(request).await.status, StatusCode::OK);
}

/// Reads every page by following `next`, returning the entries' resources.
pub async fn all_pages(h: &Harness, token: &str, first: &str) -> (Vec<Value>, usize) {
    let mut resources = Vec::new();
    let mut next = Some(first.to_owned());
    let mut pages = 0;
    while let Some(path) = next {
        let reply = h.get_with_token(&path, token).await;
        assert_eq!(reply.status, StatusCode::OK, "{path}: {}", reply.text());
        let bundle = reply.json();
        pages += 1;
        resources.extend(
            bundle["entry"]
                .as_array()
                .into_iter()
                .flatten()
                .map(|e| e["resource"].clone()),
        );
        next = link(&bundle, "next").map(|url| path_of(&url, h));
    }
    (resources, pages)
}

#[tokio::test]
async fn every_page_of_bbuser20023() {
    let h = Harness::builtin("oauth-success").await;
    let tokens = h.tokens("&login_hint=BBUser20023").await;
    assert_eq!(tokens["patient"], BBUSER20023);
    let token = tokens["access_token"].as_str().unwrap();

    let (claims, pages) = all_pages(&h, token, "/v2/fhir/ExplanationOfBenefit/").await;
    assert_eq!(pages, 15);
    assert_eq!(claims.len(), 148);
    let ids: HashSet<&str> = claims.iter().map(|c| c["id"].as_str().unwrap()).collect();
    assert_eq!(ids.len(), 148);
    for (code, expected) in [("carrier", 44), ("inpatient", 1), ("pde", 103)] {
        let of_type = claims
            .iter()
            .filter(|c| c["id"].as_str().unwrap().starts_with(&format!("{code}-")))
            .count();
        assert_eq!(of_type, expected, "{code}");
        let (filtered, _) = all_pages(
            &h,
            token,
            &format!("/v2/fhir/ExplanationOfBenefit/?type={code}&_count=50"),
        )
        .await;
        assert_eq!(filtered.len(), expected, "type={code}");
    }
    // BFD order: the unprefixed claim id as a string.
    let unprefixed: Vec<&str> = claims
        .iter()
        .map(|c| c["id"].as_str().unwrap().split_once('-').unwrap().1)
        .collect();
    let mut sorted = unprefixed.clone();
    sorted.sort();
    assert_eq!(unprefixed, sorted);
    for claim in &claims {
        assert_eq!(
            claim["patient"]["reference"],
            format!("Patient/{BBUSER20023}")
        );
    }
}

#[tokio::test]
async fn search_pages_are_gzipped_when_asked() {
    let h = Harness::builtin("oauth-success").await;
    let token = h.access_token_for("BBUser20023").await;
    let plain = h
        .get_with_token("/v2/fhir/ExplanationOfBenefit/", &token)
        .await;
    assert!(plain.body.len() > 1000);
    assert_eq!(plain.header("content-encoding"), None);

    let request = h
        .client
        .get(h.url("/v2/fhir/ExplanationOfBenefit/"))
        .bearer_auth(&token)
        .header("accept-encoding", "gzip");
    let gzipped = h.send(request).await;
    assert_eq!(gzipped.status, StatusCode::OK);
    assert_eq!(gzipped.header("content-encoding"), Some("gzip"));
    assert!(
        gzipped
            .headers
            .get_all("vary")
            .iter()
            .any(|v| v.to_str().unwrap().contains("Accept-Encoding"))
    );
    assert!(gzipped.body.len() < plain.body.len());
    let mut decoded = Vec::new();
    GzDecoder::new(&gzipped.body[..])
        .read_to_end(&mut decoded)
        .unwrap();
    assert_eq!(
        decoded, plain.body,
        "the gzip body decodes to the identical bytes"
    );
}

#[tokio::test]
async fn the_journal_records_every_exchange_with_its_session() {
    let h = Harness::builtin("oauth-success").await;
    let first = h.tokens("").await;
    let access = first["access_token"].as_str().unwrap();
    h.get_with_token("/v2/fhir/Coverage/", access).await;
    let refreshed = h
        .token_form(
            &[
                ("grant_type", "refresh_token"),
                ("refresh_token", first["refresh_token"].as_str().unwrap()),
            ],
            Some((CONFIDENTIAL_ID, CONFIDENTIAL_SECRET)),
        )
        .await
        .json();
    h.get_with_token(
        "/v2/fhir/Coverage/",
        refreshed["access_token"].as_str().unwrap(),
    )
    .await;
    h.tokens("").await;
    h.get("/v2/fhir/Coverage/").await;

    let journal = h.server.journal().exchanges();
    let seen: Vec<(String, u16, Option<u64>)> = journal
        .iter()
        .map(|e| {
            (
                e.request.path.clone(),
                e.response.status.as_u16(),
                e.response.session.map(|s| s.0),
            )
        })
        .collect();
    let expected = [
        ("/v2/o/authorize/", 302, Some(1)),
        ("/v2/o/token/", 200, Some(1)),
        ("/v2/fhir/Coverage/", 200, Some(1)),
        ("/v2/o/token/", 200, Some(1)),
        ("/v2/fhir/Coverage/", 200, Some(1)),
        ("/v2/o/authorize/", 302, Some(2)),
        ("/v2/o/token/", 200, Some(2)),
        ("/v2/fhir/Coverage/", 401, None),
    ];
    let expected: Vec<(String, u16, Option<u64>)> = expected
        .iter()
        .map(|(p, s, id)| (p.to_string(), *s, *id))
        .collect();
    assert_eq!(
        seen, expected,
        "one grant per authorization, kept across refresh rotation"
    );
    let ids: Vec<u64> = journal.iter().map(|e| e.id).collect();
    assert_eq!(ids, (1..=8).collect::<Vec<_>>());
}
