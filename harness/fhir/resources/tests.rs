//! Tests of the rendered resources as a whole: determinism, ids and references, C4BB
//! conformance-lite, sizes, and seeds.

use super::meta::{
    C4BB_COVERAGE, C4BB_EOB_INPATIENT, C4BB_EOB_OUTPATIENT, C4BB_EOB_PHARMACY,
    C4BB_EOB_PROFESSIONAL, C4BB_PATIENT,
};
use super::systems::C4BB_IDENTIFIER_TYPE;
use super::{CoveragePart, DATA_LAST_UPDATED, coverage_v2, eob_v2, patient_v2};
use crate::claim_type::{ClaimCounts, ClaimType};
use crate::world::{Beneficiary, Claim, Gender};
use jiff::Timestamp;
use jiff::civil::{Date, date};
use serde_json::Value;

/// Test fixtures: beneficiaries and claims built from a number.
pub(crate) mod fixtures {
    use super::*;
    use crate::fhir::resources::dates::add_days;

    /// The guide's Jane Doe, with a data seed of `seed`.
    pub fn beneficiary(seed: u64) -> Beneficiary {
        Beneficiary {
            username: "BBUser29999".into(),
            password: "PW29999!".into(),
            patient_id: "-20140000008325".into(),
            given: vec!["Jane".into(), "X".into()],
            family: "Doe".into(),
            gender: Gender::Female,
            birth_date: date(1952, 6, 1),
            mbi: "1S00E00AA00".into(),
            state_code: "15".into(),
            postal_code: "99999".into(),
            race_code: "1".into(),
            email: "bbuser29999@example.com".into(),
            account_created: Timestamp::UNIX_EPOCH,
            claims: ClaimCounts::from_pairs([
                (ClaimType::Carrier, 44),
                (ClaimType::Inpatient, 1),
                (ClaimType::Pde, 103),
            ]),
            data_seed: seed,
        }
    }

    /// A claim of a type, its details seeded by `seed`, served from `start` for `days` days.
    pub fn claim(claim_type: ClaimType, seed: u64, start: Date, days: i64) -> Claim {
        Claim {
            claim_type,
            claim_id: format!("-{}", 10_000_000_000 + seed % 1_000_000_000),
            seed,
            start,
            end: add_days(start, days),
        }
    }

    /// A claim of a type with a typical length of service.
    pub fn typical_claim(claim_type: ClaimType, seed: u64) -> Claim {
        let days = match claim_type {
            ClaimType::Inpatient => 5,
            ClaimType::Snf | ClaimType::Hospice | ClaimType::Hha => 20,
            _ => 0,
        };
        claim(claim_type, seed, date(2024, 3, 4), days)
    }
}

use fixtures::{beneficiary, claim, typical_claim};

fn compact_size(resource: &Value) -> usize {
    resource.to_string().len()
}

fn all_resources(seed: u64) -> Vec<Value> {
    let bene = beneficiary(seed);
    let mut resources = vec![patient_v2(&bene)];
    resources.extend(CoveragePart::ALL.map(|part| coverage_v2(&bene, part)));
    resources.extend(ClaimType::ALL.map(|t| eob_v2(&bene, &typical_claim(t, seed))));
    resources
}

/// Calls `visit` with the path and value of every member of every object, depth first.
fn walk<'v>(value: &'v Value, path: &str, visit: &mut dyn FnMut(&str, &'v Value)) {
    match value {
        Value::Object(members) => {
            for (key, member) in members {
                let member_path = format!("{path}/{key}");
                visit(&member_path, member);
                walk(member, &member_path, visit);
            }
        }
        Value::Array(items) => {
            for (index, item) in items.iter().enumerate() {
                walk(item, &format!("{path}/{index}"), visit);
            }
        }
        _ => {}
    }
}

fn str_at<'v>(value: &'v Value, pointer: &str) -> &'v str {
    value.pointer(pointer).and_then(Value::as_str).unwrap_or("")
}

fn money_at(value: &Value, pointer: &str) -> f64 {
    value
        .pointer(pointer)
        .and_then(Value::as_f64)
        .unwrap_or(f64::NAN)
}

