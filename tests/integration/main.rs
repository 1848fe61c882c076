//! Integration tests: one binary, real loopback HTTP.

mod fhir_r4;
