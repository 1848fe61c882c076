//! Whether a request meets the conditions of a `when` (a stub's or a transition's), and which
//! of them it misses (for near-miss explanations).
//!
//! Conditions: the method; the path pattern (`*` within one segment, a `**` segment across any
//! number of segments, one trailing slash added or removed); query parameters, headers and
//! form fields, each a value pattern (`*` matches any run of characters, everything else is
//! literal, templates rendered first: the text they bring is literal, `*` included; `null`:
//! absent; a repeated name matches if any of its values does); the request's session (its number and the states of its state machines).
//! `nth` is counted by the stubs, not here.

use crate::exchange::{Request, SessionId};
use crate::oauth::store::TokenStore;
use crate::params::Params;
use crate::scenario::{StubWhen, ValueMatch};
use crate::server::near_miss::FieldDiff;
use crate::server::request_session;
use crate::server::session_state::SessionStates;
use crate::server::template::{self, Context, Fresh, Run};
use http::{HeaderName, Method};
use jiff::Timestamp;
use std::ops::ControlFlow;
use std::sync::OnceLock;

/// One request, read once, and what its conditions are judged against: the session store,
/// the per-session states and the scenario's fresh values.
pub struct Matcher<'a> {
    request: &'a Request,
    query: Params,
    form: Params,
    store: &'a TokenStore,
    now: Timestamp,
    session: OnceLock<Option<SessionId>>,
    states: &'a SessionStates,
    fresh: &'a Fresh,
}

