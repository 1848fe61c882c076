//! The fake server in-process, for Rust tests: start a [`Harness`] on a scenario, point the
//! client under test at [`Harness::url`], mount [`Mock`]s from code, and read what the client
//! sent from the journal. In the manner of wiremock-rs, with the scenario language behind it.
//!
//! Conditions come from [`when`] and answers from [`then`], one function or method per key of
//! a scenario file's stub; a mock becomes a [`scenario::Stub`](crate::scenario::Stub), checked
//! as a file's stub is.
//!
//! ```
//! use bluebutton_harness::api::{Harness, Mock, Scenario, then::*, when::*};
//!
//! # #[tokio::main(flavor = "current_thread")]
//! # async fn main() -> Result<(), Box<dyn std::error::Error>> {
//! let harness = Harness::start(Scenario::from_file("scenarios/oauth-success.yaml")?).await?;
//! harness.mount(
//!     Mock::given(method("GET"))
//!         .and(path("/v2/fhir/Patient/"))
//!         .respond_with(status(503).header("Retry-After", "1")),
//! )?;
//!
//! let client = reqwest::Client::new();
//! let response = client.get(format!("{}/v2/fhir/Patient/", harness.url())).send().await?;
//! assert_eq!(response.status(), 503);
//! assert_eq!(harness.received_requests()[0].path, "/v2/fhir/Patient/");
//! # Ok(())
//! # }
//! ```
//!
//! The whole language, from code:
//!
//! ```no_run
//! use bluebutton_harness::api::{Harness, Mock, Scenario, then::*, when::*};
//! use std::time::Duration;
//!
//! # async fn example() -> Result<(), Box<dyn std::error::Error>> {
//! let harness = Harness::start(Scenario::builtin("oauth-success")?).await?;
//! // The second session's carrier searches: a 500, then the built-in answer with no entries.
//! Mock::given(method("GET"))
//!     .and(path("/v2/fhir/ExplanationOfBenefit/**"))
//!     .and(query("type", "carrier"))
//!     .and(query_absent("startIndex"))
//!     .and(header("Accept", "application/fhir+json*"))
//!     .and(session_nth(2))
//!     .respond_with(sequence([status(500), passthrough().set("/total", 0).remove("/entry")]))
//!     .mount(&harness)?;
//! // The first refresh is slow; a quarter of all requests are reset.
//! Mock::given(method("POST"))
//!     .and(path("/v2/o/token/"))
//!     .and(form("grant_type", "refresh_token"))
//!     .and(nth(1))
//!     .respond_with(passthrough().lognormal_delay(Duration::from_millis(100), 0.5))
//!     .mount(&harness)?;
//! Mock::given(any())
//!     .respond_with(passthrough().fault(Fault::ConnectionReset).rate(0.25))
//!     .mount(&harness)?;
//! # Ok(())
//! # }
//! ```

mod mock;
pub mod then;
pub mod when;

pub use crate::exchange::Request;
pub use crate::scenario::Scenario;
pub use crate::server::journal::Exchange;
pub use mock::{Mock, MockBuilder, MockError, Problem};
pub use then::Answer;

use crate::clock::Clock;
use crate::server::{self, RunningServer, ServerOptions};
use std::net::{Ipv4Addr, SocketAddr};
use std::sync::Arc;

/// A fake Blue Button server serving a scenario on a free loopback port, for one test.
/// Dropping it closes the listening socket (connecting is then refused) and tells open
/// connections to close after their exchange; [`Harness::stop`] does the same and waits.
///
/// ```
/// use bluebutton_harness::api::{Harness, Scenario};
///
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
/// let harness = Harness::start(Scenario::builtin("oauth-success")?).await?;
/// let response = reqwest::get(format!("{}/v2/fhir/metadata", harness.url())).await?;
/// assert_eq!(response.status(), 200);
/// # Ok(())
/// # }
/// ```
pub struct Harness {
    server: RunningServer,
}

