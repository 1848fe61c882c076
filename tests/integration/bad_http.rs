//! Bad HTTP input against a running server, sent as raw bytes: random methods, paths, queries,
//! headers (duplicated, oversized, not UTF-8), bodies (random bytes, truncated multipart, the
//! wrong content type), Basic and Bearer garbage. The property: no answer is a 5xx; a head over
//! the size limits gets nginx's page; every JSON error body of the OAuth and FHIR endpoints
//! matches its schema; HTML comes only where BB2 serves HTML; and the server answers a good
//! request afterwards. CI runs a small budget; `BBH_PROPTEST_CASES=N` runs more.

use crate::support::*;
use proptest::prelude::*;
use proptest::test_runner::{Config, TestRunner};
use serde_json::Value;
use std::io::{Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::time::Duration;

/// Cases per run: a small budget unless `BBH_PROPTEST_CASES` asks for more.
fn cases() -> u32 {
    std::env::var("BBH_PROPTEST_CASES")
        .ok()
        .and_then(|cases| cases.parse().ok())
        .unwrap_or(64)
}

/// One raw request.
#[derive(Clone)]
struct RawRequest {
    method: String,
    target: Vec<u8>,
    headers: Vec<(String, Vec<u8>)>,
    body: Vec<u8>,
}

impl std::fmt::Debug for RawRequest {
    /// The request as text (bytes that are not UTF-8 shown as U+FFFD), the body by length.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let lossy = |bytes: &[u8]| String::from_utf8_lossy(bytes).into_owned();
        let headers: Vec<(&str, String)> = self
            .headers
            .iter()
            .map(|(name, value)| (name.as_str(), lossy(value)))
            .collect();
        f.debug_struct("RawRequest")
            .field("method", &self.method)
            .field("target", &lossy(&self.target))
            .field("headers", &headers)
            .field("body_bytes", &self.body.len())
            .finish()
    }
}

impl RawRequest {
    fn bytes(&self) -> Vec<u8> {
        let mut out = Vec::new();
        out.extend_from_slice(self.method.as_bytes());
        out.push(b' ');
        out.extend_from_slice(&self.target);
        out.extend_from_slice(b" HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n");
        for (name, value) in &self.headers {
            out.extend_from_slice(name.as_bytes());
            out.extend_from_slice(b": ");
            out.extend_from_slice(value);
            out.extend_from_slice(b"\r\n");
        }
        out.extend_from_slice(format!("Content-Length: {}\r\n\r\n", self.body.len()).as_bytes());
        out.extend_from_slice(&self.body);
        out
    }

    /// Every header line as sent: the fixed ones `bytes` writes, then the generated ones.
    fn header_lines(&self) -> Vec<(String, Vec<u8>)> {
        let mut lines = vec![
            ("Host".to_owned(), b"127.0.0.1".to_vec()),
            ("Connection".to_owned(), b"close".to_vec()),
        ];
        lines.extend(self.headers.iter().cloned());
        lines.push((
            "Content-Length".to_owned(),
            self.body.len().to_string().into_bytes(),
        ));
        lines
    }

    fn path(&self) -> String {
        let target = String::from_utf8_lossy(&self.target);
        target.split('?').next().unwrap_or_default().to_owned()
    }
}

const PATHS: &[&str] = &[
    "/v2/o/authorize/",
    "/v2/o/token/",
    "/v2/o/revoke_token/",
    "/v2/o/revoke/",
    "/v2/o/introspect/",
    "/v2/connect/userinfo",
    "/v1/connect/userinfo",
    "/v2/fhir/Patient/",
    "/v2/fhir/Patient/-20140000008325",
    "/v2/fhir/ExplanationOfBenefit/",
    "/v1/fhir/ExplanationOfBenefit/",
    "/v2/fhir/Coverage/",
    "/v2/fhir/metadata",
    "/.well-known/openid-configuration",
    "/__admin/requests",
];

fn method() -> impl Strategy<Value = String> {
    prop_oneof![
        prop::sample::select(vec![
            "GET", "POST", "HEAD", "OPTIONS", "PUT", "DELETE", "PATCH"
        ])
        .prop_map(str::to_owned),
        "[A-Z]{1,12}",
    ]
}

fn target() -> impl Strategy<Value = Vec<u8>> {
    let path = prop_oneof![
        3 => prop::sample::select(PATHS.to_vec()).prop_map(str::to_owned),
        1 => "/[a-zA-Z0-9/._%~-]{0,40}",
    ];
    let query = prop::option::of("[a-zA-Z0-9=&%_.+:/-]{0,80}");
    let query = prop_oneof![
        9 => query,
        // Around the request line's limit (8 KiB).
        1 => (8_100usize..8_300).prop_map(|len| Some(format!("q={}", "a".repeat(len)))),
    ];
    (path, query).prop_map(|(path, query)| match query {
        Some(query) => format!("{path}?{query}").into_bytes(),
        None => path.into_bytes(),
    })
}