/// The adjudication amount of a Blue Button variable in a list of adjudications.
fn adjudicated(adjudication: &Value, column: &str) -> f64 {
    let code = format!("https://bluebutton.cms.gov/resources/variables/{column}");
    adjudication
        .as_array()
        .into_iter()
        .flatten()
        .find(|entry| str_at(entry, "/category/coding/1/code") == code)
        .map_or(f64::NAN, |entry| money_at(entry, "/amount/value"))
}

#[test]
fn rendering_is_deterministic() {
    for seed in [0, 1, 42, u64::MAX] {
        assert_eq!(all_resources(seed), all_resources(seed), "seed {seed}");
    }
}

#[test]
fn coverage_ids_round_trip() {
    let id = CoveragePart::A.resource_id("-20140000008325");
    assert_eq!(id, "part-a--20140000008325");
    for part in CoveragePart::ALL {
        for patient in ["-20140000008325", "20140000008325"] {
            let id = part.resource_id(patient);
            assert_eq!(CoveragePart::from_resource_id(&id), Some((part, patient)));
        }
    }
    assert_eq!(CoveragePart::D.code(), "part-d");
    for not_an_id in ["part-e--1", "part-a", "part-a-", "part-a1", "Part-A--1", ""] {
        assert_eq!(
            CoveragePart::from_resource_id(not_an_id),
            None,
            "{not_an_id}"
        );
    }
}

#[test]
fn ids_and_references() {
    let bene = beneficiary(3);
    let patient = patient_v2(&bene);
    assert_eq!(patient["id"], "-20140000008325");
    for part in CoveragePart::ALL {
        let coverage = coverage_v2(&bene, part);
        assert_eq!(coverage["id"], part.resource_id(&bene.patient_id));
        assert_eq!(
            coverage["beneficiary"]["reference"],
            "Patient/-20140000008325"
        );
    }
    for claim_type in ClaimType::ALL {
        let claim = typical_claim(claim_type, 3);
        let eob = eob_v2(&bene, &claim);
        assert_eq!(eob["id"], claim.resource_id());
        assert_eq!(eob["patient"]["reference"], "Patient/-20140000008325");
        let part = match claim_type {
            ClaimType::Carrier | ClaimType::Dme | ClaimType::Outpatient | ClaimType::Hha => {
                "part-b"
            }
            ClaimType::Inpatient | ClaimType::Snf | ClaimType::Hospice => "part-a",
            ClaimType::Pde => "part-d",
        };
        assert_eq!(
            str_at(&eob, "/insurance/0/coverage/reference"),
            format!("Coverage/{part}--20140000008325"),
        );
        assert_eq!(eob["insurance"][0]["focal"], true);
        assert_eq!(str_at(&eob, "/identifier/0/value"), claim.claim_id);
    }
}

#[test]
fn v2_profiles_are_the_c4bb_ones() {
    let expected =
        |resource: &Value| match (str_at(resource, "/resourceType"), str_at(resource, "/id")) {
            ("Patient", _) => C4BB_PATIENT,
            ("Coverage", _) => C4BB_COVERAGE,
            (_, id) if id.starts_with("carrier") || id.starts_with("dme") => C4BB_EOB_PROFESSIONAL,
            (_, id) if id.starts_with("outpatient") => C4BB_EOB_OUTPATIENT,
            (_, id) if id.starts_with("pde") => C4BB_EOB_PHARMACY,
            _ => C4BB_EOB_INPATIENT,
        };
    for resource in all_resources(5) {
        assert_eq!(
            str_at(&resource, "/meta/profile/0"),
            expected(&resource),
            "{}",
            resource["id"]
        );
        assert_eq!(resource["meta"]["lastUpdated"], DATA_LAST_UPDATED);
    }
    let inpatient = eob_v2(&beneficiary(5), &typical_claim(ClaimType::Inpatient, 5));
    assert_eq!(
        str_at(&inpatient, "/meta/profile/0"),
        "http://hl7.org/fhir/us/carin-bb/StructureDefinition/C4BB-ExplanationOfBenefit-Inpatient-Institutional"
    );
}

