//! The code and identifier systems of v1 (STU3) resources where they differ from v2's.

/// The v1 Patient identifier of the MBI: a hash of it, never the MBI itself.
pub const MBI_HASH: &str = "https://bluebutton.cms.gov/resources/identifier/mbi-hash";
/// STU3 claim types (`professional`, `institutional`, `pharmacy`).
pub const EX_CLAIM_TYPE: &str = "http://hl7.org/fhir/ex-claimtype";
/// STU3 care team roles (`primary`, `assist`, `supervisor`, `other`).
pub const CLAIM_CARE_TEAM_ROLE: &str = "http://hl7.org/fhir/claimcareteamrole";
/// Blue Button's diagnosis types (`principal`, `admitting`…).
pub const BB_DIAGNOSIS_TYPE: &str =
    "https://bluebutton.cms.gov/resources/codesystem/diagnosis-type";
/// STU3 benefit categories (`medical`).
pub const BENEFIT_CATEGORY: &str = "http://hl7.org/fhir/benefit-category";
/// ICD-10 diagnoses, as v1 names the system.
pub const ICD_10: &str = "http://hl7.org/fhir/sid/icd-10";
/// ISO 4217 currencies: the `system` of a v1 Money.
pub const ISO_4217: &str = "urn:iso:std:iso:4217";
/// The coverage type system of v1 Coverages (its codes are `Part A` … `Part D`).
pub const MEDICARE: &str = "Medicare";
