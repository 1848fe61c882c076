//! The OpenID Connect discovery document (behaviour file §8.1), at
//! `/{v}/connect/.well-known/openid-configuration`, `/.well-known/openid-configuration`
//! (the v1 view) and `/.well-known/openid-configuration-v2`.
//!
//! `current` is BB2's 2026 builder: the v2 endpoints for every version, no trailing slashes,
//! a `revocation_endpoint`, grant types `refresh_token` and `authorization_code`.
//! `documented` is the guide era's builder: each version's own endpoints with trailing
//! slashes, no `revocation_endpoint`, grant types `authorization-code` (DOT's spelling) and
//! `refresh_token`. Both: `issuer` is the origin (no path), no `jwks_uri`, no
//! `scopes_supported`.

use super::endpoints::Endpoints;
use crate::api_version::ApiVersion;
use crate::exchange::Response;
use crate::scenario::Profile;
use http::StatusCode;
use serde_json::{Map, Value, json};

/// BB2's `DEVELOPER_DOCS_URI`.
pub const SERVICE_DOCUMENTATION: &str = "https://bluebutton.cms.gov/developers";
/// BB2's `TOS_URI`.
pub const TERMS_OF_SERVICE: &str = "https://bluebutton.cms.gov/terms";

/// The OpenID Connect configuration of `version` in `profile`, naming URLs on `origin`
/// (`http://127.0.0.1:41234`): `200`, `Content-Type: application/json`.
pub fn openid_configuration(origin: &str, version: ApiVersion, profile: Profile) -> Response {
    Response::json(StatusCode::OK, &document(origin, version, profile))
}

/// The document itself, keys in BB2's order.
fn document(origin: &str, version: ApiVersion, profile: Profile) -> Value {
    let urls = Endpoints::new(origin, version, profile);
    let mut doc = Map::new();
    doc.insert("issuer".into(), json!(origin));
    doc.insert("authorization_endpoint".into(), json!(urls.authorize()));
    if profile == Profile::Current {
        doc.insert("revocation_endpoint".into(), json!(urls.revoke_token()));
    }
    doc.insert("token_endpoint".into(), json!(urls.token()));
    doc.insert("userinfo_endpoint".into(), json!(urls.userinfo()));
    doc.insert("ui_locales_supported".into(), json!(["en-US"]));
    doc.insert("service_documentation".into(), json!(SERVICE_DOCUMENTATION));
    doc.insert("op_tos_uri".into(), json!(TERMS_OF_SERVICE));
    let grant_types = match profile {
        Profile::Documented => ["authorization-code", "refresh_token"],
        Profile::Current => ["refresh_token", "authorization_code"],
    };
    doc.insert("grant_types_supported".into(), json!(grant_types));
    doc.insert("response_types_supported".into(), json!(["code", "token"]));
    doc.insert("fhir_metadata_uri".into(), json!(urls.fhir_metadata()));
    Value::Object(doc)
}
