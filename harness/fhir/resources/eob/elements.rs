//! EOB building blocks shared by the claim families: providers, care team roles, supporting
//! information, diagnoses, adjudications, totals and benefit balances.

use crate::fhir::resources::builders::{
    coding, concept, money, object, typed_identifier, variable_concept,
};
use crate::fhir::resources::codes::Code;
use crate::fhir::resources::systems::{
    BB_ADJUDICATION, BB_BENEFIT_BALANCE, BB_INFORMATION, C4BB_ADJUDICATION, C4BB_CARE_TEAM_ROLE,
    C4BB_DIAGNOSIS_TYPE, C4BB_IDENTIFIER_TYPE, C4BB_SUPPORTING_INFO_TYPE, HL7_ADJUDICATION,
    HL7_BENEFIT_CATEGORY, HL7_CLAIM_INFORMATION_CATEGORY, HL7_DIAGNOSIS_TYPE, ICD_10_CM, US_NPI,
    variable,
};
use jiff::civil::Date;
use serde_json::Value;

/// A coding from one of the code systems an EOB element is categorised with.
#[derive(Debug, Clone, Copy)]
pub struct Category {
    system: &'static str,
    code: &'static str,
    display: &'static str,
}

impl Category {
    const fn new(system: &'static str, code: &'static str, display: &'static str) -> Category {
        Category {
            system,
            code,
            display,
        }
    }

    /// The category as a `Coding`.
    pub fn coding(&self) -> Value {
        coding(self.system, self.code, self.display)
    }
}

/// Adjudication: what was billed.
pub const SUBMITTED: Category = Category::new(HL7_ADJUDICATION, "submitted", "Submitted Amount");
/// Adjudication: what Medicare allowed.
pub const ELIGIBLE: Category = Category::new(HL7_ADJUDICATION, "eligible", "Eligible Amount");
/// Adjudication: the deductible applied.
pub const DEDUCTIBLE: Category = Category::new(HL7_ADJUDICATION, "deductible", "Deductible");
/// Adjudication: what the payer paid.
pub const BENEFIT: Category = Category::new(HL7_ADJUDICATION, "benefit", "Benefit Amount");
/// Adjudication: paid to the provider.
pub const PAID_TO_PROVIDER: Category =
    Category::new(C4BB_ADJUDICATION, "paidtoprovider", "Paid to provider");
/// Adjudication: paid to the patient.
pub const PAID_TO_PATIENT: Category =
    Category::new(C4BB_ADJUDICATION, "paidtopatient", "Paid to patient");
/// Adjudication: paid by the patient.
pub const PAID_BY_PATIENT: Category =
    Category::new(C4BB_ADJUDICATION, "paidbypatient", "Paid by patient");
/// Adjudication: paid by another payer first.
pub const PRIOR_PAYER_PAID: Category =
    Category::new(C4BB_ADJUDICATION, "priorpayerpaid", "Prior payer paid");
/// Adjudication: the patient's coinsurance.
pub const COINSURANCE: Category = Category::new(C4BB_ADJUDICATION, "coinsurance", "Co-insurance");
/// Adjudication: not covered.
pub const NONCOVERED: Category = Category::new(C4BB_ADJUDICATION, "noncovered", "Noncovered");
/// Adjudication: a discount.
pub const DISCOUNT: Category = Category::new(C4BB_ADJUDICATION, "discount", "Discount");
/// Adjudication: the cost of a drug.
pub const DRUG_COST: Category = Category::new(C4BB_ADJUDICATION, "drugcost", "Drug Cost");

/// Care team role: the referring provider.
pub const REFERRING: Category = Category::new(C4BB_CARE_TEAM_ROLE, "referring", "Referring");
/// Care team role: the provider who performed the service.
pub const PERFORMING: Category =
    Category::new(C4BB_CARE_TEAM_ROLE, "performing", "Performing provider");
/// Care team role: the attending physician of a stay.
pub const ATTENDING: Category = Category::new(C4BB_CARE_TEAM_ROLE, "attending", "Attending");
/// Care team role: the operating physician.
pub const OPERATING: Category = Category::new(C4BB_CARE_TEAM_ROLE, "operating", "Operating");
/// Care team role: who prescribed a drug.
pub const PRESCRIBING: Category =
    Category::new(C4BB_CARE_TEAM_ROLE, "prescribing", "Prescribing provider");