/// A condition a request does not meet, borrowed from the `when` it belongs to.
enum Unmet<'w> {
    Method(&'w Method),
    Path(&'w str),
    Query(&'w str, &'w ValueMatch),
    Header(&'w HeaderName, &'w ValueMatch),
    Form(&'w str, &'w ValueMatch),
    NoSession,
    SessionNth(u64),
    SessionState(&'w str, &'w str),
}

impl<'a> Matcher<'a> {
    /// Reads `request` (its query, and its form body: url-encoded or multipart) for matching;
    /// its session is looked up in `store` at `now` when a condition first needs it.
    pub async fn read(
        request: &'a Request,
        store: &'a TokenStore,
        now: Timestamp,
        states: &'a SessionStates,
        fresh: &'a Fresh,
    ) -> Matcher<'a> {
        // A body that is not the form it claims to be has no fields.
        let form = Params::from_body(&request.headers, &request.body)
            .await
            .unwrap_or_default();
        let query = Params::from_query(request.query.as_deref());
        Matcher::with_params(request, query, form, store, now, states, fresh)
    }

    /// A matcher that reads none of the request's fields, for a server with no stub and no
    /// state machine: no condition is ever judged with it.
    pub fn unread(
        request: &'a Request,
        store: &'a TokenStore,
        now: Timestamp,
        states: &'a SessionStates,
        fresh: &'a Fresh,
    ) -> Matcher<'a> {
        let (query, form) = (Params::default(), Params::default());
        Matcher::with_params(request, query, form, store, now, states, fresh)
    }

    /// A matcher of `request` whose query parameters are `query` and form fields `form`.
    fn with_params(
        request: &'a Request,
        query: Params,
        form: Params,
        store: &'a TokenStore,
        now: Timestamp,
        states: &'a SessionStates,
        fresh: &'a Fresh,
    ) -> Matcher<'a> {
        Matcher {
            request,
            query,
            form,
            store,
            now,
            session: OnceLock::new(),
            states,
            fresh,
        }
    }

    /// What the templates of a stub answering this request render from: the request, the
    /// form fields its `when` matched, and the fresh values.
    pub fn context(&self) -> Context<'_> {
        Context {
            request: self.request,
            form: &self.form,
            fresh: self.fresh,
        }
    }

    /// The session the request belongs to before it is answered
    /// ([`request_session::session_of`]).
    pub fn session(&self) -> Option<SessionId> {
        *self.session.get_or_init(|| {
            request_session::session_of(self.request, &self.form, self.store, self.now)
        })
    }

    /// Whether the request meets every condition of `when` except `nth`.
    pub fn matches(&self, when: &StubWhen) -> bool {
        self.visit(when, |_| ControlFlow::Break(())).is_continue()
    }

    /// Each condition of `when` except `nth` that the request does not meet, in the order
    /// method, path, query, headers, form, session.
    pub fn unmet(&self, when: &StubWhen) -> Vec<FieldDiff> {
        let mut diffs = Vec::new();
        let _ = self.visit(when, |unmet| {
            diffs.push(self.diff(unmet));
            ControlFlow::<()>::Continue(())
        });
        diffs
    }

    /// Calls `unmet` with each condition the request misses, until it breaks.
    fn visit<'w>(
        &self,
        when: &'w StubWhen,
        mut unmet: impl FnMut(Unmet<'w>) -> ControlFlow<()>,
    ) -> ControlFlow<()> {
        if let Some(method) = &when.method
            && *method != self.request.method
        {
            unmet(Unmet::Method(method))?;
        }
        if !path_matches(&when.path, &self.request.path) {
            unmet(Unmet::Path(&when.path))?;
        }
        for (name, pattern) in &when.query {
            if !self.holds(pattern, values(&self.query, name)) {
                unmet(Unmet::Query(name, pattern))?;
            }
        }
        for (name, pattern) in &when.headers {
            let sent = self.request.headers.get_all(name).iter();
            if !self.holds(pattern, sent.map(|value| value.as_bytes())) {
                unmet(Unmet::Header(name, pattern))?;
            }
        }
        for (name, pattern) in &when.form {
            if !self.holds(pattern, values(&self.form, name)) {
                unmet(Unmet::Form(name, pattern))?;
            }
        }
        let Some(wanted) = &when.session else {
            return ControlFlow::Continue(());
        };
        let Some(session) = self.session() else {
            return unmet(Unmet::NoSession);
        };
        if let Some(nth) = wanted.nth
            && nth != session.0
        {
            unmet(Unmet::SessionNth(nth))?;
        }
        for (machine, state) in &wanted.state {
            if self.states.current(session, machine).as_deref() != Some(state.as_str()) {
                unmet(Unmet::SessionState(machine, state))?;
            }
        }
        ControlFlow::Continue(())
    }

    /// Whether the values sent under one name meet `pattern`.
    fn holds<'v>(&self, pattern: &ValueMatch, mut sent: impl Iterator<Item = &'v [u8]>) -> bool {
        match pattern {
            ValueMatch::Absent => sent.next().is_none(),
            ValueMatch::Matches(pattern) => {
                let pattern = self.units(pattern);
                sent.any(|value| glob(&pattern, value))
            }
        }
    }

    /// `pattern` with its templates rendered for this request, as units to match: its own `*`
    /// match any run, the text its templates bring is literal.
    fn units(&self, pattern: &str) -> Vec<Unit> {
        let mut units = Vec::with_capacity(pattern.len());
        template::render_each(pattern, &self.context(), |run| match run {
            Run::Written(text) => units.extend(written(text.as_bytes())),
            Run::Rendered(text) => units.extend(text.bytes().map(Unit::Byte)),
        });
        units
    }

    /// The diff that explains `unmet` for this request.
    fn diff(&self, unmet: Unmet<'_>) -> FieldDiff {
        let (field, expected, actual) = match unmet {
            Unmet::Method(method) => (
                "method".to_owned(),
                method.to_string(),
                Some(self.request.method.to_string()),
            ),
            Unmet::Path(pattern) => (
                "path".to_owned(),
                pattern.to_owned(),
                Some(self.request.path.clone()),
            ),
            Unmet::Query(name, pattern) => (
                format!("query.{name}"),
                self.expected(pattern),
                joined(values(&self.query, name)),
            ),
            Unmet::Header(name, pattern) => (
                format!("headers.{name}"),
                self.expected(pattern),
                joined(
                    self.request
                        .headers
                        .get_all(name)
                        .iter()
                        .map(|value| value.as_bytes()),
                ),
            ),
            Unmet::Form(name, pattern) => (
                format!("form.{name}"),
                self.expected(pattern),
                joined(values(&self.form, name)),
            ),
            Unmet::NoSession => ("session".to_owned(), "a session".to_owned(), None),
            Unmet::SessionNth(nth) => (
                "session.nth".to_owned(),
                nth.to_string(),
                self.session().map(|session| session.0.to_string()),
            ),
            Unmet::SessionState(machine, state) => (
                format!("session.state.{machine}"),
                state.to_owned(),
                self.session()
                    .and_then(|session| self.states.current(session, machine)),
            ),
        };
        FieldDiff {
            field,
            expected,
            actual,
        }
    }

    /// What a value pattern wants, as the stub writes it: templates stay unrendered, so a
    /// diff never shows a value bound for this run (`Bearer {{fresh.token-1}}`).
    fn expected(&self, pattern: &ValueMatch) -> String {
        match pattern {
            ValueMatch::Absent => "null (absent)".to_owned(),
            ValueMatch::Matches(pattern) => pattern.clone(),
        }
    }
}