impl Harness {
    /// Serves `scenario` on `127.0.0.1` at a free port.
    ///
    /// ```
    /// use bluebutton_harness::api::{Harness, Scenario};
    ///
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// let harness = Harness::start(Scenario::from_file("scenarios/rate-limited.yaml")?).await?;
    /// let url = format!("{}/v2/fhir/ExplanationOfBenefit/", harness.url());
    /// assert_eq!(reqwest::get(&url).await?.status(), 429); // the scenario's stub
    /// assert_eq!(reqwest::get(&url).await?.status(), 401); // the built-in API: no token
    /// # Ok(())
    /// # }
    /// ```
    pub async fn start(scenario: Scenario) -> std::io::Result<Harness> {
        Harness::start_with(scenario, ServerOptions::default()).await
    }

    /// Serves `scenario` on `127.0.0.1` at a free port with `options` (a clock of your own,
    /// observers, the journal's capacity, interactive mode).
    ///
    /// ```
    /// use bluebutton_harness::api::{Harness, Scenario};
    /// use bluebutton_harness::clock::Clock;
    /// use bluebutton_harness::server::ServerOptions;
    /// use std::sync::Arc;
    ///
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// let options = ServerOptions { journal_capacity: Some(1), ..ServerOptions::default() };
    /// let harness = Harness::start_with(Scenario::builtin("oauth-success")?, options).await?;
    /// for _ in 0..3 {
    ///     reqwest::get(format!("{}/v2/fhir/metadata", harness.url())).await?;
    /// }
    /// assert_eq!(harness.journal().len(), 1);
    /// # Ok(())
    /// # }
    /// ```
    pub async fn start_with(
        scenario: Scenario,
        options: ServerOptions,
    ) -> std::io::Result<Harness> {
        let loopback = SocketAddr::from((Ipv4Addr::LOCALHOST, 0));
        let server = server::start(scenario, loopback, options).await?;
        Ok(Harness { server })
    }

    /// The base URL, without a trailing slash (`http://127.0.0.1:41234`).
    ///
    /// ```
    /// # use bluebutton_harness::api::{Harness, Scenario};
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// let harness = Harness::start(Scenario::builtin("oauth-success")?).await?;
    /// assert_eq!(harness.url(), format!("http://127.0.0.1:{}", harness.address().port()));
    /// # Ok(())
    /// # }
    /// ```
    pub fn url(&self) -> String {
        self.server.url()
    }

    /// The address the server listens on.
    ///
    /// ```
    /// # use bluebutton_harness::api::{Harness, Scenario};
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// let harness = Harness::start(Scenario::builtin("oauth-success")?).await?;
    /// assert!(harness.address().ip().is_loopback());
    /// tokio::net::TcpStream::connect(harness.address()).await?;
    /// # Ok(())
    /// # }
    /// ```
    pub fn address(&self) -> SocketAddr {
        self.server.local_addr()
    }

    /// Every exchange so far (request and answer), in order of arrival; [`reset`](Self::reset)
    /// empties it.
    ///
    /// ```
    /// # use bluebutton_harness::api::{Harness, Scenario};
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// let harness = Harness::start(Scenario::builtin("oauth-success")?).await?;
    /// reqwest::get(format!("{}/v2/fhir/Patient/", harness.url())).await?;
    /// let journal = harness.journal();
    /// assert_eq!(journal.len(), 1);
    /// assert_eq!(journal[0].request.path, "/v2/fhir/Patient/");
    /// assert_eq!(journal[0].response.status, 401);
    /// # Ok(())
    /// # }
    /// ```
    pub fn journal(&self) -> Vec<Exchange> {
        self.server.journal().exchanges()
    }

    /// The requests received so far, in order of arrival (the journal's requests).
    ///
    /// ```
    /// # use bluebutton_harness::api::{Harness, Scenario};
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// let harness = Harness::start(Scenario::builtin("oauth-success")?).await?;
    /// let url = format!("{}/v2/fhir/ExplanationOfBenefit/?type=carrier", harness.url());
    /// reqwest::Client::new().get(url).bearer_auth("not-a-token").send().await?;
    /// let request = &harness.received_requests()[0];
    /// assert_eq!(request.query_pairs(), [("type".to_owned(), "carrier".to_owned())]);
    /// assert_eq!(request.header("authorization"), Some("Bearer not-a-token"));
    /// # Ok(())
    /// # }
    /// ```
    pub fn received_requests(&self) -> Vec<Request> {
        self.journal().into_iter().map(|e| e.request).collect()
    }

