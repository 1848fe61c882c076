//! What a [`Mock`](super::Mock) answers: an [`Answer`], started by one of this module's
//! functions ([`status`], [`json`], [`body`], [`passthrough`], [`fault`], [`sequence`]) and
//! completed with its methods, one per key of a scenario file's `then`.
//!
//! ```
//! use bluebutton_harness::api::{Mock, then::*, when::path};
//! use std::time::Duration;
//!
//! let stub = Mock::given(path("/v2/fhir/ExplanationOfBenefit/"))
//!     .respond_with(
//!         passthrough()
//!             .set("/total", 0)
//!             .header("Retry-After", "1")
//!             .fault(Fault::ConnectionReset)
//!             .rate(0.25)
//!             .delay(Duration::from_millis(250)),
//!     )
//!     .into_stub()?;
//! assert_eq!(stub.then.fault.map(|f| f.rate), Some(Some(0.25)));
//! # Ok::<(), bluebutton_harness::api::MockError>(())
//! ```

use bytes::Bytes;
use serde_json::Value;
use std::time::Duration;

pub use crate::scenario::{BackendFault, Fault};
use crate::scenario::{Dribble, Latency, Passthrough};

/// What a mock answers, key by key as a scenario file's `then` says it. Nothing is checked
/// until the mock becomes a stub ([`Mock::into_stub`](super::Mock::into_stub),
/// [`Harness::mount`](super::Harness::mount)), which reports every problem at once.
///
/// ```
/// use bluebutton_harness::api::{Answer, Harness, Mock, Scenario, when::path};
///
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
/// let harness = Harness::start(Scenario::builtin("oauth-success")?).await?;
/// let answer = Answer::new().status(418).header("X-Reason", "teapot").body("short and stout");
/// harness.mount(Mock::given(path("/brew")).respond_with(answer))?;
/// let response = reqwest::get(format!("{}/brew", harness.url())).await?;
/// assert_eq!(response.status(), 418);
/// assert_eq!(response.headers()["x-reason"], "teapot");
/// assert_eq!(response.text().await?, "short and stout");
/// # Ok(())
/// # }
/// ```
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Answer {
    pub(super) status: Option<u16>,
    pub(super) headers: Vec<(String, String)>,
    pub(super) body: Option<Bytes>,
    /// `passthrough`: `Some(None)` is `passthrough: false`.
    pub(super) passthrough: Option<Option<Passthrough>>,
    pub(super) fault: Option<Fault>,
    pub(super) rate: Option<f64>,
    pub(super) latency: Option<Latency>,
    pub(super) dribble: Option<Dribble>,
    pub(super) sequence: Option<Vec<Answer>>,
}

impl Answer {
    /// An empty answer: status 200, no body.
    ///
    /// ```
    /// use bluebutton_harness::api::{Answer, Mock, when::any};
    ///
    /// let stub = Mock::given(any()).respond_with(Answer::new()).into_stub()?;
    /// assert_eq!((stub.then.status, stub.then.body), (None, None));
    /// # Ok::<(), bluebutton_harness::api::MockError>(())
    /// ```
    pub fn new() -> Answer {
        Answer::default()
    }

    /// The status (100 to 599); 200 when not given, and with [`passthrough`](Self::passthrough)
    /// the built-in answer's. Over a [`fault`](Self::fault) of BB2's backend, it replaces the
    /// fault's status.
    ///
    /// ```
    /// use bluebutton_harness::api::{Answer, Harness, Mock, Scenario, when::path};
    ///
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// let harness = Harness::start(Scenario::builtin("oauth-success")?).await?;
    /// harness.mount(Mock::given(path("/v2/fhir/metadata")).respond_with(Answer::new().status(204)))?;
    /// let response = reqwest::get(format!("{}/v2/fhir/metadata", harness.url())).await?;
    /// assert_eq!(response.status(), 204);
    /// # Ok(())
    /// # }
    /// ```
    pub fn status(mut self, code: u16) -> Answer {
        self.status = Some(code);
        self
    }

