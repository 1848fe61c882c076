//! The two API versions a client can call: `/v1/` (FHIR STU3) and `/v2/` (FHIR R4).

/// An API version of Blue Button (behaviour file §1).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ApiVersion {
    /// `/v1/`: FHIR STU3 (3.0.2), maintenance only.
    V1,
    /// `/v2/`: FHIR R4 (4.0.1) with CARIN Blue Button profiles; the default.
    V2,
}

impl ApiVersion {
    /// Both versions, oldest first.
    pub const ALL: [ApiVersion; 2] = [ApiVersion::V1, ApiVersion::V2];

    /// The path segment and command-line name: `v1` or `v2`.
    pub fn name(self) -> &'static str {
        match self {
            ApiVersion::V1 => "v1",
            ApiVersion::V2 => "v2",
        }
    }

    /// Parses `v1` or `v2`.
    pub fn from_name(name: &str) -> Option<ApiVersion> {
        match name {
            "v1" => Some(ApiVersion::V1),
            "v2" => Some(ApiVersion::V2),
            _ => None,
        }
    }

    /// The FHIR release it serves, as a CapabilityStatement's `fhirVersion`.
    pub fn fhir_version(self) -> &'static str {
        match self {
            ApiVersion::V1 => "3.0.2",
            ApiVersion::V2 => "4.0.1",
        }
    }

    /// Splits a path into its version and the rest after `/{v}/` (`/v1/fhir/Patient` →
    /// (`V1`, `fhir/Patient`)).
    pub fn split_path(path: &str) -> Option<(ApiVersion, &str)> {
        let rest = path.strip_prefix('/')?;
        let (name, rest) = rest.split_once('/')?;
        Some((ApiVersion::from_name(name)?, rest))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_round_trip_and_paths_split() {
        for version in ApiVersion::ALL {
            assert_eq!(ApiVersion::from_name(version.name()), Some(version));
        }
        assert_eq!(ApiVersion::from_name("v3"), None);
        assert_eq!(
            ApiVersion::split_path("/v1/fhir/Patient"),
            Some((ApiVersion::V1, "fhir/Patient"))
        );
        assert_eq!(
            ApiVersion::split_path("/v2/o/token/"),
            Some((ApiVersion::V2, "o/token/"))
        );
        assert_eq!(ApiVersion::split_path("/v3/o/token/"), None);
        assert_eq!(ApiVersion::split_path("/v2"), None);
    }
}