/// The values of `name` in `params`, in order.
fn values<'p>(params: &'p Params, name: &'p str) -> impl Iterator<Item = &'p [u8]> {
    params
        .pairs()
        .iter()
        .filter(move |(key, _)| key == name)
        .map(|(_, value)| value.as_bytes())
}

/// The values sent, joined with `, `; `None` when there are none.
fn joined<'v>(values: impl Iterator<Item = &'v [u8]>) -> Option<String> {
    let values: Vec<String> = values
        .map(|value| String::from_utf8_lossy(value).into_owned())
        .collect();
    (!values.is_empty()).then(|| values.join(", "))
}

/// Whether a request path meets a stub's path pattern, or does with one trailing slash added
/// or removed.
fn path_matches(pattern: &str, path: &str) -> bool {
    if !pattern.contains('*') {
        return path == pattern
            || pattern.strip_suffix('/') == Some(path)
            || path.strip_suffix('/') == Some(pattern);
    }
    let fits = |path: &str| {
        let pattern: Vec<&str> = pattern.split('/').collect();
        let path: Vec<&str> = path.split('/').collect();
        wildcard(
            &pattern,
            &path,
            |segment| *segment == "**",
            |segment, sent| {
                glob(
                    &written(segment.as_bytes()).collect::<Vec<_>>(),
                    sent.as_bytes(),
                )
            },
        )
    };
    fits(path)
        || match path.strip_suffix('/') {
            Some(shorter) => fits(shorter),
            None => fits(&format!("{path}/")),
        }
}

/// One unit of a value pattern.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Unit {
    /// Any run of bytes, possibly empty: a `*` written in the pattern.
    Any,
    /// This byte.
    Byte(u8),
}

/// The units of pattern text as written: `*` matches any run, every other byte itself.
fn written(text: &[u8]) -> impl Iterator<Item = Unit> + '_ {
    text.iter().map(|&byte| match byte {
        b'*' => Unit::Any,
        byte => Unit::Byte(byte),
    })
}

/// Whether `text` matches `pattern`.
fn glob(pattern: &[Unit], text: &[u8]) -> bool {
    wildcard(
        pattern,
        text,
        |unit| *unit == Unit::Any,
        |unit, sent| *unit == Unit::Byte(*sent),
    )
}