#[test]
fn every_identifier_has_a_type_coding_and_claim_ids_are_c4bb_typed() {
    for seed in 0..20 {
        for resource in all_resources(seed) {
            let mut identifiers = 0;
            walk(&resource, "", &mut |path, value| {
                if !path.ends_with("/identifier") {
                    return;
                }
                let all = value
                    .as_array()
                    .cloned()
                    .unwrap_or_else(|| vec![value.clone()]);
                for identifier in &all {
                    identifiers += 1;
                    let system = str_at(identifier, "/type/coding/0/system");
                    assert!(
                        !system.is_empty(),
                        "{} {path}: {identifier}",
                        resource["id"]
                    );
                    assert!(!str_at(identifier, "/type/coding/0/code").is_empty());
                }
            });
            assert!(identifiers >= 1, "{}", resource["id"]);
            if resource["resourceType"] == "ExplanationOfBenefit" {
                for identifier in resource["identifier"].as_array().into_iter().flatten() {
                    assert_eq!(
                        str_at(identifier, "/type/coding/0/system"),
                        C4BB_IDENTIFIER_TYPE
                    );
                    assert_eq!(str_at(identifier, "/type/coding/0/code"), "uc");
                }
            }
        }
    }
}

#[test]
fn eob_identifiers_and_type_codings_follow_bb2() {
    let bene = beneficiary(9);
    for claim_type in ClaimType::ALL {
        let eob = eob_v2(&bene, &typical_claim(claim_type, 9));
        let system_of =
            |index: usize| str_at(&eob, &format!("/identifier/{index}/system")).to_owned();
        let expected_claim_id = if claim_type == ClaimType::Pde {
            "pde_id"
        } else {
            "clm_id"
        };
        assert!(system_of(0).ends_with(&format!("/variables/{expected_claim_id}")));
        assert_eq!(
            system_of(1),
            "https://bluebutton.cms.gov/resources/identifier/claim-group"
        );

        let codings = eob["type"]["coding"]
            .as_array()
            .cloned()
            .unwrap_or_default();
        let code_in = |system: &str| {
            codings
                .iter()
                .find(|coding| coding["system"] == system)
                .map(|coding| coding["code"].as_str().unwrap_or("").to_owned())
        };
        assert_eq!(
            code_in("https://bluebutton.cms.gov/resources/codesystem/eob-type").as_deref(),
            Some(claim_type.eob_type_code())
        );
        let (nch, hl7) = match claim_type {
            ClaimType::Carrier => (Some("71"), "professional"),
            ClaimType::Dme => (Some("82"), "professional"),
            ClaimType::Hha => (Some("10"), "institutional"),
            ClaimType::Hospice => (Some("50"), "institutional"),
            ClaimType::Inpatient => (Some("60"), "institutional"),
            ClaimType::Outpatient => (Some("40"), "institutional"),
            ClaimType::Pde => (None, "pharmacy"),
            ClaimType::Snf => (Some("20"), "institutional"),
        };
        assert_eq!(
            code_in("https://bluebutton.cms.gov/resources/variables/nch_clm_type_cd").as_deref(),
            nch
        );
        assert_eq!(
            code_in("http://terminology.hl7.org/CodeSystem/claim-type").as_deref(),
            Some(hl7)
        );
        for required in [
            "status",
            "use",
            "created",
            "outcome",
            "insurer",
            "provider",
            "insurance",
        ] {
            assert!(eob.get(required).is_some(), "{claim_type}: {required}");
        }
    }
}

#[test]
fn dates_come_from_the_claim() {
    let bene = beneficiary(4);
    for claim_type in ClaimType::ALL {
        for (seed, days) in [(1, 0), (2, 3), (3, 12)] {
            let claim = claim(claim_type, seed, date(2019, 12, 30), days);
            let eob = eob_v2(&bene, &claim);
            let (start, end) = (claim.start.to_string(), claim.end.to_string());
            let expected_end = if claim_type == ClaimType::Pde {
                &start
            } else {
                &end
            };
            assert_eq!(str_at(&eob, "/billablePeriod/start"), start);
            assert_eq!(str_at(&eob, "/billablePeriod/end"), expected_end.as_str());
            let created = str_at(&eob, "/created");
            assert!(created.get(..10) > Some(expected_end.as_str()), "{created}");
            walk(&eob, "", &mut |path, value| {
                let served = path.ends_with("/servicedDate")
                    || path.contains("/servicedPeriod/")
                    || path.ends_with("/procedure/0/date");
                if let (true, Some(day)) = (served, value.as_str()) {
                    assert!(
                        start.as_str() <= day && day <= expected_end.as_str(),
                        "{path} {day}"
                    );
                }
            });
        }
    }
}

