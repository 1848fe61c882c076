//! The SMART App Launch configuration (behaviour file §8.2), at
//! `/{v}/fhir/.well-known/smart-configuration` (there is no root one).
//!
//! BB2 builds it from the OpenID document minus `issuer`, `userinfo_endpoint`,
//! `ui_locales_supported`, `service_documentation`, `op_tos_uri` and `fhir_metadata_uri`,
//! with grant type `authorization_code` only, and adds its scopes, `S256` and its SMART
//! capabilities. No `issuer` and no `jwks_uri`, as on BB2. Both profiles name a
//! `revocation_endpoint` (`revoke_token`); the URLs follow the profile as in the OpenID
//! document (`current`: v2, no slash; `documented`: the version's own, with the slash).

use super::endpoints::Endpoints;
use crate::api_version::ApiVersion;
use crate::exchange::Response;
use crate::scenario::Profile;
use http::StatusCode;
use serde_json::{Value, json};

/// The scopes BB2 advertises (`SCOPES_SUPPORTED`).
pub const SCOPES_SUPPORTED: [&str; 9] = [
    "openid",
    "profile",
    "launch/patient",
    "patient/Patient.read",
    "patient/ExplanationOfBenefit.read",
    "patient/Coverage.read",
    "patient/Patient.rs",
    "patient/ExplanationOfBenefit.rs",
    "patient/Coverage.rs",
];

/// The SMART capabilities BB2 advertises (`CAPABILITIES`).
pub const CAPABILITIES: [&str; 8] = [
    "client-confidential-symmetric",
    "context-standalone-patient",
    "launch-standalone",
    "permission-offline",
    "permission-patient",
    "permission-v1",
    "permission-v2",
    "authorize-post",
];

/// The SMART configuration of `version` in `profile`, naming URLs on `origin`: `200`,
/// `Content-Type: application/json`.
pub fn smart_configuration(origin: &str, version: ApiVersion, profile: Profile) -> Response {
    Response::json(StatusCode::OK, &document(origin, version, profile))
}

/// The document itself, keys in BB2's order.
fn document(origin: &str, version: ApiVersion, profile: Profile) -> Value {
    let urls = Endpoints::new(origin, version, profile);
    json!({
        "authorization_endpoint": urls.authorize(),
        "revocation_endpoint": urls.revoke_token(),
        "token_endpoint": urls.token(),
        "grant_types_supported": ["authorization_code"],
        "response_types_supported": ["code", "token"],
        "scopes_supported": SCOPES_SUPPORTED,
        "code_challenge_methods_supported": ["S256"],
        "capabilities": CAPABILITIES,
    })
}
