//! Institutional claims (inpatient, outpatient, SNF, HHA, hospice): a facility's revenue
//! center lines, closed by the total-charge line `0001`. Inpatient stays add the DRG, the
//! admission, present-on-admission diagnoses and ICD-10-PCS procedures.

use super::elements::{
    ADMITTING_DIAGNOSIS, ATTENDING, NONCOVERED, OPERATING, OTHER_DIAGNOSIS, PRINCIPAL_DIAGNOSIS,
    SUBMITTED, SupportingInfo, amount, care_team_member, claim_total_charge, diagnosis,
    medical_benefit_balance, npi_type, numbered_diagnoses, used_count, used_money,
};
use super::{ClaimContext, ClaimDetails};
use crate::fhir::resources::builders::{
    bare_coding, code_coding, coding, concept, extension_bare_coding, extension_coding,
    extension_identifier, extension_quantity, money, object, typed_identifier, variable_concept,
    with_extension,
};
use crate::fhir::resources::codes::{
    ADMISSION_SOURCES, ADMISSION_TYPES, CONTRACTOR_NUMBERS, Code, DIAGNOSES, DISCHARGE_STATUSES,
    DISCHARGED_HOME, ELECTIVE_ADMISSION, FACILITY_HHA, FACILITY_HOSPITAL, FACILITY_SNF,
    FACILITY_SPECIAL, FREQUENCY_ADMIT_THROUGH_DISCHARGE, HHA_LINES, HOSPICE_LINES,
    HOSPICE_ROUTINE_HOME_CARE, HOSPITAL_TRANSFER, INPATIENT_ANCILLARIES, INPATIENT_ROOM_AND_BOARD,
    INPATIENT_STAYS, InpatientStay, OPERATING_ROOM, OUTPATIENT_LINES, PRESENT_ON_ADMISSION,
    QUERY_FINAL_BILL, RECORD_HOME_HEALTH, RECORD_PART_A_INSTITUTIONAL, RECORD_PART_B_INSTITUTIONAL,
    RevenueLine, SNF_LINES, SNF_ROOM_AND_BOARD, TOTAL_CHARGE, part_a_deductible, part_b_deductible,
};
use crate::fhir::resources::dates::{add_days, days_between};
use crate::fhir::resources::draw::Draw;
use crate::fhir::resources::meta::C4BB_ORGANIZATION;
use crate::fhir::resources::systems::{
    BB_HCPCS, C4BB_PROCEDURE_TYPE, ICD_10_PCS, NUBC_REVENUE_CODES, US_NPI, V2_IDENTIFIER_TYPE,
    variable,
};
use serde_json::Value;

/// How one institutional claim type looks.
pub(super) struct InstitutionalClaim {
    near_line_record: Code,
    facility_type: Code,
    /// `clm_srvc_clsfctn_type_cd`, sent bare.
    service_classification: &'static str,
    /// The facility-number range of its CMS certification numbers (after the state code).
    certification_numbers: (i64, i64),
    /// A line billed per day of the stay (room and board, routine hospice care).
    daily_line: Option<RevenueLine>,
    /// The other lines it draws from, and how many at most.
    lines: &'static [RevenueLine],
    max_lines: i64,
    /// An inpatient stay: DRG, admission details, POA diagnoses, procedures.
    stay: bool,
    /// The admission (stay, start of care, election of hospice) its `admissionperiod` shows.
    admission: Admission,
    /// Paid by Part B (outpatient) rather than Part A.
    part_b: bool,
}

/// Inpatient hospital stays.
pub(super) const INPATIENT: InstitutionalClaim = InstitutionalClaim {
    near_line_record: RECORD_PART_A_INSTITUTIONAL,
    facility_type: FACILITY_HOSPITAL,
    service_classification: "1",
    certification_numbers: (1, 879),
    daily_line: Some(INPATIENT_ROOM_AND_BOARD),
    lines: &INPATIENT_ANCILLARIES,
    max_lines: 2,
    stay: true,
    admission: Admission::Hospital,
    part_b: false,
};

/// Hospital outpatient visits.
pub(super) const OUTPATIENT: InstitutionalClaim = InstitutionalClaim {
    near_line_record: RECORD_PART_B_INSTITUTIONAL,
    facility_type: FACILITY_HOSPITAL,
    service_classification: "3",
    certification_numbers: (1, 879),
    daily_line: None,
    lines: &OUTPATIENT_LINES,
    max_lines: 3,
    stay: false,
    admission: Admission::None,
    part_b: true,
};