#[test]
fn amounts_add_up() {
    for seed in 0..30 {
        let bene = beneficiary(seed);
        let carrier = eob_v2(&bene, &typical_claim(ClaimType::Carrier, seed));
        let line = &carrier["item"][0]["adjudication"];
        let paid = adjudicated(line, "line_nch_pmt_amt");
        let allowed = adjudicated(line, "line_alowd_chrg_amt");
        let shares = paid
            + adjudicated(line, "line_bene_ptb_ddctbl_amt")
            + adjudicated(line, "line_coinsrnc_amt");
        assert!((shares - allowed).abs() < 0.005, "{shares} != {allowed}");
        assert!(allowed <= adjudicated(line, "line_sbmtd_chrg_amt"));
        assert_eq!(money_at(&carrier, "/payment/amount/value"), paid);

        let inpatient = eob_v2(&bene, &typical_claim(ClaimType::Inpatient, seed));
        let items = inpatient["item"].as_array().cloned().unwrap_or_default();
        let line_charges: f64 = items
            .iter()
            .filter(|item| str_at(item, "/revenue/coding/0/code") != "0001")
            .map(|item| adjudicated(&item["adjudication"], "rev_cntr_tot_chrg_amt"))
            .sum();
        let total = money_at(&inpatient, "/total/0/amount/value");
        let total_line = items.last().map_or(f64::NAN, |item| {
            adjudicated(&item["adjudication"], "rev_cntr_tot_chrg_amt")
        });
        assert!(
            (line_charges - total).abs() < 0.005,
            "{line_charges} != {total}"
        );
        assert_eq!(total_line, total);
        assert!(money_at(&inpatient, "/payment/amount/value") <= total);

        let pde = eob_v2(&bene, &typical_claim(ClaimType::Pde, seed));
        let drug = &pde["item"][0]["adjudication"];
        let cost = adjudicated(drug, "tot_rx_cst_amt");
        let split = adjudicated(drug, "cvrd_d_plan_pd_amt") + adjudicated(drug, "ptnt_pay_amt");
        assert!((cost - split).abs() < 0.005, "{cost} != {split}");
    }
}

#[test]
fn sizes_stay_near_bb2_sizes() {
    for seed in 0..150 {
        for resource in all_resources(seed) {
            let size = compact_size(&resource);
            assert!(
                (3_000..=24_000).contains(&size),
                "{} is {size} bytes",
                resource["id"]
            );
        }
    }
}

#[test]
fn different_seeds_give_different_details() {
    let bene = beneficiary(1);
    for claim_type in ClaimType::ALL {
        for seed in 0..40 {
            let one = eob_v2(&bene, &typical_claim(claim_type, seed));
            let other = eob_v2(&bene, &typical_claim(claim_type, seed + 1));
            assert_ne!(
                one["item"],
                other["item"],
                "{claim_type} seeds {seed}, {}",
                seed + 1
            );
        }
    }
    let coverages: std::collections::HashSet<String> = (0..40)
        .map(|seed| coverage_v2(&beneficiary(seed), CoveragePart::D).to_string())
        .collect();
    assert!(coverages.len() > 10, "{}", coverages.len());
    let patients: std::collections::HashSet<String> = (0..40)
        .map(|seed| patient_v2(&beneficiary(seed)).to_string())
        .collect();
    assert!(patients.len() > 1);
}

