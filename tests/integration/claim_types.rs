//! ExplanationOfBenefit searches by `type=` over HTTP for a beneficiary with claims of all
//! eight types: exact totals, ids `<type>--<digits>`, and each type's own shape.

use crate::support::*;
use reqwest::StatusCode;
use serde_json::Value;

const PATIENT: &str = "-20140000000777";

/// (type, count, C4BB profile suffix, NCH claim type, Coverage part)
const TYPES: [(&str, u64, &str, Option<&str>, &str); 8] = [
    (
        "carrier",
        3,
        "Professional-NonClinician",
        Some("71"),
        "part-b",
    ),
    ("dme", 2, "Professional-NonClinician", Some("82"), "part-b"),
    ("hha", 4, "Inpatient-Institutional", Some("10"), "part-b"),
    (
        "hospice",
        1,
        "Inpatient-Institutional",
        Some("50"),
        "part-a",
    ),
    (
        "inpatient",
        2,
        "Inpatient-Institutional",
        Some("60"),
        "part-a",
    ),
    (
        "outpatient",
        5,
        "Outpatient-Institutional",
        Some("40"),
        "part-b",
    ),
    ("pde", 6, "Pharmacy", None, "part-d"),
    ("snf", 3, "Inpatient-Institutional", Some("20"), "part-a"),
];

async fn harness() -> (Harness, String) {
    let h = Harness::yaml(&format!(
        "\
version: 1
name: claim-types
beneficiaries:
  - username: BBUser20776
    patient_id: '{PATIENT}'
    claims: {{carrier: 3, dme: 2, hha: 4, hospice: 1, inpatient: 2, outpatient: 5, pde: 6, snf: 3}}
login:
  username: BBUser20776
"
    ))
    .await;
    let token = h.access_token().await;
    (h, token)
}

async fn search(h: &Harness, token: &str, query: &str) -> Value {
    let reply = h
        .get_with_token(&format!("/v2/fhir/ExplanationOfBenefit/?{query}"), token)
        .await;
    assert_eq!(reply.status, StatusCode::OK, "{query}: {}", reply.text());
    reply.json()
}

fn resources(bundle: &Value) -> Vec<&Value> {
    bundle["entry"]
        .as_array()
        .into_iter()
        .flatten()
        .map(|entry| &entry["resource"])
        .collect()
}

fn has_coding(concept: &Value, system: &str, code: &str) -> bool {
    concept["coding"]
        .as_array()
        .into_iter()
        .flatten()
        .any(|c| c["system"] == system && c["code"] == code)
}

#[tokio::test]
async fn every_type_is_searchable_with_its_own_shape() {
    let (h, token) = harness().await;
    for (code, count, profile, nch, part) in TYPES {
        let bundle = search(&h, &token, &format!("type={code}&_count=50")).await;
        assert_eq!(bundle["total"], count, "type={code}");
        let eobs = resources(&bundle);
        assert_eq!(eobs.len() as u64, count, "type={code}");
        for eob in eobs {
            let id = eob["id"].as_str().unwrap();
            let digits = id
                .strip_prefix(&format!("{code}--"))
                .unwrap_or_else(|| panic!("{id}"));
            assert_eq!(digits.len(), 11, "{id}");
            assert!(digits.bytes().all(|b| b.is_ascii_digit()), "{id}");
            assert!(
                has_coding(
                    &eob["type"],
                    "https://bluebutton.cms.gov/resources/codesystem/eob-type",
                    &code.to_uppercase()
                ),
                "{id}"
            );
            if let Some(nch) = nch {
                assert!(
                    has_coding(
                        &eob["type"],
                        "https://bluebutton.cms.gov/resources/variables/nch_clm_type_cd",
                        nch
                    ),
                    "{id}: {}",
                    eob["type"]
                );
            }
            assert_eq!(
                eob["meta"]["profile"][0],
                format!(
                    "http://hl7.org/fhir/us/carin-bb/StructureDefinition/C4BB-ExplanationOfBenefit-{profile}"
                ),
                "{id}"
            );
            assert_eq!(
                eob["insurance"][0]["coverage"]["reference"],
                format!("Coverage/{part}-{PATIENT}"),
                "{id}"
            );
            assert_eq!(eob["patient"]["reference"], format!("Patient/{PATIENT}"));
            assert!(!eob["item"].as_array().unwrap().is_empty(), "{id}");
            // Each EOB can be read back by its id.
            let read = h
                .get_with_token(&format!("/v2/fhir/ExplanationOfBenefit/{id}"), &token)
                .await;
            assert_eq!(read.status, StatusCode::OK, "{id}");
            assert_eq!(&read.json(), eob, "{id}");
        }
    }
}