/// Diagnosis type: principal.
pub const PRINCIPAL_DIAGNOSIS: Category =
    Category::new(HL7_DIAGNOSIS_TYPE, "principal", "Principal Diagnosis");
/// Diagnosis type: the reason for admission.
pub const ADMITTING_DIAGNOSIS: Category =
    Category::new(HL7_DIAGNOSIS_TYPE, "admitting", "Admitting Diagnosis");
/// Diagnosis type: secondary (professional claims).
pub const SECONDARY_DIAGNOSIS: Category =
    Category::new(C4BB_DIAGNOSIS_TYPE, "secondary", "Secondary");
/// Diagnosis type: other (institutional claims).
pub const OTHER_DIAGNOSIS: Category = Category::new(C4BB_DIAGNOSIS_TYPE, "other", "Other");

/// The C4BB `npi` identifier type.
pub fn npi_type() -> Value {
    coding(C4BB_IDENTIFIER_TYPE, "npi", "National Provider Identifier")
}

/// The C4BB `uc` identifier type of claim identifiers.
pub fn unique_claim_id_type() -> Value {
    coding(C4BB_IDENTIFIER_TYPE, "uc", "Unique Claim ID")
}

/// A provider `Reference` by NPI.
pub fn npi_reference(npi: &str) -> Value {
    object([("identifier", typed_identifier(npi_type(), US_NPI, npi))])
}

/// The insurer of every claim: CMS.
pub fn insurer() -> Value {
    object([(
        "identifier",
        object([
            (
                "type",
                concept(coding(C4BB_IDENTIFIER_TYPE, "payerid", "Payer ID")),
            ),
            ("value", "CMS".into()),
        ]),
    )])
}

/// A care team member known by NPI.
pub fn care_team_member(sequence: usize, npi: &str, role: Category) -> Value {
    object([
        ("sequence", sequence.into()),
        ("provider", npi_reference(npi)),
        ("role", concept(role.coding())),
    ])
}

/// A diagnosis coded in ICD-10-CM.
pub fn diagnosis(sequence: usize, code: &Code, kind: Category) -> Value {
    object([
        ("sequence", sequence.into()),
        (
            "diagnosisCodeableConcept",
            concept(coding(ICD_10_CM, code.code, code.display)),
        ),
        ("type", Value::Array(vec![concept(kind.coding())])),
    ])
}

/// Diagnoses numbered from 1: the first is the principal one, the others of kind `others`.
pub fn numbered_diagnoses<'c>(
    codes: impl IntoIterator<Item = &'c Code>,
    others: Category,
) -> Vec<Value> {
    codes
        .into_iter()
        .enumerate()
        .map(|(index, code)| {
            let kind = if index == 0 {
                PRINCIPAL_DIAGNOSIS
            } else {
                others
            };
            diagnosis(index + 1, code, kind)
        })
        .collect()
}

/// An adjudication (or total) amount: its category, the Blue Button variable it comes from,
/// and the amount.
pub fn amount(category: Category, column: &str, column_display: &str, cents: i64) -> Value {
    let codings = vec![
        category.coding(),
        coding(BB_ADJUDICATION, &variable(column), column_display),
    ];
    object([
        ("category", object([("coding", Value::Array(codings))])),
        ("amount", money(cents)),
    ])
}

/// The claim's `total`: its total charges.
pub fn claim_total_charge(cents: i64) -> Value {
    amount(
        SUBMITTED,
        "clm_tot_chrg_amt",
        "Claim Total Charge Amount",
        cents,
    )
}

/// A `benefitBalance` in the Medical Care category.
pub fn medical_benefit_balance(financial: Vec<Value>) -> Value {
    object([
        (
            "category",
            concept(coding(HL7_BENEFIT_CATEGORY, "1", "Medical Care")),
        ),
        ("financial", Value::Array(financial)),
    ])
}

/// A benefit balance amount taken from a Blue Button variable.
pub fn used_money(column: &str, column_display: &str, cents: i64) -> Value {
    object([
        ("type", benefit_balance_type(column, column_display)),
        ("usedMoney", money(cents)),
    ])
}

