//! The FHIR surface and its error rows (behaviour file §3, §4, §6), over HTTP.

use crate::journey::all_pages;
use crate::support::*;
use reqwest::StatusCode;
use serde_json::json;
use std::collections::HashSet;
use std::time::Duration;

const FORBIDDEN: &str = "You do not have permission to perform this action.";

#[tokio::test]
async fn authentication_errors() {
    let h = Harness::builtin("oauth-success").await;
    let missing = h.get(&format!("/v2/fhir/Patient/{JANE}")).await;
    assert_eq!(missing.status, StatusCode::UNAUTHORIZED);
    assert_eq!(
        missing.json(),
        json!({"detail": "Authentication credentials were not provided."})
    );
    assert_eq!(
        missing.header("www-authenticate"),
        Some("Bearer realm=\"api\"")
    );

    let unknown = h
        .get_with_token("/v2/fhir/ExplanationOfBenefit/", "notatoken")
        .await;
    assert_eq!(unknown.status, StatusCode::UNAUTHORIZED);
    assert_eq!(
        unknown.header("www-authenticate"),
        Some(
            "Bearer realm=\"api\",error=\"invalid_token\",error_description=\"The access token is invalid.\""
        )
    );

    let token = h.access_token().await;
    h.server.clock().advance(Duration::from_secs(36_000));
    let expired = h.get_with_token("/v2/fhir/Coverage/", &token).await;
    assert_eq!(expired.status, StatusCode::UNAUTHORIZED);
    assert_eq!(
        expired.header("www-authenticate"),
        Some(
            "Bearer realm=\"api\",error=\"invalid_token\",error_description=\"The access token has expired.\""
        )
    );

    let token = h.access_token().await;
    let in_query = h
        .get_with_token(
            &format!("/v2/fhir/Patient/{JANE}?access_token={token}"),
            &token,
        )
        .await;
    assert_eq!(in_query.status, StatusCode::BAD_REQUEST);
    assert_eq!(
        in_query.json()["detail"],
        "Using the access token in the query parameters is not supported. Use the Authorization header instead"
    );
}

#[tokio::test]
async fn scope_and_patient_permissions() {
    let h = Harness::builtin("oauth-success").await;
    let coverage_only = h.tokens("&scope=patient/Coverage.read").await;
    let token = coverage_only["access_token"].as_str().unwrap();
    let patient = h
        .get_with_token(&format!("/v2/fhir/Patient/{JANE}"), token)
        .await;
    assert_eq!(patient.status, StatusCode::FORBIDDEN);
    assert_eq!(patient.json(), json!({"detail": FORBIDDEN}));
    assert_eq!(patient.header("www-authenticate"), None);
    assert_eq!(
        h.get_with_token("/v2/connect/userinfo", token).await.status,
        StatusCode::FORBIDDEN
    );
    assert_eq!(
        h.get_with_token("/v2/fhir/ExplanationOfBenefit/", token)
            .await
            .status,
        StatusCode::FORBIDDEN
    );
    assert_eq!(
        h.get_with_token("/v2/fhir/Coverage/", token).await.status,
        StatusCode::OK
    );

    // A `.r`-only token reads but cannot search (HasSearchScope).
    let read_only = h.tokens("&scope=patient/Patient.r").await;
    let token = read_only["access_token"].as_str().unwrap();
    assert_eq!(
        h.get_with_token(&format!("/v2/fhir/Patient/{JANE}"), token)
            .await
            .status,
        StatusCode::OK
    );
    assert_eq!(
        h.get_with_token("/v2/fhir/Patient/", token).await.status,
        StatusCode::FORBIDDEN
    );

    let token = h.access_token().await;
    for path in [
        "/v2/fhir/ExplanationOfBenefit/?patient=-20140000000024".to_owned(),
        format!("/v2/fhir/ExplanationOfBenefit/?patient=Patient/{JANE}"),
        "/v2/fhir/Coverage/?beneficiary=Patient/-20140000000024".to_owned(),
    ] {
        let reply = h.get_with_token(&path, &token).await;
        assert_eq!(
            (reply.status, reply.json()),
            (StatusCode::FORBIDDEN, json!({"detail": FORBIDDEN})),
            "{path}"
        );
    }
    for path in [
        format!("/v2/fhir/ExplanationOfBenefit/?patient={JANE}"),
        format!("/v2/fhir/Coverage/?beneficiary=Patient/{JANE}"),
        format!("/v2/fhir/Coverage/?beneficiary={JANE}"),
        format!("/v2/fhir/Patient/?_id={JANE}"),
    ] {
        assert_eq!(
            h.get_with_token(&path, &token).await.status,
            StatusCode::OK,
            "{path}"
        );
    }
}

