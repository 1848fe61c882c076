//! The Patient resource of a beneficiary.

use super::builders::{
    coding, concept, extension_bare_coding, extension_coding, extension_date, identifier_currency,
    monthly_extensions, object, typed_identifier, without_empty_elements,
};
use super::codes::RACES;
use super::enrollment::Enrollment;
use super::meta::{C4BB_PATIENT, meta_v2};
use super::systems::{
    CDC_RACE_ETHNICITY, US_CORE_RACE, US_MBI, V2_IDENTIFIER_TYPE, V3_NULL_FLAVOR, variable,
};
use crate::world::Beneficiary;
use serde_json::Value;

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
    let given = bene.given.iter().map(|name| name.as_str().into()).collect();
    without_empty_elements(object([
        ("resourceType", "Patient".into()),
        ("id", bene.patient_id.as_str().into()),
        ("meta", meta_v2(C4BB_PATIENT)),
        ("extension", Value::Array(extension)),
        (
            "identifier",
            Value::Array(vec![
                typed_identifier(
                    coding(V2_IDENTIFIER_TYPE, "MB", "Member Number"),
                    &variable("bene_id"),
                    &bene.patient_id,
                ),
                mbi_identifier(bene, &enrollment),
            ]),
        ),
        (
            "name",
            Value::Array(vec![object([
                ("use", "usual".into()),
                ("family", bene.family.as_str().into()),
                ("given", Value::Array(given)),
            ])]),
        ),
        ("gender", bene.gender.code().into()),
        ("birthDate", bene.birth_date.to_string().into()),
        (
            "address",
            Value::Array(vec![object([
                ("state", bene.state_code.as_str().into()),
                ("postalCode", bene.postal_code.as_str().into()),
            ])]),
        ),
    ]))
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
        object([
            ("url", US_CORE_RACE.into()),
            (
                "extension",
                Value::Array(vec![
                    object([("url", "ombCategory".into()), ("valueCoding", omb_category)]),
                    object([("url", "text".into()), ("valueString", text)]),
                ]),
            ),
        ]),
    ]
}

/// The MBI, typed `MC` and marked current, since it took effect.
fn mbi_identifier(bene: &Beneficiary, enrollment: &Enrollment) -> Value {
    let medicare_number = object([
        ("extension", Value::Array(vec![identifier_currency(true)])),
        ("system", V2_IDENTIFIER_TYPE.into()),
        ("code", "MC".into()),
        ("display", "Patient's Medicare number".into()),
    ]);
    object([
        ("type", concept(medicare_number)),
        ("system", US_MBI.into()),
        ("value", bene.mbi.as_str().into()),
        (
            "period",
            object([("start", enrollment.mbi_effective.to_string().into())]),
        ),
    ])
}
