//! The rows of DESIGN's profile table that the FHIR side serves (invalid `type`, gzip, Bundle
//! link form, the token endpoint's slash), the date filters `_lastUpdated` and
//! `service-date` (behaviour file §3.2, §3.4), and the virtual clock's `now:`.

use crate::support::*;
use bluebutton_harness::scenario;
use bluebutton_harness::server::{self, ServerOptions};
use reqwest::StatusCode;
use serde_json::{Value, json};

const CURRENT: &str = "version: 1\nname: current\nprofile: current\n";

fn entry_ids(bundle: &Value) -> Vec<String> {
    bundle["entry"]
        .as_array()
        .map(|entries| {
            entries
                .iter()
                .filter_map(|e| e["resource"]["id"].as_str().map(str::to_owned))
                .collect()
        })
        .unwrap_or_default()
}

#[tokio::test]
async fn invalid_type_differs_by_profile_and_current_ignores_case() {
    let documented = Harness::builtin("oauth-success").await;
    let token = documented.access_token().await;
    let upper = documented
        .get_with_token("/v2/fhir/ExplanationOfBenefit/?type=PDE", &token)
        .await;
    assert_eq!(upper.status, StatusCode::BAD_REQUEST);
    assert_eq!(upper.json(), json!({"detail": "not a valid value"}));

    let current = Harness::yaml(CURRENT).await;
    let token = current.access_token_for("BBUser20023").await;
    let upper = current
        .get_with_token("/v2/fhir/ExplanationOfBenefit/?type=PDE", &token)
        .await;
    assert_eq!(upper.status, StatusCode::OK);
    assert_eq!(upper.json()["total"], 103);
    let bad = current
        .get_with_token("/v2/fhir/ExplanationOfBenefit/?type=claim", &token)
        .await;
    assert_eq!(bad.status, StatusCode::BAD_REQUEST);
    assert_eq!(
        bad.json(),
        json!({"detail": "the type parameter value is not valid"})
    );
}

#[tokio::test]
async fn current_links_carry_format_then_start_then_count_and_self_is_sorted() {
    let h = Harness::yaml(CURRENT).await;
    let token = h.access_token_for("BBUser20023").await;
    let page = h
        .get_with_token("/v2/fhir/ExplanationOfBenefit/?startIndex=10", &token)
        .await
        .json();
    let base = h.url("/v2/fhir/ExplanationOfBenefit");
    let fmt = "_format=application%2Ffhir%2Bjson";
    assert_eq!(
        link(&page, "next"),
        Some(format!(
            "{base}?{fmt}&startIndex=20&_count=10&patient={BBUSER20023}"
        ))
    );
    assert_eq!(
        link(&page, "self"),
        Some(format!(
            "{base}/?_count=10&{fmt}&patient={BBUSER20023}&startIndex=10"
        ))
    );
    // The links lead somewhere: `next` serves the following page.
    let next = link(&page, "next").unwrap();
    let second = h.get_with_token(&path_of(&next, &h), &token).await;
    assert_eq!(second.status, StatusCode::OK);
    assert_eq!(entry_ids(&second.json()).len(), 10);
}

/// A token response (a few hundred bytes: between the two profiles' thresholds), asked
/// for with or without `Accept-Encoding: gzip`.
async fn token_response(h: &Harness, gzip: bool) -> reqwest::Response {
    let code = h.code("").await;
    let form = exchange_form(&code);
    let mut request = h.client.post(h.url("/v2/o/token/")).form(&form);
    if gzip {
        request = request.header("accept-encoding", "gzip");
    }
    let response = request.send().await.unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    response
}

fn header<'r>(response: &'r reqwest::Response, name: &str) -> Option<&'r str> {
    response.headers().get(name).map(|v| v.to_str().unwrap())
}

#[tokio::test]
async fn gzip_rules_differ_by_profile() {
    let documented = Harness::builtin("oauth-success").await;
    let small = token_response(&documented, true).await;
    assert_eq!(header(&small, "content-encoding"), None);
    assert_eq!(header(&small, "vary"), None);
    let length = small.bytes().await.unwrap().len();
    assert!(
        (200..1000).contains(&length),
        "the token response is {length} bytes"
    );

    let current = Harness::yaml(CURRENT).await;
    let small = token_response(&current, true).await;
    assert_eq!(header(&small, "content-encoding"), Some("gzip"));
    assert_eq!(header(&small, "vary"), Some("Accept-Encoding"));
    // Without Accept-Encoding: plain, and still `Vary` (Django's GZipMiddleware).
    let plain = token_response(&current, false).await;
    assert_eq!(header(&plain, "content-encoding"), None);
    assert_eq!(header(&plain, "vary"), Some("Accept-Encoding"));
    let body: Value = serde_json::from_slice(&plain.bytes().await.unwrap()).unwrap();
    assert!(body["access_token"].is_string());
}

