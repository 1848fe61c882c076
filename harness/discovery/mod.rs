//! Discovery and metadata (behaviour file §8.1–8.3): the OpenID Connect configuration, the
//! SMART configuration and the FHIR CapabilityStatement, naming this server's own URLs.
//!
//! Each document is a pure function of the origin the client used, the API version of the
//! path and the profile; the router calls it for the paths of [`Document::at`].

pub mod capability;
mod endpoints;
pub mod openid;
pub mod smart;

pub use capability::capability_statement;
pub use openid::openid_configuration;
pub use smart::smart_configuration;

use crate::api_version::ApiVersion;
use crate::exchange::Response;
use crate::scenario::Profile;

/// A discovery document.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Document {
    /// `/{v}/connect/.well-known/openid-configuration` and the root aliases.
    OpenIdConfiguration,
    /// `/{v}/fhir/.well-known/smart-configuration`.
    SmartConfiguration,
    /// `/{v}/fhir/metadata`: the CapabilityStatement.
    CapabilityStatement,
}

impl Document {
    /// The document served at `path`, and the API version it describes. Paths are exact:
    /// `/v2/fhir/metadata/` and a root `/.well-known/smart-configuration` are not documents
    /// (BB2 answers them with its 404 page). The root `/.well-known/openid-configuration` is
    /// the v1 view; `/.well-known/openid-configuration-v2` the v2 one.
    pub fn at(path: &str) -> Option<(Document, ApiVersion)> {
        match path {
            "/.well-known/openid-configuration" => {
                return Some((Document::OpenIdConfiguration, ApiVersion::V1));
            }
            "/.well-known/openid-configuration-v2" => {
                return Some((Document::OpenIdConfiguration, ApiVersion::V2));
            }
            _ => {}
        }
        let (version, rest) = ApiVersion::split_path(path)?;
        let document = match rest {
            "connect/.well-known/openid-configuration" => Document::OpenIdConfiguration,
            "fhir/.well-known/smart-configuration" => Document::SmartConfiguration,
            "fhir/metadata" => Document::CapabilityStatement,
            _ => return None,
        };
        Some((document, version))
    }

    /// The document as a `200 application/json` answer.
    pub fn render(self, origin: &str, version: ApiVersion, profile: Profile) -> Response {
        match self {
            Document::OpenIdConfiguration => openid_configuration(origin, version, profile),
            Document::SmartConfiguration => smart_configuration(origin, version, profile),
            Document::CapabilityStatement => capability_statement(origin, version, profile),
        }
    }
}

#[cfg(test)]
mod tests;