fn header_value() -> impl Strategy<Value = Vec<u8>> {
    prop_oneof![
        "[ -~]{0,40}".prop_map(String::into_bytes),
        // Not UTF-8 (obs-text bytes), which HTTP allows in a value.
        prop::collection::vec(0x80u8..=0xff, 1..20),
        // Long values, on both sides of a header line's limit (8 KiB) and, several of them, of
        // the head's (32 KiB); hyper's own limit lies far above these.
        (1usize..20_000).prop_map(|len| vec![b'a'; len]),
        (8_150usize..8_250).prop_map(|len| vec![b'b'; len]),
        prop::sample::select(vec![
            "Bearer",
            "Bearer ",
            "Bearer not-a-token",
            "Bearer \u{7f}",
            "Basic",
            "Basic !!!",
            "Basic Og==",
            "Basic bm90LWEtcGFpcg==",
            "Basic c3dCdTdMV3NDbklSZnU1MzBxbmZQdzF5NXZNbUVSM2xBTTJMNnJxMjo=",
            "application/x-www-form-urlencoded",
            "multipart/form-data; boundary=x",
            "multipart/form-data",
            "application/json",
            "gzip",
            "*/*",
            "application/fhir+json; q=0",
        ])
        .prop_map(|value| value.as_bytes().to_vec()),
    ]
}

fn headers() -> impl Strategy<Value = Vec<(String, Vec<u8>)>> {
    let name = prop::sample::select(vec![
        "Authorization",
        "Accept",
        "Accept-Encoding",
        "Content-Type",
        "Cookie",
        "Origin",
        "X-Forwarded-For",
        "X-Bbh-Session",
    ])
    .prop_map(str::to_owned);
    // Names repeat freely: duplicated headers are part of the input.
    prop::collection::vec((name, header_value()), 0..8)
}

fn body() -> impl Strategy<Value = Vec<u8>> {
    prop_oneof![
        Just(Vec::new()),
        prop::collection::vec(any::<u8>(), 0..2_000),
        "[a-z_]{1,12}=[ -~]{0,40}(&[a-z_]{1,12}=[ -~]{0,40}){0,6}".prop_map(String::into_bytes),
        // A multipart body cut off before its closing boundary.
        Just(b"--x\r\nContent-Disposition: form-data; name=\"code\"\r\n\r\nabc".to_vec()),
        Just(b"{\"grant_type\": \"authorization_code\", \"code\": [".to_vec()),
    ]
}

/// Credentials, most often garbage of the right scheme.
fn authorization() -> impl Strategy<Value = Option<Vec<u8>>> {
    let garbage = prop_oneof![
        "Bearer [A-Za-z0-9._~+/=-]{0,60}",
        "Basic [A-Za-z0-9+/=]{0,60}",
        "(Bearer|Basic|bearer|Token) ?[ -~]{0,30}",
    ];
    prop::option::weighted(0.7, garbage.prop_map(String::into_bytes))
}

fn raw_request() -> impl Strategy<Value = RawRequest> {
    (method(), target(), authorization(), headers(), body()).prop_map(
        |(method, target, authorization, mut headers, body)| {
            if let Some(value) = authorization {
                headers.insert(0, ("Authorization".to_owned(), value));
            }
            RawRequest {
                method,
                target,
                headers,
                body,
            }
        },
    )
}

/// An answer as read off the wire: status, headers (lowercased names) and body.
struct RawAnswer {
    status: u16,
    headers: Vec<(String, String)>,
    body: Vec<u8>,
}

impl RawAnswer {
    fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.as_str())
    }
}

/// Sends `bytes` on a new connection and reads until the server closes it; `None` when the
/// server closed it without answering.
fn exchange(addr: SocketAddr, bytes: &[u8]) -> Option<RawAnswer> {
    let mut stream = TcpStream::connect(addr).unwrap();
    stream
        .set_read_timeout(Some(Duration::from_secs(20)))
        .unwrap();
    // The server may answer (and close) before it has read everything: a failed write is fine.
    let _ = stream.write_all(bytes);
    let mut reply = Vec::new();
    let _ = stream.read_to_end(&mut reply);
    let head_end = reply.windows(4).position(|w| w == b"\r\n\r\n")?;
    let head = String::from_utf8_lossy(&reply[..head_end]).into_owned();
    let mut lines = head.split("\r\n");
    let status = lines.next()?.split(' ').nth(1)?.parse().ok()?;
    let headers = lines
        .filter_map(|line| line.split_once(':'))
        .map(|(name, value)| (name.trim().to_ascii_lowercase(), value.trim().to_owned()))
        .collect();
    Some(RawAnswer {
        status,
        headers,
        body: reply[head_end + 4..].to_vec(),
    })
}

