//! URLs of the code systems, identifier systems and extensions the resources use.
//!
//! Blue Button's own CCW variables all live under [`BB_VARIABLES`]: the extension URL and the
//! coding system of a variable are the same `https://bluebutton.cms.gov/resources/variables/<column>`.

/// Prefix of every Blue Button CCW variable (`…/variables/clm_id`).
pub const BB_VARIABLES: &str = "https://bluebutton.cms.gov/resources/variables/";
/// Blue Button's `eob-type` code system (`CARRIER`, `PDE`…).
pub const BB_EOB_TYPE: &str = "https://bluebutton.cms.gov/resources/codesystem/eob-type";
/// Blue Button's adjudication code system (codes are variable URLs).
pub const BB_ADJUDICATION: &str = "https://bluebutton.cms.gov/resources/codesystem/adjudication";
/// Blue Button's benefit-balance code system (codes are variable URLs).
pub const BB_BENEFIT_BALANCE: &str =
    "https://bluebutton.cms.gov/resources/codesystem/benefit-balance";
/// Blue Button's supporting-information code system (codes are variable URLs).
pub const BB_INFORMATION: &str = "https://bluebutton.cms.gov/resources/codesystem/information";
/// Blue Button's HCPCS code system.
pub const BB_HCPCS: &str = "https://bluebutton.cms.gov/resources/codesystem/hcpcs";
/// Whether an identifier is the current or a historic one.
pub const BB_IDENTIFIER_CURRENCY: &str =
    "https://bluebutton.cms.gov/resources/codesystem/identifier-currency";
/// The claim-group identifier system of an ExplanationOfBenefit.
pub const BB_CLAIM_GROUP: &str = "https://bluebutton.cms.gov/resources/identifier/claim-group";

/// CARIN Blue Button identifier types (`uc`, `npi`, `payerid`).
pub const C4BB_IDENTIFIER_TYPE: &str =
    "http://hl7.org/fhir/us/carin-bb/CodeSystem/C4BBIdentifierType";
/// CARIN Blue Button adjudication categories (`paidtoprovider`, `coinsurance`…).
pub const C4BB_ADJUDICATION: &str = "http://hl7.org/fhir/us/carin-bb/CodeSystem/C4BBAdjudication";
/// CARIN Blue Button adjudication discriminators (`denialreason`).
pub const C4BB_ADJUDICATION_DISCRIMINATOR: &str =
    "http://hl7.org/fhir/us/carin-bb/CodeSystem/C4BBAdjudicationDiscriminator";
/// CARIN Blue Button care-team roles (`performing`, `attending`, `prescribing`…).
pub const C4BB_CARE_TEAM_ROLE: &str =
    "http://hl7.org/fhir/us/carin-bb/CodeSystem/C4BBClaimCareTeamRole";
/// CARIN Blue Button diagnosis types (`secondary`, `other`).
pub const C4BB_DIAGNOSIS_TYPE: &str =
    "http://hl7.org/fhir/us/carin-bb/CodeSystem/C4BBClaimDiagnosisType";
/// CARIN Blue Button procedure types (`principal`, `other`).
pub const C4BB_PROCEDURE_TYPE: &str =
    "http://hl7.org/fhir/us/carin-bb/CodeSystem/C4BBClaimProcedureType";
/// CARIN Blue Button supporting-information types (`clmrecvddate`, `dayssupply`…).
pub const C4BB_SUPPORTING_INFO_TYPE: &str =
    "http://hl7.org/fhir/us/carin-bb/CodeSystem/C4BBSupportingInfoType";

/// HL7 v2 table 0203, identifier types (`MB`, `MC`, `PRN`).
pub const V2_IDENTIFIER_TYPE: &str = "http://terminology.hl7.org/CodeSystem/v2-0203";
/// HL7 adjudication categories (`submitted`, `eligible`, `deductible`, `benefit`).
pub const HL7_ADJUDICATION: &str = "http://terminology.hl7.org/CodeSystem/adjudication";
/// HL7 claim types (`professional`, `institutional`, `pharmacy`).
pub const HL7_CLAIM_TYPE: &str = "http://terminology.hl7.org/CodeSystem/claim-type";
/// HL7 claim information categories (`info`).
pub const HL7_CLAIM_INFORMATION_CATEGORY: &str =
    "http://terminology.hl7.org/CodeSystem/claiminformationcategory";
/// HL7 diagnosis types (`principal`, `admitting`).
pub const HL7_DIAGNOSIS_TYPE: &str = "http://terminology.hl7.org/CodeSystem/ex-diagnosistype";
/// HL7 benefit categories (`1` = Medical Care).
pub const HL7_BENEFIT_CATEGORY: &str = "http://terminology.hl7.org/CodeSystem/ex-benefitcategory";
/// HL7 v3 ActCode (`SUBSIDIZ`).
pub const V3_ACT_CODE: &str = "http://terminology.hl7.org/CodeSystem/v3-ActCode";
/// HL7 v3 NullFlavor (`UNK`).
pub const V3_NULL_FLAVOR: &str = "http://terminology.hl7.org/CodeSystem/v3-NullFlavor";
/// HL7 subscriber relationships (`self`).
pub const SUBSCRIBER_RELATIONSHIP: &str =
    "http://terminology.hl7.org/CodeSystem/subscriber-relationship";
/// HL7 coverage classes (`group`, `plan`).
pub const COVERAGE_CLASS: &str = "http://terminology.hl7.org/CodeSystem/coverage-class";

/// US Core race extension.
pub const US_CORE_RACE: &str = "http://hl7.org/fhir/us/core/StructureDefinition/us-core-race";
/// CDC Race & Ethnicity code system (OMB categories).
pub const CDC_RACE_ETHNICITY: &str = "urn:oid:2.16.840.1.113883.6.238";
/// Medicare Beneficiary Identifier system.
pub const US_MBI: &str = "http://hl7.org/fhir/sid/us-mbi";
/// National Provider Identifier system.
pub const US_NPI: &str = "http://hl7.org/fhir/sid/us-npi";
/// ICD-10-CM diagnoses (the system BFD pairs with the plain `icd-10` one).
pub const ICD_10_CM: &str = "http://hl7.org/fhir/sid/icd-10-cm";
/// ICD-10-PCS procedures, as BFD names the system.
pub const ICD_10_PCS: &str = "http://www.cms.gov/Medicare/Coding/ICD10";
/// National Drug Codes.
pub const NDC: &str = "http://hl7.org/fhir/sid/ndc";
/// NUBC revenue codes (the `productOrService` of institutional revenue lines).
pub const NUBC_REVENUE_CODES: &str = "https://www.nubc.org/CodeSystem/RevenueCodes";

/// The URL of a Blue Button CCW variable: its extension URL and coding system.
pub fn variable(column: &str) -> String {
    format!("{BB_VARIABLES}{column}")
}
