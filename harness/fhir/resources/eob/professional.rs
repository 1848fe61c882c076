//! Professional claims (carrier, DME): physician and supplier services billed line by line
//! in HCPCS and paid by Part B, 80% of the allowed amount after the deductible.

use super::elements::{
    BENEFIT, COINSURANCE, DEDUCTIBLE, ELIGIBLE, PAID_TO_PATIENT, PAID_TO_PROVIDER, PERFORMING,
    PRIOR_PAYER_PAID, REFERRING, SECONDARY_DIAGNOSIS, SUBMITTED, SupportingInfo, amount,
    care_team_member, claim_total_charge, medical_benefit_balance, npi_reference,
    numbered_diagnoses, used_money,
};
use super::{ClaimContext, ClaimDetails};
use crate::fhir::resources::builders::{
    code_coding, concept, extension_bare_coding, extension_coding, extension_identifier,
    extension_quantity, money, object, variable_concept, with_extension,
};
use crate::fhir::resources::codes::{
    ASSIGNED_CLAIM, CONTRACTOR_NUMBERS, Code, DIAGNOSES, DME_RENTAL, DME_SERVICES, DME_SUPPLIER,
    LINE_ALLOWED, MODIFIER_NEW, MODIFIER_RENTAL, NO_PAYMENT_REDUCTION, ORIGINAL_DEBIT,
    PAID_AT_80_PERCENT, PAID_TO_PHYSICIAN, PARTICIPATION, PRACTICES, ProfessionalService,
    RECORD_CARRIER, RECORD_DME, SOLO_PRACTITIONER, SUBJECT_TO_DEDUCTIBLE, SUPPLIER_COMPANY,
    UNITS_ARE_SERVICES, part_b_deductible,
};
use crate::fhir::resources::draw::Draw;
use crate::fhir::resources::systems::{BB_HCPCS, C4BB_ADJUDICATION_DISCRIMINATOR, variable};
use serde_json::Value;

/// A carrier claim: one of a practice's visits, tests or procedures.
pub(super) fn carrier(context: &ClaimContext<'_>, draw: &mut Draw) -> ClaimDetails {
    let practice = draw.pick(&PRACTICES);
    let supplier = Supplier {
        near_line_record: RECORD_CARRIER,
        specialty: practice.specialty,
        services: practice.services,
        max_lines: 1,
        equipment: false,
    };
    supplier.render(context, draw)
}

/// A DME claim: equipment or supplies from a medical supply company, billed by the
/// supplier's NPI with its supplier number, HCPCS code and rental or purchase modifier on
/// every line.
pub(super) fn dme(context: &ClaimContext<'_>, draw: &mut Draw) -> ClaimDetails {
    let supplier = Supplier {
        near_line_record: RECORD_DME,
        specialty: DME_SUPPLIER,
        services: &DME_SERVICES,
        max_lines: 2,
        equipment: true,
    };
    supplier.render(context, draw)
}

/// Who bills a professional claim, and what it can bill.
struct Supplier {
    near_line_record: Code,
    specialty: Code,
    services: &'static [ProfessionalService],
    /// At most this many lines: each professional line is about 5 KB of JSON, so claims
    /// keep to one for now, as most of BB2's carrier claims do.
    max_lines: i64,
    /// A DME regional carrier claim: DMERC line details instead of carrier ones.
    equipment: bool,
}

/// The money of one line (or, added up, of the claim), in cents.
#[derive(Debug, Default, Clone, Copy)]
struct LineAmounts {
    submitted: i64,
    allowed: i64,
    deductible: i64,
    coinsurance: i64,
    paid: i64,
}

impl LineAmounts {
    /// A line billed within `charge`, allowed at 45–85%, the deductible (up to
    /// `deductible_left`) first, then 20% coinsurance; Medicare pays the rest.
    fn draw(draw: &mut Draw, charge: (i64, i64), deductible_left: i64) -> LineAmounts {
        let submitted = draw.between(charge.0, charge.1);
        let allowed = submitted * draw.between(45, 85) / 100;
        let deductible = allowed.min(deductible_left);
        let coinsurance = (allowed - deductible) / 5;
        LineAmounts {
            submitted,
            allowed,
            deductible,
            coinsurance,
            paid: allowed - deductible - coinsurance,
        }
    }