#[tokio::test]
async fn the_token_endpoint_slash_differs_by_profile() {
    let form = [("grant_type", "authorization_code"), ("code", "x")];
    let documented = Harness::builtin("oauth-success").await;
    let moved = documented
        .send(
            documented
                .client
                .post(documented.url("/v2/o/token"))
                .form(&form),
        )
        .await;
    assert_eq!(moved.status, StatusCode::MOVED_PERMANENTLY);
    assert_eq!(moved.location(), "/v2/o/token/");

    let current = Harness::yaml(CURRENT).await;
    let code = current.code("").await;
    let form = exchange_form(&code);
    let accepted = current
        .send(current.client.post(current.url("/v2/o/token")).form(&form))
        .await;
    assert_eq!(accepted.status, StatusCode::OK, "{}", accepted.text());
    let moved = current.get("/v2/o/authorize?client_id=x").await;
    assert_eq!(moved.status, StatusCode::MOVED_PERMANENTLY);
    assert_eq!(moved.location(), "/v2/o/authorize/?client_id=x");
}

#[tokio::test]
async fn service_date_filters_by_the_claims_through_date() {
    let h = Harness::builtin("oauth-success").await;
    let token = h.access_token_for("BBUser20023").await;
    let all = h
        .get_with_token("/v2/fhir/ExplanationOfBenefit/?_count=50", &token)
        .await
        .json();
    assert_eq!(all["total"], 148);
    // Pick a cut-off inside the claims' span: the through date of the first claim.
    let first_end = all["entry"][0]["resource"]["billablePeriod"]["end"]
        .as_str()
        .unwrap()
        .to_owned();
    let mut totals = Vec::new();
    for op in ["lt", "ge", "le", "gt"] {
        let page = h
            .get_with_token(
                &format!("/v2/fhir/ExplanationOfBenefit/?service-date={op}{first_end}&_count=50"),
                &token,
            )
            .await;
        assert_eq!(page.status, StatusCode::OK, "{}", page.text());
        let page = page.json();
        let total = page["total"].as_u64().unwrap();
        // Every served claim honours the filter.
        for entry in page["entry"].as_array().into_iter().flatten() {
            let end = entry["resource"]["billablePeriod"]["end"].as_str().unwrap();
            let holds = match op {
                "lt" => end < first_end.as_str(),
                "ge" => end >= first_end.as_str(),
                "le" => end <= first_end.as_str(),
                _ => end > first_end.as_str(),
            };
            assert!(holds, "{end} not {op} {first_end}");
        }
        // The filter is echoed in the links.
        assert!(
            link(&page, "self")
                .unwrap()
                .contains(&format!("service-date={op}{first_end}")),
            "{:?}",
            link(&page, "self")
        );
        totals.push(total);
    }
    // lt + ge and le + gt each partition the claims.
    assert_eq!(totals[0] + totals[1], 148);
    assert_eq!(totals[2] + totals[3], 148);
    assert!(totals[1] >= 1 && totals[2] >= 1);

    // Two values narrow together; with a type filter too.
    let both = h
        .get_with_token(
            &format!(
                "/v2/fhir/ExplanationOfBenefit/?type=pde&service-date=ge{first_end}&service-date=le{first_end}"
            ),
            &token,
        )
        .await
        .json();
    for entry in both["entry"].as_array().into_iter().flatten() {
        assert_eq!(
            entry["resource"]["billablePeriod"]["end"],
            first_end.as_str()
        );
        assert!(
            entry["resource"]["id"]
                .as_str()
                .unwrap()
                .starts_with("pde-")
        );
    }
}

