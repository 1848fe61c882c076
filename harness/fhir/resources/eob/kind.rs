//! What each claim type declares: its C4BB profile, its type codings, and the Coverage
//! (Medicare part) that paid it.

use crate::claim_type::ClaimType;
use crate::fhir::resources::builders::{bare_coding, coding, object};
use crate::fhir::resources::codes::Code;
use crate::fhir::resources::coverage::CoveragePart;
use crate::fhir::resources::meta::{
    C4BB_EOB_INPATIENT, C4BB_EOB_OUTPATIENT, C4BB_EOB_PHARMACY, C4BB_EOB_PROFESSIONAL,
};
use crate::fhir::resources::systems::{BB_EOB_TYPE, HL7_CLAIM_TYPE, variable};
use serde_json::Value;

/// The fixed facts of one claim type.
#[derive(Debug, Clone, Copy)]
pub struct ClaimKind {
    claim_type: ClaimType,
    /// The C4BB profile of `meta.profile`.
    pub profile: &'static str,
    /// `nch_clm_type_cd` (none for Part D events).
    nch_claim_type: Option<Code>,
    /// The HL7 claim type: professional, institutional or pharmacy.
    hl7_claim_type: Code,
    /// The Medicare part whose Coverage `insurance` refers to.
    pub coverage: CoveragePart,
}

const PROFESSIONAL: Code = Code::new("professional", "Professional");
const INSTITUTIONAL: Code = Code::new("institutional", "Institutional");
const PHARMACY: Code = Code::new("pharmacy", "Pharmacy");

impl ClaimKind {
    /// The facts of a claim type.
    pub fn of(claim_type: ClaimType) -> ClaimKind {
        let (profile, nch_claim_type, hl7_claim_type, coverage) = match claim_type {
            ClaimType::Carrier => (
                C4BB_EOB_PROFESSIONAL,
                Some(Code::new(
                    "71",
                    "Local carrier non-durable medical equipment, prosthetics, orthotics, and supplies (DMEPOS) claim",
                )),
                PROFESSIONAL,
                CoveragePart::B,
            ),
            ClaimType::Dme => (
                C4BB_EOB_PROFESSIONAL,
                Some(Code::new(
                    "82",
                    "Durable medical equipment regional carrier (DMERC); DMEPOS claim",
                )),
                PROFESSIONAL,
                CoveragePart::B,
            ),
            ClaimType::Hha => (
                C4BB_EOB_INPATIENT,
                Some(Code::new("10", "Home Health Agency (HHA) claim")),
                INSTITUTIONAL,
                CoveragePart::B,
            ),
            ClaimType::Hospice => (
                C4BB_EOB_INPATIENT,
                Some(Code::new("50", "Hospice claim")),
                INSTITUTIONAL,
                CoveragePart::A,
            ),
            ClaimType::Inpatient => (
                C4BB_EOB_INPATIENT,
                Some(Code::new("60", "Inpatient claim")),
                INSTITUTIONAL,
                CoveragePart::A,
            ),
            ClaimType::Outpatient => (
                C4BB_EOB_OUTPATIENT,
                Some(Code::new("40", "Hospital Outpatient claim")),
                INSTITUTIONAL,
                CoveragePart::B,
            ),
            ClaimType::Pde => (C4BB_EOB_PHARMACY, None, PHARMACY, CoveragePart::D),
            ClaimType::Snf => (
                C4BB_EOB_INPATIENT,
                Some(Code::new(
                    "20",
                    "Non swing bed Skilled Nursing Facility (SNF) claim",
                )),
                INSTITUTIONAL,
                CoveragePart::A,
            ),
        };
        ClaimKind {
            claim_type,
            profile,
            nch_claim_type,
            hl7_claim_type,
            coverage,
        }
    }

    /// `EOB.type`: the NCH claim type (not for Part D), the Blue Button `eob-type`, and the
    /// HL7 claim type.
    pub fn type_concept(&self) -> Value {
        let nch = self
            .nch_claim_type
            .map(|code| coding(&variable("nch_clm_type_cd"), code.code, code.display));
        let codings: Vec<Value> = nch
            .into_iter()
            .chain([
                bare_coding(BB_EOB_TYPE, self.claim_type.eob_type_code()),
                coding(
                    HL7_CLAIM_TYPE,
                    self.hl7_claim_type.code,
                    self.hl7_claim_type.display,
                ),
            ])
            .collect();
        object([("coding", Value::Array(codings))])
    }

    /// The CCW column of the claim's own identifier: `pde_id` for Part D, `clm_id` otherwise.
    pub fn claim_id_column(&self) -> &'static str {
        if self.claim_type == ClaimType::Pde {
            "pde_id"
        } else {
            "clm_id"
        }
    }
}
