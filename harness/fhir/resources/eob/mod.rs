//! ExplanationOfBenefit resources: the header every claim shares (ids, type, patient,
//! dates, insurer, insurance), assembled around the details of its family: professional
//! (carrier, DME), institutional (inpatient, outpatient, SNF, HHA, hospice) or pharmacy
//! (Part D events).

mod elements;
mod institutional;
mod kind;
mod pharmacy;
mod professional;

use super::builders::{
    object, reference, typed_identifier, with_extension, without_empty_elements,
};
use super::dates::{eastern_timestamp, weekly_processing_date};
use super::draw::Draw;
use super::meta::meta_v2;
use super::systems::{BB_CLAIM_GROUP, variable};
use crate::claim_type::ClaimType;
use crate::world::{Beneficiary, Claim};
use elements::{insurer, unique_claim_id_type};
use jiff::civil::Date;
use kind::ClaimKind;
use serde_json::Value;

/// The v2 (FHIR R4, C4BB) ExplanationOfBenefit of a claim, shaped like BB2's for its type.
///
/// Every detail (codes, providers, amounts) is drawn from the claim's `seed`; the dates come
/// from `claim.start`/`claim.end` (a Part D event is all on its fill date, `claim.start`).
pub fn eob_v2(bene: &Beneficiary, claim: &Claim) -> Value {
    let mut draw = Draw::from_seed(claim.seed);
    let (first_day, last_day) = match claim.claim_type {
        ClaimType::Pde => (claim.start, claim.start),
        _ => (claim.start.min(claim.end), claim.start.max(claim.end)),
    };
    let claim_group = draw.synthetic_claim_number();
    let processed = weekly_processing_date(&mut draw, last_day);
    let created = eastern_timestamp(&mut draw, processed);
    let context = ClaimContext {
        bene,
        first_day,
        last_day,
        processed,
    };
    let details = match claim.claim_type {
        ClaimType::Carrier => professional::carrier(&context, &mut draw),
        ClaimType::Dme => professional::dme(&context, &mut draw),
        ClaimType::Inpatient => institutional::INPATIENT.render(&context, &mut draw),
        ClaimType::Outpatient => institutional::OUTPATIENT.render(&context, &mut draw),
        ClaimType::Snf => institutional::SNF.render(&context, &mut draw),
        ClaimType::Hha => institutional::HHA.render(&context, &mut draw),
        ClaimType::Hospice => institutional::HOSPICE.render(&context, &mut draw),
        ClaimType::Pde => pharmacy::render(&context, &mut draw),
    };
    let kind = ClaimKind::of(claim.claim_type);
    let unique_claim_id = unique_claim_id_type();
    let mut identifier = vec![
        typed_identifier(
            unique_claim_id.clone(),
            &variable(kind.claim_id_column()),
            &claim.claim_id,
        ),
        typed_identifier(unique_claim_id, BB_CLAIM_GROUP, &claim_group),
    ];
    identifier.extend(details.identifier);
    let coverage = with_extension(
        details.coverage_extension,
        reference("Coverage", &kind.coverage.resource_id(&bene.patient_id)),
    );
    without_empty_elements(object([
        ("resourceType", "ExplanationOfBenefit".into()),
        ("id", claim.resource_id().into()),
        ("meta", meta_v2(kind.profile)),
        ("contained", Value::Array(details.contained)),
        ("extension", Value::Array(details.extension)),
        ("identifier", Value::Array(identifier)),
        ("status", "active".into()),
        ("type", kind.type_concept()),
        ("use", "claim".into()),
        ("patient", reference("Patient", &bene.patient_id)),
        (
            "billablePeriod",
            object([
                ("extension", Value::Array(details.billable_period_extension)),
                ("start", first_day.to_string().into()),
                ("end", last_day.to_string().into()),
            ]),
        ),
        ("created", created.into()),
        ("insurer", insurer()),
        ("provider", details.provider),
        ("facility", details.facility),
        ("referral", details.referral),
        ("outcome", "complete".into()),
        ("disposition", details.disposition.into()),
        ("careTeam", Value::Array(details.care_team)),
        ("supportingInfo", Value::Array(details.supporting_info)),
        ("diagnosis", Value::Array(details.diagnosis)),
        ("procedure", Value::Array(details.procedure)),
        (
            "insurance",
            Value::Array(vec![object([
                ("focal", true.into()),
                ("coverage", coverage),
            ])]),
        ),
        ("item", Value::Array(details.item)),
        ("total", Value::Array(details.total)),
        ("payment", details.payment),
        ("benefitBalance", Value::Array(details.benefit_balance)),
    ]))
}

/// What a claim family renders from.
struct ClaimContext<'a> {
    /// The beneficiary the claim belongs to.
    bene: &'a Beneficiary,
    /// First day of service (admission, fill date).
    first_day: Date,
    /// Last day of service (discharge, through date).
    last_day: Date,
    /// The NCH weekly processing date (after `last_day`).
    processed: Date,
}

/// The parts of an EOB a claim family fills in; what it leaves empty is not rendered.
#[derive(Debug, Default)]
struct ClaimDetails {
    contained: Vec<Value>,
    extension: Vec<Value>,
    /// Identifiers after the claim id and claim group.
    identifier: Vec<Value>,
    billable_period_extension: Vec<Value>,
    provider: Value,
    facility: Value,
    referral: Value,
    disposition: Option<&'static str>,
    care_team: Vec<Value>,
    supporting_info: Vec<Value>,
    diagnosis: Vec<Value>,
    procedure: Vec<Value>,
    coverage_extension: Vec<Value>,
    item: Vec<Value>,
    total: Vec<Value>,
    payment: Value,
    benefit_balance: Vec<Value>,
}
