//! bluebutton-harness: a fake CMS Blue Button 2.0 server driven by scenario files, and a
//! conformance runner that judges client apps against it.
//!
//! Data flows one way: [`scenario`] (parse, validate) → [`world`] (apps, beneficiaries,
//! claims, clock) → the server (OAuth, FHIR, compression, journal).

pub mod claim_type;
pub mod fhir;
pub mod sandbox;
pub mod scenario;
pub mod world;
