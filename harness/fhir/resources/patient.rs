//! The Patient resource of a beneficiary.

use super::builders::{
    coding, concept, extension_bare_coding, extension_coding, extension_date, identifier_currency,
    monthly_extensions, typed_identifier, without_empty_elements,
};
use super::codes::RACES;
use super::enrollment::Enrollment;
use super::meta::{C4BB_PATIENT, meta_v2};
use super::systems::{
    CDC_RACE_ETHNICITY, US_CORE_RACE, US_MBI, V2_IDENTIFIER_TYPE, V3_NULL_FLAVOR, variable,
};
use crate::world::Beneficiary;
use serde_json::{Value, json};

/// The v2 (FHIR R4, C4BB) Patient of a beneficiary, shaped like BB2's: race extensions, the
/// enrollment year and monthly dual status, `bene_id` and MBI identifiers, and an address
/// reduced to state and ZIP code (BB2 asks BFD for no more).
pub fn patient_v2(bene: &Beneficiary) -> Value {
    let enrollment = Enrollment::of(bene);
    let mut extension = race_extensions(&bene.race_code);
    extension.push(extension_date("rfrnc_yr", &enrollment.reference_year()));
    extension.extend(monthly_extensions("dual_", |column| {
        extension_coding(column, &enrollment.dual_status)
    }));
    without_empty_elements(json!({
        "resourceType": "Patient",
        "id": bene.patient_id,
        "meta": meta_v2(C4BB_PATIENT),
        "extension": extension,
        "identifier": [
            typed_identifier(
                coding(V2_IDENTIFIER_TYPE, "MB", "Member Number"),
                &variable("bene_id"),
                &bene.patient_id,
            ),
            mbi_identifier(bene, &enrollment),
        ],
        "name": [{"use": "usual", "family": bene.family, "given": bene.given}],
        "gender": bene.gender.code(),
        "birthDate": bene.birth_date.to_string(),
        "address": [{"state": bene.state_code, "postalCode": bene.postal_code}],
    }))
}

/// Blue Button's own race coding, then US Core's OMB category (`UNK` when none applies).
fn race_extensions(race_code: &str) -> Vec<Value> {
    let race = RACES.iter().find(|race| race.race.code == race_code);
    let blue_button_race = match race {
        Some(race) => extension_coding("race", &race.race),
        None => extension_bare_coding("race", race_code),
    };
    let omb_category = match race.and_then(|race| race.omb_category) {
        Some(category) => coding(CDC_RACE_ETHNICITY, category.code, category.display),
        None => coding(V3_NULL_FLAVOR, "UNK", "Unknown"),
    };
    let text = omb_category["display"].clone();
    vec![
        blue_button_race,
        json!({
            "url": US_CORE_RACE,
            "extension": [
                {"url": "ombCategory", "valueCoding": omb_category},
                {"url": "text", "valueString": text},
            ],
        }),
    ]
}

/// The MBI, typed `MC` and marked current, since it took effect.
fn mbi_identifier(bene: &Beneficiary, enrollment: &Enrollment) -> Value {
    let medicare_number = json!({
        "extension": [identifier_currency(true)],
        "system": V2_IDENTIFIER_TYPE,
        "code": "MC",
        "display": "Patient's Medicare number",
    });
    json!({
        "type": concept(medicare_number),
        "system": US_MBI,
        "value": bene.mbi,
        "period": {"start": enrollment.mbi_effective.to_string()},
    })
}
