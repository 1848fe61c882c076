//! The OAuth and FHIR URLs the discovery documents name, per profile.
//!
//! `current` (the 2026 code): every version's documents name the **v2** endpoints, without
//! trailing slashes (`…/v2/o/token`, `…/v2/o/revoke_token`). `documented` (the guide era):
//! each version names its own endpoints with Django's trailing slashes (`…/v1/o/token/`),
//! as the captured 2024 CapabilityStatements show.

use crate::api_version::ApiVersion;
use crate::scenario::Profile;

/// This server's endpoint URLs as one document names them.
#[derive(Debug)]
pub(super) struct Endpoints {
    /// `{origin}/{v}`, the version the URLs point at.
    base: String,
    /// Which form of the URLs.
    profile: Profile,
}

impl Endpoints {
    /// The URLs a document of `version` names in `profile`, on `origin`.
    pub(super) fn new(origin: &str, version: ApiVersion, profile: Profile) -> Endpoints {
        let named = match profile {
            Profile::Documented => version,
            Profile::Current => ApiVersion::V2,
        };
        Endpoints {
            base: format!("{origin}/{}", named.name()),
            profile,
        }
    }

    /// Django's trailing slash of the `/o/` endpoints: named in `documented` only.
    fn slash(&self) -> &'static str {
        match self.profile {
            Profile::Documented => "/",
            Profile::Current => "",
        }
    }

    /// The authorization endpoint.
    pub(super) fn authorize(&self) -> String {
        format!("{}/o/authorize{}", self.base, self.slash())
    }

    /// The token endpoint.
    pub(super) fn token(&self) -> String {
        format!("{}/o/token{}", self.base, self.slash())
    }

    /// The RFC 7009 revocation endpoint (`revoke_token`).
    pub(super) fn revoke_token(&self) -> String {
        format!("{}/o/revoke_token{}", self.base, self.slash())
    }

    /// The revocation endpoint the CapabilityStatement's `oauth-uris` name: the guide's
    /// `revoke/` in `documented`, `revoke_token` in `current`.
    pub(super) fn capability_revoke(&self) -> String {
        match self.profile {
            Profile::Documented => format!("{}/o/revoke/", self.base),
            Profile::Current => self.revoke_token(),
        }
    }

    /// The userinfo endpoint (BB2's pattern takes it with or without a slash; documents
    /// name it without).
    pub(super) fn userinfo(&self) -> String {
        format!("{}/connect/userinfo", self.base)
    }

    /// The CapabilityStatement (`metadata` exists only without a slash).
    pub(super) fn fhir_metadata(&self) -> String {
        format!("{}/fhir/metadata", self.base)
    }
}
