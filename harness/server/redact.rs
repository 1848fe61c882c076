//! Redaction for everything the server writes out (the request log now; transcripts later):
//! secrets become stable aliases (`code#1`, `token#2`, `secret#1`), patient ids become
//! `patient#1`, also inside paths, so a reader can still correlate lines.

use std::collections::HashMap;
use std::sync::{Mutex, PoisonError};

/// Query parameters whose values are secrets, and the alias kind each gets.
const SECRET_PARAMS: [(&str, &str); 7] = [
    ("code", "code"),
    ("access_token", "token"),
    ("refresh_token", "token"),
    ("token", "token"),
    ("client_secret", "secret"),
    ("code_verifier", "secret"),
    ("code_challenge", "secret"),
];
/// Query parameters whose values name a patient.
const PATIENT_PARAMS: [&str; 4] = ["patient", "beneficiary", "_id", "identifier"];

/// Hands out stable aliases: the same value always gets the same alias.
#[derive(Debug, Default)]
pub struct Redactor {
    aliases: Mutex<Aliases>,
}

#[derive(Debug, Default)]
struct Aliases {
    by_value: HashMap<(String, String), String>,
    counts: HashMap<String, u64>,
}

impl Redactor {
    /// A redactor with no aliases yet.
    pub fn new() -> Redactor {
        Redactor::default()
    }

    /// The alias of `value` as a `kind` (`patient#3`).
    pub fn alias(&self, kind: &str, value: &str) -> String {
        let mut aliases = self.aliases.lock().unwrap_or_else(PoisonError::into_inner);
        let key = (kind.to_owned(), value.to_owned());
        if let Some(alias) = aliases.by_value.get(&key) {
            return alias.clone();
        }
        let count = aliases.counts.entry(kind.to_owned()).or_insert(0);
        *count += 1;
        let alias = format!("{kind}#{count}");
        aliases.by_value.insert(key, alias.clone());
        alias
    }

    /// A request target (`path?query`) with patient ids and secrets replaced by aliases.
    pub fn target(&self, path: &str, query: Option<&str>) -> String {
        let path: Vec<String> = path
            .split('/')
            .map(|segment| self.segment(segment))
            .collect();
        let mut target = path.join("/");
        if let Some(query) = query {
            let pairs: Vec<String> = form_urlencoded::parse(query.as_bytes())
                .map(|(name, value)| format!("{name}={}", self.param(&name, &value)))
                .collect();
            target.push('?');
            target.push_str(&pairs.join("&"));
        }
        target
    }

    fn param(&self, name: &str, value: &str) -> String {
        if let Some((_, kind)) = SECRET_PARAMS.iter().find(|(param, _)| *param == name) {
            return self.alias(kind, value);
        }
        if PATIENT_PARAMS.contains(&name) && value.bytes().any(|b| b.is_ascii_digit()) {
            return self.alias("patient", value.trim_start_matches("Patient/"));
        }
        value.to_owned()
    }

    /// A path segment: a patient id (`-20140000008325`, or inside `part-a--2014…`) aliased.
    fn segment(&self, segment: &str) -> String {
        let decoded = percent_encoding::percent_decode_str(segment).decode_utf8_lossy();
        if is_patient_id(&decoded) {
            return self.alias("patient", &decoded);
        }
        for part in ["part-a-", "part-b-", "part-c-", "part-d-"] {
            if let Some(id) = decoded.strip_prefix(part).filter(|id| is_patient_id(id)) {
                return format!("{part}{}", self.alias("patient", id));
            }
        }
        segment.to_owned()
    }
}

/// Patient ids are long runs of digits, negative for synthetic beneficiaries.
fn is_patient_id(text: &str) -> bool {
    let digits = text.strip_prefix('-').unwrap_or(text);
    digits.len() >= 8 && digits.bytes().all(|b| b.is_ascii_digit())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn secrets_and_patients_get_stable_aliases() {
        let redactor = Redactor::new();
        let first = redactor.target(
            "/v2/o/authorize/",
            Some("client_id=abc&code_challenge=XYZ&state=s"),
        );
        assert_eq!(
            first,
            "/v2/o/authorize/?client_id=abc&code_challenge=secret#1&state=s"
        );
        let read = redactor.target("/v2/fhir/Patient/-20140000008325", None);
        assert_eq!(read, "/v2/fhir/Patient/patient#1");
        let coverage = redactor.target("/v2/fhir/Coverage/part-a--20140000008325", None);
        assert_eq!(coverage, "/v2/fhir/Coverage/part-a-patient#1");
        let search = redactor.target(
            "/v2/fhir/ExplanationOfBenefit/",
            Some("patient=-20140000008325&type=pde"),
        );
        assert_eq!(
            search,
            "/v2/fhir/ExplanationOfBenefit/?patient=patient#1&type=pde"
        );
        assert_eq!(
            redactor.target("/cb", Some("code=A1&access_token=B2")),
            "/cb?code=code#1&access_token=token#1"
        );
        assert_eq!(redactor.alias("code", "A1"), "code#1");
    }
}