/// The schema an error body of `path` must match, where one applies.
fn error_schema(path: &str) -> Option<&'static str> {
    let versioned = path
        .strip_prefix("/v1/")
        .or_else(|| path.strip_prefix("/v2/"))?;
    if versioned.starts_with("fhir/") || versioned.starts_with("connect/userinfo") {
        Some("fhir-error")
    } else if versioned.starts_with("o/") {
        Some("oauth-error")
    } else {
        None
    }
}

/// The status nginx refuses a head with (README "Request size limits"): 414 for a request line
/// over 8 KiB, 400 for a header line over 8 KiB or a head over 32 KiB. Lines are measured as
/// hyper reads them: a value without the blanks around it, each line with its `: ` and CRLF.
fn expected_refusal(request: &RawRequest) -> Option<u16> {
    let request_line = request.method.len() + 1 + request.target.len() + " HTTP/1.1\r\n".len();
    if request_line > 8192 {
        return Some(414);
    }
    let mut head = request_line;
    for (name, value) in request.header_lines() {
        let line = name.len() + value.trim_ascii().len() + 4;
        head += line;
        if line > 8192 || head > 32768 {
            return Some(400);
        }
    }
    None
}

/// Whether hyper refuses the head itself (a bare 400 without a body) before bbh sees it: a
/// value with a control byte or DEL.
fn hyper_refuses(request: &RawRequest) -> bool {
    request.headers.iter().any(|(_, value)| {
        value
            .iter()
            .any(|&byte| byte == 0x7f || (byte < 0x20 && byte != b'\t'))
    })
}

/// Where BB2 answers HTML: its authorize pages; Django's 404 page for a path it does not route;
/// Django's empty 405; Django's bare 400 (`<h1>Bad Request (400)</h1>`, for a body it cannot
/// read or a refused revocation); and the plain `HttpResponse`s of django-oauth-toolkit's
/// client-authenticated views (introspect, revoke, expire a user), such as the empty 403 for
/// bad client credentials and revoke's empty 200. FHIR, userinfo, token and discovery answer
/// JSON otherwise.
fn html_expected(request: &RawRequest, answer: &RawAnswer) -> bool {
    let path = request.path();
    let versioned = path
        .strip_prefix("/v1/")
        .or_else(|| path.strip_prefix("/v2/"))
        .unwrap_or_default();
    let json_api = versioned.starts_with("fhir/")
        || versioned.starts_with("connect/")
        || versioned.starts_with("o/token")
        || path.starts_with("/.well-known/");
    let client_view = ["o/introspect", "o/revoke", "o/expire_authenticated_user"]
        .iter()
        .any(|view| versioned.starts_with(view));
    versioned.starts_with("o/authorize")
        || client_view
        || (answer.status == 404 && !json_api)
        || (answer.status == 405 && answer.body.is_empty())
        || (answer.status == 400 && answer.body == b"<h1>Bad Request (400)</h1>")
}

/// Checks the property for one request.
fn check(addr: SocketAddr, request: &RawRequest) -> Result<(), TestCaseError> {
    let Some(answer) = exchange(addr, &request.bytes()) else {
        // Closed without an answer (hyper gives up on a head it cannot parse): no 5xx.
        return Ok(());
    };
    prop_assert!(answer.status < 500, "{} for {request:?}", answer.status);
    if answer.status == 400 && answer.header("content-type").is_none() {
        prop_assert!(
            hyper_refuses(request),
            "a bare 400 for a head hyper accepts: {request:?}"
        );
        return Ok(());
    }
    if let Some(status) = expected_refusal(request) {
        let page = String::from_utf8_lossy(&answer.body);
        let text = match status {
            414 => "<h1>414 Request-URI Too Large</h1>",
            _ => "<center>Request Header Or Cookie Too Large</center>",
        };
        prop_assert_eq!(answer.status, status, "{:?}", request);
        prop_assert_eq!(answer.header("connection"), Some("close"));
        prop_assert!(
            request.method == "HEAD" || page.contains(text),
            "{page} for {request:?}"
        );
        return Ok(());
    }
    let html = answer
        .header("content-type")
        .is_some_and(|t| t.starts_with("text/html"));
    prop_assert!(
        !html || html_expected(request, &answer),
        "HTML {} {:?} for {request:?}",
        answer.status,
        String::from_utf8_lossy(&answer.body)
    );
    let json = answer
        .header("content-type")
        .is_some_and(|t| t.contains("json"));
    let plain = answer.header("content-encoding").is_none() && request.method != "HEAD";
    if answer.status >= 400 && json && plain {
        let body: Value = serde_json::from_slice(&answer.body)
            .map_err(|e| TestCaseError::fail(format!("{e} in a JSON error for {request:?}")))?;
        if let Some(name) = error_schema(&request.path()) {
            prop_assert!(
                schema(name).is_valid(&body),
                "{} {body} does not match {name} for {request:?}",
                answer.status
            );
        }
    }
    Ok(())
}