#[test]
fn patient_follows_the_bb2_v2_shape() {
    let bene = beneficiary(2);
    let patient = patient_v2(&bene);
    let keys: Vec<&str> = patient
        .as_object()
        .map(|members| members.keys().map(String::as_str).collect())
        .unwrap_or_default();
    assert_eq!(
        keys,
        [
            "resourceType",
            "id",
            "meta",
            "extension",
            "identifier",
            "name",
            "gender",
            "birthDate",
            "address"
        ]
    );
    assert_eq!(str_at(&patient, "/identifier/0/type/coding/0/code"), "MB");
    assert_eq!(str_at(&patient, "/identifier/1/type/coding/0/code"), "MC");
    assert_eq!(
        str_at(&patient, "/identifier/1/system"),
        "http://hl7.org/fhir/sid/us-mbi"
    );
    assert_eq!(str_at(&patient, "/identifier/1/value"), "1S00E00AA00");
    assert_eq!(
        str_at(
            &patient,
            "/identifier/1/type/coding/0/extension/0/valueCoding/code"
        ),
        "current"
    );
    assert_eq!(
        patient["name"],
        serde_json::json!([{"use": "usual", "family": "Doe", "given": ["Jane", "X"]}])
    );
    assert_eq!(patient["gender"], "female");
    assert_eq!(patient["birthDate"], "1952-06-01");
    assert_eq!(
        patient["address"],
        serde_json::json!([{"state": "15", "postalCode": "99999"}])
    );
    assert_eq!(
        str_at(&patient, "/extension/0/valueCoding/display"),
        "White"
    );
    assert_eq!(
        str_at(&patient, "/extension/1/extension/0/valueCoding/code"),
        "2106-3"
    );

    // The monthly dual status is the one the Coverages carry.
    let duals = |resource: &Value| -> Vec<String> {
        resource["extension"]
            .as_array()
            .into_iter()
            .flatten()
            .filter(|extension| str_at(extension, "/url").contains("/variables/dual_"))
            .map(|extension| str_at(extension, "/valueCoding/code").to_owned())
            .collect()
    };
    let coverage = coverage_v2(&bene, CoveragePart::A);
    assert_eq!(duals(&patient).len(), 12);
    assert_eq!(duals(&patient), duals(&coverage));
}

#[test]
fn patient_without_given_names_or_known_race_is_still_well_formed() {
    let mut bene = beneficiary(2);
    bene.given = Vec::new();
    bene.race_code = "9".into();
    let patient = patient_v2(&bene);
    assert_eq!(
        patient["name"],
        serde_json::json!([{"use": "usual", "family": "Doe"}])
    );
    assert_eq!(str_at(&patient, "/extension/0/valueCoding/code"), "9");
    assert_eq!(
        str_at(&patient, "/extension/1/extension/0/valueCoding/code"),
        "UNK"
    );
}

#[test]
fn coverages_carry_their_parts_extensions() {
    let has = |coverage: &Value, column: &str| {
        let url = format!("https://bluebutton.cms.gov/resources/variables/{column}");
        coverage["extension"]
            .as_array()
            .is_some_and(|extensions| extensions.iter().any(|extension| extension["url"] == url))
    };
    for seed in 0..20 {
        let bene = beneficiary(seed);
        let [a, b, c, d] = CoveragePart::ALL.map(|part| coverage_v2(&bene, part));
        for column in [
            "ms_cd", "orec", "crec", "esrd_ind", "a_trm_cd", "rfrnc_yr", "dual_12", "buyin12",
        ] {
            assert!(has(&a, column), "part A {column}");
        }
        for column in ["ms_cd", "b_trm_cd", "rfrnc_yr", "dual_01", "buyin01"] {
            assert!(has(&b, column), "part B {column}");
        }
        assert!(has(&c, "hmo_ind_01") && has(&c, "rfrnc_yr"));
        assert!(has(&d, "ptdcntrct01") && has(&d, "cstshr12") && has(&d, "rfrnc_yr"));
        for (coverage, plan) in [
            (&a, "Part A"),
            (&b, "Part B"),
            (&c, "Part C"),
            (&d, "Part D"),
        ] {
            assert_eq!(coverage["status"], "active");
            assert_eq!(str_at(coverage, "/type/coding/0/code"), "SUBSIDIZ");
            assert_eq!(coverage["subscriberId"], "1S00E00AA00");
            assert_eq!(str_at(coverage, "/relationship/coding/0/code"), "self");
            assert_eq!(str_at(coverage, "/class/0/value"), "Medicare");
            assert_eq!(str_at(coverage, "/class/1/value"), plan);
        }
    }
}

#[test]
fn part_d_events_name_the_part_d_contract() {
    for seed in 0..20 {
        let bene = beneficiary(seed);
        let pde = eob_v2(&bene, &typical_claim(ClaimType::Pde, seed));
        let part_d = coverage_v2(&bene, CoveragePart::D);
        let contract = part_d["extension"]
            .as_array()
            .into_iter()
            .flatten()
            .find(|extension| str_at(extension, "/url").ends_with("/ptdcntrct01"))
            .map(|extension| str_at(extension, "/valueCoding/code").to_owned());
        assert_eq!(
            contract.as_deref(),
            Some(str_at(
                &pde,
                "/insurance/0/coverage/extension/0/valueIdentifier/value"
            )),
        );
    }
}