/// Skilled nursing facility stays.
pub(super) const SNF: InstitutionalClaim = InstitutionalClaim {
    near_line_record: RECORD_PART_A_INSTITUTIONAL,
    facility_type: FACILITY_SNF,
    service_classification: "1",
    certification_numbers: (5000, 6499),
    daily_line: Some(SNF_ROOM_AND_BOARD),
    lines: &SNF_LINES,
    max_lines: 2,
    stay: false,
    admission: Admission::NursingFacility,
    part_b: false,
};

/// Home health episodes.
pub(super) const HHA: InstitutionalClaim = InstitutionalClaim {
    near_line_record: RECORD_HOME_HEALTH,
    facility_type: FACILITY_HHA,
    service_classification: "2",
    certification_numbers: (7000, 8499),
    daily_line: None,
    lines: &HHA_LINES,
    max_lines: 3,
    stay: false,
    admission: Admission::HomeHealth,
    part_b: false,
};

/// Hospice periods.
pub(super) const HOSPICE: InstitutionalClaim = InstitutionalClaim {
    near_line_record: RECORD_PART_A_INSTITUTIONAL,
    facility_type: FACILITY_SPECIAL,
    service_classification: "1",
    certification_numbers: (1500, 1799),
    daily_line: Some(HOSPICE_ROUTINE_HOME_CARE),
    lines: &HOSPICE_LINES,
    max_lines: 2,
    stay: false,
    admission: Admission::Hospice,
    part_b: false,
};

/// Which admission a claim belongs to, and what the claim says about it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Admission {
    /// A visit (outpatient): no admission.
    None,
    /// A hospital stay: admission period, point of origin and type (drawn), DRG.
    Hospital,
    /// A SNF stay after a qualifying hospital stay of three days or more; Part A pays the
    /// first 20 days in full, then the patient owes a daily coinsurance.
    NursingFacility,
    /// A home health episode: its start of care and the number of visits.
    HomeHealth,
    /// A hospice benefit period: its start and the number of the period.
    Hospice,
}

/// The Part A SNF daily coinsurance (days 21–100) of a year, in cents.
fn snf_daily_coinsurance(year: i16) -> i64 {
    match year {
        ..=2022 => 19_450,
        2023 => 20_000,
        2024 => 20_400,
        2025 => 20_950,
        _ => 21_700,
    }
}

/// A line to bill: what, how many units, at what unit charge, for how much, and when
/// (visits only).
struct BilledLine {
    revenue: Code,
    hcpcs: Option<Code>,
    units: i64,
    unit_charge: i64,
    charge: i64,
    served: Option<String>,
}

impl BilledLine {
    /// The total-charge line `0001` closing a claim of `charges`.
    fn total(charges: i64) -> BilledLine {
        BilledLine {
            revenue: TOTAL_CHARGE,
            hcpcs: None,
            units: 0,
            unit_charge: 0,
            charge: charges,
            served: None,
        }
    }

    /// Rate, total and non-covered charges; the total-charge line has its total only.
    fn adjudication(&self) -> Vec<Value> {
        let total = amount(
            SUBMITTED,
            "rev_cntr_tot_chrg_amt",
            "Revenue Center Total Charge Amount",
            self.charge,
        );
        if self.revenue == TOTAL_CHARGE {
            return vec![total];
        }
        vec![
            amount(
                SUBMITTED,
                "rev_cntr_rate_amt",
                "Revenue Center Rate Amount",
                self.unit_charge,
            ),
            total,
            amount(
                NONCOVERED,
                "rev_cntr_ncvrd_chrg_amt",
                "Revenue Center Non-Covered Charge Amount",
                0,
            ),
        ]
    }
}

/// What Medicare and the patient paid for the claim, in cents.
struct ClaimAmounts {
    charges: i64,
    paid: i64,
    deductible: i64,
    coinsurance: i64,
}

