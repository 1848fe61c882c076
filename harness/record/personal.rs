//! A beneficiary's personal data in recorded JSON: FHIR Patient `name`, `address`, `telecom`
//! and `birthDate` (at any depth of a Patient, so `contact` too), the Medicare Beneficiary
//! Identifier (MBI) wherever it stands, and OpenID userinfo claims are replaced by placeholders of the same shape (strings stay strings, dates stay dates,
//! lists keep their length), so a client that reads them still parses the replay.

use serde_json::Value;

/// What a replaced text becomes.
pub(crate) const REDACTED: &str = "redacted";

/// Keys of a Patient resource that hold personal data.
const PATIENT_KEYS: [&str; 4] = ["name", "address", "telecom", "birthDate"];
/// Userinfo claims that hold personal data (a userinfo answer is an object with `sub`).
const USERINFO_KEYS: [&str; 12] = [
    "name",
    "given_name",
    "family_name",
    "middle_name",
    "nickname",
    "preferred_username",
    "username",
    "email",
    "birthdate",
    "phone_number",
    "address",
    "picture",
];
/// Keys inside personal data whose values are codes, not data (`use: official`,
/// `system: phone`, an extension's `url`): kept.
const CODE_KEYS: [&str; 4] = ["use", "system", "type", "url"];

/// Replaces the personal data in `value`; the texts it replaced (not dates) are added to
/// `found`, so they can be scrubbed from other text.
pub(crate) fn redact(value: &mut Value, found: &mut Vec<String>) {
    if let Value::Object(map) = value
        && map.contains_key("sub")
    {
        for (key, claim) in map.iter_mut() {
            if USERINFO_KEYS.contains(&key.as_str()) {
                blank(key, claim, found);
            }
        }
    }
    walk(value, false, found);
}

/// Finds Patient resources anywhere (a Bundle's entries) and blanks their personal keys at
/// any depth; and the Medicare Beneficiary Identifier wherever it stands (an identifier of an
/// MBI system, Coverage's `subscriberId`).
fn walk(value: &mut Value, in_patient: bool, found: &mut Vec<String>) {
    match value {
        Value::Object(map) => {
            let in_patient =
                in_patient || map.get("resourceType").and_then(Value::as_str) == Some("Patient");
            let mbi_identifier = map
                .get("system")
                .and_then(Value::as_str)
                .is_some_and(is_mbi_system);
            for (key, child) in map.iter_mut() {
                let mbi = (mbi_identifier && key == "value") || key == "subscriberId";
                if mbi || (in_patient && PATIENT_KEYS.contains(&key.as_str())) {
                    blank(key, child, found);
                } else {
                    walk(child, in_patient, found);
                }
            }
        }
        Value::Array(items) => {
            for item in items {
                walk(item, in_patient, found);
            }
        }
        _ => {}
    }
}

/// Whether an identifier system holds MBIs (`http://hl7.org/fhir/sid/us-mbi`, v1's
/// `.../identifier/mbi-hash`, and their relatives).
fn is_mbi_system(system: &str) -> bool {
    system.contains("us-mbi") || system.contains("identifier/mbi")
}

/// Blanks every datum under `key`: text → `redacted`, dates → `1900-01-01` (same precision),
/// numbers → 0; codes kept.
fn blank(key: &str, value: &mut Value, found: &mut Vec<String>) {
    match value {
        Value::String(_) if CODE_KEYS.contains(&key) => {}
        Value::String(text) => {
            let replacement = match placeholder_date(text) {
                Some(date) => date,
                None => {
                    found.push(std::mem::take(text));
                    REDACTED
                }
            };
            *text = replacement.to_owned();
        }
        Value::Number(_) => *value = Value::from(0),
        Value::Object(map) => {
            for (child_key, child) in map.iter_mut() {
                blank(child_key, child, found);
            }
        }
        Value::Array(items) => {
            for item in items {
                blank(key, item, found);
            }
        }
        Value::Bool(_) | Value::Null => {}
    }
}

