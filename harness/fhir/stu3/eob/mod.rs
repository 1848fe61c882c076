//! The v1 ExplanationOfBenefit: the v2 one in STU3 element names and v1 systems.
//!
//! What changes (behaviour file §7.1, BB2's v1 captures): no `meta.profile`, `use`,
//! `created`, `insurer` or `outcome`; `type` codes the claim in `http://hl7.org/fhir/ex-claimtype`
//! and carries the near-line record and service classification codes v2 sends as extensions;
//! `supportingInfo` becomes `information` (an admission period becomes `hospitalization`);
//! `insurance` is one object; items name `service`, `careTeamLinkId`, `diagnosisLinkId`;
//! the claim's total charge is `totalCost`; a referral is a contained `ReferralRequest`;
//! an institutional provider's numbers become `provider` (CMS certification number) and
//! `organization` (NPI).

mod clinical;
mod information;
mod items;
mod parties;

use super::elements::{codings, meta_v1, non_empty, object, stu3_data_types, system, take};
use super::systems::EX_CLAIM_TYPE;
use crate::claim_type::ClaimType;
use crate::fhir::resources::eob_v2;
use crate::fhir::resources::systems::{BB_ADJUDICATION, HL7_CLAIM_TYPE, variable};
use crate::world::{Beneficiary, Claim};
use serde_json::{Map, Value, json};

/// STU3 ExplanationOfBenefit elements, in the order the specification (and BFD) writes them.
const ELEMENTS: [&str; 44] = [
    "resourceType",
    "id",
    "meta",
    "contained",
    "extension",
    "identifier",
    "status",
    "type",
    "subType",
    "patient",
    "billablePeriod",
    "created",
    "enterer",
    "insurer",
    "provider",
    "organization",
    "referral",
    "facility",
    "claim",
    "claimResponse",
    "outcome",
    "disposition",
    "related",
    "prescription",
    "originalPrescription",
    "payee",
    "information",
    "careTeam",
    "diagnosis",
    "procedure",
    "precedence",
    "insurance",
    "accident",
    "employmentImpacted",
    "hospitalization",
    "item",
    "addItem",
    "totalCost",
    "unallocDeductable",
    "totalBenefit",
    "payment",
    "form",
    "processNote",
    "benefitBalance",
];

/// v2 extensions that v1 sends as codings of `type` instead.
const TYPE_EXTENSIONS: [&str; 2] = ["nch_near_line_rec_ident_cd", "clm_srvc_clsfctn_type_cd"];

/// The v1 (FHIR STU3) ExplanationOfBenefit of a claim, shaped like BB2's for its type: the
/// same claim as [`eob_v2`] renders (same ids, codes, providers, dates and amounts).
pub fn eob_v1(bene: &Beneficiary, claim: &Claim) -> Value {
    let mut r4 = match stu3_data_types(eob_v2(bene, claim)) {
        Value::Object(members) => members,
        _ => Map::new(),
    };
    let mut extension = list(take(&mut r4, "extension"));
    let type_codings = take_type_extensions(&mut extension);
    let parties = parties::Parties::of(&mut r4, claim.claim_type, &bene.patient_id);
    let information = information::Information::of(list(take(&mut r4, "supportingInfo")));
    let (total_cost, other_totals) = totals(list(take(&mut r4, "total")));
    let header_adjudication = list(take(&mut r4, "adjudication"));
    for money in other_totals.into_iter().chain(header_adjudication) {
        add_money_extension(&mut extension, money);
    }
    let insurance = list(take(&mut r4, "insurance"))
        .into_iter()
        .next()
        .map_or(Value::Null, |insurance| {
            object([("coverage", insurance["coverage"].clone())])
        });
    let care_team = clinical::care_team(list(take(&mut r4, "careTeam")));
    let mut v1 = r4;
    v1.insert("meta".into(), meta_v1());
    v1.insert("extension".into(), non_empty(extension));
    let claim_type = claim_type_v1(&take(&mut v1, "type"), claim.claim_type, type_codings);
    v1.insert("type".into(), claim_type);
    let sub_type = take(&mut v1, "subType");
    if !sub_type.is_null() {
        v1.insert("subType".into(), json!([sub_type]));
    }
    parties.insert_into(&mut v1);
    v1.insert("information".into(), non_empty(information.entries.clone()));
    v1.insert(
        "hospitalization".into(),
        information.hospitalization.clone(),
    );
    v1.insert("careTeam".into(), non_empty(care_team));
    let diagnosis = clinical::diagnoses(list(take(&mut v1, "diagnosis")));
    v1.insert("diagnosis".into(), non_empty(diagnosis));
    let procedure = clinical::procedures(list(take(&mut v1, "procedure")));
    v1.insert("procedure".into(), non_empty(procedure));
    v1.insert("insurance".into(), insurance);
    let item = list(take(&mut v1, "item"))
        .into_iter()
        .map(|item| items::item(item, &information))
        .collect();
    v1.insert("item".into(), non_empty(item));
    v1.insert("totalCost".into(), total_cost);
    let benefit_balance = list(take(&mut v1, "benefitBalance"))
        .into_iter()
        .map(items::benefit_balance)
        .collect();
    v1.insert("benefitBalance".into(), non_empty(benefit_balance));
    ordered(v1)
}

