//! Every Patient, Coverage and ExplanationOfBenefit served over HTTP matches its tight JSON
//! Schema (`schemas/fhir/<resource>-<version>.schema.json`): reads, searches and every page
//! of a beneficiary's claims, under `/v2/fhir/` (FHIR R4, C4BB) and `/v1/fhir/` (FHIR STU3).

use crate::journey::all_pages;
use crate::support::*;
use reqwest::StatusCode;
use serde_json::Value;

/// The schema name of a resource of `version` (`fhir/eob-v1`).
fn schema_of(resource: &Value, version: &str) -> String {
    let kind = match resource["resourceType"].as_str() {
        Some("Patient") => "patient",
        Some("Coverage") => "coverage",
        Some("ExplanationOfBenefit") => "eob",
        other => panic!("unexpected resource type {other:?}: {resource:#}"),
    };
    format!("fhir/{kind}-{version}")
}

/// GETs a read and checks the resource against its schema.
async fn read(h: &Harness, token: &str, version: &str, path: &str) -> Value {
    let reply = h
        .get_with_token(&format!("/{version}/fhir/{path}"), token)
        .await;
    assert_eq!(reply.status, StatusCode::OK, "{path}: {}", reply.text());
    let resource = reply.json();
    assert_valid(&schema_of(&resource, version), &resource);
    resource
}

/// GETs every page of a search, checks each v1 Bundle envelope (v2 ones are checked by the
/// support client) and each resource against its schema; the resources.
async fn search(h: &Harness, token: &str, version: &str, path: &str) -> Vec<Value> {
    let first = format!("/{version}/fhir/{path}");
    if version == "v1" {
        let reply = h.get_with_token(&first, token).await;
        assert_eq!(reply.status, StatusCode::OK, "{first}: {}", reply.text());
        assert_valid("fhir/bundle-v1", &reply.json());
    }
    let (resources, _) = all_pages(h, token, &first).await;
    for resource in &resources {
        assert_valid(&schema_of(resource, version), resource);
    }
    resources
}

/// Patient, the four Coverages and every claim of BBUser20023 (carrier, inpatient and Part D
/// events), read and searched under one API version.
async fn bbuser20023_matches_the_schemas(version: &str) {
    let h = Harness::builtin("oauth-success").await;
    let token = h.access_token_for("BBUser20023").await;

    let patient = read(&h, &token, version, &format!("Patient/{BBUSER20023}")).await;
    assert_eq!(patient["id"], BBUSER20023);
    let patients = search(&h, &token, version, "Patient/").await;
    assert_eq!(patients, vec![patient]);

    let coverages = search(&h, &token, version, "Coverage/").await;
    assert_eq!(coverages.len(), 4);
    for coverage in &coverages {
        let id = coverage["id"].as_str().unwrap();
        assert_eq!(
            &read(&h, &token, version, &format!("Coverage/{id}")).await,
            coverage
        );
    }

    let claims = search(&h, &token, version, "ExplanationOfBenefit/").await;
    assert_eq!(claims.len(), 148);
    for prefix in ["carrier-", "inpatient-", "pde-"] {
        let claim = claims
            .iter()
            .find(|claim| claim["id"].as_str().unwrap().starts_with(prefix))
            .unwrap_or_else(|| panic!("no {prefix} claim"));
        let id = claim["id"].as_str().unwrap();
        let path = format!("ExplanationOfBenefit/{id}");
        assert_eq!(&read(&h, &token, version, &path).await, claim);
    }
}

#[tokio::test]
async fn v2_payloads_match_their_schemas() {
    bbuser20023_matches_the_schemas("v2").await;
}

#[tokio::test]
async fn v1_payloads_match_their_schemas() {
    bbuser20023_matches_the_schemas("v1").await;
}

/// A beneficiary with claims of all eight types: every one matches its schema in both
/// versions, and v1 and v2 serve the same claims.
#[tokio::test]
async fn every_claim_type_matches_its_schema_in_both_versions() {
    let h = Harness::yaml(
        "version: 1\n\
         name: every-claim-type\n\
         beneficiaries:\n\
         \x20 - username: BBUser20001\n\
         \x20   password: PW20001!\n\
         \x20   patient_id: \"-20140000000002\"\n\
         \x20   name: Eve R Type\n\
         \x20   claims: {carrier: 2, dme: 2, hha: 2, hospice: 2, inpatient: 2, outpatient: 2, pde: 2, snf: 2}\n\
         login:\n\
         \x20 username: BBUser20001\n",
    )
    .await;
    let token = h.access_token().await;
    let v2 = search(&h, &token, "v2", "ExplanationOfBenefit/").await;
    let v1 = search(&h, &token, "v1", "ExplanationOfBenefit/").await;
    assert_eq!(v2.len(), 16);
    let ids = |claims: &[Value]| -> Vec<Value> { claims.iter().map(|c| c["id"].clone()).collect() };
    assert_eq!(ids(&v1), ids(&v2));
    for claim_type in [
        "carrier",
        "dme",
        "hha",
        "hospice",
        "inpatient",
        "outpatient",
        "pde",
        "snf",
    ] {
        for version in ["v1", "v2"] {
            let of_type = search(
                &h,
                &token,
                version,
                &format!("ExplanationOfBenefit/?type={claim_type}"),
            )
            .await;
            assert_eq!(of_type.len(), 2, "{version} type={claim_type}");
        }
    }
}
