//! The v1 Coverage of one Medicare part.

use super::elements::{meta_v1, object};
use super::systems::MEDICARE;
use crate::fhir::resources::{CoveragePart, coverage_v2};
use crate::world::Beneficiary;
use serde_json::{Value, json};

/// The v1 (FHIR STU3) Coverage of one Medicare part of a beneficiary, shaped like BB2's: the
/// part's enrollment extensions as in v2, status, a type coded `Medicare|Part X`, the
/// beneficiary, the entitlement period (Parts A and B), and `grouping`
/// `{subGroup: "Medicare", subPlan: "Part X"}` where v2 has `class`. No subscriber id,
/// relationship or payor.
pub fn coverage_v1(bene: &Beneficiary, part: CoveragePart) -> Value {
    let v2 = coverage_v2(bene, part);
    let class = |code: &str| {
        v2["class"]
            .as_array()
            .into_iter()
            .flatten()
            .find(|class| class["type"]["coding"][0]["code"] == code)
            .map_or(Value::Null, |class| class["value"].clone())
    };
    let plan = class("plan");
    object([
        ("resourceType", json!("Coverage")),
        ("id", v2["id"].clone()),
        ("meta", meta_v1()),
        ("extension", v2["extension"].clone()),
        ("status", v2["status"].clone()),
        (
            "type",
            json!({"coding": [{"system": MEDICARE, "code": plan}]}),
        ),
        ("beneficiary", v2["beneficiary"].clone()),
        ("period", v2["period"].clone()),
        (
            "grouping",
            object([("subGroup", class("group")), ("subPlan", class("plan"))]),
        ),
    ])
}
