//! What every v1 resource shares: `meta` without profiles, Money as STU3 wrote it,
//! identifiers without types, objects without absent members.

use super::systems::ISO_4217;
use crate::fhir::resources::DATA_LAST_UPDATED;
use serde_json::{Map, Value, json};

/// The `meta` of a v1 resource: the data load time, no profile.
pub fn meta_v1() -> Value {
    json!({"lastUpdated": DATA_LAST_UPDATED})
}

/// An object of the members that are present: `null` members are left out.
pub fn object<const N: usize>(members: [(&str, Value); N]) -> Value {
    Value::Object(
        members
            .into_iter()
            .filter(|(_, member)| !member.is_null())
            .map(|(key, member)| (key.to_owned(), member))
            .collect(),
    )
}

/// A member of an object, taken out of it (`null` when absent).
pub fn take(members: &mut Map<String, Value>, key: &str) -> Value {
    members.shift_remove(key).unwrap_or(Value::Null)
}

/// The codings of a `CodeableConcept` (none when it is not one).
pub fn codings(concept: &Value) -> impl Iterator<Item = &Value> {
    concept["coding"].as_array().into_iter().flatten()
}

/// The `system` of a coding (`""` when it has none).
pub fn system(coding: &Value) -> &str {
    coding["system"].as_str().unwrap_or_default()
}

/// `values`, or `null` when there are none (so [`object`] leaves the member out).
pub fn non_empty(values: Vec<Value>) -> Value {
    if values.is_empty() {
        Value::Null
    } else {
        Value::Array(values)
    }
}

/// Rewrites R4 data types into their STU3 form, depth first: a Money `{value, currency}`
/// becomes `{value, system: urn:iso:std:iso:4217, code}`, and identifiers lose their `type`
/// (v1 types none).
pub fn stu3_data_types(value: Value) -> Value {
    match value {
        Value::Array(items) => Value::Array(items.into_iter().map(stu3_data_types).collect()),
        Value::Object(members) => {
            let mut members: Map<String, Value> = members
                .into_iter()
                .map(|(key, member)| {
                    let member = if key == "identifier" {
                        untyped_identifiers(member)
                    } else {
                        member
                    };
                    (key, stu3_data_types(member))
                })
                .collect();
            if members.len() == 2
                && members.contains_key("value")
                && let Some(currency) = members.shift_remove("currency")
            {
                members.insert("system".into(), json!(ISO_4217));
                members.insert("code".into(), currency);
            }
            Value::Object(members)
        }
        other => other,
    }
}

/// An identifier, or a list of them, without `type`.
fn untyped_identifiers(identifier: Value) -> Value {
    match identifier {
        Value::Array(items) => Value::Array(items.into_iter().map(untyped_identifiers).collect()),
        Value::Object(mut members) => {
            members.shift_remove("type");
            Value::Object(members)
        }
        other => other,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn money_and_identifiers_take_their_stu3_form() {
        let r4 = json!({
            "payment": {"amount": {"value": 12.5, "currency": "USD"}},
            "provider": {"identifier": {"type": {"coding": []}, "system": "s", "value": "1"}},
            "identifier": [{"type": {}, "system": "a", "value": "2"}],
            "quantity": {"value": 3},
        });
        assert_eq!(
            stu3_data_types(r4),
            json!({
                "payment": {"amount": {"value": 12.5, "system": ISO_4217, "code": "USD"}},
                "provider": {"identifier": {"system": "s", "value": "1"}},
                "identifier": [{"system": "a", "value": "2"}],
                "quantity": {"value": 3},
            })
        );
    }

    #[test]
    fn absent_members_are_left_out() {
        let built = object([
            ("a", json!(1)),
            ("b", Value::Null),
            ("c", non_empty(vec![])),
        ]);
        assert_eq!(built, json!({"a": 1}));
    }
}