    /// The exchanges whose request matched no stub and no built-in route, each with the
    /// closest stub and what it lacked ([`Exchange::miss`]).
    ///
    /// ```
    /// # use bluebutton_harness::api::{Harness, Scenario};
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// let harness = Harness::start(Scenario::builtin("oauth-success")?).await?;
    /// reqwest::get(format!("{}/v2/fhir/metadata", harness.url())).await?;
    /// assert!(harness.unmatched_requests().is_empty());
    /// # Ok(())
    /// # }
    /// ```
    pub fn unmatched_requests(&self) -> Vec<Exchange> {
        let mut journal = self.journal();
        journal.retain(|e| e.miss.is_some());
        journal
    }

    /// The server's virtual clock: [`Clock::advance`] moves it forward to expire codes,
    /// tokens and grants without waiting.
    ///
    /// ```
    /// # use bluebutton_harness::api::{Harness, Scenario};
    /// use std::time::Duration;
    ///
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// let harness = Harness::start(Scenario::builtin("oauth-success")?).await?;
    /// let before = harness.clock().now();
    /// harness.clock().advance(Duration::from_secs(3600));
    /// assert!(harness.clock().now().duration_since(before).as_secs() >= 3600);
    /// # Ok(())
    /// # }
    /// ```
    pub fn clock(&self) -> Arc<Clock> {
        self.server.clock()
    }

    /// The scenario being served.
    ///
    /// ```
    /// # use bluebutton_harness::api::{Harness, Scenario};
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// let harness = Harness::start(Scenario::builtin("pagination")?).await?;
    /// assert_eq!(harness.scenario().name, "pagination");
    /// # Ok(())
    /// # }
    /// ```
    pub fn scenario(&self) -> Scenario {
        self.server.scenario()
    }

    /// Mounts a mock: it is tried before the scenario's stubs and after mocks mounted
    /// earlier, until the harness is dropped (through [`reset`](Self::reset) and
    /// [`load`](Self::load)). The mock is checked first, its `session_state` conditions
    /// against the scenario's state machines; nothing is mounted when it has a problem.
    ///
    /// ```
    /// use bluebutton_harness::api::{Harness, Mock, Scenario, then::status, when::*};
    ///
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// let harness = Harness::start(Scenario::builtin("oauth-success")?).await?;
    /// harness.mount(Mock::given(path("/v2/fhir/Patient/")).respond_with(status(503)))?;
    /// harness.mount(Mock::given(path("/v2/fhir/Patient/")).respond_with(status(500)))?;
    /// let response = reqwest::get(format!("{}/v2/fhir/Patient/", harness.url())).await?;
    /// assert_eq!(response.status(), 503); // the first mounted wins
    ///
    /// let unknown = Mock::given(session_state("outage", "failing")).respond_with(status(502));
    /// let error = harness.mount(unknown).unwrap_err();
    /// assert_eq!(error.problems()[0].key, "when.session.state.outage");
    /// # Ok(())
    /// # }
    /// ```
    pub fn mount(&self, mock: Mock) -> Result<(), MockError> {
        let stub = mock.into_stub()?;
        self.server.mount_checked(stub, |stub, scenario| {
            mock::check_states(stub, &scenario.states, "")
        })
    }

    /// Forgets every token, grant, stub count and session state, and empties the journal;
    /// the scenario, the mounted mocks and the clock stay.
    ///
    /// ```
    /// use bluebutton_harness::api::{Harness, Mock, Scenario, then::status, when::*};
    ///
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// let harness = Harness::start(Scenario::builtin("oauth-success")?).await?;
    /// harness.mount(Mock::given(path("/v2/fhir/metadata")).and(nth(1)).respond_with(status(503)))?;
    /// let url = format!("{}/v2/fhir/metadata", harness.url());
    /// assert_eq!(reqwest::get(&url).await?.status(), 503);
    /// assert_eq!(reqwest::get(&url).await?.status(), 200);
    /// harness.reset();
    /// assert!(harness.journal().is_empty());
    /// assert_eq!(reqwest::get(&url).await?.status(), 503); // counted from 1 again
    /// # Ok(())
    /// # }
    /// ```
    pub fn reset(&self) {
        self.server.reset();
    }