#[tokio::test]
async fn another_patients_resources_are_not_found() {
    let h = Harness::builtin("oauth-success").await;
    let theirs = h.access_token_for("BBUser20023").await;
    let their_page = h
        .get_with_token("/v2/fhir/ExplanationOfBenefit/?_count=1", &theirs)
        .await
        .json();
    let their_claim = their_page["entry"][0]["resource"]["id"]
        .as_str()
        .unwrap()
        .to_owned();
    assert_eq!(
        h.get_with_token(
            &format!("/v2/fhir/ExplanationOfBenefit/{their_claim}"),
            &theirs
        )
        .await
        .status,
        StatusCode::OK
    );

    let mine = h.access_token().await;
    let not_found = json!({"detail": "Not found."});
    for path in [
        format!("/v2/fhir/ExplanationOfBenefit/{their_claim}"),
        format!("/v2/fhir/Patient/{BBUSER20023}"),
        format!("/v2/fhir/Coverage/part-a-{BBUSER20023}"),
        format!("/v2/fhir/Patient/?_id={BBUSER20023}"),
        "/v2/fhir/ExplanationOfBenefit/carrier--99999999999".to_owned(),
    ] {
        let reply = h.get_with_token(&path, &mine).await;
        assert_eq!(
            (reply.status, reply.json()),
            (StatusCode::NOT_FOUND, not_found.clone()),
            "{path}"
        );
    }
    let bad_id = h
        .get_with_token("/v2/fhir/Coverage/part-e-123", &mine)
        .await;
    assert_eq!(bad_id.status, StatusCode::BAD_REQUEST);
    assert_eq!(
        bad_id.json()["detail"],
        "An error occurred contacting the upstream server:Failed to call access method: java.lang.IllegalArgumentException: Unsupported ID pattern: part-e-123"
    );
}

/// A link taken from a page and edited: another beneficiary's id, the same link with another
/// beneficiary's token, the patient left out, paging pushed out of range. None reaches another
/// beneficiary's data and none is a 5xx.
#[tokio::test]
async fn tampered_links_reach_no_other_beneficiary() {
    let h = Harness::builtin("oauth-success").await;
    let mine = h.access_token().await;
    let theirs = h.access_token_for("BBUser20023").await;
    let page = h
        .get_with_token("/v2/fhir/ExplanationOfBenefit/?_count=2", &mine)
        .await
        .json();
    let next = path_of(&link(&page, "next").unwrap(), &h);
    let own = format!("patient={JANE}");
    assert!(next.contains(&own), "{next}");
    let forbidden = json!({"detail": "You do not have permission to perform this action."});
    for (target, token) in [
        (next.replace(&own, &format!("patient={BBUSER20023}")), &mine),
        (
            next.replace(&own, &format!("patient=Patient/{BBUSER20023}")),
            &mine,
        ),
        (
            next.replace(&own, &format!("{own}&patient={BBUSER20023}")),
            &mine,
        ),
        (next.clone(), &theirs),
    ] {
        let reply = h.get_with_token(&target, token).await;
        assert_eq!(reply.status, StatusCode::FORBIDDEN, "{target}");
        assert_eq!(reply.json(), forbidden, "{target}");
    }
    let paging = ["startIndex=2", "_count=2"];
    let mut tampered = vec![next.replace(&format!("&{own}"), "").replace(&own, "")];
    for value in ["-1", "99999", "abc", "0", "100000", "1e3", ""] {
        for parameter in paging {
            let name = parameter.split('=').next().unwrap_or_default();
            tampered.push(next.replace(parameter, &format!("{name}={value}")));
        }
    }
    for target in tampered {
        assert_ne!(target, next);
        let reply = h.get_with_token(&target, &mine).await;
        assert!(reply.status.as_u16() < 500, "{target}: {}", reply.status);
        if reply.status != StatusCode::OK {
            continue;
        }
        let bundle = reply.json();
        for entry in bundle["entry"].as_array().into_iter().flatten() {
            assert_eq!(
                entry["resource"]["patient"]["reference"],
                format!("Patient/{JANE}"),
                "{target}"
            );
        }
    }
    let coverage = h
        .get_with_token(
            &format!("/v2/fhir/Coverage/?beneficiary={BBUSER20023}"),
            &mine,
        )
        .await;
    assert_eq!(
        (coverage.status, coverage.json()),
        (StatusCode::FORBIDDEN, forbidden)
    );
}