impl InstitutionalClaim {
    /// The details of one claim of this type.
    pub(super) fn render(&self, context: &ClaimContext<'_>, draw: &mut Draw) -> ClaimDetails {
        let stay = self.stay.then(|| *draw.pick(&INPATIENT_STAYS));
        let surgical = stay.is_some_and(|stay| stay.surgical);
        let days = days_between(context.first_day, context.last_day).max(1);

        let mut care_team = vec![care_team_member(1, &draw.npi(), ATTENDING)];
        if surgical {
            care_team.push(care_team_member(2, &draw.npi(), OPERATING));
        }

        let lines = self.billed_lines(context, draw, days, surgical);
        let amounts = self.amounts(context, draw, &lines, stay.as_ref());
        let mut items: Vec<Value> = lines
            .iter()
            .enumerate()
            .map(|(index, billed)| revenue_item(index + 1, billed, context))
            .collect();
        items.push(revenue_item(
            items.len() + 1,
            &BilledLine::total(amounts.charges),
            context,
        ));

        let contractor = *draw.pick(&CONTRACTOR_NUMBERS);
        // Drawn in the order of the EOB's elements: the provider before the extensions.
        let contained = vec![self.provider_organization(context, draw)];
        let mut extension = vec![
            extension_coding("nch_near_line_rec_ident_cd", &self.near_line_record),
            extension_identifier("fi_doc_clm_cntl_num", &draw.digits(15)),
            extension_bare_coding("clm_srvc_clsfctn_type_cd", self.service_classification),
            extension_bare_coding("fi_num", contractor),
        ];
        if self.admission == Admission::Hospice {
            extension.push(extension_quantity("bene_hospc_prd_cnt", draw.between(1, 3)));
        }
        let visits: i64 = lines
            .iter()
            .filter(|line| line.served.is_some())
            .map(|line| line.units)
            .sum();
        ClaimDetails {
            contained,
            extension,
            billable_period_extension: vec![extension_coding("claim_query_cd", &QUERY_FINAL_BILL)],
            provider: object([("reference", "#provider-org".into())]),
            facility: object([(
                "extension",
                Value::Array(vec![extension_coding(
                    "clm_fac_type_cd",
                    &self.facility_type,
                )]),
            )]),
            care_team,
            supporting_info: self.supporting_info(context, draw, stay.as_ref()),
            diagnosis: diagnoses(draw, stay.as_ref()),
            procedure: stay
                .map(|stay| vec![principal_procedure(&stay, context, draw)])
                .unwrap_or_default(),
            item: items,
            total: vec![claim_total_charge(amounts.charges)],
            payment: object([("amount", money(amounts.paid))]),
            benefit_balance: vec![medical_benefit_balance(self.financial(
                &amounts,
                days,
                visits,
                context.first_day.year(),
            ))],
            ..ClaimDetails::default()
        }
    }

    /// The contained organization `#provider-org`: CMS certification number and NPI.
    fn provider_organization(&self, context: &ClaimContext<'_>, draw: &mut Draw) -> Value {
        let state = &context.bene.state_code;
        let state = if state.len() == 2 {
            state.as_str()
        } else {
            "99"
        };
        let (first, last) = self.certification_numbers;
        let certification_number = format!("{state}{:04}", draw.between(first, last));
        object([
            ("resourceType", "Organization".into()),
            ("id", "provider-org".into()),
            (
                "meta",
                object([("profile", Value::Array(vec![C4BB_ORGANIZATION.into()]))]),
            ),
            (
                "identifier",
                Value::Array(vec![
                    typed_identifier(
                        coding(V2_IDENTIFIER_TYPE, "PRN", "Provider number"),
                        &variable("prvdr_num"),
                        &certification_number,
                    ),
                    typed_identifier(npi_type(), US_NPI, &draw.npi()),
                ]),
            ),
            ("active", true.into()),
        ])
    }

    /// The per-day line, the operating room of a surgical stay, then drawn lines (one fewer
    /// after an operating room, to keep the claim near BB2's size).
    fn billed_lines(
        &self,
        context: &ClaimContext<'_>,
        draw: &mut Draw,
        days: i64,
        surgical: bool,
    ) -> Vec<BilledLine> {
        let daily = self.daily_line.map(|line| (line, days));
        let operating_room = surgical.then_some((OPERATING_ROOM, 1));
        let max_lines = if surgical {
            self.max_lines - 1
        } else {
            self.max_lines
        };
        let count = draw.between(1, max_lines) as usize;
        let drawn: Vec<(RevenueLine, i64)> = draw
            .pick_several(self.lines, count)
            .into_iter()
            .map(|line| {
                (
                    *line,
                    if line.hcpcs.is_some() {
                        1
                    } else {
                        draw.between(1, 4)
                    },
                )
            })
            .collect();
        daily
            .into_iter()
            .chain(operating_room)
            .chain(drawn)
            .map(|(line, units)| {
                let visit = !self.stay && !line.per_day;
                let unit_charge = draw.between(line.unit_charge.0, line.unit_charge.1);
                BilledLine {
                    revenue: line.revenue,
                    hcpcs: line.hcpcs,
                    units,
                    unit_charge,
                    charge: units * unit_charge,
                    served: visit.then(|| {
                        draw.date_between(context.first_day, context.last_day)
                            .to_string()
                    }),
                }
            })
            .collect()
    }