    /// Serves `scenario` from now on, as after a [`reset`](Self::reset); the mounted mocks
    /// and the clock stay. The mounted mocks' `session_state` conditions are checked against
    /// `scenario`'s state machines first: when one names a machine or a state `scenario` does
    /// not declare, nothing changes and the error lists each such condition, keyed by the
    /// mock's place in mount order (`mocks[0].when.session.state.outage`).
    ///
    /// ```
    /// use bluebutton_harness::api::{Harness, Mock, Scenario, then::status, when::*};
    ///
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// let harness = Harness::start(Scenario::builtin("oauth-success")?).await?;
    /// harness.load(Scenario::builtin("upstream-outage")?)?;
    /// let response = reqwest::get(format!("{}/v2/fhir/ExplanationOfBenefit/", harness.url())).await?;
    /// assert_eq!(response.status(), 502);
    ///
    /// // A mock conditioned on a state machine needs a scenario that declares it.
    /// let with_states = Scenario::from_yaml(
    ///     "version: 1\nname: s\nstates:\n  outage:\n    states: [healthy]\n",
    /// )?;
    /// harness.load(with_states)?;
    /// harness.mount(Mock::given(session_state("outage", "healthy")).respond_with(status(200)))?;
    /// let error = harness.load(Scenario::builtin("oauth-success")?).unwrap_err();
    /// assert_eq!(
    ///     error.to_string(),
    ///     "mocks[0].when.session.state.outage: no state machine `outage`: the scenario declares \
    ///      no `states`"
    /// );
    /// assert_eq!(harness.scenario().name, "s"); // still served
    /// # Ok(())
    /// # }
    /// ```
    pub fn load(&self, scenario: Scenario) -> Result<(), MockError> {
        self.server.load_checked(scenario, |mounted, scenario| {
            let mut problems = Vec::new();
            for (i, stub) in mounted.iter().enumerate() {
                let prefix = format!("mocks[{i}].");
                if let Err(error) = mock::check_states(stub, &scenario.states, &prefix) {
                    problems.extend(error.problems().iter().cloned());
                }
            }
            MockError::from_problems(problems)
        })
    }

    /// The server itself, for what this type does not wrap.
    ///
    /// ```
    /// # use bluebutton_harness::api::{Harness, Scenario};
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// let harness = Harness::start(Scenario::builtin("oauth-success")?).await?;
    /// assert_eq!(harness.server().url(), harness.url());
    /// # Ok(())
    /// # }
    /// ```
    pub fn server(&self) -> &RunningServer {
        &self.server
    }

    /// Closes the listening socket and returns once it is closed: connecting is refused
    /// from then on. Open connections close after their exchange.
    ///
    /// ```
    /// # use bluebutton_harness::api::{Harness, Scenario};
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// let harness = Harness::start(Scenario::builtin("oauth-success")?).await?;
    /// let address = harness.address();
    /// harness.stop().await;
    /// let refused = tokio::net::TcpStream::connect(address).await.unwrap_err();
    /// assert_eq!(refused.kind(), std::io::ErrorKind::ConnectionRefused);
    /// # Ok(())
    /// # }
    /// ```
    pub async fn stop(mut self) {
        self.server.close();
        self.server.closed().await;
    }
}

impl Drop for Harness {
    /// Closes the listening socket without waiting (as soon as the runtime drops the accept
    /// loop); open connections close after their exchange.
    fn drop(&mut self) {
        self.server.close();
    }
}

impl std::fmt::Debug for Harness {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Harness")
            .field("url", &self.url())
            .finish_non_exhaustive()
    }
}