#[test]
fn codes_are_real_looking() {
    let bene = beneficiary(8);
    let code_of = |claim_type, pointer: &str| {
        str_at(&eob_v2(&bene, &typical_claim(claim_type, 8)), pointer).to_owned()
    };
    let ndc = code_of(ClaimType::Pde, "/item/0/productOrService/coding/0/code");
    assert!(
        ndc.len() == 11 && ndc.bytes().all(|b| b.is_ascii_digit()),
        "{ndc}"
    );
    let hcpcs = code_of(ClaimType::Carrier, "/item/0/productOrService/coding/0/code");
    assert_eq!(hcpcs.len(), 5, "{hcpcs}");
    let revenue = code_of(ClaimType::Inpatient, "/item/0/revenue/coding/0/code");
    assert_eq!(revenue.len(), 4, "{revenue}");
    let icd_system = code_of(
        ClaimType::Inpatient,
        "/diagnosis/0/diagnosisCodeableConcept/coding/0/system",
    );
    assert_eq!(icd_system, "http://hl7.org/fhir/sid/icd-10-cm");
    let npi = code_of(ClaimType::Carrier, "/careTeam/0/provider/identifier/value");
    assert!(
        npi.len() == 10 && npi.bytes().all(|b| b.is_ascii_digit()),
        "{npi}"
    );
}

#[test]
fn no_empty_elements() {
    for resource in all_resources(6) {
        walk(&resource, "", &mut |path, value| {
            let empty = match value {
                Value::Null => true,
                Value::String(text) => text.is_empty(),
                Value::Array(items) => items.is_empty(),
                Value::Object(members) => members.is_empty(),
                _ => false,
            };
            assert!(!empty, "{} {path}", resource["id"]);
        });
    }
}

/// The codes of the extensions (by CCW column) of a JSON object.
fn extension_columns(value: &Value) -> Vec<String> {
    value["extension"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|e| e["url"].as_str())
        .filter_map(|url| url.rsplit('/').next())
        .map(str::to_owned)
        .collect()
}

fn supporting_info<'v>(eob: &'v Value, code: &str) -> Option<&'v Value> {
    eob["supportingInfo"].as_array()?.iter().find(|info| {
        info["category"]["coding"]
            .as_array()
            .into_iter()
            .flatten()
            .any(|c| c["code"].as_str().is_some_and(|c| c.ends_with(code)))
    })
}

fn benefit(eob: &Value, column: &str) -> Option<Value> {
    let code = format!("https://bluebutton.cms.gov/resources/variables/{column}");
    eob["benefitBalance"][0]["financial"]
        .as_array()?
        .iter()
        .find(|f| f["type"]["coding"][0]["code"] == code)
        .cloned()
}

#[test]
fn dme_lines_name_the_supplier_and_equipment() {
    for seed in 0..20 {
        let eob = eob_v2(&beneficiary(seed), &typical_claim(ClaimType::Dme, seed));
        assert_eq!(str_at(&eob, "/type/coding/0/code"), "82");
        assert_eq!(
            str_at(&eob, "/insurance/0/coverage/reference"),
            "Coverage/part-b--20140000008325"
        );
        let performing = eob["careTeam"]
            .as_array()
            .unwrap()
            .iter()
            .find(|m| str_at(m, "/role/coding/0/code") == "performing")
            .unwrap();
        assert_eq!(str_at(performing, "/provider/identifier/value").len(), 10);
        let items = eob["item"].as_array().unwrap();
        assert!((1..=2).contains(&items.len()));
        for item in items {
            let columns = extension_columns(item);
            for column in [
                "suplrnum",
                "dmerc_line_mtus_cnt",
                "dmerc_line_prcng_state_cd",
                "dmerc_line_supplr_type_cd",
                "betos_cd",
            ] {
                assert!(columns.iter().any(|c| c == column), "{column}: {columns:?}");
            }
            assert!(!columns.iter().any(|c| c == "carr_line_prcng_lclty_cd"));
            let hcpcs = str_at(item, "/productOrService/coding/0/code");
            assert!(hcpcs.starts_with(['E', 'A', 'K', 'L']), "{hcpcs}");
            let modifier = str_at(item, "/modifier/0/coding/0/code");
            assert!(["RR", "NU"].contains(&modifier), "{modifier}");
        }
    }
}