    /// Part A pays a stay's DRG amount after the inpatient deductible, and a share of the
    /// charges of other Part A claims; Part B pays outpatient charges after its deductible
    /// and 20% coinsurance.
    fn amounts(
        &self,
        context: &ClaimContext<'_>,
        draw: &mut Draw,
        lines: &[BilledLine],
        stay: Option<&InpatientStay>,
    ) -> ClaimAmounts {
        let charges: i64 = lines.iter().map(|line| line.charge).sum();
        let year = context.first_day.year();
        let allowed = match stay {
            Some(stay) => draw
                .between(stay.payment.0, stay.payment.1)
                .min(charges * 9 / 10),
            None => charges * draw.between(30, 60) / 100,
        };
        let deductible_applies = draw.chance(70);
        let deductible = match (stay.is_some(), self.part_b, deductible_applies) {
            (true, _, true) => allowed.min(part_a_deductible(year)),
            (_, true, true) => allowed.min(part_b_deductible(year)),
            _ => 0,
        };
        let coinsurance = if self.part_b {
            (allowed - deductible) / 5
        } else {
            0
        };
        ClaimAmounts {
            charges,
            paid: allowed - deductible - coinsurance,
            deductible,
            coinsurance,
        }
    }

    fn supporting_info(
        &self,
        context: &ClaimContext<'_>,
        draw: &mut Draw,
        stay: Option<&InpatientStay>,
    ) -> Vec<Value> {
        let mut info = SupportingInfo::new();
        info.received(context.processed);
        if stay.is_some() {
            info.typed_period(
                ("admissionperiod", "Admission Period"),
                context.first_day,
                context.last_day,
            )
            .typed_code(
                ("pointoforigin", "Point Of Origin"),
                "clm_src_ip_admsn_cd",
                draw.pick(&ADMISSION_SOURCES),
            )
            .typed_code(
                ("admtype", "Admission Type"),
                "clm_ip_admsn_type_cd",
                draw.pick(&ADMISSION_TYPES),
            );
        }
        match self.admission {
            Admission::NursingFacility => {
                let hospital_days = draw.between(3, 8);
                let hospital_end = add_days(context.first_day, -1);
                info.typed_period(
                    ("admissionperiod", "Admission Period"),
                    context.first_day,
                    context.last_day,
                )
                .typed_code(
                    ("pointoforigin", "Point Of Origin"),
                    "clm_src_ip_admsn_cd",
                    &HOSPITAL_TRANSFER,
                )
                .typed_code(
                    ("admtype", "Admission Type"),
                    "clm_ip_admsn_type_cd",
                    &ELECTIVE_ADMISSION,
                )
                .information_period(
                    ("nch_qlfyd_stay_from_dt", "NCH Qualified Stay From Date"),
                    add_days(hospital_end, -hospital_days),
                    hospital_end,
                );
            }
            Admission::HomeHealth | Admission::Hospice => {
                info.typed_period(
                    ("admissionperiod", "Admission Period"),
                    context.first_day,
                    context.last_day,
                );
            }
            Admission::None | Admission::Hospital => {}
        }
        let discharge = if stay.is_some() {
            *draw.pick(&DISCHARGE_STATUSES)
        } else {
            DISCHARGED_HOME
        };
        info.typed_code(
            ("typeofbill", "Type of Bill"),
            "clm_freq_cd",
            &FREQUENCY_ADMIT_THROUGH_DISCHARGE,
        )
        .typed_code(
            ("discharge-status", "Discharge Status"),
            "ptnt_dschrg_stus_cd",
            &discharge,
        );
        if let Some(stay) = stay {
            info.typed_code(("drg", "DRG"), "clm_drg_cd", &stay.drg);
        }
        info.into_entries()
    }