    /// Sets a header on the answer, replacing one of the same name (the built-in answer's
    /// too, with [`passthrough`](Self::passthrough)); a second call with the same name (in any
    /// case) replaces the first. `Content-Length`, `Transfer-Encoding` and `Content-Encoding`
    /// are the server's own. Values may hold `{{request.…}}` templates.
    ///
    /// ```
    /// use bluebutton_harness::api::{Harness, Mock, Scenario, then::status, when::path};
    ///
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// let harness = Harness::start(Scenario::builtin("oauth-success")?).await?;
    /// let answer = status(429).header("Retry-After", "1").header("retry-after", "30");
    /// harness.mount(Mock::given(path("/v2/fhir/Patient/")).respond_with(answer))?;
    /// let response = reqwest::get(format!("{}/v2/fhir/Patient/", harness.url())).await?;
    /// assert_eq!(response.headers()["retry-after"], "30");
    /// # Ok(())
    /// # }
    /// ```
    pub fn header(mut self, name: impl Into<String>, value: impl Into<String>) -> Answer {
        let name = name.into();
        self.headers.retain(|(n, _)| !n.eq_ignore_ascii_case(&name));
        self.headers.push((name, value.into()));
        self
    }

    /// The body, bytes as given (replacing an earlier body); `Content-Type:
    /// application/json` unless a [`header`](Self::header) says otherwise.
    ///
    /// ```
    /// use bluebutton_harness::api::{Harness, Mock, Scenario, then::status, when::path};
    ///
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// let harness = Harness::start(Scenario::builtin("oauth-success")?).await?;
    /// let page = status(500).body("<h1>Server Error (500)</h1>").header("Content-Type", "text/html");
    /// harness.mount(Mock::given(path("/v2/fhir/Patient/")).respond_with(page))?;
    /// let response = reqwest::get(format!("{}/v2/fhir/Patient/", harness.url())).await?;
    /// assert_eq!(response.headers()["content-type"], "text/html");
    /// assert_eq!(response.text().await?, "<h1>Server Error (500)</h1>");
    /// # Ok(())
    /// # }
    /// ```
    pub fn body(mut self, body: impl AsRef<[u8]>) -> Answer {
        self.body = Some(Bytes::copy_from_slice(body.as_ref()));
        self
    }

    /// A JSON body, compact, with `Content-Type: application/json` (replacing an earlier
    /// body). String values may hold `{{request.…}}` and `{{fresh.…}}` templates.
    ///
    /// ```
    /// use bluebutton_harness::api::{Answer, Harness, Mock, Scenario, when::path};
    /// use serde_json::json;
    ///
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// let harness = Harness::start(Scenario::builtin("oauth-success")?).await?;
    /// let answer = Answer::new().status(403).json(json!({"detail": "no"}));
    /// harness.mount(Mock::given(path("/v2/connect/userinfo")).respond_with(answer))?;
    /// let response = reqwest::get(format!("{}/v2/connect/userinfo", harness.url())).await?;
    /// assert_eq!(response.headers()["content-type"], "application/json");
    /// assert_eq!(response.json::<serde_json::Value>().await?, json!({"detail": "no"}));
    /// # Ok(())
    /// # }
    /// ```
    pub fn json(self, value: Value) -> Answer {
        self.body(value.to_string())
    }

    /// The built-in API's answer, with this answer's [`status`](Self::status) and
    /// [`header`](Self::header)s applied over it and its JSON body edited as
    /// [`set`](Self::set) and [`remove`](Self::remove) say. Excludes a [`body`](Self::body).
    ///
    /// ```
    /// use bluebutton_harness::api::{Harness, Mock, Scenario, then::passthrough, when::path};
    ///
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// let harness = Harness::start(Scenario::builtin("oauth-success")?).await?;
    /// let answer = passthrough().status(299).header("X-Served-By", "stub");
    /// harness.mount(Mock::given(path("/v2/fhir/metadata")).respond_with(answer))?;
    /// let response = reqwest::get(format!("{}/v2/fhir/metadata", harness.url())).await?;
    /// assert_eq!(response.status(), 299);
    /// assert_eq!(response.headers()["x-served-by"], "stub");
    /// let body: serde_json::Value = response.json().await?;
    /// assert_eq!(body["resourceType"], "CapabilityStatement");
    /// # Ok(())
    /// # }
    /// ```
    pub fn passthrough(mut self) -> Answer {
        self.edits();
        self
    }

