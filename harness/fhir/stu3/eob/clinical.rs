//! The care team, diagnoses and procedures of a v1 claim.

use crate::fhir::resources::systems::{BB_VARIABLES, ICD_10_CM};
use crate::fhir::stu3::elements::{codings, system};
use crate::fhir::stu3::systems::{BB_DIAGNOSIS_TYPE, CLAIM_CARE_TEAM_ROLE, ICD_10};
use serde_json::{Map, Value, json};

/// The v1 care team: roles in STU3's `claimcareteamrole`, the referring provider left out
/// (v1 names it in the contained `ReferralRequest`), sequences kept.
pub fn care_team(members: Vec<Value>) -> Vec<Value> {
    members
        .into_iter()
        .filter(|member| role_code(member) != "referring")
        .map(|mut member| {
            let role = stu3_role(role_code(&member));
            if let Value::Object(members) = &mut member
                && let Some((code, display)) = role
            {
                let coding =
                    json!({"system": CLAIM_CARE_TEAM_ROLE, "code": code, "display": display});
                members.insert("role".into(), json!({"coding": [coding]}));
            }
            member
        })
        .collect()
}

fn role_code(member: &Value) -> &str {
    member["role"]["coding"][0]["code"]
        .as_str()
        .unwrap_or_default()
}

/// The STU3 care team role of a CARIN one (BFD's v1 transformers: the attending physician
/// assists, whoever performed, operated or prescribed is the primary provider).
fn stu3_role(c4bb: &str) -> Option<(&'static str, &'static str)> {
    match c4bb {
        "" => None,
        "performing" | "rendering" | "operating" | "prescribing" | "primary" => {
            Some(("primary", "Primary provider"))
        }
        "attending" | "assisting" | "assist" => Some(("assist", "Assisting Provider")),
        "supervisor" => Some(("supervisor", "Supervising Provider")),
        _ => Some(("other", "Other")),
    }
}

/// The v1 diagnoses: ICD-10 in v1's `http://hl7.org/fhir/sid/icd-10`, types in Blue
/// Button's `diagnosis-type` (only the principal, admitting, external-cause and
/// reason-for-visit ones have one in v1), present-on-admission as the `clm_poa_ind_sw<n>`
/// extension.
pub fn diagnoses(diagnoses: Vec<Value>) -> Vec<Value> {
    diagnoses.into_iter().map(diagnosis).collect()
}

fn diagnosis(diagnosis: Value) -> Value {
    let Value::Object(mut members) = diagnosis else {
        return diagnosis;
    };
    if let Some(on_admission) = members.shift_remove("onAdmission") {
        add_coding_extensions(&mut members, &on_admission);
    }
    if let Some(Value::Object(concept)) = members.get_mut("diagnosisCodeableConcept")
        && let Some(Value::Array(codings)) = concept.get_mut("coding")
    {
        let mut seen = Vec::new();
        codings.retain_mut(|coding| {
            if system(coding) == ICD_10_CM {
                coding["system"] = json!(ICD_10);
            }
            let key = (coding["system"].clone(), coding["code"].clone());
            let first = !seen.contains(&key);
            seen.push(key);
            first
        });
    }
    let types: Vec<Value> = members
        .shift_remove("type")
        .and_then(|types| types.as_array().cloned())
        .unwrap_or_default()
        .iter()
        .filter_map(|concept| {
            let codings: Vec<Value> = codings(concept).filter_map(diagnosis_type).collect();
            (!codings.is_empty()).then(|| json!({"coding": codings}))
        })
        .collect();
    if !types.is_empty() {
        members.insert("type".into(), Value::Array(types));
    }
    Value::Object(reordered(
        members,
        &[
            "extension",
            "sequence",
            "diagnosisCodeableConcept",
            "diagnosisReference",
            "type",
            "packageCode",
        ],
    ))
}

/// The Blue Button diagnosis type of an R4 one, if v1 has it.
fn diagnosis_type(coding: &Value) -> Option<Value> {
    let (code, display) = match coding["code"].as_str()? {
        "principal" => (
            "principal",
            "The single medical diagnosis that is most relevant to the patient's chief complaint or need for treatment.",
        ),
        "admitting" => (
            "admitting",
            "The diagnosis given as the reason why the patient was admitted to the hospital.",
        ),
        "externalcauseofinjury" => (
            "external",
            "A code used to identify the external cause of injury, poisoning, or other adverse effect.",
        ),
        "patientreasonforvisit" => (
            "reasonforvisit",
            "A diagnosis code used to identify the patient's reason for the Hospital Outpatient visit.",
        ),
        _ => return None,
    };
    Some(json!({"system": BB_DIAGNOSIS_TYPE, "code": code, "display": display}))
}

/// Codings of a Blue Button variable as extensions (`url` = the variable), unless the
/// element has that extension already.
fn add_coding_extensions(members: &mut Map<String, Value>, concept: &Value) {
    for coding in codings(concept) {
        let url = system(coding);
        if !url.starts_with(BB_VARIABLES) {
            continue;
        }
        let extension = members
            .entry("extension")
            .or_insert_with(|| Value::Array(Vec::new()));
        if let Value::Array(extension) = extension
            && !extension.iter().any(|e| e["url"] == url)
        {
            extension.push(json!({"url": url, "valueCoding": coding}));
        }
    }
}

/// `first` members first (those present), then the others in their order.
fn reordered(mut members: Map<String, Value>, first: &[&str]) -> Map<String, Value> {
    let mut ordered: Map<String, Value> = first
        .iter()
        .filter_map(|key| {
            members
                .shift_remove(*key)
                .map(|member| ((*key).to_owned(), member))
        })
        .collect();
    ordered.extend(members);
    ordered
}

/// The v1 procedures: STU3 has no procedure `type`.
pub fn procedures(procedures: Vec<Value>) -> Vec<Value> {
    procedures
        .into_iter()
        .map(|procedure| match procedure {
            Value::Object(members) => Value::Object(
                members
                    .into_iter()
                    .filter(|(key, _)| {
                        matches!(
                            key.as_str(),
                            "extension"
                                | "sequence"
                                | "date"
                                | "procedureCodeableConcept"
                                | "procedureReference"
                                | "udi"
                        )
                    })
                    .collect(),
            ),
            other => other,
        })
        .collect()
}