/// The members of `v1` that STU3 has, in STU3's order; absent ones left out.
fn ordered(mut v1: Map<String, Value>) -> Value {
    // R4 names whose STU3 namesakes mean something else, and R4-only members.
    for r4_only in ["created", "insurer", "outcome", "use", "enterer"] {
        v1.shift_remove(r4_only);
    }
    Value::Object(
        ELEMENTS
            .iter()
            .filter_map(|name| {
                let member = v1.shift_remove(*name)?;
                (!member.is_null()).then(|| ((*name).to_owned(), member))
            })
            .collect(),
    )
}

/// A JSON array's items (none when it is anything else).
fn list(value: Value) -> Vec<Value> {
    match value {
        Value::Array(items) => items,
        _ => Vec::new(),
    }
}

/// Takes the v2 extensions v1 codes in `type` out of `extension`, as codings.
fn take_type_extensions(extension: &mut Vec<Value>) -> Vec<Value> {
    let urls: Vec<String> = TYPE_EXTENSIONS
        .iter()
        .map(|column| variable(column))
        .collect();
    let (typed, kept): (Vec<Value>, Vec<Value>) = std::mem::take(extension)
        .into_iter()
        .partition(|extension| urls.iter().any(|url| extension["url"] == url.as_str()));
    *extension = kept;
    let mut codings: Vec<Value> = typed
        .into_iter()
        .map(|extension| extension["valueCoding"].clone())
        .filter(Value::is_object)
        .collect();
    // The near-line record code first, as v1 lists them.
    codings.sort_by_key(|coding| !system(coding).ends_with(TYPE_EXTENSIONS[0]));
    codings
}

/// `EOB.type` in v1: the NCH claim type and Blue Button `eob-type` as in v2, the claim type
/// in `ex-claimtype`, then the near-line record and service classification codes.
fn claim_type_v1(r4_type: &Value, claim_type: ClaimType, extra: Vec<Value>) -> Value {
    let mut kept: Vec<Value> = codings(r4_type)
        .map(|coding| {
            if system(coding) != HL7_CLAIM_TYPE {
                return coding.clone();
            }
            // BFD's v1 outpatient transformer types outpatient claims `professional`.
            let (code, display) = match (claim_type, coding["code"].as_str()) {
                (ClaimType::Outpatient, _) => ("professional", "Professional"),
                (_, Some("institutional")) => ("institutional", "Institutional"),
                (_, Some("pharmacy")) => ("pharmacy", "Pharmacy"),
                _ => ("professional", "Professional"),
            };
            json!({"system": EX_CLAIM_TYPE, "code": code, "display": display})
        })
        .collect();
    kept.extend(extra);
    json!({"coding": kept})
}

/// The claim's total charge (`clm_tot_chrg_amt`) as `totalCost`, and the other totals.
fn totals(totals: Vec<Value>) -> (Value, Vec<Value>) {
    let total_charge = variable("clm_tot_chrg_amt");
    let (charge, others): (Vec<Value>, Vec<Value>) = totals.into_iter().partition(|total| {
        codings(&total["category"]).any(|coding| coding["code"] == total_charge.as_str())
    });
    let total_cost = charge
        .into_iter()
        .next()
        .map_or(Value::Null, |total| total["amount"].clone());
    (total_cost, others)
}

/// An amount v1 has no element for (an R4 total or header adjudication), as the
/// `valueMoney` extension of its Blue Button variable, unless one is there already.
fn add_money_extension(extension: &mut Vec<Value>, amount: Value) {
    let Some(url) = codings(&amount["category"])
        .find(|coding| system(coding) == BB_ADJUDICATION)
        .and_then(|coding| coding["code"].as_str())
    else {
        return;
    };
    if amount["amount"].is_null() || extension.iter().any(|e| e["url"] == url) {
        return;
    }
    extension.push(json!({"url": url, "valueMoney": amount["amount"]}));
}
