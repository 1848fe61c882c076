//! Integration tests: one binary, real loopback HTTP.