/// A placeholder of the same FHIR precision when `text` is a date or date-time
/// (`1950-03-07` → `1900-01-01`).
fn placeholder_date(text: &str) -> Option<&'static str> {
    let bytes = text.as_bytes();
    let digits = |range: std::ops::Range<usize>| {
        bytes
            .get(range)
            .is_some_and(|part| part.iter().all(u8::is_ascii_digit))
    };
    let dash = |at: usize| bytes.get(at) == Some(&b'-');
    if !digits(0..4) {
        return None;
    }
    match bytes.len() {
        4 => Some("1900"),
        7 if dash(4) && digits(5..7) => Some("1900-01"),
        10 if dash(4) && digits(5..7) && dash(7) && digits(8..10) => Some("1900-01-01"),
        len if len > 10 && dash(4) && dash(7) && bytes.get(10) == Some(&b'T') => {
            Some("1900-01-01T00:00:00+00:00")
        }
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn medicare_beneficiary_identifiers_are_redacted_wherever_they_stand() {
        let mut bundle = json!({
            "resourceType": "Bundle",
            "entry": [
                {"resource": {"resourceType": "Patient", "id": "-1", "identifier": [
                    {"system": "http://hl7.org/fhir/sid/us-mbi", "value": "1S00A00AA00"},
                    {"system": "https://bluebutton.cms.gov/resources/variables/bene_id",
                     "value": "-1"}]}},
                {"resource": {"resourceType": "Coverage", "subscriberId": "1S00A00AA00"}},
            ],
        });
        let mut found = Vec::new();
        redact(&mut bundle, &mut found);
        let patient = &bundle["entry"][0]["resource"];
        assert_eq!(patient["identifier"][0]["value"], REDACTED);
        assert_eq!(patient["identifier"][1]["value"], "-1");
        assert_eq!(bundle["entry"][1]["resource"]["subscriberId"], REDACTED);
        assert!(found.contains(&"1S00A00AA00".to_owned()), "{found:?}");
    }

    #[test]
    fn patients_in_bundles_lose_names_addresses_telecom_and_birth_dates() {
        let mut bundle = json!({
            "resourceType": "Bundle",
            "entry": [{"resource": {
                "resourceType": "Patient",
                "id": "-20140000008325",
                "name": [{"use": "usual", "family": "Doe", "given": ["Jane", "X"],
                          "period": {"start": "1999-04-05"}}],
                "address": [{"line": ["1 Main St"], "city": "Baltimore", "state": "MD",
                             "postalCode": "21201", "extension": [{"url": "http://geo", "valueDecimal": 39.3}]}],
                "telecom": [{"system": "phone", "value": "555-0100", "rank": 1}],
                "birthDate": "1950-03-07",
                "gender": "female",
                "contact": [{"name": {"family": "Roe"}, "relationship": [{"text": "spouse"}]}],
            }}],
        });
        let mut found = Vec::new();
        redact(&mut bundle, &mut found);
        assert_eq!(
            bundle["entry"][0]["resource"],
            json!({
                "resourceType": "Patient",
                "id": "-20140000008325",
                "name": [{"use": "usual", "family": "redacted", "given": ["redacted", "redacted"],
                          "period": {"start": "1900-01-01"}}],
                "address": [{"line": ["redacted"], "city": "redacted", "state": "redacted",
                             "postalCode": "redacted", "extension": [{"url": "http://geo", "valueDecimal": 0}]}],
                "telecom": [{"system": "phone", "value": "redacted", "rank": 0}],
                "birthDate": "1900-01-01",
                "gender": "female",
                "contact": [{"name": {"family": "redacted"}, "relationship": [{"text": "spouse"}]}],
            })
        );
        assert_eq!(
            found,
            [
                "Doe",
                "Jane",
                "X",
                "1 Main St",
                "Baltimore",
                "MD",
                "21201",
                "555-0100",
                "Roe"
            ]
        );
    }

    #[test]
    fn userinfo_claims_are_replaced_and_other_resources_kept() {
        let mut userinfo = json!({"sub": "-1", "patient": "-1", "name": "Jane Doe",
                                  "given_name": "Jane", "email": "j@example.com", "iat": 5});
        let mut found = Vec::new();
        redact(&mut userinfo, &mut found);
        assert_eq!(
            userinfo,
            json!({"sub": "-1", "patient": "-1", "name": "redacted", "given_name": "redacted",
                   "email": "redacted", "iat": 5})
        );
        let mut eob = json!({"resourceType": "ExplanationOfBenefit",
                             "provider": {"name": "Dr Who"}, "created": "2020-01-01"});
        let before = eob.clone();
        redact(&mut eob, &mut found);
        assert_eq!(eob, before);
    }

    #[test]
    fn dates_keep_their_precision() {
        assert_eq!(placeholder_date("1950"), Some("1900"));
        assert_eq!(placeholder_date("1950-03"), Some("1900-01"));
        assert_eq!(placeholder_date("1950-03-07"), Some("1900-01-01"));
        assert_eq!(
            placeholder_date("1950-03-07T10:00:00Z"),
            Some("1900-01-01T00:00:00+00:00")
        );
        assert_eq!(placeholder_date("21201"), None);
        assert_eq!(placeholder_date("1 Main St"), None);
    }
}
