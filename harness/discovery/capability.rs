//! The FHIR CapabilityStatement at `/{v}/fhir/metadata` (behaviour file §8.3): public (no
//! token), `Content-Type: application/json`, STU3-shaped for v1 (`fhirVersion` 3.0.2,
//! `acceptUnknown`, profiles as references) and R4 for v2 (4.0.1, profiles as canonicals).
//!
//! As BB2 rewrites BFD's statement: only Patient, Coverage and ExplanationOfBenefit, each
//! with the interactions `read` and `search-type` and the search parameters BFD lists;
//! `format` JSON only; `rest[0].security` with CORS, the OAuth and SMART-on-FHIR service
//! codings and the SMART `oauth-uris` extension (token, authorize, revoke). Those URIs are
//! the v2 endpoints without slashes in `current`, the version's own with slashes (and the
//! guide's `revoke/`) in `documented`, as the captured 2024 statements show.

use super::endpoints::Endpoints;
use crate::api_version::ApiVersion;
use crate::exchange::Response;
use crate::scenario::Profile;
use http::StatusCode;
use serde_json::{Map, Value, json};

/// `software.name`.
pub const SOFTWARE_NAME: &str = "Blue Button API: Direct";
/// `publisher`.
pub const PUBLISHER: &str = "Centers for Medicare & Medicaid Services";
/// `date`: fixed, so the same request always gets the same bytes.
pub const DATE: &str = "2024-07-25T06:51:53+00:00";
/// `implementation.description`: the backend BB2 proxies to.
const IMPLEMENTATION: &str = "gov.cms.bfd:bfd-server-war";
/// The SMART extension naming the OAuth endpoints.
pub const OAUTH_URIS: &str =
    "http://fhir-registry.smarthealthit.org/StructureDefinition/oauth-uris";
/// The code system of `security.service`.
const SECURITY_SERVICE: &str = "http://hl7.org/fhir/restful-security-service";

/// One search parameter BFD lists: resource type, name, FHIR search type, documentation.
struct SearchParam {
    resource: &'static str,
    name: &'static str,
    kind: &'static str,
    documentation: &'static str,
    /// Listed by v2 (R4) only.
    r4_only: bool,
}

const fn param(
    resource: &'static str,
    name: &'static str,
    kind: &'static str,
    documentation: &'static str,
) -> SearchParam {
    SearchParam {
        resource,
        name,
        kind,
        documentation,
        r4_only: false,
    }
}

const START_INDEX: &str = "The offset of the first entry of a page; follow the Bundle's `next` link rather than building it.";
const LAST_UPDATED: &str = "Only resources last updated in the range, with `gt`, `ge`, `lt` or `le` prefixes (`_lastUpdated=gt2023-01-02&_lastUpdated=lt2023-05-01`).";

/// The search parameters of the three resource types, in BFD's order.
const SEARCH_PARAMS: [SearchParam; 14] = [
    param(
        "Coverage",
        "beneficiary",
        "reference",
        "The beneficiary whose coverage to list (`Patient/<id>` or the bare id); Blue Button fills in the token's own patient when it is missing.",
    ),
    param("Coverage", "_lastUpdated", "date", LAST_UPDATED),
    SearchParam {
        r4_only: true,
        ..param(
            "Coverage",
            "_profile",
            "string",
            "A profile of the resources.",
        )
    },
    param("Coverage", "startIndex", "string", START_INDEX),
    param(
        "ExplanationOfBenefit",
        "patient",
        "reference",
        "The beneficiary whose claims to list (the bare id); Blue Button fills in the token's own patient when it is missing.",
    ),
    param("ExplanationOfBenefit", "_lastUpdated", "date", LAST_UPDATED),
    param(
        "ExplanationOfBenefit",
        "includeTaxNumbers",
        "string",
        "`true` adds provider tax numbers to the claims.",
    ),
    param(
        "ExplanationOfBenefit",
        "service-date",
        "date",
        "Only claims whose billable period falls in the range, with `gt`, `ge`, `lt` or `le` prefixes.",
    ),
    param("ExplanationOfBenefit", "startIndex", "string", START_INDEX),
    param(
        "ExplanationOfBenefit",
        "type",
        "token",
        "Comma-separated claim types: `carrier`, `dme`, `hha`, `hospice`, `inpatient`, `outpatient`, `pde`, `snf` (optionally with the system `https://bluebutton.cms.gov/resources/codesystem/eob-type|`).",
    ),
    param(
        "Patient",
        "_id",
        "token",
        "The beneficiary's id; Blue Button fills in the token's own patient.",
    ),
    param("Patient", "_lastUpdated", "date", LAST_UPDATED),
    param("Patient", "startIndex", "string", START_INDEX),
    param(
        "Patient",
        "identifier",
        "token",
        "An identifier of the beneficiary, as `system|value`.",
    ),
];