#[tokio::test]
async fn last_updated_filters_every_search_against_the_data_load_time() {
    let h = Harness::builtin("oauth-success").await;
    let token = h.access_token_for("BBUser20023").await;
    // The data were loaded at 2026-07-06T02:14:09.521-04:00 (README).
    for (path, full) in [
        ("/v2/fhir/ExplanationOfBenefit/", 148),
        ("/v2/fhir/Coverage/", 4),
        ("/v2/fhir/Patient/", 1),
    ] {
        let before = h
            .get_with_token(&format!("{path}?_lastUpdated=gt2026-07-01"), &token)
            .await
            .json();
        assert_eq!(before["total"], full, "{path}");
        let after = h
            .get_with_token(
                &format!("{path}?_lastUpdated=gt2026-07-06T06:14:09.521Z"),
                &token,
            )
            .await
            .json();
        assert_eq!(after["total"], 0, "{path}");
        assert!(after.get("entry").is_none());
        assert!(
            link(&after, "first")
                .unwrap()
                .contains("_lastUpdated=gt2026-07-06T06%3A14%3A09.521Z")
        );
    }
}

#[tokio::test]
async fn date_filter_errors_name_the_parameter_or_come_from_the_backend() {
    let h = Harness::builtin("oauth-success").await;
    let token = h.access_token().await;
    for (query, detail) in [
        (
            "_lastUpdated=2020-02-13",
            "the _lastUpdated operator is not valid",
        ),
        (
            "service-date=eq2020-02-13",
            "the service-date operator is not valid",
        ),
        (
            "service-date=gtyesterday",
            "An error occurred contacting the upstream server:Invalid date/time format: \"yesterday\"",
        ),
    ] {
        let reply = h
            .get_with_token(&format!("/v2/fhir/ExplanationOfBenefit/?{query}"), &token)
            .await;
        assert_eq!(reply.status, StatusCode::BAD_REQUEST, "{query}");
        assert_eq!(reply.json(), json!({"detail": detail}), "{query}");
    }
    let coverage = h
        .get_with_token("/v2/fhir/Coverage/?_lastUpdated=2020", &token)
        .await;
    assert_eq!(
        coverage.json(),
        json!({"detail": "the _lastUpdated operator is not valid"})
    );
}

#[tokio::test]
async fn now_sets_where_the_clock_starts() {
    let text = "version: 1\nname: then\nnow: 2030-01-02T03:04:05Z\n";
    let scenario = scenario::parse(text, scenario::Source::Builtin("test")).unwrap();
    let server = server::start(
        scenario,
        "127.0.0.1:0".parse().unwrap(),
        ServerOptions::default(),
    )
    .await
    .unwrap();
    let now = server.clock().now();
    let start: jiff::Timestamp = "2030-01-02T03:04:05Z".parse().unwrap();
    // The wall clock is years before 2030: the clock started where the scenario said.
    assert!(now >= start, "{now} is before {start}");
}

#[tokio::test]
async fn current_honours_only_http_and_https_redirect_uris() {
    let apps = "apps:
  - name: Native
    client_id: nativeConfidentialApp0000000000000000000
    client_secret: s
    client_type: confidential
    redirect_uris: ['gov.cms.bluebutton.oauthtester:/callback', 'https://app.example/cb']
";
    let challenge = bluebutton_harness::oauth::pkce::s256_challenge(VERIFIER);
    let authorize = |redirect: &str| {
        format!(
            "client_id=nativeConfidentialApp0000000000000000000&redirect_uri={redirect}\
             &response_type=code&state={STATE}&code_challenge={challenge}&code_challenge_method=S256"
        )
    };
    let documented = Harness::yaml(&format!("version: 1\nname: d\n{apps}")).await;
    let custom = documented
        .authorize(&authorize("gov.cms.bluebutton.oauthtester:/callback"))
        .await;
    assert_eq!(custom.status, StatusCode::FOUND, "{}", custom.text());
    assert!(
        custom
            .location()
            .starts_with("gov.cms.bluebutton.oauthtester:/callback?code=")
    );

    let current = Harness::yaml(&format!("version: 1\nname: c\nprofile: current\n{apps}")).await;
    let custom = current
        .authorize(&authorize("gov.cms.bluebutton.oauthtester:/callback"))
        .await;
    assert_eq!(custom.status, StatusCode::BAD_REQUEST);
    assert_eq!(custom.header("location"), None);
    assert!(
        custom.text().contains("Mismatching redirect URI."),
        "{}",
        custom.text()
    );
    let https = current
        .authorize(&authorize("https://app.example/cb"))
        .await;
    assert_eq!(https.status, StatusCode::FOUND, "{}", https.text());
}