    /// The benefit balance of the claim's Medicare part.
    fn financial(&self, amounts: &ClaimAmounts, days: i64, visits: i64, year: i16) -> Vec<Value> {
        let mut financial = Vec::new();
        if self.admission == Admission::NursingFacility {
            let coinsurance_days = (days.min(100) - 20).max(0);
            financial.extend([
                used_count(
                    "bene_tot_coinsrnc_days_cnt",
                    "Beneficiary Total Coinsurance Days Count",
                    coinsurance_days,
                ),
                used_money(
                    "nch_bene_pta_coinsrnc_lblty_amt",
                    "NCH Beneficiary Part A Coinsurance Liability Amount",
                    coinsurance_days * snf_daily_coinsurance(year),
                ),
            ]);
        }
        if self.admission == Admission::HomeHealth {
            financial.push(used_count(
                "clm_hha_tot_visit_cnt",
                "Claim HHA Total Visit Count",
                visits,
            ));
        }
        if self.part_b {
            financial.extend([
                used_money(
                    "nch_bene_ptb_ddctbl_amt",
                    "NCH Beneficiary Part B Deductible Amount",
                    amounts.deductible,
                ),
                used_money(
                    "nch_bene_ptb_coinsrnc_amt",
                    "NCH Beneficiary Part B Coinsurance Amount",
                    amounts.coinsurance,
                ),
                used_money(
                    "clm_op_prvdr_pmt_amt",
                    "Claim Outpatient Provider Payment Amount",
                    amounts.paid,
                ),
                used_money(
                    "clm_op_bene_pmt_amt",
                    "Claim Outpatient Payment Amount to Beneficiary",
                    0,
                ),
            ]);
        }
        if self.stay {
            financial.extend([
                used_money(
                    "nch_bene_ip_ddctbl_amt",
                    "NCH Beneficiary Inpatient (or other Part A) Deductible Amount",
                    amounts.deductible,
                ),
                used_money(
                    "nch_bene_pta_coinsrnc_lblty_amt",
                    "NCH Beneficiary Part A Coinsurance Liability Amount",
                    0,
                ),
            ]);
        }
        if self.daily_line.is_some() {
            financial.push(used_count(
                "clm_utlztn_day_cnt",
                "Claim Medicare Utilization Day Count",
                days,
            ));
        }
        financial.push(used_money(
            "prpayamt",
            "NCH Primary Payer (if not Medicare) Claim Paid Amount",
            0,
        ));
        financial
    }
}

/// One revenue center line: the revenue code, the HCPCS code billed (or the bare revenue
/// code again, in the NUBC system) as `productOrService`, units and charges.
fn revenue_item(sequence: usize, billed: &BilledLine, context: &ClaimContext<'_>) -> Value {
    let product_or_service = match &billed.hcpcs {
        Some(hcpcs) => code_coding(BB_HCPCS, hcpcs),
        None => bare_coding(NUBC_REVENUE_CODES, billed.revenue.code),
    };
    object([
        ("sequence", sequence.into()),
        ("revenue", variable_concept("rev_cntr", &billed.revenue)),
        ("productOrService", concept(product_or_service)),
        ("servicedDate", billed.served.as_deref().into()),
        (
            "locationAddress",
            object([("state", context.bene.state_code.as_str().into())]),
        ),
        ("quantity", object([("value", billed.units.into())])),
        ("adjudication", Value::Array(billed.adjudication())),
    ])
}

/// A stay: the principal diagnosis (present on admission), the same as admitting diagnosis,
/// then another one present on admission. Other claims: a principal diagnosis and
/// maybe one other.
fn diagnoses(draw: &mut Draw, stay: Option<&InpatientStay>) -> Vec<Value> {
    match stay {
        Some(stay) => {
            let others = draw.pick_several(&DIAGNOSES, 1);
            let principal = with_poa(
                1,
                diagnosis(1, &stay.principal_diagnosis, PRINCIPAL_DIAGNOSIS),
            );
            let admitting = diagnosis(2, &stay.principal_diagnosis, ADMITTING_DIAGNOSIS);
            let others = others.into_iter().enumerate().map(|(index, code)| {
                with_poa(index + 2, diagnosis(index + 3, code, OTHER_DIAGNOSIS))
            });
            [principal, admitting].into_iter().chain(others).collect()
        }
        None => {
            let count = draw.between(1, 2) as usize;
            numbered_diagnoses(draw.pick_several(&DIAGNOSES, count), OTHER_DIAGNOSIS)
        }
    }
}

/// The diagnosis with its `clm_poa_ind_sw<n>` extension: present on admission.
fn with_poa(switch: usize, diagnosis: Value) -> Value {
    with_extension(
        vec![extension_coding(
            &format!("clm_poa_ind_sw{switch}"),
            &PRESENT_ON_ADMISSION,
        )],
        diagnosis,
    )
}

/// The stay's principal ICD-10-PCS procedure, on a day of the stay.
fn principal_procedure(stay: &InpatientStay, context: &ClaimContext<'_>, draw: &mut Draw) -> Value {
    let day = add_days(
        context.first_day,
        draw.between(0, days_between(context.first_day, context.last_day).min(2)),
    );
    object([
        ("sequence", 1.into()),
        (
            "type",
            Value::Array(vec![concept(coding(
                C4BB_PROCEDURE_TYPE,
                "principal",
                "Principal",
            ))]),
        ),
        ("date", day.to_string().into()),
        (
            "procedureCodeableConcept",
            concept(code_coding(ICD_10_PCS, &stay.procedure)),
        ),
    ])
}