    /// Not the built-in answer (`passthrough: false` in a file), undoing
    /// [`passthrough`](Self::passthrough), [`set`](Self::set) and [`remove`](Self::remove): a
    /// step of a [`sequence`](Self::sequence) whose defaults pass through answers on its own.
    ///
    /// ```
    /// use bluebutton_harness::api::{Mock, then::*, when::path};
    ///
    /// let answer = passthrough().sequence([status(500).body("down").no_passthrough(), status(200)]);
    /// let stub = Mock::given(path("/v2/fhir/Patient/")).respond_with(answer).into_stub()?;
    /// assert_eq!(stub.then.sequence[0].passthrough, None);
    /// assert!(stub.then.sequence[1].passthrough.is_some());
    /// # Ok::<(), bluebutton_harness::api::MockError>(())
    /// ```
    pub fn no_passthrough(mut self) -> Answer {
        self.passthrough = Some(None);
        self
    }

    /// The passthrough edits, passing through from now on.
    fn edits(&mut self) -> &mut Passthrough {
        self.passthrough
            .get_or_insert_default()
            .get_or_insert_default()
    }

    /// A [`passthrough`](Self::passthrough) answer whose JSON body gets `value` at `pointer`
    /// (RFC 6901, such as `/entry/0/resource/id`); a second call with the same pointer
    /// replaces the first. String values may hold templates.
    ///
    /// ```
    /// use bluebutton_harness::api::{Mock, then::passthrough, when::path};
    /// use serde_json::json;
    ///
    /// let answer = passthrough().set("/total", 0).set("/entry/0/resource/id", "x");
    /// let stub = Mock::given(path("/v2/fhir/Coverage/")).respond_with(answer).into_stub()?;
    /// let edits = stub.then.passthrough.unwrap_or_default();
    /// assert_eq!(edits.set, [("/total".to_owned(), json!(0)), ("/entry/0/resource/id".to_owned(), json!("x"))]);
    /// # Ok::<(), bluebutton_harness::api::MockError>(())
    /// ```
    pub fn set(mut self, pointer: impl Into<String>, value: impl Into<Value>) -> Answer {
        let pointer = pointer.into();
        let edits = self.edits();
        edits.set.retain(|(p, _)| *p != pointer);
        edits.set.push((pointer, value.into()));
        self
    }

    /// A [`passthrough`](Self::passthrough) answer whose JSON body loses what `pointer`
    /// (RFC 6901) points at; a pointer removed twice is removed once. A pointer both
    /// [`set`](Self::set) and removed is an error, as in a file.
    ///
    /// ```
    /// use bluebutton_harness::api::{Mock, then::passthrough, when::path};
    ///
    /// let answer = passthrough().remove("/link/1");
    /// let stub = Mock::given(path("/v2/fhir/Coverage/")).respond_with(answer).into_stub()?;
    /// assert_eq!(stub.then.passthrough.unwrap_or_default().remove, ["/link/1"]);
    /// # Ok::<(), bluebutton_harness::api::MockError>(())
    /// ```
    pub fn remove(mut self, pointer: impl Into<String>) -> Answer {
        let pointer = pointer.into();
        let removed = &mut self.edits().remove;
        if !removed.contains(&pointer) {
            removed.push(pointer);
        }
        self
    }

    /// A fault instead of the answer. Without a [`rate`](Self::rate) it strikes every
    /// request and excludes a [`body`](Self::body) and [`passthrough`](Self::passthrough);
    /// with one, the requests it spares get the rest of the answer.
    ///
    /// ```
    /// use bluebutton_harness::api::{Harness, Mock, Scenario, then::*, when::path};
    ///
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// let harness = Harness::start(Scenario::builtin("oauth-success")?).await?;
    /// let outage = Answer::new().fault(Fault::Backend(BackendFault::Failure));
    /// harness.mount(Mock::given(path("/v2/fhir/Patient/")).respond_with(outage))?;
    /// let response = reqwest::get(format!("{}/v2/fhir/Patient/", harness.url())).await?;
    /// assert_eq!(response.status(), 502);
    /// let body: serde_json::Value = response.json().await?;
    /// assert_eq!(body["detail"], "A failure occurred contacting the upstream server");
    /// # Ok(())
    /// # }
    /// ```
    pub fn fault(mut self, fault: Fault) -> Answer {
        self.fault = Some(fault);
        self
    }

