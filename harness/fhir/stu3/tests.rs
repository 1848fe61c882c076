//! Tests of the v1 resources: every resource of several seeds and every claim type matches
//! its JSON Schema (v1 and v2 alike), v1 carries no R4/CARIN systems, and v1 tells the same
//! claim as v2.

use super::{coverage_v1, eob_v1, patient_v1};
use crate::claim_type::ClaimType;
use crate::fhir::resources::{CoveragePart, coverage_v2, eob_v2, patient_v2};
use crate::world::{Beneficiary, Claim};
use serde_json::Value;

const SEEDS: [u64; 6] = [0, 1, 7, 42, 2_024, u64::MAX];

use crate::fhir::resources::tests::fixtures::{beneficiary, typical_claim as claim};

fn validator(text: &str) -> jsonschema::Validator {
    let schema: Value = serde_json::from_str(text).unwrap();
    jsonschema::validator_for(&schema).unwrap()
}

fn assert_matches(validator: &jsonschema::Validator, name: &str, resource: &Value) {
    let errors: Vec<String> = validator
        .iter_errors(resource)
        .map(|error| format!("{}: {error}", error.instance_path().as_str()))
        .collect();
    assert!(
        errors.is_empty(),
        "{} does not match {name}: {errors:#?}\n{resource:#}",
        resource["id"]
    );
}

/// The three renderers of one API version.
struct Renderers {
    patient: fn(&Beneficiary) -> Value,
    coverage: fn(&Beneficiary, CoveragePart) -> Value,
    eob: fn(&Beneficiary, &Claim) -> Value,
}

/// (schema name, schema text, resources) for one API version.
fn rendered(v1: bool) -> Vec<(&'static str, &'static str, Vec<Value>)> {
    let Renderers {
        patient,
        coverage,
        eob,
    } = if v1 {
        Renderers {
            patient: patient_v1,
            coverage: coverage_v1,
            eob: eob_v1,
        }
    } else {
        Renderers {
            patient: patient_v2,
            coverage: coverage_v2,
            eob: eob_v2,
        }
    };
    let benes: Vec<Beneficiary> = SEEDS.iter().map(|seed| beneficiary(*seed)).collect();
    let patients = benes.iter().map(patient).collect();
    let coverages = benes
        .iter()
        .flat_map(|bene| CoveragePart::ALL.map(|part| coverage(bene, part)))
        .collect();
    let eobs = benes
        .iter()
        .flat_map(|bene| {
            ClaimType::ALL.map(|claim_type| eob(bene, &claim(claim_type, bene.data_seed)))
        })
        .collect();
    if v1 {
        vec![
            (
                "patient-v1",
                include_str!("../../../schemas/fhir/patient-v1.schema.json"),
                patients,
            ),
            (
                "coverage-v1",
                include_str!("../../../schemas/fhir/coverage-v1.schema.json"),
                coverages,
            ),
            (
                "eob-v1",
                include_str!("../../../schemas/fhir/eob-v1.schema.json"),
                eobs,
            ),
        ]
    } else {
        vec![
            (
                "patient-v2",
                include_str!("../../../schemas/fhir/patient-v2.schema.json"),
                patients,
            ),
            (
                "coverage-v2",
                include_str!("../../../schemas/fhir/coverage-v2.schema.json"),
                coverages,
            ),
            (
                "eob-v2",
                include_str!("../../../schemas/fhir/eob-v2.schema.json"),
                eobs,
            ),
        ]
    }
}

#[test]
fn every_v1_resource_matches_its_schema() {
    for (name, schema, resources) in rendered(true) {
        let validator = validator(schema);
        for resource in &resources {
            assert_matches(&validator, name, resource);
        }
    }
}

#[test]
fn every_v2_resource_matches_its_schema() {
    for (name, schema, resources) in rendered(false) {
        let validator = validator(schema);
        for resource in &resources {
            assert_matches(&validator, name, resource);
        }
    }
}

#[test]
fn the_schemas_reject_the_other_version() {
    let bene = beneficiary(3);
    let pairs = [
        ("patient", patient_v1(&bene), patient_v2(&bene)),
        (
            "coverage",
            coverage_v1(&bene, CoveragePart::A),
            coverage_v2(&bene, CoveragePart::A),
        ),
        (
            "eob",
            eob_v1(&bene, &claim(ClaimType::Carrier, 3)),
            eob_v2(&bene, &claim(ClaimType::Carrier, 3)),
        ),
    ];
    let schemas = [rendered(true), rendered(false)];
    for (index, (kind, v1, v2)) in pairs.iter().enumerate() {
        let v1_schema = validator(schemas[0][index].1);
        let v2_schema = validator(schemas[1][index].1);
        assert!(
            !v1_schema.is_valid(v2),
            "the v1 {kind} schema accepts a v2 {kind}"
        );
        assert!(
            !v2_schema.is_valid(v1),
            "the v2 {kind} schema accepts a v1 {kind}"
        );
    }
}

