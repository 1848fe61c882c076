//! The four Coverage resources (Medicare Parts A to D) of a beneficiary.

use super::builders::{
    bare_coding, coding, concept, extension_bare_coding, extension_coding, extension_date,
    monthly_extensions, object, reference, without_empty_elements,
};
use super::codes::{
    COST_SHARE_NO_PART_D, HMO_LOCK_IN_ALL_CLAIMS, HMO_NOT_A_MEMBER, NO_RETIREE_DRUG_SUBSIDY,
    NOT_TERMINATED, PART_D_NOT_ENROLLED,
};
use super::enrollment::Enrollment;
use super::meta::{C4BB_COVERAGE, meta_v2};
use super::systems::{C4BB_IDENTIFIER_TYPE, COVERAGE_CLASS, SUBSCRIBER_RELATIONSHIP, V3_ACT_CODE};
use crate::world::Beneficiary;
use serde_json::Value;

/// A Medicare part, one Coverage resource each.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum CoveragePart {
    /// Hospital insurance.
    A,
    /// Medical insurance.
    B,
    /// Medicare Advantage.
    C,
    /// Prescription drug coverage.
    D,
}

impl CoveragePart {
    /// The four parts, in the order BFD returns their Coverages.
    pub const ALL: [CoveragePart; 4] = [
        CoveragePart::A,
        CoveragePart::B,
        CoveragePart::C,
        CoveragePart::D,
    ];

    /// The id prefix of the part (`part-a`).
    pub fn code(self) -> &'static str {
        match self {
            CoveragePart::A => "part-a",
            CoveragePart::B => "part-b",
            CoveragePart::C => "part-c",
            CoveragePart::D => "part-d",
        }
    }

    /// The Coverage id of a patient's part: `part-a-` + the patient id, so a synthetic
    /// (negative) id gives a double dash (`part-a--20140000008325`).
    pub fn resource_id(self, patient_id: &str) -> String {
        format!("{}-{patient_id}", self.code())
    }

    /// The part and the patient id of a Coverage id; `None` for anything else.
    pub fn from_resource_id(id: &str) -> Option<(CoveragePart, &str)> {
        CoveragePart::ALL.into_iter().find_map(|part| {
            let patient_id = id.strip_prefix(part.code())?.strip_prefix('-')?;
            (!patient_id.is_empty()).then_some((part, patient_id))
        })
    }

    /// The plan name of `class` (`Part A`).
    fn plan_name(self) -> &'static str {
        match self {
            CoveragePart::A => "Part A",
            CoveragePart::B => "Part B",
            CoveragePart::C => "Part C",
            CoveragePart::D => "Part D",
        }
    }
}

/// The v2 (FHIR R4, C4BB) Coverage of one Medicare part of a beneficiary, shaped like BB2's:
/// the part's enrollment extensions (monthly codes of the reference year), status, type
/// `SUBSIDIZ`, the MBI as subscriber id, payor CMS, and the classes `Medicare` / `Part X`.
pub fn coverage_v2(bene: &Beneficiary, part: CoveragePart) -> Value {
    let enrollment = Enrollment::of(bene);
    let extension = match part {
        CoveragePart::A => part_a_extensions(&enrollment),
        CoveragePart::B => part_b_extensions(&enrollment),
        CoveragePart::C => part_c_extensions(&enrollment),
        CoveragePart::D => part_d_extensions(&enrollment),
    };
    // Parts A and B run from the entitlement; BB2 sends no period for Parts C and D.
    let period = matches!(part, CoveragePart::A | CoveragePart::B)
        .then(|| object([("start", enrollment.entitlement_start.to_string().into())]));
    let payor = object([(
        "identifier",
        object([
            (
                "type",
                concept(coding(C4BB_IDENTIFIER_TYPE, "payerid", "Payer ID")),
            ),
            ("value", "Centers for Medicare and Medicaid Services".into()),
        ]),
    )]);
    without_empty_elements(object([
        ("resourceType", "Coverage".into()),
        ("id", part.resource_id(&bene.patient_id).into()),
        ("meta", meta_v2(C4BB_COVERAGE)),
        ("extension", Value::Array(extension)),
        ("status", "active".into()),
        ("type", concept(bare_coding(V3_ACT_CODE, "SUBSIDIZ"))),
        ("subscriberId", bene.mbi.as_str().into()),
        ("beneficiary", reference("Patient", &bene.patient_id)),
        (
            "relationship",
            concept(coding(SUBSCRIBER_RELATIONSHIP, "self", "Self")),
        ),
        ("period", period.into()),
        ("payor", Value::Array(vec![payor])),
        (
            "class",
            Value::Array(vec![
                coverage_class("group", "Group", "Medicare"),
                coverage_class("plan", "Plan", part.plan_name()),
            ]),
        ),
    ]))
}

