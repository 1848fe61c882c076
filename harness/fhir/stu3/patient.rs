//! The v1 Patient of a beneficiary.

use super::elements::{meta_v1, object};
use super::systems::MBI_HASH;
use crate::fhir::resources::patient_v2;
use crate::fhir::resources::systems::{BB_VARIABLES, US_MBI, variable};
use crate::world::Beneficiary;
use serde_json::{Value, json};
use sha2::{Digest, Sha256};

/// The v1 (FHIR STU3) Patient of a beneficiary, shaped like BB2's: Blue Button's own
/// extensions only (no US Core race), the `bene_id` and the MBI *hash* as untyped
/// identifiers, no `meta.profile`; name, gender, birth date and the reduced address as in v2.
pub fn patient_v1(bene: &Beneficiary) -> Value {
    let v2 = patient_v2(bene);
    let extension: Vec<Value> = v2["extension"]
        .as_array()
        .into_iter()
        .flatten()
        .filter(|extension| {
            extension["url"]
                .as_str()
                .is_some_and(|url| url.starts_with(BB_VARIABLES))
        })
        .cloned()
        .collect();
    let mbi_since = v2["identifier"]
        .as_array()
        .into_iter()
        .flatten()
        .find(|identifier| identifier["system"] == US_MBI)
        .map_or(Value::Null, |identifier| identifier["period"].clone());
    object([
        ("resourceType", json!("Patient")),
        ("id", json!(bene.patient_id)),
        ("meta", meta_v1()),
        ("extension", json!(extension)),
        (
            "identifier",
            json!([
                {"system": variable("bene_id"), "value": bene.patient_id},
                object([
                    ("system", json!(MBI_HASH)),
                    ("value", json!(mbi_hash(&bene.mbi))),
                    ("period", mbi_since),
                ]),
            ]),
        ),
        ("name", v2["name"].clone()),
        ("gender", v2["gender"].clone()),
        ("birthDate", v2["birthDate"].clone()),
        ("deceasedDateTime", v2["deceasedDateTime"].clone()),
        ("address", v2["address"].clone()),
    ])
}

/// The MBI hash v1 shows instead of the MBI: 64 lowercase hex digits (BB2 hashes with a
/// secret pepper; a plain SHA-256 keeps the shape and is stable).
fn mbi_hash(mbi: &str) -> String {
    Sha256::digest(mbi.as_bytes())
        .iter()
        .map(|byte| format!("{byte:02x}"))
        .collect()
}
