//! The conditions of a [`Mock`](super::Mock), one function per key of a scenario file's
//! `when`: [`method`], [`path`], [`query`], [`header`], [`form`] (and their `_absent`
//! forms), [`session_nth`], [`session_state`] and [`nth`]. Every condition given must hold.
//!
//! Value patterns (`query`, `header`, `form`): `*` matches any run of characters, everything
//! else is literal, and `{{request.…}}`/`{{fresh.…}}` templates are rendered for the request
//! before matching, the text they bring literal (see the README's "Programmable behaviour").
//!
//! ```
//! use bluebutton_harness::api::{Mock, then::status, when::*};
//!
//! let stub = Mock::given(method("GET"))
//!     .and(path("/v2/fhir/ExplanationOfBenefit/**"))
//!     .and(query("type", "carrier"))
//!     .and(header("Accept", "application/fhir+json*"))
//!     .respond_with(status(503))
//!     .into_stub()?;
//! assert_eq!(stub.when.path, "/v2/fhir/ExplanationOfBenefit/**");
//! assert_eq!(stub.when.headers[0].0, "accept");
//! # Ok::<(), bluebutton_harness::api::MockError>(())
//! ```

/// One condition a request must meet for a [`Mock`](super::Mock) to answer it; made by the
/// functions of this module and checked when the mock becomes a stub.
///
/// ```
/// use bluebutton_harness::api::when::{Condition, method, path};
///
/// let conditions: Vec<Condition> = vec![method("POST"), path("/v2/o/token/")];
/// assert_ne!(conditions[0], conditions[1]);
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Condition(pub(super) When);

/// What a [`Condition`] asks, as given (checked when the mock becomes a stub).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) enum When {
    Any,
    Method(String),
    Path(String),
    Query(String, Option<String>),
    Header(String, Option<String>),
    Form(String, Option<String>),
    SessionNth(u64),
    SessionState(String, String),
    Nth(u64),
}

/// No condition: every request (the path is `/**` unless [`path`] says otherwise). Handy as
/// the start of [`Mock::given`](super::Mock::given).
///
/// ```
/// use bluebutton_harness::api::{Mock, then::status, when::any};
///
/// let stub = Mock::given(any()).respond_with(status(503)).into_stub()?;
/// assert_eq!((stub.when.method, stub.when.path.as_str()), (None, "/**"));
/// # Ok::<(), bluebutton_harness::api::MockError>(())
/// ```
pub fn any() -> Condition {
    Condition(When::Any)
}

/// The request's method, in upper case as HTTP has it (`GET`, `POST`); any method when not
/// given. Takes a `&str`, a `String` or an [`http::Method`].
///
/// ```
/// use bluebutton_harness::api::{Harness, Mock, Scenario, then::status, when::*};
///
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
/// let harness = Harness::start(Scenario::builtin("oauth-success")?).await?;
/// harness.mount(Mock::given(method("DELETE")).and(path("/v2/fhir/Patient/")).respond_with(status(405)))?;
/// let url = format!("{}/v2/fhir/Patient/", harness.url());
/// let client = reqwest::Client::new();
/// assert_eq!(client.delete(&url).send().await?.status(), 405);
/// assert_eq!(client.get(&url).send().await?.status(), 401); // the built-in API: no token
/// # Ok(())
/// # }
/// ```
pub fn method(method: impl AsRef<str>) -> Condition {
    Condition(When::Method(method.as_ref().to_owned()))
}

/// The request's path, exactly (it also matches with one trailing slash added or removed), or
/// a pattern: `*` matches within one segment, `**` across segments. Every path (`/**`) when
/// not given.
///
/// ```
/// use bluebutton_harness::api::{Harness, Mock, Scenario, then::json, when::path};
/// use serde_json::json;
///
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
/// let harness = Harness::start(Scenario::builtin("oauth-success")?).await?;
/// harness.mount(Mock::given(path("/v2/fhir/Coverage/")).respond_with(json(json!({"total": 0}))))?;
/// let coverage = reqwest::get(format!("{}/v2/fhir/Coverage", harness.url())).await?;
/// assert_eq!(coverage.text().await?, r#"{"total":0}"#);
///
/// // Patterns select many paths.
/// let stub = Mock::given(path("/v2/fhir/*/**")).respond_with(json(json!({}))).into_stub()?;
/// assert_eq!(stub.when.path, "/v2/fhir/*/**");
/// # Ok(())
/// # }
/// ```
pub fn path(pattern: impl Into<String>) -> Condition {
    Condition(When::Path(pattern.into()))
}

/// A query parameter (decoded) whose value matches `pattern` (`*` = any run of characters);
/// a repeated parameter matches if any of its values does.
///
/// ```
/// use bluebutton_harness::api::{Mock, then::status, when::*};
/// use bluebutton_harness::scenario::ValueMatch;
///
/// let stub = Mock::given(query("type", "carrier"))
///     .and(query("_count", "*"))
///     .respond_with(status(200))
///     .into_stub()?;
/// assert_eq!(stub.when.query[0], ("type".to_owned(), ValueMatch::Matches("carrier".to_owned())));
/// # Ok::<(), bluebutton_harness::api::MockError>(())
/// ```
pub fn query(name: impl Into<String>, pattern: impl Into<String>) -> Condition {
    Condition(When::Query(name.into(), Some(pattern.into())))
}

