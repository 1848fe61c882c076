//! Small builders for the FHIR JSON shapes every resource repeats: codings, Blue Button
//! variable extensions, references, money.

use super::codes::Code;
use super::systems::{BB_IDENTIFIER_CURRENCY, variable};
use serde_json::{Map, Value};

/// A `Coding` with a display.
pub fn coding(system: &str, code: &str, display: &str) -> Value {
    object([
        ("system", system.into()),
        ("code", code.into()),
        ("display", display.into()),
    ])
}

/// A `Coding` without a display (Blue Button leaves many variable codings bare).
pub fn bare_coding(system: &str, code: &str) -> Value {
    object([("system", system.into()), ("code", code.into())])
}

/// A `Coding` of a table entry: with its display when the entry has one.
pub fn code_coding(system: &str, code: &Code) -> Value {
    if code.display.is_empty() {
        bare_coding(system, code.code)
    } else {
        coding(system, code.code, code.display)
    }
}

/// A `CodeableConcept` of one coding.
pub fn concept(coding: Value) -> Value {
    object([("coding", Value::Array(vec![coding]))])
}

/// A `CodeableConcept` coding a table entry in a Blue Button variable's own system.
pub fn variable_concept(column: &str, code: &Code) -> Value {
    concept(code_coding(&variable(column), code))
}

/// An extension `…/variables/<column>` whose `valueCoding` is in the variable's own system.
pub fn extension_coding(column: &str, code: &Code) -> Value {
    let url = variable(column);
    let value_coding = code_coding(&url, code);
    object([("url", url.into()), ("valueCoding", value_coding)])
}

/// An extension `…/variables/<column>` whose `valueCoding` is a bare code (a contract id).
pub fn extension_bare_coding(column: &str, code: &str) -> Value {
    let url = variable(column);
    let value_coding = bare_coding(&url, code);
    object([("url", url.into()), ("valueCoding", value_coding)])
}

/// An extension `…/variables/<column>` whose `valueIdentifier` is in the variable's own system.
pub fn extension_identifier(column: &str, value: &str) -> Value {
    let url = variable(column);
    let identifier = object([("system", url.as_str().into()), ("value", value.into())]);
    object([("url", url.into()), ("valueIdentifier", identifier)])
}

/// An extension `…/variables/<column>` with a `valueDate` (a year, month or day).
pub fn extension_date(column: &str, date: &str) -> Value {
    object([("url", variable(column).into()), ("valueDate", date.into())])
}

/// An extension `…/variables/<column>` with a unitless `valueQuantity`.
pub fn extension_quantity(column: &str, value: i64) -> Value {
    object([
        ("url", variable(column).into()),
        ("valueQuantity", object([("value", value.into())])),
    ])
}

/// The twelve monthly extensions of the columns `<prefix>01` … `<prefix>12`.
pub fn monthly_extensions(prefix: &str, extension: impl Fn(&str) -> Value) -> Vec<Value> {
    (1..=12)
        .map(|month| extension(&format!("{prefix}{month:02}")))
        .collect()
}

/// The coding extension telling whether an identifier is `current` or `historic`.
pub fn identifier_currency(current: bool) -> Value {
    let (code, display) = if current {
        ("current", "Current")
    } else {
        ("historic", "Historic")
    };
    object([
        ("url", BB_IDENTIFIER_CURRENCY.into()),
        ("valueCoding", coding(BB_IDENTIFIER_CURRENCY, code, display)),
    ])
}

/// An `Identifier` with a one-coding `type`.
pub fn typed_identifier(type_coding: Value, system: &str, value: &str) -> Value {
    object([
        ("type", concept(type_coding)),
        ("system", system.into()),
        ("value", value.into()),
    ])
}

/// `element` with `extension` as its first member (how BFD orders them).
pub fn with_extension(extension: Vec<Value>, element: Value) -> Value {
    let mut members = Map::with_capacity(1 + element.as_object().map_or(0, Map::len));
    members.insert("extension".to_owned(), Value::Array(extension));
    if let Value::Object(element_members) = element {
        members.extend(element_members);
    }
    Value::Object(members)
}

/// A literal `Reference` (`Patient/-2014…`).
pub fn reference(resource_type: &str, id: &str) -> Value {
    object([("reference", format!("{resource_type}/{id}").into())])
}

/// A `Money` in US dollars from an amount in cents.
pub fn money(cents: i64) -> Value {
    object([("value", dollars(cents).into()), ("currency", "USD".into())])
}

/// A JSON object of `members`, in this order. The values are moved in: `json!` would copy
/// every embedded `Value` member by member (`serde_json::to_value`), strings and keys again.
pub fn object<const N: usize>(members: [(&str, Value); N]) -> Value {
    let mut map = Map::with_capacity(N);
    for (key, value) in members {
        map.insert(key.to_owned(), value);
    }
    Value::Object(map)
}

/// Dollars as a JSON number (`12345` cents → `123.45`).
pub fn dollars(cents: i64) -> f64 {
    cents as f64 / 100.0
}

/// Drops what FHIR forbids: `null`, empty strings, and arrays or objects left empty,
/// depth first (so an element whose children were all dropped goes too).
pub fn without_empty_elements(mut value: Value) -> Value {
    if keep_pruned(&mut value) {
        value
    } else {
        Value::Object(Map::new())
    }
}

/// Prunes `value` in place (no map is rebuilt, so no key is hashed again); false when what is
/// left is empty and must go too.
fn keep_pruned(value: &mut Value) -> bool {
    match value {
        Value::Null => false,
        Value::String(text) => !text.is_empty(),
        Value::Array(items) => {
            items.retain_mut(keep_pruned);
            !items.is_empty()
        }
        Value::Object(members) => {
            members.retain(|_, member| keep_pruned(member));
            !members.is_empty()
        }
        Value::Bool(_) | Value::Number(_) => true,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn extension_coding_uses_the_variable_url_as_system() {
        let ms_cd = Code::new("10", "Aged without end-stage renal disease (ESRD)");
        let extension = extension_coding("ms_cd", &ms_cd);
        assert_eq!(
            extension["url"],
            "https://bluebutton.cms.gov/resources/variables/ms_cd"
        );
        assert_eq!(extension["valueCoding"]["system"], extension["url"]);
        assert_eq!(extension["valueCoding"]["code"], "10");
    }

    #[test]
    fn codes_without_display_render_bare() {
        let coding = code_coding("urn:x", &Code::new("AA", ""));
        assert_eq!(coding, json!({"system": "urn:x", "code": "AA"}));
    }

    #[test]
    fn monthly_extensions_count_01_to_12() {
        let non_medicaid = Code::new("NA", "Non-Medicaid");
        let extensions =
            monthly_extensions("dual_", |column| extension_coding(column, &non_medicaid));
        assert_eq!(extensions.len(), 12);
        assert_eq!(
            extensions.last().map(|e| e["url"].clone()),
            Some(json!(
                "https://bluebutton.cms.gov/resources/variables/dual_12"
            ))
        );
    }

    #[test]
    fn money_is_dollars_and_cents() {
        assert_eq!(money(12345), json!({"value": 123.45, "currency": "USD"}));
    }

    #[test]
    fn empty_elements_are_dropped_depth_first() {
        let pruned = without_empty_elements(json!({
            "a": "",
            "b": [null, {"c": []}],
            "d": {"e": "kept", "f": {}},
            "g": 0
        }));
        assert_eq!(pruned, json!({"d": {"e": "kept"}, "g": 0}));
    }
}
