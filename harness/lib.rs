//! bluebutton-harness: a fake CMS Blue Button 2.0 server driven by scenario files, and a
//! conformance runner that judges client apps against it.
//!
//! Data flows one way: [`scenario`] (parse, validate) → [`world`] (apps, beneficiaries,
//! claims, clock) → [`server`] (routing, [`oauth`], [`fhir`], compression, journal).
//!
//! # In Rust tests
//!
//! [`Harness`] runs the fake server in-process on a free loopback port; [`Mock`]s mount stubs
//! from code, and the journal tells what the client sent (see [`api`]):
//!
//! ```
//! use bluebutton_harness::api::{then::*, when::*};
//! use bluebutton_harness::{Harness, Mock, Scenario};
//!
//! # #[tokio::main(flavor = "current_thread")]
//! # async fn main() -> Result<(), Box<dyn std::error::Error>> {
//! let harness = Harness::start(Scenario::builtin("oauth-success")?).await?;
//! harness.mount(
//!     Mock::given(method("GET"))
//!         .and(path("/v2/fhir/ExplanationOfBenefit/"))
//!         .respond_with(fault(Fault::Backend(BackendFault::Failure))),
//! )?;
//! // Point the client under test at `harness.url()`; here, one request by hand.
//! let response = reqwest::get(format!("{}/v2/fhir/ExplanationOfBenefit/", harness.url())).await?;
//! assert_eq!(response.status(), 502);
//! assert_eq!(harness.journal().len(), 1);
//! # Ok(())
//! # }
//! ```

pub mod api;
pub mod api_version;
pub mod bench;
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

pub use api::{Answer, Harness, Mock};
pub use scenario::Scenario;

#[cfg(test)]
mod tests {
    /// The package forbids `unsafe` code (`[lints.rust] unsafe_code = "forbid"`, which covers
    /// the library, `bbh`, the tests, the examples and the benchmarks): a build with any
    /// `unsafe` fails, and this test fails if the lint is loosened.
    #[test]
    fn the_package_forbids_unsafe_code() {
        let manifest = include_str!("../Cargo.toml");
        let lints = manifest
            .split("\n[")
            .find(|table| table.starts_with("lints.rust]"))
            .unwrap_or_default();
        let forbids = lints
            .lines()
            .map(|line| line.split('#').next().unwrap_or_default().replace(' ', ""))
            .any(|line| line == "unsafe_code=\"forbid\"");
        assert!(
            forbids,
            "Cargo.toml [lints.rust] must set unsafe_code = \"forbid\""
        );
    }
}
