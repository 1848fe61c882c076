//! A beneficiary as the fake server knows them: login, demographics, and claim counts.

use crate::claim_type::ClaimCounts;
use jiff::Timestamp;
use jiff::civil::Date;

/// Administrative gender as FHIR codes it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Gender {
    /// `female`
    Female,
    /// `male`
    Male,
    /// `unknown`
    Unknown,
}

impl Gender {
    /// The FHIR `administrative-gender` code.
    pub fn code(self) -> &'static str {
        match self {
            Gender::Female => "female",
            Gender::Male => "male",
            Gender::Unknown => "unknown",
        }
    }
}

/// Everything the resources of one beneficiary are rendered from.
///
/// Built by the world (from a scenario beneficiary or a sandbox login); every field is
/// deterministic given the scenario seed and the patient id.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Beneficiary {
    /// Login name (`BBUser29999`).
    pub username: String,
    /// Login password (`PW29999!`).
    pub password: String,
    /// FHIR patient id (BFD `bene_id`), e.g. `-20140000008325`.
    pub patient_id: String,
    /// Given names, first name first (`["Jane", "X"]`).
    pub given: Vec<String>,
    /// Family name (`Doe`).
    pub family: String,
    /// Administrative gender.
    pub gender: Gender,
    /// Date of birth.
    pub birth_date: Date,
    /// Medicare Beneficiary Identifier, 11 characters (`1S00E00AA00` shape).
    pub mbi: String,
    /// SSA state code of the address (`"15"`).
    pub state_code: String,
    /// ZIP code of the address (`"99999"`).
    pub postal_code: String,
    /// Race code of `https://bluebutton.cms.gov/resources/variables/race` (`"1"` = White).
    pub race_code: String,
    /// E-mail the sandbox login reports (userinfo).
    pub email: String,
    /// When the login account was created (userinfo `iat`).
    pub account_created: Timestamp,
    /// Exactly how many claims of each type this beneficiary has.
    pub claims: ClaimCounts,
    /// Seed of this beneficiary's generated details (claims, coverage values).
    pub data_seed: u64,
}

impl Beneficiary {
    /// `given family`, as userinfo's `name` shows it (`Jane Doe`: first given name only).
    pub fn display_name(&self) -> String {
        match self.given.first() {
            Some(first) => format!("{first} {}", self.family),
            None => self.family.clone(),
        }
    }
}