    fn plus(self, other: LineAmounts) -> LineAmounts {
        LineAmounts {
            submitted: self.submitted + other.submitted,
            allowed: self.allowed + other.allowed,
            deductible: self.deductible + other.deductible,
            coinsurance: self.coinsurance + other.coinsurance,
            paid: self.paid + other.paid,
        }
    }
}

impl Supplier {
    fn render(&self, context: &ClaimContext<'_>, draw: &mut Draw) -> ClaimDetails {
        let billing_npi = draw.npi();
        let referring_npi = draw.chance(50).then(|| draw.npi());
        let mut care_team: Vec<Value> = referring_npi
            .iter()
            .map(|npi| care_team_member(1, npi, REFERRING))
            .collect();
        let performing = care_team.len() + 1;
        care_team.push(self.performing_member(performing, draw));

        let diagnosis_count = draw.between(1, 3) as usize;
        let diagnoses = numbered_diagnoses(
            draw.pick_several(&DIAGNOSES, diagnosis_count),
            SECONDARY_DIAGNOSIS,
        );

        let mut deductible_left = if draw.chance(20) {
            part_b_deductible(context.first_day.year())
        } else {
            0
        };
        let line_count = draw.between(1, self.max_lines) as usize;
        let supplier_number = if self.equipment {
            draw.digits(10)
        } else {
            String::new()
        };
        let mut totals = LineAmounts::default();
        let mut items = Vec::new();
        for (index, service) in draw
            .pick_several(self.services, line_count)
            .into_iter()
            .enumerate()
        {
            let amounts = LineAmounts::draw(draw, service.charge, deductible_left);
            deductible_left -= amounts.deductible;
            totals = totals.plus(amounts);
            let line = Line {
                sequence: index + 1,
                service,
                amounts,
                performing,
                diagnosis: draw.between(1, diagnoses.len() as i64),
            };
            items.push(if self.equipment {
                line.render_equipment(context, draw, &supplier_number)
            } else {
                line.render(context, draw)
            });
        }

        let mut supporting_info = SupportingInfo::new();
        supporting_info.received(context.processed);
        let contractor = *draw.pick(&CONTRACTOR_NUMBERS);
        ClaimDetails {
            extension: vec![
                extension_coding("nch_near_line_rec_ident_cd", &self.near_line_record),
                extension_identifier("carr_num", contractor),
                extension_identifier("carr_clm_cntl_num", &draw.digits(14)),
                extension_coding("carr_clm_pmt_dnl_cd", &PAID_TO_PHYSICIAN),
                extension_coding("asgmntcd", &ASSIGNED_CLAIM),
                extension_coding("carr_clm_entry_cd", &ORIGINAL_DEBIT),
            ],
            provider: npi_reference(&billing_npi),
            referral: referring_npi.as_deref().map_or(Value::Null, npi_reference),
            disposition: Some("01"),
            care_team,
            supporting_info: supporting_info.into_entries(),
            diagnosis: diagnoses,
            item: items,
            total: vec![claim_total_charge(totals.submitted)],
            payment: object([("amount", money(totals.paid))]),
            benefit_balance: vec![medical_benefit_balance(vec![
                used_money(
                    "carr_clm_cash_ddctbl_apld_amt",
                    "Carrier Claim Cash Deductible Applied Amount (sum of all line-level deductible amounts)",
                    totals.deductible,
                ),
                used_money(
                    "nch_clm_prvdr_pmt_amt",
                    "NCH Claim Provider Payment Amount",
                    totals.paid,
                ),
                used_money(
                    "nch_clm_bene_pmt_amt",
                    "NCH Claim Payment Amount to Beneficiary",
                    0,
                ),
                used_money(
                    "nch_carr_clm_sbmtd_chrg_amt",
                    "NCH Carrier Claim Submitted Charge Amount (sum of all line-level submitted charges)",
                    totals.submitted,
                ),
                used_money(
                    "nch_carr_clm_alowd_amt",
                    "NCH Carrier Claim Allowed Charge Amount (sum of all line-level allowed charges)",
                    totals.allowed,
                ),
            ])],
            ..ClaimDetails::default()
        }
    }