/// A query parameter that must be absent (`null` in a scenario file).
///
/// ```
/// use bluebutton_harness::api::{Mock, then::status, when::*};
/// use bluebutton_harness::scenario::ValueMatch;
///
/// let stub = Mock::given(query_absent("startIndex")).respond_with(status(200)).into_stub()?;
/// assert_eq!(stub.when.query, [("startIndex".to_owned(), ValueMatch::Absent)]);
/// # Ok::<(), bluebutton_harness::api::MockError>(())
/// ```
pub fn query_absent(name: impl Into<String>) -> Condition {
    Condition(When::Query(name.into(), None))
}

/// A request header whose value, as sent, matches `pattern`; the name ignores case.
///
/// ```
/// use bluebutton_harness::api::{Mock, then::status, when::*};
/// use bluebutton_harness::scenario::ValueMatch;
///
/// let stub = Mock::given(header("Authorization", "Bearer {{fresh.token}}"))
///     .respond_with(status(200))
///     .into_stub()?;
/// let (name, value) = &stub.when.headers[0];
/// assert_eq!(name, "authorization");
/// assert_eq!(value, &ValueMatch::Matches("Bearer {{fresh.token}}".to_owned()));
/// # Ok::<(), bluebutton_harness::api::MockError>(())
/// ```
pub fn header(name: impl Into<String>, pattern: impl Into<String>) -> Condition {
    Condition(When::Header(name.into(), Some(pattern.into())))
}

/// A request header that must be absent.
///
/// ```
/// use bluebutton_harness::api::{Mock, then::status, when::*};
/// use bluebutton_harness::scenario::ValueMatch;
///
/// let stub = Mock::given(header_absent("authorization")).respond_with(status(401)).into_stub()?;
/// assert_eq!(stub.when.headers[0].1, ValueMatch::Absent);
/// # Ok::<(), bluebutton_harness::api::MockError>(())
/// ```
pub fn header_absent(name: impl Into<String>) -> Condition {
    Condition(When::Header(name.into(), None))
}

/// A field of an `application/x-www-form-urlencoded` body whose value matches `pattern`.
///
/// ```
/// use bluebutton_harness::api::{Mock, then::status, when::*};
///
/// let stub = Mock::given(method("POST"))
///     .and(path("/v2/o/token/"))
///     .and(form("grant_type", "refresh_token"))
///     .respond_with(status(400))
///     .into_stub()?;
/// assert_eq!(stub.when.form[0].0, "grant_type");
/// # Ok::<(), bluebutton_harness::api::MockError>(())
/// ```
pub fn form(name: impl Into<String>, pattern: impl Into<String>) -> Condition {
    Condition(When::Form(name.into(), Some(pattern.into())))
}

/// A form field that must be absent.
///
/// ```
/// use bluebutton_harness::api::{Mock, then::status, when::*};
/// use bluebutton_harness::scenario::ValueMatch;
///
/// let stub = Mock::given(form_absent("client_secret")).respond_with(status(401)).into_stub()?;
/// assert_eq!(stub.when.form, [("client_secret".to_owned(), ValueMatch::Absent)]);
/// # Ok::<(), bluebutton_harness::api::MockError>(())
/// ```
pub fn form_absent(name: impl Into<String>) -> Condition {
    Condition(When::Form(name.into(), None))
}

/// The request belongs to the nth session opened on this server (from 1); a request without
/// a session never meets it.
///
/// ```
/// use bluebutton_harness::api::{Mock, then::status, when::*};
///
/// let stub = Mock::given(session_nth(2)).respond_with(status(503)).into_stub()?;
/// assert_eq!(stub.when.session.map(|s| s.nth), Some(Some(2)));
/// # Ok::<(), bluebutton_harness::api::MockError>(())
/// ```
pub fn session_nth(n: u64) -> Condition {
    Condition(When::SessionNth(n))
}

/// The request's session is in `state` of the scenario's state machine `machine` (its
/// `states:`); [`Harness::mount`](super::Harness::mount) checks both names.
///
/// ```
/// use bluebutton_harness::api::{Mock, then::status, when::*};
///
/// let stub = Mock::given(session_state("outage", "failing"))
///     .respond_with(status(502))
///     .into_stub()?;
/// let wanted = vec![("outage".to_owned(), "failing".to_owned())];
/// assert_eq!(stub.when.session.map(|s| s.state), Some(wanted));
/// # Ok::<(), bluebutton_harness::api::MockError>(())
/// ```
pub fn session_state(machine: impl Into<String>, state: impl Into<String>) -> Condition {
    Condition(When::SessionState(machine.into(), state.into()))
}

/// Only the nth request (from 1) that meets every other condition of the mock, counted
/// server-wide; the others go on to later stubs and the built-in API.
///
/// ```
/// use bluebutton_harness::api::{Harness, Mock, Scenario, then::status, when::*};
///
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
/// let harness = Harness::start(Scenario::builtin("oauth-success")?).await?;
/// harness.mount(Mock::given(path("/v2/fhir/metadata")).and(nth(2)).respond_with(status(503)))?;
/// let url = format!("{}/v2/fhir/metadata", harness.url());
/// assert_eq!(reqwest::get(&url).await?.status(), 200);
/// assert_eq!(reqwest::get(&url).await?.status(), 503);
/// assert_eq!(reqwest::get(&url).await?.status(), 200);
/// # Ok(())
/// # }
/// ```
pub fn nth(n: u64) -> Condition {
    Condition(When::Nth(n))
}