#[test]
fn v1_has_no_r4_or_carin_systems() {
    for (_, _, resources) in rendered(true) {
        for resource in resources {
            let text = resource.to_string();
            for r4 in [
                "carin-bb",
                "terminology.hl7.org",
                "\"currency\"",
                "productOrService",
                "supportingInfo",
                "careTeamSequence",
            ] {
                assert!(!text.contains(r4), "{} has {r4}", resource["id"]);
            }
        }
    }
}

#[test]
fn rendering_is_deterministic() {
    assert_eq!(rendered(true), rendered(true));
}

#[test]
fn v1_patient_hashes_the_mbi() {
    let bene = beneficiary(1);
    let patient = patient_v1(&bene);
    assert_eq!(patient["id"], "-20140000008325");
    assert_eq!(
        patient["identifier"][0]["system"],
        "https://bluebutton.cms.gov/resources/variables/bene_id"
    );
    let hash = &patient["identifier"][1];
    assert_eq!(
        hash["system"],
        "https://bluebutton.cms.gov/resources/identifier/mbi-hash"
    );
    let value = hash["value"].as_str().unwrap();
    assert_eq!(value.len(), 64);
    assert!(!patient.to_string().contains(&bene.mbi));
    assert!(
        patient
            .get("meta")
            .and_then(|meta| meta.get("profile"))
            .is_none()
    );
    let v2 = patient_v2(&bene);
    for same in ["name", "gender", "birthDate", "address"] {
        assert_eq!(patient[same], v2[same], "{same}");
    }
}

#[test]
fn v1_coverage_groups_by_part() {
    let bene = beneficiary(2);
    for (part, plan) in CoveragePart::ALL
        .into_iter()
        .zip(["Part A", "Part B", "Part C", "Part D"])
    {
        let coverage = coverage_v1(&bene, part);
        let v2 = coverage_v2(&bene, part);
        assert_eq!(coverage["id"], v2["id"]);
        assert_eq!(coverage["grouping"]["subGroup"], "Medicare");
        assert_eq!(coverage["grouping"]["subPlan"], plan);
        assert_eq!(coverage["type"]["coding"][0]["system"], "Medicare");
        assert_eq!(coverage["type"]["coding"][0]["code"], plan);
        assert_eq!(coverage["extension"], v2["extension"]);
        assert_eq!(coverage["period"], v2["period"]);
        assert!(coverage.get("class").is_none() && coverage.get("subscriberId").is_none());
    }
}

#[test]
fn v1_eob_tells_the_v2_claim() {
    for seed in SEEDS {
        let bene = beneficiary(seed);
        for claim_type in ClaimType::ALL {
            let claim = claim(claim_type, seed);
            let (v1, v2) = (eob_v1(&bene, &claim), eob_v2(&bene, &claim));
            let id = &v1["id"];
            assert_eq!(v1["id"], v2["id"]);
            assert_eq!(v1["patient"], v2["patient"]);
            assert_eq!(v1["billablePeriod"], v2["billablePeriod"]);
            assert_eq!(
                v1["insurance"]["coverage"]["reference"],
                v2["insurance"][0]["coverage"]["reference"],
                "{id}"
            );
            assert_eq!(
                v1["identifier"][0]["value"], v2["identifier"][0]["value"],
                "{id}"
            );
            assert_eq!(
                v1["item"].as_array().map(Vec::len),
                v2["item"].as_array().map(Vec::len),
                "{id}"
            );
            assert_eq!(
                v1["payment"]["amount"]["value"], v2["payment"]["amount"]["value"],
                "{id}"
            );
            if let Some(total) = v2["total"][0]["amount"]["value"].as_f64() {
                assert_eq!(v1["totalCost"]["value"].as_f64(), Some(total), "{id}");
            }
            let type_code = |system: &str| {
                v1["type"]["coding"]
                    .as_array()
                    .into_iter()
                    .flatten()
                    .find(|coding| coding["system"] == system)
                    .map(|coding| coding["code"].clone())
            };
            assert_eq!(
                type_code("https://bluebutton.cms.gov/resources/codesystem/eob-type"),
                Some(Value::from(claim_type.eob_type_code())),
            );
            let expected = match claim_type {
                ClaimType::Pde => "pharmacy",
                ClaimType::Carrier | ClaimType::Dme | ClaimType::Outpatient => "professional",
                _ => "institutional",
            };
            assert_eq!(
                type_code("http://hl7.org/fhir/ex-claimtype"),
                Some(Value::from(expected))
            );
            if !v2["referral"].is_null() {
                assert_eq!(v1["referral"]["reference"], "#1", "{id}");
                assert_eq!(
                    v1["contained"][0]["resourceType"], "ReferralRequest",
                    "{id}"
                );
            }
            if claim_type == ClaimType::Inpatient {
                assert_eq!(
                    v1["hospitalization"]["start"], v2["billablePeriod"]["start"],
                    "{id}"
                );
                assert!(
                    v1["provider"]["identifier"]["system"]
                        .as_str()
                        .is_some_and(|s| s.ends_with("prvdr_num")),
                    "{id}"
                );
                assert!(
                    v1["organization"]["identifier"]["value"].is_string(),
                    "{id}"
                );
            }
        }
    }
}