#[test]
fn random_requests_get_no_5xx_and_valid_error_bodies_and_the_server_keeps_answering() {
    let runtime = tokio::runtime::Runtime::new().unwrap();
    let harness = runtime.block_on(Harness::builtin("oauth-success"));
    let addr = harness.server.local_addr();
    let config = Config {
        cases: cases(),
        failure_persistence: None,
        ..Config::default()
    };
    let mut runner = TestRunner::new(config);
    let result = runner.run(&raw_request(), |request| check(addr, &request));
    if let Err(failure) = result {
        panic!("{failure}");
    }
    let metadata = runtime.block_on(harness.get("/v2/fhir/metadata"));
    assert_eq!(metadata.status, 200);
}

#[test]
fn a_body_over_the_limit_gets_bb2s_400_and_the_server_keeps_answering() {
    let runtime = tokio::runtime::Runtime::new().unwrap();
    let harness = runtime.block_on(Harness::builtin("oauth-success"));
    let request = RawRequest {
        method: "POST".into(),
        target: b"/v2/o/token/".to_vec(),
        headers: vec![(
            "Content-Type".into(),
            b"application/x-www-form-urlencoded".to_vec(),
        )],
        body: vec![b'a'; bluebutton_harness::server::MAX_BODY_BYTES + 1],
    };
    let answer = exchange(harness.server.local_addr(), &request.bytes()).unwrap();
    assert_eq!(answer.status, 400);
    assert_eq!(
        String::from_utf8_lossy(&answer.body),
        "<h1>Bad Request (400)</h1>"
    );
    let metadata = runtime.block_on(harness.get("/v2/fhir/metadata"));
    assert_eq!(metadata.status, 200);
}

#[test]
fn refused_requests_are_journaled_with_the_reason() {
    use bluebutton_harness::server::limits::Refusal;
    let runtime = tokio::runtime::Runtime::new().unwrap();
    let harness = runtime.block_on(Harness::builtin("oauth-success"));
    let addr = harness.server.local_addr();
    let oversized = RawRequest {
        method: "GET".into(),
        target: b"/v2/fhir/metadata".to_vec(),
        headers: vec![("Cookie".into(), vec![b'c'; 9000])],
        body: Vec::new(),
    };
    let answer = exchange(addr, &oversized.bytes()).unwrap();
    assert_eq!(answer.status, 400);
    // A body cut off: the client sends 10 of 1,000 bytes, then closes its side.
    let mut stream = TcpStream::connect(addr).unwrap();
    stream
        .write_all(b"POST /v2/o/token/ HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: 1000\r\n\r\ngrant_type")
        .unwrap();
    stream.shutdown(std::net::Shutdown::Write).unwrap();
    let mut reply = Vec::new();
    let _ = stream.read_to_end(&mut reply);
    let reply = String::from_utf8_lossy(&reply);
    assert!(reply.starts_with("HTTP/1.1 400"), "{reply}");
    assert!(reply.ends_with("<h1>Bad Request (400)</h1>"), "{reply}");
    let refused: Vec<Option<Refusal>> = harness
        .server
        .journal()
        .exchanges()
        .iter()
        .map(|exchange| exchange.refused)
        .collect();
    assert_eq!(
        refused,
        [Some(Refusal::HeadersTooLarge), Some(Refusal::BodyCutOff)]
    );
    let metadata = runtime.block_on(harness.get("/v2/fhir/metadata"));
    assert_eq!(metadata.status, 200);
}

#[test]
fn a_refused_request_moves_no_state_machine() {
    let runtime = tokio::runtime::Runtime::new().unwrap();
    let harness = runtime.block_on(Harness::yaml(
        "version: 1\nname: moves\nstates:\n  reads:\n    states: [none, some]\n    transitions:\n      - {from: none, to: some, when: {method: GET, path: /v2/fhir/Patient/}}\n",
    ));
    let token = runtime.block_on(harness.access_token());
    let oversized = RawRequest {
        method: "GET".into(),
        target: b"/v2/fhir/Patient/".to_vec(),
        headers: vec![
            (
                "Authorization".into(),
                format!("Bearer {token}").into_bytes(),
            ),
            ("Cookie".into(), vec![b'c'; 9000]),
        ],
        body: Vec::new(),
    };
    let answer = exchange(harness.server.local_addr(), &oversized.bytes()).unwrap();
    assert_eq!(answer.status, 400);
    assert!(harness.server.session_states().is_empty());
    let read = runtime.block_on(harness.get_with_token("/v2/fhir/Patient/", &token));
    assert_eq!(read.status, 200);
    assert_eq!(harness.server.session_states().len(), 1);
}
