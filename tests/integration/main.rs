//! Integration tests: one binary, real loopback HTTP against servers on 127.0.0.1:0.

// Test helpers fail the test by panicking; that is their job here.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod admin;
mod api_v1;
mod backend_faults;
mod bad_http;
mod bad_scenarios;
mod behaviour_sections;
mod bench;
mod claim_types;
mod cli;
mod concurrency;
mod conform;
mod discovery;
mod fhir_api;
mod fhir_r4;
mod interactive;
mod journey;
mod named_scenarios;
mod oauth_errors;
mod oauth_more;
mod page_cache;
mod payload_schemas;
mod probes_and_stubs;
mod profiles;
mod rate_limit;
mod record;
mod runner;
mod rust_api;
mod scenario_files;
mod snapshots;
mod stub_matching;

mod stub_answers;
mod support;
mod tls;

mod wire_faults;