#[tokio::test]
async fn parameter_errors() {
    let h = Harness::builtin("oauth-success").await;
    let token = h.access_token().await;
    for (query, detail) in [
        ("_count=51", "value must be at most 50"),
        ("_count=-1", "value must be at least 0"),
        ("_count=ten", "expected int"),
        ("startIndex=first", "expected int"),
        (
            "_count=0",
            "An error occurred contacting the upstream server:Invalid pageSize '0'",
        ),
        (
            "startIndex=-5",
            "An error occurred contacting the upstream server:Value for startIndex cannot be negative: -5",
        ),
        ("type=CARRIER", "not a valid value"),
    ] {
        let reply = h
            .get_with_token(&format!("/v2/fhir/ExplanationOfBenefit/?{query}"), &token)
            .await;
        assert_eq!(
            (reply.status, reply.json()),
            (StatusCode::BAD_REQUEST, json!({"detail": detail})),
            "{query}"
        );
    }
    let past_the_end = h
        .get_with_token("/v2/fhir/ExplanationOfBenefit/?startIndex=100000", &token)
        .await
        .json();
    assert!(past_the_end.get("entry").is_none());
    assert!(past_the_end["total"].as_u64().unwrap() > 0);
}

#[tokio::test]
async fn methods_negotiation_and_headers() {
    let h = Harness::builtin("oauth-success").await;
    let token = h.access_token().await;
    let post = h
        .send(
            h.client
                .post(h.url("/v2/fhir/Patient/"))
                .bearer_auth(&token),
        )
        .await;
    assert_eq!(post.status, StatusCode::METHOD_NOT_ALLOWED);
    assert_eq!(
        post.json(),
        json!({"detail": "Method \"POST\" not allowed."})
    );
    assert_eq!(
        h.send(h.client.post(h.url("/v2/fhir/Patient/")))
            .await
            .status,
        StatusCode::UNAUTHORIZED
    );

    let json_accept = h
        .send(
            h.client
                .get(h.url("/v2/fhir/Coverage/"))
                .bearer_auth(&token)
                .header("accept", "application/json"),
        )
        .await;
    assert_eq!(json_accept.header("content-type"), Some("application/json"));
    assert_eq!(json_accept.header("allow"), Some("GET, HEAD, OPTIONS"));
    assert_eq!(json_accept.header("vary"), Some("Accept"));
    assert_eq!(json_accept.header("access-control-allow-origin"), Some("*"));

    let old_mime = h
        .send(
            h.client
                .get(h.url("/v2/fhir/Coverage/"))
                .header("accept", "application/json+fhir"),
        )
        .await;
    assert_eq!(old_mime.status, StatusCode::NOT_ACCEPTABLE);
    assert_eq!(
        old_mime.json(),
        json!({"detail": "Could not satisfy the request Accept header."})
    );

    let head = h
        .send(
            h.client
                .head(h.url(&format!("/v2/fhir/Patient/{JANE}")))
                .bearer_auth(&token),
        )
        .await;
    let get = h
        .get_with_token(&format!("/v2/fhir/Patient/{JANE}"), &token)
        .await;
    assert_eq!(head.status, StatusCode::OK);
    assert!(head.body.is_empty());
    assert_eq!(
        head.header("content-length").map(str::to_owned),
        Some(get.body.len().to_string())
    );

    let preflight = h
        .send(
            h.client
                .request(reqwest::Method::OPTIONS, h.url("/v2/fhir/Patient/"))
                .header("origin", "http://app.example")
                .header("access-control-request-method", "GET"),
        )
        .await;
    assert_eq!(preflight.status, StatusCode::OK);
    assert_eq!(preflight.header("access-control-allow-origin"), Some("*"));
    assert!(
        preflight
            .header("access-control-allow-headers")
            .unwrap()
            .contains("authorization")
    );
}

#[tokio::test]
async fn unknown_paths_and_other_versions_are_404_pages() {
    let h = Harness::builtin("oauth-success").await;
    let token = h.access_token().await;
    for path in [
        "/",
        "/v3/fhir/Patient/",
        "/v3/o/token/",
        "/fhir/Patient/",
        "/v2/fhir/Observation/",
        "/v2/o/nothing/",
    ] {
        let reply = h.get_with_token(path, &token).await;
        assert_eq!(reply.status, StatusCode::NOT_FOUND, "{path}");
        assert!(
            reply
                .header("content-type")
                .unwrap()
                .starts_with("text/html")
        );
        assert!(reply.text().contains("<h1>Not Found</h1>"));
    }
}

#[tokio::test]
async fn type_forms() {
    let h = Harness::builtin("oauth-success").await;
    let token = h.access_token_for("BBUser20023").await;
    let total = |query: String| {
        let h = &h;
        let token = &token;
        async move {
            let reply = h
                .get_with_token(&format!("/v2/fhir/ExplanationOfBenefit/?{query}"), token)
                .await;
            assert_eq!(reply.status, StatusCode::OK, "{query}: {}", reply.text());
            reply.json()["total"].as_u64().unwrap()
        }
    };
    let system = "https://bluebutton.cms.gov/resources/codesystem/eob-type";
    assert_eq!(total("type=carrier".into()).await, 44);
    assert_eq!(total("type=carrier,pde".into()).await, 147);
    assert_eq!(total(format!("type={system}|inpatient")).await, 1);
    assert_eq!(total(format!("type={system}|")).await, 148);
    assert_eq!(total("type=dme,hha,hospice,outpatient,snf".into()).await, 0);
}