#[test]
fn hha_episodes_start_of_care_and_visits() {
    for seed in 0..10 {
        let claim = typical_claim(ClaimType::Hha, seed);
        let eob = eob_v2(&beneficiary(seed), &claim);
        assert_eq!(str_at(&eob, "/type/coding/0/code"), "10");
        assert_eq!(
            str_at(&eob, "/insurance/0/coverage/reference"),
            "Coverage/part-b--20140000008325"
        );
        let admission = supporting_info(&eob, "admissionperiod").unwrap();
        assert_eq!(
            str_at(admission, "/timingPeriod/start"),
            claim.start.to_string()
        );
        let visits = benefit(&eob, "clm_hha_tot_visit_cnt").unwrap();
        let items = eob["item"].as_array().unwrap();
        let visit_lines = items.len() as u64 - 1;
        assert!(visits["usedUnsignedInt"].as_u64().unwrap() >= visit_lines);
        for item in &items[..items.len() - 1] {
            assert!(str_at(item, "/productOrService/coding/0/code").starts_with('G'));
            assert!(item["servicedDate"].is_string());
        }
    }
}

#[test]
fn hospice_periods_count_days_and_the_benefit_period() {
    for seed in 0..10 {
        let claim = typical_claim(ClaimType::Hospice, seed);
        let eob = eob_v2(&beneficiary(seed), &claim);
        assert_eq!(str_at(&eob, "/type/coding/0/code"), "50");
        assert!(
            extension_columns(&eob)
                .iter()
                .any(|c| c == "bene_hospc_prd_cnt")
        );
        let admission = supporting_info(&eob, "admissionperiod").unwrap();
        assert_eq!(
            str_at(admission, "/timingPeriod/end"),
            claim.end.to_string()
        );
        assert_eq!(
            benefit(&eob, "clm_utlztn_day_cnt").unwrap()["usedUnsignedInt"],
            20
        );
        assert_eq!(
            str_at(&eob, "/item/0/revenue/coding/0/code"),
            "0651",
            "routine home care by the day"
        );
    }
}

#[test]
fn snf_stays_follow_a_qualifying_hospital_stay() {
    for (seed, days, coinsurance_days) in [(1, 20, 0), (2, 30, 10), (3, 120, 80)] {
        let claim = claim(ClaimType::Snf, seed, date(2024, 3, 4), days);
        let eob = eob_v2(&beneficiary(seed), &claim);
        assert_eq!(str_at(&eob, "/type/coding/0/code"), "20");
        assert_eq!(
            str_at(&eob, "/insurance/0/coverage/reference"),
            "Coverage/part-a--20140000008325"
        );
        let qualifying = supporting_info(&eob, "nch_qlfyd_stay_from_dt").unwrap();
        let hospital_end: Date = str_at(qualifying, "/timingPeriod/end").parse().unwrap();
        assert!(hospital_end < claim.start);
        assert!(supporting_info(&eob, "admissionperiod").is_some());
        assert_eq!(
            benefit(&eob, "bene_tot_coinsrnc_days_cnt").unwrap()["usedUnsignedInt"],
            coinsurance_days
        );
        let owed = benefit(&eob, "nch_bene_pta_coinsrnc_lblty_amt").unwrap();
        assert_eq!(
            owed["usedMoney"]["value"].as_f64().unwrap(),
            coinsurance_days as f64 * 204.0
        );
    }
}

#[test]
fn outpatient_visits_bill_hcpcs_on_revenue_lines() {
    for seed in 0..10 {
        let eob = eob_v2(
            &beneficiary(seed),
            &typical_claim(ClaimType::Outpatient, seed),
        );
        assert_eq!(str_at(&eob, "/type/coding/0/code"), "40");
        assert_eq!(
            str_at(&eob, "/insurance/0/coverage/reference"),
            "Coverage/part-b--20140000008325"
        );
        assert!(supporting_info(&eob, "admissionperiod").is_none());
        let items = eob["item"].as_array().unwrap();
        let (total, lines) = items.split_last().unwrap();
        assert_eq!(str_at(total, "/revenue/coding/0/code"), "0001");
        for line in lines {
            assert_eq!(
                str_at(line, "/productOrService/coding/0/system"),
                "https://bluebutton.cms.gov/resources/codesystem/hcpcs"
            );
        }
        assert!(benefit(&eob, "nch_bene_ptb_coinsrnc_amt").is_some());
    }
}
