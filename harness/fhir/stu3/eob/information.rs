//! R4 `supportingInfo` as v1 `information` (and `hospitalization`): each entry categorised by
//! the Blue Button variable it comes from, CARIN and HL7 categories dropped.

use crate::fhir::resources::systems::{BB_INFORMATION, BB_VARIABLES, variable};
use crate::fhir::stu3::elements::{codings, object, system};
use serde_json::{Value, json};

/// The CARIN supporting-information types v2 sends without a Blue Button category, and the
/// variable (with its display) v1 categorises them by.
const VARIABLES: [(&str, &str, &str); 11] = [
    (
        "clmrecvddate",
        "nch_wkly_proc_dt",
        "NCH Weekly Claim Processing Date",
    ),
    ("typeofbill", "clm_freq_cd", "Claim Frequency Code"),
    (
        "discharge-status",
        "ptnt_dschrg_stus_cd",
        "Patient Discharge Status Code",
    ),
    (
        "drg",
        "clm_drg_cd",
        "Claim Diagnosis Related Group Code (or MS-DRG Code)",
    ),
    (
        "pointoforigin",
        "clm_src_ip_admsn_cd",
        "Claim Source Inpatient Admission Code",
    ),
    (
        "admtype",
        "clm_ip_admsn_type_cd",
        "Claim Inpatient Admission Type Code",
    ),
    ("refillnum", "fill_num", "Fill Number"),
    ("dayssupply", "days_suply_num", "Days Supply"),
    (
        "rxorigincode",
        "rx_orgn_cd",
        "Prescription Origination Code",
    ),
    (
        "brandgenericcode",
        "brnd_gnrc_cd",
        "Brand-Generic Code Reported by Submitting Plan",
    ),
    ("compoundcode", "cmpnd_cd", "Compound Code"),
];

/// STU3 `information` members (R4's `valueBoolean` has no STU3 counterpart).
const MEMBERS: [&str; 11] = [
    "sequence",
    "category",
    "code",
    "timingDate",
    "timingPeriod",
    "valueString",
    "valueQuantity",
    "valueAttachment",
    "valueReference",
    "reason",
    "extension",
];

/// A claim's v1 `information`, its `hospitalization`, and how the sequences changed.
#[derive(Debug, Default)]
pub struct Information {
    /// The entries, numbered from 1.
    pub entries: Vec<Value>,
    /// The admission period, if the claim is a stay.
    pub hospitalization: Value,
    /// (R4 sequence, v1 sequence) of every entry kept.
    sequences: Vec<(u64, u64)>,
}

impl Information {
    /// The v1 information of R4 supporting-information entries.
    pub fn of(supporting_info: Vec<Value>) -> Information {
        let mut information = Information {
            hospitalization: Value::Null,
            ..Information::default()
        };
        for entry in supporting_info {
            let c4bb_code = c4bb_type(&entry);
            if c4bb_code == Some("admissionperiod") {
                information.hospitalization = entry["timingPeriod"].clone();
                continue;
            }
            let Some(category) = category(&entry, c4bb_code) else {
                continue;
            };
            let sequence = information.entries.len() as u64 + 1;
            if let Some(old) = entry["sequence"].as_u64() {
                information.sequences.push((old, sequence));
            }
            let mut members = serde_json::Map::new();
            members.insert("sequence".into(), json!(sequence));
            members.insert("category".into(), json!({"coding": [category]}));
            for name in &MEMBERS[2..] {
                if let Some(member) = entry.get(*name) {
                    members.insert((*name).into(), member.clone());
                }
            }
            information.entries.push(Value::Object(members));
        }
        information
    }

    /// The v1 sequence of an R4 supporting-information sequence (none if it was dropped).
    pub fn sequence(&self, r4: u64) -> Option<u64> {
        self.sequences
            .iter()
            .find(|(old, _)| *old == r4)
            .map(|(_, new)| *new)
    }
}

/// The CARIN supporting-information type of an entry.
fn c4bb_type(entry: &Value) -> Option<&str> {
    codings(&entry["category"])
        .find(|coding| system(coding).contains("carin-bb"))
        .and_then(|coding| coding["code"].as_str())
}

/// The Blue Button category of an entry: the one v2 sends, else the variable of its CARIN
/// type, else the variable its code is in.
fn category(entry: &Value, c4bb_code: Option<&str>) -> Option<Value> {
    if let Some(coding) = codings(&entry["category"]).find(|c| system(c) == BB_INFORMATION) {
        return Some(coding.clone());
    }
    if let Some((_, column, display)) = VARIABLES.iter().find(|(c4bb, ..)| Some(*c4bb) == c4bb_code)
    {
        return Some(information_coding(&variable(column), display));
    }
    let code_system = codings(&entry["code"])
        .map(system)
        .find(|url| url.starts_with(BB_VARIABLES))?;
    let display = codings(&entry["category"])
        .find_map(|coding| coding["display"].as_str())
        .unwrap_or_default();
    Some(information_coding(code_system, display))
}

fn information_coding(variable_url: &str, display: &str) -> Value {
    let display = if display.is_empty() {
        Value::Null
    } else {
        json!(display)
    };
    object([
        ("system", json!(BB_INFORMATION)),
        ("code", json!(variable_url)),
        ("display", display),
    ])
}
