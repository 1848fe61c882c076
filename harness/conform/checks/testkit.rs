//! Builders for the checks' unit tests: a synthetic journal of authorize, token and API
//! exchanges as the fake server records them, and a run of the built-in `oauth-success`
//! scenario (confidential app, exit code 0, no output) to judge it with.

pub use crate::conform::checks::reads_testkit::Run;
use crate::exchange::{Request, Response};
use crate::oauth::pkce;
use crate::scenario;
use crate::scenario::defaults::{CONFIDENTIAL_CLIENT_ID, CONFIDENTIAL_CLIENT_SECRET};
use crate::server::journal::Exchange;
use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use bytes::Bytes;
use http::header::{AUTHORIZATION, CONTENT_TYPE, HeaderName, WWW_AUTHENTICATE};
use http::{HeaderMap, HeaderValue, Method, StatusCode};
use serde_json::json;
use std::time::Duration;

/// The loopback callback the test client listens on.
pub const REDIRECT_URI: &str = "http://127.0.0.1:5000/callback";

/// A valid verifier (64 unreserved characters).
pub const VERIFIER: &str = "aB3-._~0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTU";

/// The challenge of [`VERIFIER`].
pub fn challenge() -> String {
    pkce::s256_challenge(VERIFIER)
}

/// A journal being written, ids from 1.
#[derive(Default)]
pub struct Journal {
    exchanges: Vec<Exchange>,
}

impl Journal {
    /// An empty journal.
    pub fn new() -> Journal {
        Journal::default()
    }

    /// Records one exchange; returns its id.
    pub fn send(&mut self, request: Request, response: Response) -> u64 {
        let id = self.exchanges.len() as u64 + 1;
        self.exchanges.push(Exchange {
            id,
            at: Duration::from_millis(id),
            elapsed: Duration::ZERO,
            request,
            response,
            content_encoding: None,
            miss: None,
            refused: None,
        });
        id
    }

    /// `GET /v2/o/authorize/?query`, answered with `response`.
    pub fn authorize(&mut self, query: &str, response: Response) -> u64 {
        let request = request(Method::GET, "/v2/o/authorize/", Some(query), &[], "");
        self.send(request, response)
    }

    /// A complete authorization with `state` and `challenge`, redirected back with `code`
    /// and the same state.
    pub fn authorized(&mut self, state: &str, challenge: &str, code: &str) -> u64 {
        let query = authorize_query(&[
            ("redirect_uri", REDIRECT_URI),
            ("state", state),
            ("code_challenge", challenge),
            ("code_challenge_method", "S256"),
        ]);
        self.authorize(&query, redirect(&[("code", code), ("state", state)]))
    }

    /// A form POST to the token endpoint with the confidential app's Basic credentials.
    pub fn token(&mut self, body: &str, response: Response) -> u64 {
        let basic = basic(CONFIDENTIAL_CLIENT_ID, CONFIDENTIAL_CLIENT_SECRET);
        let request = form_post(&[(AUTHORIZATION, basic.as_str())], body);
        self.send(request, response)
    }

    /// The good client's code exchange, answered with `access` and `refresh`.
    pub fn redeem(&mut self, code: &str, access: &str, refresh: &str) -> u64 {
        self.token(&code_exchange(code), tokens(access, refresh))
    }

    /// A refresh with `refresh_token`, answered with `response`.
    pub fn refresh(&mut self, refresh_token: &str, response: Response) -> u64 {
        let body = form(&[
            ("grant_type", "refresh_token"),
            ("refresh_token", refresh_token),
        ]);
        self.token(&body, response)
    }

    /// `GET /v2/fhir/Coverage/` with `bearer`, answered with `response`.
    pub fn read(&mut self, bearer: &str, response: Response) -> u64 {
        let authorization = format!("Bearer {bearer}");
        let request = request(
            Method::GET,
            "/v2/fhir/Coverage/",
            None,
            &[(AUTHORIZATION, authorization.as_str())],
            "",
        );
        self.send(request, response)
    }

    /// The run of `oauth-success` with this journal, its client exiting 0.
    pub fn run(self) -> Run {
        let mut run = Run::new(self.exchanges);
        run.scenario = scenario::builtin("oauth-success").expect("the built-in scenario");
        run
    }
}

/// A request to the fake server.
pub fn request(
    method: Method,
    path: &str,
    query: Option<&str>,
    headers: &[(HeaderName, &str)],
    body: &str,
) -> Request {
    let mut map = HeaderMap::new();
    for (name, value) in headers {
        map.append(name.clone(), HeaderValue::from_str(value).expect("header"));
    }
    Request {
        method,
        path: path.into(),
        query: query.map(str::to_owned),
        headers: map,
        body: Bytes::from(body.to_owned()),
        origin: "http://127.0.0.1:8000".into(),
    }
}

/// `POST /v2/o/token/` with a form body and `headers`.
pub fn form_post(headers: &[(HeaderName, &str)], body: &str) -> Request {
    let mut headers = headers.to_vec();
    headers.push((CONTENT_TYPE, "application/x-www-form-urlencoded"));
    request(Method::POST, "/v2/o/token/", None, &headers, body)
}

/// A urlencoded form (or query string) of `pairs`.
pub fn form(pairs: &[(&str, &str)]) -> String {
    form_urlencoded::Serializer::new(String::new())
        .extend_pairs(pairs)
        .finish()
}

/// The good client's code exchange body for `code`.
pub fn code_exchange(code: &str) -> String {
    form(&[
        ("grant_type", "authorization_code"),
        ("code", code),
        ("redirect_uri", REDIRECT_URI),
        ("code_verifier", VERIFIER),
    ])
}

/// An authorize query: `response_type=code`, the confidential app's id, then `pairs`.
pub fn authorize_query(pairs: &[(&str, &str)]) -> String {
    let mut all = vec![
        ("response_type", "code"),
        ("client_id", CONFIDENTIAL_CLIENT_ID),
    ];
    all.extend_from_slice(pairs);
    form(&all)
}

/// An `Authorization: Basic` value.
pub fn basic(client_id: &str, secret: &str) -> String {
    format!("Basic {}", STANDARD.encode(format!("{client_id}:{secret}")))
}

/// A 302 back to [`REDIRECT_URI`] with `pairs`.
pub fn redirect(pairs: &[(&str, &str)]) -> Response {
    Response::redirect(
        StatusCode::FOUND,
        &format!("{REDIRECT_URI}?{}", form(pairs)),
    )
}

/// A token response with `access` and `refresh`.
pub fn tokens(access: &str, refresh: &str) -> Response {
    Response::json(
        StatusCode::OK,
        &json!({
            "access_token": access,
            "expires_in": 36000,
            "token_type": "Bearer",
            "refresh_token": refresh,
            "patient": "-20140000008325",
        }),
    )
}

/// An OAuth error answer.
pub fn oauth_error(status: StatusCode, error: &str) -> Response {
    Response::json(status, &json!({ "error": error }))
}

/// A search answered with an empty Bundle.
pub fn bundle() -> Response {
    Response::json(
        StatusCode::OK,
        &json!({"resourceType": "Bundle", "total": 0, "entry": []}),
    )
}

/// The 401 of an expired access token.
pub fn expired() -> Response {
    Response::detail(
        StatusCode::UNAUTHORIZED,
        "application/json",
        "Authentication credentials were not provided.",
    )
    .header(
        WWW_AUTHENTICATE,
        "Bearer error=\"invalid_token\", error_description=\"The access token expired\"",
    )
}
