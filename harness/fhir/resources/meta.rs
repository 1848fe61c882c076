//! `meta` of the rendered resources: the fixed load time of the synthetic data and the
//! CARIN Blue Button (C4BB) profiles v2 resources declare.

use super::builders::object;
use serde_json::Value;

/// The `meta.lastUpdated` of every resource: when the synthetic data were loaded.
pub const DATA_LAST_UPDATED: &str = "2026-07-06T02:14:09.521-04:00";

/// The enrollment reference year (`rfrnc_yr`) of the synthetic data: the year of
/// [`DATA_LAST_UPDATED`].
pub const REFERENCE_YEAR: i16 = 2026;

/// C4BB profile of a v2 Patient.
pub const C4BB_PATIENT: &str = "http://hl7.org/fhir/us/carin-bb/StructureDefinition/C4BB-Patient";
/// C4BB profile of a v2 Coverage.
pub const C4BB_COVERAGE: &str = "http://hl7.org/fhir/us/carin-bb/StructureDefinition/C4BB-Coverage";
/// C4BB profile of v2 carrier and DME claims.
pub const C4BB_EOB_PROFESSIONAL: &str = "http://hl7.org/fhir/us/carin-bb/StructureDefinition/C4BB-ExplanationOfBenefit-Professional-NonClinician";
/// C4BB profile of v2 inpatient, SNF, HHA and hospice claims.
pub const C4BB_EOB_INPATIENT: &str = "http://hl7.org/fhir/us/carin-bb/StructureDefinition/C4BB-ExplanationOfBenefit-Inpatient-Institutional";
/// C4BB profile of v2 outpatient claims.
pub const C4BB_EOB_OUTPATIENT: &str = "http://hl7.org/fhir/us/carin-bb/StructureDefinition/C4BB-ExplanationOfBenefit-Outpatient-Institutional";
/// C4BB profile of v2 Part D events.
pub const C4BB_EOB_PHARMACY: &str =
    "http://hl7.org/fhir/us/carin-bb/StructureDefinition/C4BB-ExplanationOfBenefit-Pharmacy";
/// C4BB profile of the organizations contained in institutional claims.
pub const C4BB_ORGANIZATION: &str =
    "http://hl7.org/fhir/us/carin-bb/StructureDefinition/C4BB-Organization";

/// The `meta` of a v2 resource: the data load time and its C4BB profile.
pub fn meta_v2(profile: &str) -> Value {
    object([
        ("lastUpdated", DATA_LAST_UPDATED.into()),
        ("profile", Value::Array(vec![profile.into()])),
    ])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reference_year_is_the_year_of_the_data_load() {
        assert!(DATA_LAST_UPDATED.starts_with(&REFERENCE_YEAR.to_string()));
    }
}
