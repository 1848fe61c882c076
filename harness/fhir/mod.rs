//! FHIR: resources, search, paging and errors of the `/v2/fhir/` API.

pub mod resources;