    /// The performing provider: participation, specialty, responsible for the lines.
    fn performing_member(&self, sequence: usize, draw: &mut Draw) -> Value {
        let mut member = care_team_member(sequence, &draw.npi(), PERFORMING);
        if let Value::Object(members) = &mut member {
            members.insert("responsible".to_owned(), true.into());
            members.insert(
                "qualification".to_owned(),
                variable_concept("prvdr_spclty", &self.specialty),
            );
        }
        let participation = if self.equipment {
            Vec::new()
        } else {
            vec![extension_coding(
                "carr_line_prvdr_type_cd",
                &SOLO_PRACTITIONER,
            )]
        };
        with_extension(
            participation
                .into_iter()
                .chain([extension_coding(
                    "prtcptng_ind_cd",
                    draw.pick(&PARTICIPATION),
                )])
                .collect(),
            member,
        )
    }
}

/// One service line of a professional claim.
struct Line<'s> {
    sequence: usize,
    service: &'s ProfessionalService,
    amounts: LineAmounts,
    /// `careTeam.sequence` of the performing provider.
    performing: usize,
    /// `diagnosis.sequence` the line is for.
    diagnosis: i64,
}

impl Line<'_> {
    fn render(&self, context: &ClaimContext<'_>, draw: &mut Draw) -> Value {
        let served = draw
            .date_between(context.first_day, context.last_day)
            .to_string();
        let provider_zip = if context.bene.postal_code.is_empty() {
            String::new()
        } else {
            format!("{}{:04}", context.bene.postal_code, draw.between(0, 9999))
        };
        let pricing_locality = format!("{:02}", draw.between(1, 99));
        let units = 1;
        let line = object([
            ("sequence", self.sequence.into()),
            (
                "careTeamSequence",
                Value::Array(vec![self.performing.into()]),
            ),
            (
                "diagnosisSequence",
                Value::Array(vec![self.diagnosis.into()]),
            ),
            ("category", self.category()),
            ("productOrService", self.product_or_service()),
            ("servicedPeriod", served_period(served)),
            (
                "locationCodeableConcept",
                with_extension(
                    vec![
                        extension_bare_coding("prvdr_state_cd", &context.bene.state_code),
                        extension_bare_coding("prvdr_zip", &provider_zip),
                        extension_bare_coding("carr_line_prcng_lclty_cd", &pricing_locality),
                    ],
                    self.place(),
                ),
            ),
            ("quantity", object([("value", units.into())])),
            ("adjudication", Value::Array(self.adjudication())),
        ]);
        with_extension(
            vec![
                extension_quantity("carr_line_mtus_cnt", units),
                extension_coding("carr_line_mtus_cd", &UNITS_ARE_SERVICES),
                extension_coding("betos_cd", &self.service.betos),
                extension_coding("line_prcsg_ind_cd", &LINE_ALLOWED),
                extension_coding("line_service_deductible", &SUBJECT_TO_DEDUCTIBLE),
            ],
            line,
        )
    }

    /// A DME line: the supplier number, DMERC units and pricing state, and the HCPCS code
    /// with its rental (`RR`) or new-purchase (`NU`) modifier.
    fn render_equipment(
        &self,
        context: &ClaimContext<'_>,
        draw: &mut Draw,
        supplier_number: &str,
    ) -> Value {
        let served = draw
            .date_between(context.first_day, context.last_day)
            .to_string();
        let units = 1;
        let modifier = if self.service.service_type == DME_RENTAL {
            MODIFIER_RENTAL
        } else {
            MODIFIER_NEW
        };
        let mut adjudication = self.adjudication();
        adjudication.extend([
            amount(
                ELIGIBLE,
                "line_prmry_alowd_chrg_amt",
                "Line Primary Payer Allowed Charge Amount",
                0,
            ),
            amount(
                SUBMITTED,
                "line_dme_prchs_price_amt",
                "Line DME Purchase Price Amount",
                self.amounts.allowed,
            ),
        ]);
        let line = object([
            ("sequence", self.sequence.into()),
            (
                "careTeamSequence",
                Value::Array(vec![self.performing.into()]),
            ),
            (
                "diagnosisSequence",
                Value::Array(vec![self.diagnosis.into()]),
            ),
            ("category", self.category()),
            ("productOrService", self.product_or_service()),
            (
                "modifier",
                Value::Array(vec![concept(code_coding(BB_HCPCS, &modifier))]),
            ),
            ("servicedPeriod", served_period(served)),
            (
                "locationCodeableConcept",
                with_extension(
                    vec![extension_bare_coding(
                        "prvdr_state_cd",
                        &context.bene.state_code,
                    )],
                    self.place(),
                ),
            ),
            ("quantity", object([("value", units.into())])),
            ("adjudication", Value::Array(adjudication)),
        ]);
        with_extension(
            vec![
                extension_identifier("suplrnum", supplier_number),
                extension_quantity("dmerc_line_mtus_cnt", units),
                extension_coding("dmerc_line_mtus_cd", &UNITS_ARE_SERVICES),
                extension_coding("betos_cd", &self.service.betos),
                extension_coding("line_prcsg_ind_cd", &LINE_ALLOWED),
                extension_coding("line_service_deductible", &SUBJECT_TO_DEDUCTIBLE),
                extension_bare_coding("dmerc_line_prcng_state_cd", &context.bene.state_code),
                extension_coding("dmerc_line_supplr_type_cd", &SUPPLIER_COMPANY),
                extension_quantity("dmerc_line_scrn_svgs_amt", 0),
            ],
            line,
        )
    }

    /// The line's CMS type of service.
    fn category(&self) -> Value {
        variable_concept("line_cms_type_srvc_cd", &self.service.service_type)
    }

    /// The line's HCPCS code.
    fn product_or_service(&self) -> Value {
        concept(code_coding(BB_HCPCS, &self.service.hcpcs))
    }

    /// The line's place of service.
    fn place(&self) -> Value {
        concept(code_coding(
            &variable("line_place_of_srvc_cd"),
            &self.service.place,
        ))
    }

    fn adjudication(&self) -> Vec<Value> {
        let amounts = self.amounts;
        let denial_reason = object([
            (
                "category",
                concept(code_coding(
                    C4BB_ADJUDICATION_DISCRIMINATOR,
                    &Code::new("denialreason", "Denial Reason"),
                )),
            ),
            (
                "reason",
                variable_concept("carr_line_rdcd_pmt_phys_astn_c", &NO_PAYMENT_REDUCTION),
            ),
        ]);
        vec![
            denial_reason,
            with_extension(
                vec![extension_coding("line_pmt_80_100_cd", &PAID_AT_80_PERCENT)],
                amount(
                    BENEFIT,
                    "line_nch_pmt_amt",
                    "Line NCH Medicare Payment Amount",
                    amounts.paid,
                ),
            ),
            amount(
                PAID_TO_PATIENT,
                "line_bene_pmt_amt",
                "Line Payment Amount to Beneficiary",
                0,
            ),
            amount(
                PAID_TO_PROVIDER,
                "line_prvdr_pmt_amt",
                "Line Provider Payment Amount",
                amounts.paid,
            ),
            amount(
                DEDUCTIBLE,
                "line_bene_ptb_ddctbl_amt",
                "Line Beneficiary Part B Deductible Amount",
                amounts.deductible,
            ),
            amount(
                PRIOR_PAYER_PAID,
                "line_bene_prmry_pyr_pd_amt",
                "Line Primary Payer (if not Medicare) Paid Amount",
                0,
            ),
            amount(
                COINSURANCE,
                "line_coinsrnc_amt",
                "Line Beneficiary Coinsurance Amount",
                amounts.coinsurance,
            ),
            amount(
                SUBMITTED,
                "line_sbmtd_chrg_amt",
                "Line Submitted Charge Amount",
                amounts.submitted,
            ),
            amount(
                ELIGIBLE,
                "line_alowd_chrg_amt",
                "Line Allowed Charge Amount",
                amounts.allowed,
            ),
        ]
    }
}

/// A line's `servicedPeriod`: the one day it was served.
fn served_period(served: String) -> Value {
    object([("start", served.as_str().into()), ("end", served.into())])
}