/// The resource types served, in BFD's order.
const RESOURCE_TYPES: [&str; 3] = ["Coverage", "ExplanationOfBenefit", "Patient"];

/// The CapabilityStatement of `version` in `profile`, naming URLs on `origin`: `200`,
/// `Content-Type: application/json`.
pub fn capability_statement(origin: &str, version: ApiVersion, profile: Profile) -> Response {
    Response::json(StatusCode::OK, &statement(origin, version, profile))
}

/// The statement itself, keys in BFD's order.
fn statement(origin: &str, version: ApiVersion, profile: Profile) -> Value {
    let mut doc = Map::new();
    doc.insert("resourceType".into(), json!("CapabilityStatement"));
    doc.insert("status".into(), json!("active"));
    doc.insert("date".into(), json!(DATE));
    doc.insert("publisher".into(), json!(PUBLISHER));
    doc.insert("kind".into(), json!("instance"));
    doc.insert(
        "software".into(),
        json!({"name": SOFTWARE_NAME, "version": env!("CARGO_PKG_VERSION")}),
    );
    doc.insert(
        "implementation".into(),
        json!({
            "description": IMPLEMENTATION,
            "url": format!("{origin}/{}/fhir", version.name()),
        }),
    );
    doc.insert("fhirVersion".into(), json!(version.fhir_version()));
    if version == ApiVersion::V1 {
        // Required in STU3, gone in R4.
        doc.insert("acceptUnknown".into(), json!("extensions"));
    }
    doc.insert(
        "format".into(),
        json!(["application/json", "application/fhir+json"]),
    );
    let resources: Vec<Value> = RESOURCE_TYPES
        .iter()
        .map(|name| resource(name, version))
        .collect();
    doc.insert(
        "rest".into(),
        json!([{
            "mode": "server",
            "resource": resources,
            "security": security(&Endpoints::new(origin, version, profile)),
        }]),
    );
    Value::Object(doc)
}

/// One resource type: its base profile, `read` and `search-type`, its search parameters.
fn resource(name: &str, version: ApiVersion) -> Value {
    let profile = match version {
        ApiVersion::V1 => json!({"reference": format!("http://hl7.org/fhir/Profile/{name}")}),
        ApiVersion::V2 => json!(format!("http://hl7.org/fhir/StructureDefinition/{name}")),
    };
    let params: Vec<Value> = SEARCH_PARAMS
        .iter()
        .filter(|p| p.resource == name && (version == ApiVersion::V2 || !p.r4_only))
        .map(|p| json!({"name": p.name, "type": p.kind, "documentation": p.documentation}))
        .collect();
    json!({
        "type": name,
        "profile": profile,
        "interaction": [{"code": "read"}, {"code": "search-type"}],
        "searchParam": params,
    })
}

/// BB2's `rest[0].security` (`build_oauth_resource`).
fn security(urls: &Endpoints) -> Value {
    let service = |code: &str, text: &str| {
        json!({
            "text": text,
            "coding": [{"system": SECURITY_SERVICE, "code": code, "display": code}],
        })
    };
    json!({
        "cors": true,
        "service": [
            service("OAuth", "OAuth"),
            service(
                "SMART-on-FHIR",
                "OAuth2 using SMART-on-FHIR profile (see http://docs.smarthealthit.org)",
            ),
        ],
        "extension": [{
            "url": OAUTH_URIS,
            "extension": [
                {"url": "token", "valueUri": urls.token()},
                {"url": "authorize", "valueUri": urls.authorize()},
                {"url": "revoke", "valueUri": urls.capability_revoke()},
            ],
        }],
    })
}