#[test]
fn v1_searchsets_match_the_v1_bundle_schema() {
    use crate::fhir::bundle::{bundle_id, searchset};
    use crate::fhir::paging::Page;
    let bundle_v1 = validator(include_str!("../../../schemas/fhir/bundle-v1.schema.json"));
    let bundle_v2 = validator(include_str!("../../../schemas/bundle.schema.json"));
    let bene = beneficiary(4);
    let claims: Vec<Value> = ClaimType::ALL
        .map(|claim_type| eob_v1(&bene, &claim(claim_type, 4)))
        .into();
    let page = Page {
        start: 0,
        count: 10,
        total: claims.len() as u64,
    };
    let id = bundle_id(4, &["ExplanationOfBenefit"]);
    let search = [("patient", bene.patient_id.as_str())];
    let style = crate::fhir::paging::LinkStyle {
        profile: crate::scenario::Profile::Documented,
        start_given: false,
    };
    let v1 = searchset(
        style,
        &id,
        "http://127.0.0.1:8000/v1/fhir/ExplanationOfBenefit",
        &page,
        &search,
        claims,
    );
    assert_matches(&bundle_v1, "bundle-v1", &v1);
    assert!(
        !bundle_v2.is_valid(&v1),
        "the v2 Bundle schema accepts /v1/ links"
    );
}

#[test]
fn v1_referrals_are_contained_referral_requests() {
    let referred: Vec<Value> = SEEDS
        .iter()
        .flat_map(|seed| {
            let bene = beneficiary(*seed);
            [ClaimType::Carrier, ClaimType::Dme].map(|t| eob_v1(&bene, &claim(t, *seed)))
        })
        .filter(|eob| !eob["referral"].is_null())
        .collect();
    assert!(!referred.is_empty(), "no seed draws a referral");
    for eob in referred {
        let request = &eob["contained"][0];
        assert_eq!(request["resourceType"], "ReferralRequest");
        assert_eq!(request["id"], "1");
        assert_eq!(request["subject"]["reference"], eob["patient"]["reference"]);
        assert_eq!(
            request["requester"]["agent"]["identifier"]["system"],
            "http://hl7.org/fhir/sid/us-npi"
        );
        assert!(request["recipient"][0]["identifier"]["value"].is_string());
        let team = eob["careTeam"].to_string();
        assert!(!team.contains("referring"), "{}", eob["id"]);
    }
}

#[test]
fn v1_members_keep_fhir_order() {
    let bene = beneficiary(9);
    let keys = |value: &Value| -> Vec<String> {
        value
            .as_object()
            .map(|o| o.keys().cloned().collect())
            .unwrap_or_default()
    };
    for claim_type in ClaimType::ALL {
        let eob = eob_v1(&bene, &claim(claim_type, 9));
        assert_eq!(
            keys(&eob["identifier"][0]),
            ["system", "value"],
            "{}",
            eob["id"]
        );
        let top = keys(&eob);
        assert_eq!(&top[..3], ["resourceType", "id", "meta"]);
        let position = |name: &str| top.iter().position(|key| key == name);
        assert!(
            position("information") < position("careTeam"),
            "{}",
            eob["id"]
        );
        assert!(position("insurance") < position("item"), "{}", eob["id"]);
        for diagnosis in eob["diagnosis"].as_array().into_iter().flatten() {
            let keys = keys(diagnosis);
            let at = |name: &str| keys.iter().position(|key| key == name);
            assert!(at("sequence") < at("diagnosisCodeableConcept"));
            if at("type").is_some() {
                assert!(at("diagnosisCodeableConcept") < at("type"));
            }
        }
    }
}
