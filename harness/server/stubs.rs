//! The scenario's `stubs`: canned answers evaluated in order before the built-in API. Each
//! stub counts the requests that reach it and match its method and path (over the server's
//! life, lock-free); the first stub that matches, and whose `nth` is this count if it has
//! one, answers. A request answered by an earlier stub never reaches the later ones.

use crate::exchange::{Request, Response};
use crate::scenario::{Stub, StubThen};
use http::StatusCode;
use http::header::{CONTENT_TYPE, HeaderValue};
use std::sync::atomic::{AtomicU64, Ordering};

/// Every stub of a scenario with its count of matching requests.
#[derive(Debug)]
pub struct Stubs {
    stubs: Vec<(Stub, AtomicU64)>,
}

impl Stubs {
    /// The stubs, in order, none of them matched yet.
    pub fn new<'a>(stubs: impl IntoIterator<Item = &'a Stub>) -> Stubs {
        Stubs {
            stubs: stubs
                .into_iter()
                .map(|stub| (stub.clone(), AtomicU64::new(0)))
                .collect(),
        }
    }

    /// The answer of the first stub that answers `request`, counting it in every stub it
    /// reaches that matches its method and path.
    pub fn answering(&self, request: &Request) -> Option<&StubThen> {
        self.stubs.iter().find_map(|(stub, count)| {
            let when = &stub.when;
            if when.method.as_ref().is_some_and(|m| *m != request.method)
                || !path_matches(&when.path, &request.path)
            {
                return None;
            }
            let nth = count.fetch_add(1, Ordering::Relaxed).saturating_add(1);
            when.nth
                .is_none_or(|wanted| wanted == nth)
                .then_some(&stub.then)
        })
    }
}

/// Whether a request path is the stub's, or differs from it by one trailing slash.
fn path_matches(stub: &str, request: &str) -> bool {
    request == stub
        || stub.strip_suffix('/') == Some(request)
        || request.strip_suffix('/') == Some(stub)
}

/// The stub's own answer (not `passthrough`): its status (200 by default) and body, with
/// `Content-Type: application/json` when it has a body; its headers come from [`overlay`].
/// A struck `fault` answers instead (`wire::Plan::fault_answer`).
pub fn answer(then: &StubThen, _request: &Request) -> Response {
    let mut response = Response::empty(then.status.unwrap_or(StatusCode::OK));
    if let Some(body) = &then.body {
        response
            .headers
            .insert(CONTENT_TYPE, HeaderValue::from_static("application/json"));
        response.body = body.clone();
    }
    response
}

/// Applies the stub's status (if it sets one) and headers over `response`, replacing headers
/// of the same name.
pub fn overlay(then: &StubThen, response: &mut Response) {
    if let Some(status) = then.status {
        response.status = status;
    }
    for (name, value) in &then.headers {
        response.headers.insert(name.clone(), value.clone());
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::scenario::StubWhen;
    use bytes::Bytes;
    use http::{HeaderMap, Method};

    fn request(method: Method, path: &str) -> Request {
        Request {
            method,
            path: path.to_owned(),
            query: None,
            headers: HeaderMap::new(),
            body: Bytes::new(),
            origin: "http://127.0.0.1:1".to_owned(),
        }
    }

    fn stub(method: Option<Method>, path: &str, nth: Option<u64>, status: u16) -> Stub {
        Stub {
            when: StubWhen {
                method,
                path: path.to_owned(),
                query: Vec::new(),
                headers: Vec::new(),
                form: Vec::new(),
                session: None,
                nth,
            },
            then: StubThen {
                status: StatusCode::from_u16(status).ok(),
                headers: Vec::new(),
                body: None,
                passthrough: None,
                fault: None,
                delay: None,
                sequence: Vec::new(),
            },
        }
    }

    fn status(stubs: &Stubs, method: Method, path: &str) -> Option<u16> {
        stubs
            .answering(&request(method, path))
            .and_then(|then| then.status)
            .map(|s| s.as_u16())
    }

    #[test]
    fn paths_match_with_one_trailing_slash_either_way() {
        assert!(path_matches("/v2/fhir/Coverage/", "/v2/fhir/Coverage/"));
        assert!(path_matches("/v2/fhir/Coverage/", "/v2/fhir/Coverage"));
        assert!(path_matches("/v2/fhir/Coverage", "/v2/fhir/Coverage/"));
        assert!(!path_matches("/v2/fhir/Coverage", "/v2/fhir/Coverage//"));
        assert!(!path_matches("/v2/fhir/Coverage/", "/v2/fhir/Coverage/x"));
        assert!(!path_matches("/v2/fhir/Coverage", "/v2/fhir/Cov"));
    }

    #[test]
    fn nth_counts_per_stub_and_the_first_answering_stub_wins() {
        let stubs = Stubs::new(&[
            stub(Some(Method::GET), "/a/", Some(2), 429),
            stub(None, "/a", None, 503),
        ]);
        // 1st GET: the nth stub counts it but does not answer; the catch-all does.
        assert_eq!(status(&stubs, Method::GET, "/a"), Some(503));
        assert_eq!(status(&stubs, Method::GET, "/a/"), Some(429));
        assert_eq!(status(&stubs, Method::GET, "/a/"), Some(503));
        // Other methods never reach the first stub's count.
        assert_eq!(status(&stubs, Method::POST, "/a/"), Some(503));
        assert_eq!(status(&stubs, Method::GET, "/b/"), None);
    }

    #[test]
    fn answers_and_overlays() {
        let mut then = stub(None, "/", None, 201).then;
        then.headers = vec![(http::header::RETRY_AFTER, HeaderValue::from_static("1"))];
        let get = request(Method::GET, "/");
        let mut response = answer(&then, &get);
        assert_eq!(response.status, StatusCode::CREATED);
        assert!(response.headers.get(CONTENT_TYPE).is_none());
        then.body = Some(Bytes::from_static(b"{}"));
        then.status = None;
        response = answer(&then, &get);
        assert_eq!(response.status, StatusCode::OK);
        assert_eq!(response.media_type().as_deref(), Some("application/json"));
        then.headers
            .push((CONTENT_TYPE, HeaderValue::from_static("text/plain")));
        overlay(&then, &mut response);
        assert_eq!(response.media_type().as_deref(), Some("text/plain"));
        assert_eq!(
            response.headers.get("retry-after").map(|v| v.as_bytes()),
            Some(&b"1"[..])
        );
    }
}