    /// The fraction of matching requests the [`fault`](Self::fault) strikes (0 < rate ≤ 1),
    /// drawn from the scenario's `seed` in arrival order.
    ///
    /// ```
    /// use bluebutton_harness::api::{Mock, then::*, when::path};
    ///
    /// // A flaky API: one request in ten is reset, the others get the built-in answer.
    /// let flaky = passthrough().fault(Fault::ConnectionReset).rate(0.1);
    /// let stub = Mock::given(path("/**")).respond_with(flaky).into_stub()?;
    /// let fault = stub.then.fault.map(|f| (f.fault, f.rate));
    /// assert_eq!(fault, Some((Fault::ConnectionReset, Some(0.1))));
    /// # Ok::<(), bluebutton_harness::api::MockError>(())
    /// ```
    pub fn rate(mut self, rate: f64) -> Answer {
        self.rate = Some(rate);
        self
    }

    /// Waits this long before the status line (a fixed latency; replaces a
    /// [`lognormal_delay`](Self::lognormal_delay)).
    ///
    /// ```
    /// use bluebutton_harness::api::{Mock, then::status, when::any};
    /// use bluebutton_harness::scenario::Latency;
    /// use std::time::Duration;
    ///
    /// let slow = status(200).delay(Duration::from_millis(250));
    /// let stub = Mock::given(any()).respond_with(slow).into_stub()?;
    /// let latency = stub.then.delay.and_then(|d| d.latency);
    /// assert_eq!(latency, Some(Latency::Fixed(Duration::from_millis(250))));
    /// # Ok::<(), bluebutton_harness::api::MockError>(())
    /// ```
    pub fn delay(mut self, latency: Duration) -> Answer {
        self.latency = Some(Latency::Fixed(latency));
        self
    }

    /// Waits a time drawn from a log-normal distribution with this `median` (above zero) and
    /// shape `sigma` (above 0, at most 5) before the status line (replaces a
    /// [`delay`](Self::delay)).
    ///
    /// ```
    /// use bluebutton_harness::api::{Mock, then::status, when::any};
    /// use bluebutton_harness::scenario::Latency;
    /// use std::time::Duration;
    ///
    /// let jittery = status(200).lognormal_delay(Duration::from_millis(100), 0.5);
    /// let stub = Mock::given(any()).respond_with(jittery).into_stub()?;
    /// let median = Duration::from_millis(100);
    /// let latency = stub.then.delay.and_then(|d| d.latency);
    /// assert_eq!(latency, Some(Latency::LogNormal { median, sigma: 0.5 }));
    /// # Ok::<(), bluebutton_harness::api::MockError>(())
    /// ```
    pub fn lognormal_delay(mut self, median: Duration, sigma: f64) -> Answer {
        self.latency = Some(Latency::LogNormal { median, sigma });
        self
    }

    /// Sends the body in `chunks` pieces (2 to 100000) spread evenly `over` a duration; it
    /// combines with a [`delay`](Self::delay) or a [`lognormal_delay`](Self::lognormal_delay).
    ///
    /// ```
    /// use bluebutton_harness::api::{Mock, then::passthrough, when::any};
    /// use bluebutton_harness::scenario::Dribble;
    /// use std::time::Duration;
    ///
    /// let trickle = passthrough().dribble(10, Duration::from_secs(2));
    /// let stub = Mock::given(any()).respond_with(trickle).into_stub()?;
    /// let dribble = stub.then.delay.and_then(|d| d.dribble);
    /// assert_eq!(dribble, Some(Dribble { chunks: 10, over: Duration::from_secs(2) }));
    /// # Ok::<(), bluebutton_harness::api::MockError>(())
    /// ```
    pub fn dribble(mut self, chunks: u32, over: Duration) -> Answer {
        self.dribble = Some(Dribble { chunks, over });
        self
    }