/// A benefit balance count (days) taken from a Blue Button variable.
pub fn used_count(column: &str, column_display: &str, count: i64) -> Value {
    object([
        ("type", benefit_balance_type(column, column_display)),
        ("usedUnsignedInt", count.into()),
    ])
}

fn benefit_balance_type(column: &str, column_display: &str) -> Value {
    concept(coding(
        BB_BENEFIT_BALANCE,
        &variable(column),
        column_display,
    ))
}

/// `supportingInfo` entries, numbered in the order they are added.
#[derive(Debug, Default)]
pub struct SupportingInfo {
    entries: Vec<Value>,
}

impl SupportingInfo {
    /// No entries yet.
    pub fn new() -> SupportingInfo {
        SupportingInfo::default()
    }

    /// The date CMS received the claim: the NCH weekly processing date.
    pub fn received(&mut self, date: Date) -> &mut Self {
        let category = vec![
            c4bb_info_type("clmrecvddate", "Claim Received Date"),
            information("nch_wkly_proc_dt", "NCH Weekly Claim Processing Date"),
        ];
        self.add(category, "timingDate", date.to_string().into())
    }

    /// A C4BB-typed entry coded with a Blue Button variable (`typeofbill` → `clm_freq_cd`).
    pub fn typed_code(
        &mut self,
        (info_type, info_type_display): (&str, &str),
        column: &str,
        code: &Code,
    ) -> &mut Self {
        let category = vec![c4bb_info_type(info_type, info_type_display)];
        self.add(category, "code", variable_concept(column, code))
    }

    /// A C4BB-typed entry with a quantity (`dayssupply`).
    pub fn typed_quantity(
        &mut self,
        (info_type, info_type_display): (&str, &str),
        value: i64,
    ) -> &mut Self {
        let category = vec![c4bb_info_type(info_type, info_type_display)];
        self.add(category, "valueQuantity", object([("value", value.into())]))
    }

    /// A C4BB-typed entry with a period (`admissionperiod`).
    pub fn typed_period(
        &mut self,
        (info_type, info_type_display): (&str, &str),
        start: Date,
        end: Date,
    ) -> &mut Self {
        let category = vec![c4bb_info_type(info_type, info_type_display)];
        self.add(category, "timingPeriod", period(start, end))
    }

    /// A plain information entry with a period, from two Blue Button date variables
    /// (`nch_qlfyd_stay_from_dt`): the category names the first.
    pub fn information_period(
        &mut self,
        (column, column_display): (&str, &str),
        start: Date,
        end: Date,
    ) -> &mut Self {
        let category = vec![
            coding(HL7_CLAIM_INFORMATION_CATEGORY, "info", "Information"),
            information(column, column_display),
        ];
        self.add(category, "timingPeriod", period(start, end))
    }

    /// A plain information entry coded with a Blue Button variable.
    pub fn information_code(
        &mut self,
        column: &str,
        column_display: &str,
        code: &Code,
    ) -> &mut Self {
        let category = vec![
            coding(HL7_CLAIM_INFORMATION_CATEGORY, "info", "Information"),
            information(column, column_display),
        ];
        self.add(category, "code", variable_concept(column, code))
    }

    /// The entries.
    pub fn into_entries(self) -> Vec<Value> {
        self.entries
    }

    /// Adds an entry: its sequence, its category, then its detail `key`.
    fn add(&mut self, category: Vec<Value>, key: &str, value: Value) -> &mut Self {
        self.entries.push(object([
            ("sequence", (self.entries.len() + 1).into()),
            ("category", object([("coding", Value::Array(category))])),
            (key, value),
        ]));
        self
    }
}

/// A `Period` of two days.
fn period(start: Date, end: Date) -> Value {
    object([
        ("start", start.to_string().into()),
        ("end", end.to_string().into()),
    ])
}

fn c4bb_info_type(code: &str, display: &str) -> Value {
    coding(C4BB_SUPPORTING_INFO_TYPE, code, display)
}

fn information(column: &str, column_display: &str) -> Value {
    coding(BB_INFORMATION, &variable(column), column_display)
}
