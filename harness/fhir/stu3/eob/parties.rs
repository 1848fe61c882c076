//! Who a v1 claim names: the institutional provider's CMS certification number
//! (`provider`) and NPI (`organization`, `facility`), a pharmacy (`organization`), and a
//! referral as a contained `ReferralRequest`.

use super::list;
use crate::claim_type::ClaimType;
use crate::fhir::resources::systems::{US_NPI, variable};
use crate::fhir::stu3::elements::take;
use serde_json::{Map, Value, json};

/// The contained resources and provider references of a v1 claim.
#[derive(Debug)]
pub struct Parties {
    contained: Vec<Value>,
    provider: Value,
    organization: Value,
    referral: Value,
    facility: Value,
}

impl Parties {
    /// Takes `contained`, `provider`, `referral` and `facility` out of an R4 claim (whose
    /// identifiers are already untyped) and says how v1 names them.
    pub fn of(r4: &mut Map<String, Value>, claim_type: ClaimType, patient_id: &str) -> Parties {
        let (organizations, mut contained): (Vec<Value>, Vec<Value>) = list(take(r4, "contained"))
            .into_iter()
            .partition(|resource| resource["resourceType"] == "Organization");
        for resource in &mut contained {
            if let Value::Object(members) = resource {
                members.shift_remove("meta");
            }
        }
        let r4_provider = take(r4, "provider");
        let r4_referral = take(r4, "referral");
        let mut facility = take(r4, "facility");

        let (mut provider, mut organization) = (Value::Null, Value::Null);
        let provider_reference = r4_provider["reference"].as_str().unwrap_or_default();
        if let Some(id) = provider_reference.strip_prefix('#') {
            let found = organizations.iter().find(|org| org["id"] == id);
            let identifier = |system: &str| {
                found
                    .and_then(|org| org["identifier"].as_array())
                    .into_iter()
                    .flatten()
                    .find(|identifier| identifier["system"] == system)
                    .cloned()
                    .map_or(Value::Null, |identifier| json!({"identifier": identifier}))
            };
            provider = identifier(&variable("prvdr_num"));
            organization = identifier(US_NPI);
            if let (Value::Object(members), false) = (&mut facility, organization.is_null()) {
                members
                    .entry("identifier")
                    .or_insert_with(|| organization["identifier"].clone());
            }
        } else if claim_type == ClaimType::Pde {
            // A pharmacy is an organization; STU3's `provider` is a practitioner.
            organization = r4_provider;
        }

        let mut referral = Value::Null;
        if !r4_referral.is_null() {
            let recipient = performing_provider(r4).unwrap_or_else(|| r4_referral.clone());
            contained.insert(
                0,
                json!({
                    "resourceType": "ReferralRequest",
                    "id": "1",
                    "status": "completed",
                    "subject": {"reference": format!("Patient/{patient_id}")},
                    "requester": {"agent": r4_referral},
                    "recipient": [recipient],
                }),
            );
            referral = json!({"reference": "#1"});
        }
        Parties {
            contained,
            provider,
            organization,
            referral,
            facility,
        }
    }

    /// Puts the parties into the v1 claim.
    pub fn insert_into(self, v1: &mut Map<String, Value>) {
        let contained = if self.contained.is_empty() {
            Value::Null
        } else {
            Value::Array(self.contained)
        };
        for (name, member) in [
            ("contained", contained),
            ("provider", self.provider),
            ("organization", self.organization),
            ("referral", self.referral),
            ("facility", object_or_null(self.facility)),
        ] {
            v1.insert(name.into(), member);
        }
    }
}

/// The provider the claim holds responsible (who performed the service), if any.
fn performing_provider(r4: &Map<String, Value>) -> Option<Value> {
    let team = r4.get("careTeam")?.as_array()?;
    team.iter()
        .find(|member| member["responsible"] == true)
        .or_else(|| {
            team.iter()
                .find(|member| member["role"]["coding"][0]["code"] != "referring")
        })
        .map(|member| member["provider"].clone())
}

/// An object with members, or `null`.
fn object_or_null(value: Value) -> Value {
    match value {
        Value::Object(members) if !members.is_empty() => Value::Object(members),
        _ => Value::Null,
    }
}