#[tokio::test]
async fn links_use_the_documented_form_on_the_clients_origin() {
    let h = Harness::builtin("oauth-success").await;
    let token = h.access_token_for("BBUser20023").await;
    let bundle = h
        .get_with_token(
            "/v2/fhir/ExplanationOfBenefit/?type=carrier,pde&startIndex=20",
            &token,
        )
        .await
        .json();
    let base = format!("{}/v2/fhir/ExplanationOfBenefit", h.server.url());
    let expect = |start: u64| {
        format!("{base}?_count=10&startIndex={start}&patient={BBUSER20023}&type=carrier%2Cpde")
    };
    let relations: Vec<(&str, String)> = bundle["link"]
        .as_array()
        .unwrap()
        .iter()
        .map(|l| {
            (
                l["relation"].as_str().unwrap(),
                l["url"].as_str().unwrap().to_owned(),
            )
        })
        .collect();
    assert_eq!(
        relations,
        vec![
            ("first", expect(0)),
            ("next", expect(30)),
            ("previous", expect(10)),
            ("last", expect(140)),
            ("self", expect(20))
        ]
    );

    // The origin is the one the client used (its Host header).
    let proxied = h
        .send(
            h.client
                .get(h.url("/v2/fhir/Coverage/"))
                .bearer_auth(&token)
                .header("host", "bb.example:8443"),
        )
        .await
        .json();
    assert!(link(&proxied, "self").unwrap().starts_with(
        "http://bb.example:8443/v2/fhir/Coverage?_count=10&startIndex=0&beneficiary=Patient%2F"
    ));
}

#[tokio::test]
async fn paging_at_1_10_and_50() {
    let h = Harness::builtin("pagination").await;
    let token = h.access_token().await;
    for (count, pages) in [(1u64, 260usize), (10, 26), (50, 6)] {
        let (claims, seen_pages) = all_pages(
            &h,
            &token,
            &format!("/v2/fhir/ExplanationOfBenefit/?_count={count}"),
        )
        .await;
        assert_eq!(seen_pages, pages, "_count={count}");
        assert_eq!(claims.len(), 260);
        let ids: HashSet<&str> = claims.iter().map(|c| c["id"].as_str().unwrap()).collect();
        assert_eq!(ids.len(), 260, "no claim twice at _count={count}");
    }
}

#[tokio::test]
async fn patient_search_by_identifier() {
    let h = Harness::builtin("oauth-success").await;
    let token = h.access_token().await;
    let patient = h
        .get_with_token(&format!("/v2/fhir/Patient/{JANE}"), &token)
        .await
        .json();
    let mbi = patient["identifier"]
        .as_array()
        .unwrap()
        .iter()
        .find(|i| i["system"] == "http://hl7.org/fhir/sid/us-mbi")
        .and_then(|i| i["value"].as_str())
        .unwrap()
        .to_owned();
    let found = h
        .get_with_token(
            &format!("/v2/fhir/Patient/?identifier=http://hl7.org/fhir/sid/us-mbi%7C{mbi}"),
            &token,
        )
        .await
        .json();
    assert_eq!(found["total"], 1);
    let missing = h
        .get_with_token(
            "/v2/fhir/Patient/?identifier=http://hl7.org/fhir/sid/us-mbi%7C1AA0AA0AA00",
            &token,
        )
        .await
        .json();
    assert_eq!(missing["total"], 0);
}

#[tokio::test]
#[ignore = "needs the FHIR R4 schema: run .ci/fetch-fhir-schema and set BBH_FHIR_SCHEMA"]
async fn fhir_r4_every_served_resource_is_valid() {
    let schema = crate::fhir_r4::FhirR4Schema::shared().unwrap();
    let h = Harness::builtin("oauth-success").await;
    let mut checked = 0;
    for login in ["BBUser29999", "BBUser20023", "BBUser00042", "BBUser10000"] {
        let token = h.access_token_for(login).await;
        let (mut resources, _) =
            all_pages(&h, &token, "/v2/fhir/ExplanationOfBenefit/?_count=50").await;
        resources.extend(all_pages(&h, &token, "/v2/fhir/Coverage/").await.0);
        resources.extend(all_pages(&h, &token, "/v2/fhir/Patient/").await.0);
        for resource in &resources {
            if let Err(errors) = schema.validate(resource) {
                panic!("{login} {}: {errors:#?}", resource["id"]);
            }
        }
        checked += resources.len();
    }
    assert!(checked > 200, "validated only {checked} resources");
}