/// Whether `text` matches `pattern`, where each pattern item that `is_star` matches any run of
/// text items (possibly none) and every other one matches one text item that it `fits`.
/// Greedy with a return to the last star: O(pattern × text) at worst.
fn wildcard<P, T>(
    pattern: &[P],
    text: &[T],
    is_star: impl Fn(&P) -> bool,
    fits: impl Fn(&P, &T) -> bool,
) -> bool {
    let (mut p, mut t) = (0, 0);
    // After the last star met: where the pattern resumes, and where the text the star
    // swallowed ends.
    let mut resume: Option<(usize, usize)> = None;
    loop {
        match (pattern.get(p), text.get(t)) {
            (Some(item), _) if is_star(item) => {
                p += 1;
                resume = Some((p, t));
            }
            (Some(item), Some(unit)) if fits(item, unit) => {
                p += 1;
                t += 1;
            }
            (None, None) => return true,
            _ => match resume {
                Some((after_star, swallowed)) if swallowed < text.len() => {
                    p = after_star;
                    t = swallowed + 1;
                    resume = Some((after_star, t));
                }
                _ => return false,
            },
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::scenario::{BeneficiarySpec, SessionMatch, StateMachine};
    use crate::world::{Who, population};
    use bytes::Bytes;
    use http::{HeaderMap, HeaderValue};
    use proptest::prelude::*;
    use std::sync::Arc;

    #[test]
    fn literal_paths_match_with_one_trailing_slash_either_way() {
        assert!(path_matches("/v2/fhir/Coverage/", "/v2/fhir/Coverage/"));
        assert!(path_matches("/v2/fhir/Coverage/", "/v2/fhir/Coverage"));
        assert!(path_matches("/v2/fhir/Coverage", "/v2/fhir/Coverage/"));
        assert!(!path_matches("/v2/fhir/Coverage", "/v2/fhir/Coverage//"));
        assert!(!path_matches("/v2/fhir/Coverage/", "/v2/fhir/Coverage/x"));
        assert!(!path_matches("/v2/fhir/Coverage", "/v2/fhir/Cov"));
    }

    #[test]
    fn a_star_stays_within_one_segment() {
        let pattern = "/v2/fhir/Patient/*";
        assert!(path_matches(pattern, "/v2/fhir/Patient/-20140000008325"));
        assert!(path_matches(pattern, "/v2/fhir/Patient/-20140000008325/"));
        assert!(path_matches(pattern, "/v2/fhir/Patient/"));
        assert!(path_matches(pattern, "/v2/fhir/Patient"));
        assert!(!path_matches(pattern, "/v2/fhir/Patient/a/b"));
        assert!(path_matches("/v*/fhir/*/", "/v1/fhir/Coverage/"));
        assert!(!path_matches("/v*/fhir/*/", "/v1/x/fhir/Coverage/"));
        assert!(path_matches(
            "/v2/fhir/*Benefit/",
            "/v2/fhir/ExplanationOfBenefit"
        ));
        assert!(!path_matches("/v2/fhir/*Benefit/", "/v2/fhir/Coverage/"));
    }

    #[test]
    fn a_double_star_segment_spans_any_number_of_segments() {
        let pattern = "/v2/fhir/ExplanationOfBenefit/**";
        for path in [
            "/v2/fhir/ExplanationOfBenefit",
            "/v2/fhir/ExplanationOfBenefit/",
            "/v2/fhir/ExplanationOfBenefit/carrier--1",
            "/v2/fhir/ExplanationOfBenefit/a/b/c/",
        ] {
            assert!(path_matches(pattern, path), "{path}");
        }
        assert!(!path_matches(pattern, "/v2/fhir/ExplanationOfBenefitX"));
        assert!(!path_matches(pattern, "/v1/fhir/ExplanationOfBenefit/"));
        assert!(path_matches("/**", "/"));
        assert!(path_matches("/**", "/v2/o/token/"));
        assert!(path_matches("/v2/**/userinfo", "/v2/connect/userinfo"));
        assert!(path_matches("/v2/**/userinfo", "/v2/userinfo"));
        assert!(!path_matches("/v2/**/userinfo", "/v1/connect/userinfo"));
        assert!(path_matches("/**/Patient/*", "/v2/fhir/Patient/7"));
    }

    /// `glob` with a pattern as written.
    fn glob_written(pattern: &[u8], text: &[u8]) -> bool {
        glob(&written(pattern).collect::<Vec<_>>(), text)
    }

    #[test]
    fn value_patterns() {
        assert!(glob_written(b"*", b""));
        assert!(glob_written(b"*", b"anything at all"));
        assert!(glob_written(
            b"application/fhir+json*",
            b"application/fhir+json"
        ));
        assert!(glob_written(
            b"application/fhir+json*",
            b"application/fhir+json; charset=utf-8"
        ));
        assert!(!glob_written(
            b"application/fhir+json*",
            b"application/json"
        ));
        assert!(glob_written(b"Bearer *", b"Bearer abc"));
        assert!(glob_written(b"a*b*c", b"aXXbYYbc"));
        assert!(!glob_written(b"a*b*c", b"aXXbYYb"));
        assert!(!glob_written(b"carrier", b"Carrier"));
        assert!(glob_written(b"", b""));
        assert!(!glob_written(b"", b"x"));
    }

    /// The obvious exponential definition the fast one must agree with.
    fn reference(pattern: &[u8], text: &[u8]) -> bool {
        match pattern.split_first() {
            None => text.is_empty(),
            Some((b'*', rest)) => (0..=text.len()).any(|i| reference(rest, &text[i..])),
            Some((unit, rest)) => text.first() == Some(unit) && reference(rest, &text[1..]),
        }
    }

    proptest! {
        #[test]
        fn glob_agrees_with_the_reference(pattern in "[ab*]{0,8}", text in "[ab]{0,10}") {
            prop_assert_eq!(
                glob_written(pattern.as_bytes(), text.as_bytes()),
                reference(pattern.as_bytes(), text.as_bytes())
            );
        }
    }

    struct World {
        store: TokenStore,
        states: SessionStates,
        fresh: Fresh,
    }

    fn world() -> World {
        World {
            store: TokenStore::new(),
            states: SessionStates::new(&[StateMachine {
                name: "outage".into(),
                states: vec!["healthy".into(), "failing".into()],
                transitions: Vec::new(),
            }]),
            fresh: Fresh::default(),
        }
    }

    /// Opens a session and returns its access token.
    fn session(world: &World) -> String {
        let spec = BeneficiarySpec {
            username: "BBUser20023".into(),
            password: "PW20023!".into(),
            patient_id: "-20140000000024".into(),
            name: None,
            claims: None,
        };
        let session = world.store.open_session(
            "app",
            Who::built(Arc::new(population::from_spec(&spec, 0))),
            "profile",
            None,
        );
        world
            .store
            .issue_tokens(session, "profile", Timestamp::MAX)
            .unwrap()
            .access_token
    }

    fn request(method: Method, target: &str, headers: &[(&str, &str)], body: &str) -> Request {
        let (path, query) = match target.split_once('?') {
            Some((path, query)) => (path.to_owned(), Some(query.to_owned())),
            None => (target.to_owned(), None),
        };
        let mut map = HeaderMap::new();
        for (name, value) in headers {
            map.append(
                HeaderName::from_bytes(name.as_bytes()).unwrap(),
                HeaderValue::from_str(value).unwrap(),
            );
        }
        Request {
            method,
            path,
            query,
            headers: map,
            body: Bytes::from(body.to_owned()),
            origin: "http://127.0.0.1:1".to_owned(),
        }
    }

    fn matcher<'a>(world: &'a World, request: &'a Request) -> Matcher<'a> {
        let query = Params::from_query(request.query.as_deref());
        let form = Params::from_query(Some(&String::from_utf8_lossy(&request.body)));
        Matcher::with_params(
            request,
            query,
            form,
            &world.store,
            Timestamp::now(),
            &world.states,
            &world.fresh,
        )
    }

    fn when(path: &str) -> StubWhen {
        StubWhen {
            path: path.to_owned(),
            ..StubWhen::default()
        }
    }

    fn pattern(text: &str) -> ValueMatch {
        ValueMatch::Matches(text.to_owned())
    }

    fn fields(diffs: &[FieldDiff]) -> Vec<&str> {
        diffs.iter().map(|diff| diff.field.as_str()).collect()
    }

    #[test]
    fn query_conditions_with_absent_and_repeated_parameters() {
        let world = world();
        let mut eob = when("/v2/fhir/ExplanationOfBenefit/");
        eob.query = vec![
            ("type".into(), pattern("carrier")),
            ("_count".into(), pattern("*")),
            ("startIndex".into(), ValueMatch::Absent),
        ];
        let hit = request(
            Method::GET,
            "/v2/fhir/ExplanationOfBenefit/?type=pde&type=carrier&_count=",
            &[],
            "",
        );
        assert!(matcher(&world, &hit).matches(&eob));
        let miss = request(
            Method::GET,
            "/v2/fhir/ExplanationOfBenefit/?type=pde&startIndex=10",
            &[],
            "",
        );
        let diffs = matcher(&world, &miss).unmet(&eob);
        assert_eq!(
            diffs,
            [
                FieldDiff {
                    field: "query.type".into(),
                    expected: "carrier".into(),
                    actual: Some("pde".into()),
                },
                FieldDiff {
                    field: "query._count".into(),
                    expected: "*".into(),
                    actual: None,
                },
                FieldDiff {
                    field: "query.startIndex".into(),
                    expected: "null (absent)".into(),
                    actual: Some("10".into()),
                },
            ]
        );
        assert!(!matcher(&world, &miss).matches(&eob));
    }

    #[test]
    fn header_names_ignore_case_and_values_are_compared_as_sent() {
        let world = world();
        let mut fhir = when("/**");
        fhir.headers = vec![(http::header::ACCEPT, pattern("application/fhir+json*"))];
        let sent = |accept: &str| request(Method::GET, "/x", &[("ACCEPT", accept)], "");
        assert!(matcher(&world, &sent("application/fhir+json")).matches(&fhir));
        assert!(!matcher(&world, &sent("Application/FHIR+json")).matches(&fhir));
        let none = request(Method::GET, "/x", &[], "");
        assert_eq!(
            matcher(&world, &none).unmet(&fhir),
            [FieldDiff {
                field: "headers.accept".into(),
                expected: "application/fhir+json*".into(),
                actual: None,
            }]
        );
        fhir.headers = vec![(http::header::ACCEPT, ValueMatch::Absent)];
        assert!(matcher(&world, &none).matches(&fhir));
        assert!(!matcher(&world, &sent("*/*")).matches(&fhir));
    }

    #[test]
    fn form_fields_method_and_path() {
        let world = world();
        let mut refresh = when("/v2/o/token/");
        refresh.method = Some(Method::POST);
        refresh.form = vec![("grant_type".into(), pattern("refresh_token"))];
        let post = |body: &str| request(Method::POST, "/v2/o/token", &[], body);
        assert!(matcher(&world, &post("grant_type=refresh_token&x=1")).matches(&refresh));
        assert!(!matcher(&world, &post("grant_type=authorization_code")).matches(&refresh));
        let get = request(Method::GET, "/v2/o/tok/", &[], "");
        assert_eq!(
            fields(&matcher(&world, &get).unmet(&refresh)),
            ["method", "path", "form.grant_type"]
        );
    }

    #[test]
    fn text_rendered_into_a_pattern_is_literal() {
        let world = world();
        let mut echo = when("/**");
        echo.headers = vec![(
            HeaderName::from_static("x-echo"),
            pattern("{{request.query.x}}"),
        )];
        echo.query = vec![("y".into(), pattern("a*{{request.header.x-star}}"))];
        let sent = |target: &str, echo: &str| {
            request(
                Method::GET,
                target,
                &[("x-echo", echo), ("x-star", "*b")],
                "",
            )
        };
        // The request's own `*` and `%2A` are text, not wildcards.
        assert!(matcher(&world, &sent("/?x=*&y=a*b", "*")).matches(&echo));
        assert!(!matcher(&world, &sent("/?x=*&y=a*b", "anything")).matches(&echo));
        assert!(!matcher(&world, &sent("/?x=%2A&y=a*b", "")).matches(&echo));
        assert!(matcher(&world, &sent("/?x=a%2Ab&y=a*b", "a*b")).matches(&echo));
        assert!(!matcher(&world, &sent("/?x=a%2Ab&y=a*b", "aXb")).matches(&echo));
        // The pattern's own `*` still matches any run before the rendered `*b`.
        assert!(matcher(&world, &sent("/?x=v&y=aXYZ*b", "v")).matches(&echo));
        assert!(!matcher(&world, &sent("/?x=v&y=aXYZb", "v")).matches(&echo));
        // The near-miss explanation shows the pattern as written (no run's values in it).
        assert_eq!(
            matcher(&world, &sent("/?x=*&y=a", "z")).unmet(&echo),
            [
                FieldDiff {
                    field: "query.y".into(),
                    expected: "a*{{request.header.x-star}}".into(),
                    actual: Some("a".into()),
                },
                FieldDiff {
                    field: "headers.x-echo".into(),
                    expected: "{{request.query.x}}".into(),
                    actual: Some("z".into()),
                },
            ]
        );
    }

    #[test]
    fn session_conditions_need_a_session_its_number_and_its_states() {
        let world = world();
        let first = session(&world);
        let second = session(&world);
        let mut second_failing = when("/**");
        second_failing.session = Some(SessionMatch {
            nth: Some(2),
            state: vec![("outage".into(), "failing".into())],
        });
        let bearer = |token: &str| {
            request(
                Method::GET,
                "/v2/fhir/Patient/",
                &[("authorization", &format!("Bearer {token}"))],
                "",
            )
        };
        let anonymous = request(Method::GET, "/v2/fhir/Patient/", &[], "");
        assert_eq!(
            matcher(&world, &anonymous).unmet(&second_failing),
            [FieldDiff {
                field: "session".into(),
                expected: "a session".into(),
                actual: None,
            }]
        );
        let first_request = bearer(&first);
        assert_eq!(
            matcher(&world, &first_request).unmet(&second_failing),
            [
                FieldDiff {
                    field: "session.nth".into(),
                    expected: "2".into(),
                    actual: Some("1".into()),
                },
                FieldDiff {
                    field: "session.state.outage".into(),
                    expected: "failing".into(),
                    actual: Some("healthy".into()),
                },
            ]
        );
        let second_request = bearer(&second);
        assert!(!matcher(&world, &second_request).matches(&second_failing));
        world.states.set(SessionId(2), "outage", "failing").unwrap();
        assert!(matcher(&world, &second_request).matches(&second_failing));
        // The state belongs to session 2 only.
        let mut failing = when("/**");
        failing.session = Some(SessionMatch {
            nth: None,
            state: vec![("outage".into(), "failing".into())],
        });
        assert!(!matcher(&world, &first_request).matches(&failing));
        // An unknown machine is never in any state.
        failing.session = Some(SessionMatch {
            nth: None,
            state: vec![("nope".into(), "failing".into())],
        });
        assert_eq!(
            matcher(&world, &second_request).unmet(&failing),
            [FieldDiff {
                field: "session.state.nope".into(),
                expected: "failing".into(),
                actual: None,
            }]
        );
        // An empty session condition asks for any session.
        let mut any = when("/**");
        any.session = Some(SessionMatch {
            nth: None,
            state: Vec::new(),
        });
        assert!(matcher(&world, &first_request).matches(&any));
        assert!(!matcher(&world, &anonymous).matches(&any));
        assert_eq!(
            matcher(&world, &second_request).session(),
            Some(SessionId(2))
        );
    }
}
