//! bluebutton-harness: a fake CMS Blue Button 2.0 server driven by scenario files, and a
//! conformance runner that judges client apps against it.
//!
//! Data flows one way: [`scenario`] (parse, validate) → [`world`] (apps, beneficiaries,
//! claims, clock) → [`server`] (routing, [`oauth`], [`fhir`], compression, journal).

pub mod api_version;
pub mod claim_type;
pub mod cli;
pub mod clock;
pub mod conform;
pub mod discovery;
pub mod exchange;
pub mod fhir;
pub mod oauth;
pub mod params;
pub mod record;
pub mod report;
pub mod sandbox;
pub mod scenario;
pub mod server;
pub mod snapshot;
pub mod world;
