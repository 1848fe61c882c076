//! Items (service and revenue lines) and benefit balances of a v1 claim.

use super::information::Information;
use crate::fhir::resources::systems::{BB_ADJUDICATION, NUBC_REVENUE_CODES};
use crate::fhir::stu3::elements::{codings, system};
use crate::fhir::stu3::systems::BENEFIT_CATEGORY;
use serde_json::{Map, Value, json};

/// R4 item members renamed in STU3.
const RENAMED: [(&str, &str); 5] = [
    ("productOrService", "service"),
    ("careTeamSequence", "careTeamLinkId"),
    ("diagnosisSequence", "diagnosisLinkId"),
    ("procedureSequence", "procedureLinkId"),
    ("informationSequence", "informationLinkId"),
];

/// STU3 item (and detail) members, in STU3's order.
const MEMBERS: [&str; 27] = [
    "extension",
    "sequence",
    "careTeamLinkId",
    "diagnosisLinkId",
    "procedureLinkId",
    "informationLinkId",
    "type",
    "revenue",
    "category",
    "service",
    "modifier",
    "programCode",
    "servicedDate",
    "servicedPeriod",
    "locationCodeableConcept",
    "locationAddress",
    "locationReference",
    "quantity",
    "unitPrice",
    "factor",
    "net",
    "udi",
    "bodySite",
    "subSite",
    "noteNumber",
    "adjudication",
    "detail",
];

/// A v1 item: STU3 member names, revenue and service codes without the NUBC system
/// (v1 codes revenue centers in `rev_cntr` only), adjudications by Blue Button variable.
pub fn item(item: Value, information: &Information) -> Value {
    let Value::Object(r4) = item else {
        return item;
    };
    let mut renamed = Map::new();
    for (key, member) in r4 {
        let key = RENAMED
            .iter()
            .find(|(r4_name, _)| *r4_name == key)
            .map_or(key, |(_, stu3_name)| (*stu3_name).to_owned());
        renamed.insert(key, member);
    }
    if let Some(Value::Array(links)) = renamed.get_mut("informationLinkId") {
        *links = links
            .iter()
            .filter_map(|link| information.sequence(link.as_u64()?))
            .map(|sequence| json!(sequence))
            .collect();
    }
    for coded in ["revenue", "service"] {
        if let Some(concept) = renamed.shift_remove(coded)
            && let Some(concept) = without_system(concept, NUBC_REVENUE_CODES)
        {
            renamed.insert(coded.into(), concept);
        }
    }
    if let Some(Value::Array(adjudication)) = renamed.shift_remove("adjudication") {
        let adjudication: Vec<Value> = adjudication
            .into_iter()
            .filter_map(adjudication_v1)
            .collect();
        if !adjudication.is_empty() {
            renamed.insert("adjudication".into(), Value::Array(adjudication));
        }
    }
    if let Some(Value::Array(details)) = renamed.shift_remove("detail") {
        let details: Vec<Value> = details
            .into_iter()
            .map(|detail| self::item(detail, information))
            .collect();
        renamed.insert("detail".into(), Value::Array(details));
    }
    Value::Object(
        MEMBERS
            .iter()
            .filter_map(|name| {
                let member = renamed.shift_remove(*name)?;
                let empty = member.as_array().is_some_and(Vec::is_empty);
                (!empty).then(|| ((*name).to_owned(), member))
            })
            .collect(),
    )
}

/// A concept without the codings of `dropped`; `None` when none are left.
fn without_system(concept: Value, dropped: &str) -> Option<Value> {
    let Value::Object(mut members) = concept else {
        return Some(concept);
    };
    if let Some(Value::Array(codings)) = members.get_mut("coding") {
        codings.retain(|coding| system(coding) != dropped);
        if codings.is_empty() {
            members.shift_remove("coding");
        }
    }
    let informative = members.keys().any(|key| key == "coding" || key == "text");
    informative.then_some(Value::Object(members))
}

/// An adjudication categorised by its Blue Button variable only (v1 has no HL7 or CARIN
/// adjudication categories); `None` when it has no Blue Button category.
fn adjudication_v1(adjudication: Value) -> Option<Value> {
    let Value::Object(mut members) = adjudication else {
        return None;
    };
    let category: Vec<Value> = codings(members.get("category")?)
        .filter(|coding| system(coding) == BB_ADJUDICATION)
        .cloned()
        .collect();
    if category.is_empty() {
        return None;
    }
    members.insert("category".into(), json!({"coding": category}));
    Some(Value::Object(members))
}

/// A v1 benefit balance: the category in STU3's `benefit-category` (`medical`).
pub fn benefit_balance(balance: Value) -> Value {
    let Value::Object(mut members) = balance else {
        return balance;
    };
    let medical = json!({"system": BENEFIT_CATEGORY, "code": "medical", "display": "Medical Health Coverage"});
    members.insert("category".into(), json!({"coding": [medical]}));
    Value::Object(members)
}
