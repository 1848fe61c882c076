//! Part D events: one dispensed drug (NDC), its prescriber and pharmacy, and how its cost
//! was shared between the drug plan and the patient.

use super::elements::{
    BENEFIT, COINSURANCE, DISCOUNT, DRUG_COST, PAID_BY_PATIENT, PRESCRIBING, PRIOR_PAYER_PAID,
    SupportingInfo, amount, care_team_member, npi_reference, unique_claim_id_type,
};
use super::{ClaimContext, ClaimDetails};
use crate::fhir::resources::builders::{
    code_coding, concept, extension_coding, extension_identifier, object, typed_identifier,
    with_extension,
};
use crate::fhir::resources::codes::{
    BRAND, DRUG_COVERED, DRUGS, GENERIC, NO_PRODUCT_SELECTION, NOT_COMPOUNDED, PHARMACY_TYPES,
    PRESCRIPTION_ORIGINS, RESIDENCE_HOME,
};
use crate::fhir::resources::draw::Draw;
use crate::fhir::resources::enrollment::Enrollment;
use crate::fhir::resources::systems::{NDC, variable};
use serde_json::Value;

/// The details of a Part D event filled on `context.first_day`.
pub(super) fn render(context: &ClaimContext<'_>, draw: &mut Draw) -> ClaimDetails {
    let drug = draw.pick(&DRUGS);
    let days_supply = *draw.pick(&[30, 30, 90]);
    let quantity = days_supply * drug.units_per_day;
    let drug_cost = days_supply * draw.between(drug.cost_per_day.0, drug.cost_per_day.1);
    // Brands: 25% coinsurance; generics: a copay of up to $15.
    let patient_paid = if drug.brand {
        drug_cost / 4
    } else {
        drug_cost.min(draw.between(0, 1_500))
    };
    let plan_paid = drug_cost - patient_paid;
    let pharmacy_npi = draw.npi();
    let fill_date = context.first_day.to_string();

    let mut supporting_info = SupportingInfo::new();
    supporting_info
        .typed_quantity(("refillnum", "Refill Number"), draw.between(0, 5))
        .typed_quantity(("dayssupply", "Days Supply"), days_supply)
        .information_code(
            "drug_cvrg_stus_cd",
            "Drug Coverage Status Code",
            &DRUG_COVERED,
        )
        .information_code(
            "daw_prod_slctn_cd",
            "Dispense as Written (DAW) Product Selection Code",
            &NO_PRODUCT_SELECTION,
        )
        .typed_code(
            ("rxorigincode", "Rx Origin Code"),
            "rx_orgn_cd",
            draw.pick(&PRESCRIPTION_ORIGINS),
        )
        .typed_code(
            ("brandgenericcode", "Brand Generic Code"),
            "brnd_gnrc_cd",
            if drug.brand { &BRAND } else { &GENERIC },
        )
        .typed_code(
            ("compoundcode", "Compound Code"),
            "cmpnd_cd",
            &NOT_COMPOUNDED,
        )
        .information_code("ptnt_rsdnc_cd", "Patient Residence Code", &RESIDENCE_HOME);

    let plan = Enrollment::of(context.bene).drug_plan;
    let adjudication = vec![
        amount(
            BENEFIT,
            "cvrd_d_plan_pd_amt",
            "Amount paid by Part D plan for the PDE (drug is covered by Part D)",
            plan_paid,
        ),
        amount(
            COINSURANCE,
            "gdc_blw_oopt_amt",
            "Gross Drug Cost Below Part D Out-of-Pocket Threshold (GDCB)",
            drug_cost,
        ),
        amount(
            COINSURANCE,
            "gdc_abv_oopt_amt",
            "Gross Drug Cost Above Part D Out-of-Pocket Threshold (GDCA)",
            0,
        ),
        amount(
            PAID_BY_PATIENT,
            "ptnt_pay_amt",
            "Amount Paid by Patient",
            patient_paid,
        ),
        amount(
            PRIOR_PAYER_PAID,
            "othr_troop_amt",
            "Other True Out-of-Pocket (TrOOP) Amount",
            0,
        ),
        amount(
            DISCOUNT,
            "lics_amt",
            "Amount paid for the PDE by Part D low income subsidy",
            0,
        ),
        amount(
            PRIOR_PAYER_PAID,
            "plro_amt",
            "Reduction in patient liability due to payments by other payers (PLRO)",
            0,
        ),
        amount(
            DRUG_COST,
            "tot_rx_cst_amt",
            "Total drug cost (Part D)",
            drug_cost,
        ),
        amount(DISCOUNT, "rptd_gap_dscnt_num", "Gap Discount Amount", 0),
    ];
    let item = object([
        ("sequence", 1.into()),
        ("careTeamSequence", Value::Array(vec![1.into()])),
        ("productOrService", concept(code_coding(NDC, &drug.ndc))),
        ("servicedDate", fill_date.into()),
        ("quantity", object([("value", quantity.into())])),
        ("adjudication", Value::Array(adjudication)),
    ]);

    ClaimDetails {
        identifier: vec![typed_identifier(
            unique_claim_id_type(),
            &variable("rx_srvc_rfrnc_num"),
            &draw.digits(12),
        )],
        provider: npi_reference(&pharmacy_npi),
        facility: with_extension(
            vec![extension_coding(
                "phrmcy_srvc_type_cd",
                draw.pick(&PHARMACY_TYPES),
            )],
            npi_reference(&pharmacy_npi),
        ),
        care_team: vec![care_team_member(1, &draw.npi(), PRESCRIBING)],
        supporting_info: supporting_info.into_entries(),
        coverage_extension: plan
            .map(|plan| {
                vec![
                    extension_identifier("plan_cntrct_rec_id", &plan.contract),
                    extension_identifier("plan_pbp_rec_num", &plan.benefit_package),
                ]
            })
            .unwrap_or_default(),
        item: vec![item],
        payment: object([("date", context.processed.to_string().into())]),
        ..ClaimDetails::default()
    }
}