#[tokio::test]
async fn totals_of_type_lists_and_of_all_claims() {
    let (h, token) = harness().await;
    let all = search(&h, &token, "_count=50").await;
    assert_eq!(all["total"], 26);
    let ids: Vec<&str> = resources(&all)
        .iter()
        .map(|eob| eob["id"].as_str().unwrap())
        .collect();
    let mut claim_ids: Vec<&str> = ids.iter().map(|id| id.split_once('-').unwrap().1).collect();
    let in_order = claim_ids.clone();
    claim_ids.sort();
    assert_eq!(in_order, claim_ids, "BFD order: claim ids as strings");
    for (code, count, ..) in TYPES {
        let of_type = ids
            .iter()
            .filter(|id| id.starts_with(&format!("{code}-")))
            .count();
        assert_eq!(of_type as u64, count, "{code}");
    }
    let institutional = search(&h, &token, "type=hha,hospice,snf,outpatient").await;
    assert_eq!(institutional["total"], 13);
    let system = "https://bluebutton.cms.gov/resources/codesystem/eob-type";
    let dme = search(&h, &token, &format!("type={system}|dme")).await;
    assert_eq!(dme["total"], 2);
}

#[tokio::test]
async fn institutional_and_dme_details() {
    let (h, token) = harness().await;
    let variables = "https://bluebutton.cms.gov/resources/variables/";
    for code in ["outpatient", "hha", "hospice", "snf"] {
        for eob in resources(&search(&h, &token, &format!("type={code}")).await) {
            let id = eob["id"].as_str().unwrap();
            let items = eob["item"].as_array().unwrap();
            assert!(items.iter().all(|item| item["revenue"].is_object()), "{id}");
            let last = items.last().unwrap();
            assert!(
                has_coding(&last["revenue"], &format!("{variables}rev_cntr"), "0001"),
                "{id}: the total-charge line closes the claim"
            );
            assert_eq!(eob["provider"]["reference"], "#provider-org", "{id}");
        }
    }
    for code in ["hha", "hospice", "snf"] {
        for eob in resources(&search(&h, &token, &format!("type={code}")).await) {
            let admission = eob["supportingInfo"]
                .as_array()
                .unwrap()
                .iter()
                .find(|info| info["category"]["coding"][0]["code"] == "admissionperiod")
                .unwrap_or_else(|| panic!("{}: no admission period", eob["id"]));
            assert_eq!(
                admission["timingPeriod"]["start"], eob["billablePeriod"]["start"],
                "{}",
                eob["id"]
            );
        }
    }
    for eob in resources(&search(&h, &token, "type=dme").await) {
        for item in eob["item"].as_array().unwrap() {
            let urls: Vec<&str> = item["extension"]
                .as_array()
                .unwrap()
                .iter()
                .map(|e| e["url"].as_str().unwrap())
                .collect();
            for column in [
                "suplrnum",
                "dmerc_line_prcng_state_cd",
                "dmerc_line_supplr_type_cd",
            ] {
                assert!(
                    urls.contains(&format!("{variables}{column}").as_str()),
                    "{}: {column} in {urls:?}",
                    eob["id"]
                );
            }
            let hcpcs = &item["productOrService"]["coding"][0];
            assert_eq!(
                hcpcs["system"],
                "https://bluebutton.cms.gov/resources/codesystem/hcpcs"
            );
        }
    }
}