    /// Answers given in turn, one per request the mock answers (counted server-wide); the
    /// last repeats. This answer's other keys are defaults of every step, merged as a file's
    /// `sequence` merges them: a step's own key wins (`delay` as a whole; `fault` with its
    /// `rate`; [`no_passthrough`](Self::no_passthrough) undoes a default passthrough), and
    /// `headers` merge by name, the step's winning. A step cannot have a sequence of its own.
    ///
    /// ```
    /// use bluebutton_harness::api::{Answer, Mock, then::*, when::path};
    /// use http::StatusCode;
    ///
    /// let flapping = Answer::new()
    ///     .header("Retry-After", "1")
    ///     .header("Cache-Control", "no-store")
    ///     .sequence([status(503), status(503).header("retry-after", "5"), passthrough()]);
    /// let stub = Mock::given(path("/v2/fhir/Patient/")).respond_with(flapping).into_stub()?;
    /// let steps = &stub.then.sequence;
    /// assert_eq!(steps.len(), 3);
    /// assert_eq!(steps[0].status, Some(StatusCode::SERVICE_UNAVAILABLE));
    /// assert_eq!(steps[1].headers[0].0, "cache-control"); // the default, merged in
    /// assert_eq!(steps[1].headers[1], ("retry-after".parse()?, "5".parse()?)); // the step's
    /// assert_eq!(steps[2].headers.len(), 2); // both defaults
    /// assert!(steps[2].passthrough.is_some());
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn sequence(mut self, steps: impl IntoIterator<Item = Answer>) -> Answer {
        self.sequence = Some(steps.into_iter().collect());
        self
    }
}

/// An answer with this status: `status(503)` is `Answer::new().status(503)`.
///
/// ```
/// use bluebutton_harness::api::{Answer, then::status};
///
/// assert_eq!(status(503), Answer::new().status(503));
/// ```
pub fn status(code: u16) -> Answer {
    Answer::new().status(code)
}

/// A 200 answer with this JSON body: `json(v)` is `Answer::new().json(v)`.
///
/// ```
/// use bluebutton_harness::api::{Answer, then::json};
/// use serde_json::json;
///
/// assert_eq!(json(json!({"a": 1})), Answer::new().json(json!({"a": 1})));
/// ```
pub fn json(value: Value) -> Answer {
    Answer::new().json(value)
}

/// A 200 answer with this body: `body(b)` is `Answer::new().body(b)`.
///
/// ```
/// use bluebutton_harness::api::{Answer, then::body};
///
/// assert_eq!(body("ok"), Answer::new().body(b"ok"));
/// ```
pub fn body(bytes: impl AsRef<[u8]>) -> Answer {
    Answer::new().body(bytes)
}

/// The built-in API's answer: `passthrough()` is `Answer::new().passthrough()`.
///
/// ```
/// use bluebutton_harness::api::{Answer, then::passthrough};
///
/// assert_eq!(passthrough(), Answer::new().passthrough());
/// ```
pub fn passthrough() -> Answer {
    Answer::new().passthrough()
}

/// A fault on every matching request: `fault(f)` is `Answer::new().fault(f)`.
///
/// ```
/// use bluebutton_harness::api::{Answer, then::{Fault, fault}};
///
/// assert_eq!(fault(Fault::EmptyResponse), Answer::new().fault(Fault::EmptyResponse));
/// ```
pub fn fault(fault: Fault) -> Answer {
    Answer::new().fault(fault)
}

/// Answers in turn, the last repeating: `sequence(s)` is `Answer::new().sequence(s)`.
///
/// ```
/// use bluebutton_harness::api::{Answer, then::{passthrough, sequence, status}};
///
/// let steps = [status(500), passthrough()];
/// assert_eq!(sequence(steps.clone()), Answer::new().sequence(steps));
/// ```
pub fn sequence(steps: impl IntoIterator<Item = Answer>) -> Answer {
    Answer::new().sequence(steps)
}