fn coverage_class(code: &str, display: &str, value: &str) -> Value {
    object([
        ("type", concept(coding(COVERAGE_CLASS, code, display))),
        ("value", value.into()),
    ])
}

/// `ms_cd, orec, crec, esrd_ind, a_trm_cd, rfrnc_yr, dual_NN, buyinNN`.
fn part_a_extensions(enrollment: &Enrollment) -> Vec<Value> {
    let mut extensions = vec![
        extension_coding("ms_cd", &enrollment.medicare_status),
        extension_coding("orec", &enrollment.original_reason),
        extension_coding("crec", &enrollment.current_reason),
        extension_coding("esrd_ind", &enrollment.esrd),
        extension_coding("a_trm_cd", &NOT_TERMINATED),
    ];
    extensions.extend(yearly_extensions(enrollment));
    extensions.extend(buy_in_extensions(enrollment));
    extensions
}

/// `ms_cd, b_trm_cd, rfrnc_yr, dual_NN, buyinNN`.
fn part_b_extensions(enrollment: &Enrollment) -> Vec<Value> {
    let mut extensions = vec![
        extension_coding("ms_cd", &enrollment.medicare_status),
        extension_coding("b_trm_cd", &NOT_TERMINATED),
    ];
    extensions.extend(yearly_extensions(enrollment));
    extensions.extend(buy_in_extensions(enrollment));
    extensions
}

/// Monthly contract, plan benefit package, plan type and HMO indicator of a Medicare
/// Advantage enrollee (only the HMO indicator otherwise), then `rfrnc_yr, dual_NN`.
fn part_c_extensions(enrollment: &Enrollment) -> Vec<Value> {
    let mut extensions = match &enrollment.medicare_advantage {
        Some(plan) => [
            monthly_extensions("ptc_cntrct_id_", |column| {
                extension_bare_coding(column, &plan.contract)
            }),
            monthly_extensions("ptc_pbp_id_", |column| {
                extension_bare_coding(column, &plan.benefit_package)
            }),
            monthly_extensions("ptc_plan_type_cd_", |column| {
                extension_coding(column, &plan.plan_code)
            }),
            monthly_extensions("hmo_ind_", |column| {
                extension_coding(column, &HMO_LOCK_IN_ALL_CLAIMS)
            }),
        ]
        .into_iter()
        .flatten()
        .collect(),
        None => monthly_extensions("hmo_ind_", |column| {
            extension_coding(column, &HMO_NOT_A_MEMBER)
        }),
    };
    extensions.extend(yearly_extensions(enrollment));
    extensions
}

/// `ms_cd`, monthly contract, plan benefit package, cost-sharing group and retiree
/// drug subsidy of a drug plan enrollee (contract `N` and no-Part-D cost sharing
/// otherwise), then `rfrnc_yr, dual_NN`.
fn part_d_extensions(enrollment: &Enrollment) -> Vec<Value> {
    let mut extensions = vec![extension_coding("ms_cd", &enrollment.medicare_status)];
    match &enrollment.drug_plan {
        Some(plan) => {
            extensions.extend(monthly_extensions("ptdcntrct", |column| {
                extension_bare_coding(column, &plan.contract)
            }));
            extensions.extend(monthly_extensions("ptdpbpid", |column| {
                extension_bare_coding(column, &plan.benefit_package)
            }));
            extensions.extend(monthly_extensions("cstshr", |column| {
                extension_coding(column, &plan.plan_code)
            }));
            extensions.extend(monthly_extensions("rdsind", |column| {
                extension_coding(column, &NO_RETIREE_DRUG_SUBSIDY)
            }));
        }
        None => {
            extensions.extend(monthly_extensions("ptdcntrct", |column| {
                extension_coding(column, &PART_D_NOT_ENROLLED)
            }));
            extensions.extend(monthly_extensions("cstshr", |column| {
                extension_coding(column, &COST_SHARE_NO_PART_D)
            }));
        }
    }
    extensions.extend(yearly_extensions(enrollment));
    extensions
}

/// `rfrnc_yr` and the twelve `dual_NN`, which every part carries.
fn yearly_extensions(enrollment: &Enrollment) -> Vec<Value> {
    let mut extensions = vec![extension_date("rfrnc_yr", &enrollment.reference_year())];
    extensions.extend(monthly_extensions("dual_", |column| {
        extension_coding(column, &enrollment.dual_status)
    }));
    extensions
}

fn buy_in_extensions(enrollment: &Enrollment) -> Vec<Value> {
    monthly_extensions("buyin", |column| {
        extension_coding(column, &enrollment.buy_in)
    })
}
