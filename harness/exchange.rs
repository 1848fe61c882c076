//! One HTTP exchange as the handlers see it: a fully read request and the response to send.
//! The journal records exactly these, so every handler speaks in these types.

use bytes::Bytes;
use http::header::{CONTENT_TYPE, HeaderName, HeaderValue, LOCATION};
use http::{HeaderMap, Method, StatusCode};
use std::cell::RefCell;
use std::fmt;

/// Identifies a session: one authorization and the chain of tokens refreshed from it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct SessionId(pub u64);

impl fmt::Display for SessionId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "session#{}", self.0)
    }
}

/// A request with its body read.
#[derive(Debug, Clone)]
pub struct Request {
    /// The HTTP method.
    pub method: Method,
    /// The path, percent-encoded as received (`/v2/fhir/Patient/-20140000008325`).
    pub path: String,
    /// The raw query string without `?`, if the URL had one.
    pub query: Option<String>,
    /// The request headers.
    pub headers: HeaderMap,
    /// The request body.
    pub body: Bytes,
    /// The origin the client used to reach us (`http://127.0.0.1:8000`), from `Host`.
    pub origin: String,
}

impl Request {
    /// The same request in buffers of its own. hyper hands out header values and bodies as
    /// slices of its connection's read buffer, so a request kept after its answer (in the
    /// journal) would keep that whole buffer alive; this copies them, in one allocation for all
    /// the header values.
    pub fn detached(self) -> Request {
        let total = self.headers.values().map(HeaderValue::len).sum();
        let mut values = bytes::BytesMut::with_capacity(total);
        for value in self.headers.values() {
            values.extend_from_slice(value.as_bytes());
        }
        let mut values = values.freeze();
        let mut headers = HeaderMap::with_capacity(self.headers.len());
        for (name, value) in &self.headers {
            let own = values.split_to(value.len());
            // The bytes were a valid value already.
            if let Ok(mut own) = HeaderValue::from_maybe_shared(own) {
                own.set_sensitive(value.is_sensitive());
                headers.append(name.clone(), own);
            }
        }
        Request {
            headers,
            body: Bytes::copy_from_slice(&self.body),
            ..self
        }
    }

    /// The decoded `name=value` pairs of the query string, in order.
    pub fn query_pairs(&self) -> Vec<(String, String)> {
        self.query
            .as_deref()
            .map(|q| {
                form_urlencoded::parse(q.as_bytes())
                    .map(|(k, v)| (k.into_owned(), v.into_owned()))
                    .collect()
            })
            .unwrap_or_default()
    }

    /// A header's value as text, when present and valid visible ASCII.
    pub fn header(&self, name: impl http::header::AsHeaderName) -> Option<&str> {
        self.headers.get(name).and_then(|v| v.to_str().ok())
    }
}

/// Headers a response is made with room for: its own, the view's, the throttle's and BB2's
/// global ones fit without the map growing on the way out.
pub const HEADER_ROOM: usize = 16;

/// A response, fully built, before compression.
#[derive(Debug, Clone)]
pub struct Response {
    /// The status code.
    pub status: StatusCode,
    /// The response headers (without `Content-Length`; the server adds it).
    pub headers: HeaderMap,
    /// The response body, uncompressed.
    pub body: Bytes,
    /// The session this exchange belongs to, when the handler knows it.
    pub session: Option<SessionId>,
}

impl Response {
    /// An empty response.
    pub fn empty(status: StatusCode) -> Response {
        Response {
            status,
            headers: HeaderMap::with_capacity(HEADER_ROOM),
            body: Bytes::new(),
            session: None,
        }
    }

    /// A response with a body of the given content type.
    pub fn with_body(status: StatusCode, content_type: &str, body: impl Into<Bytes>) -> Response {
        Response::empty(status)
            .header(CONTENT_TYPE, content_type)
            .body(body)
    }

    /// A compact JSON body (`application/json`).
    pub fn json(status: StatusCode, value: &serde_json::Value) -> Response {
        Response::json_as(status, "application/json", value)
    }

    /// A compact JSON body with the given content type.
    pub fn json_as(status: StatusCode, content_type: &str, value: &serde_json::Value) -> Response {
        Response::with_body(status, content_type, json_body(value))
    }

    /// A Django REST framework error: `{"detail": message}` in the given content type.
    pub fn detail(status: StatusCode, content_type: &str, message: &str) -> Response {
        Response::json_as(
            status,
            content_type,
            &serde_json::json!({ "detail": message }),
        )
    }

    /// An HTML page (`text/html; charset=utf-8`).
    pub fn html(status: StatusCode, page: impl Into<Bytes>) -> Response {
        Response::with_body(status, "text/html; charset=utf-8", page)
    }

    /// A redirect to `location` with an empty body.
    pub fn redirect(status: StatusCode, location: &str) -> Response {
        Response::with_body(status, "text/html; charset=utf-8", Bytes::new())
            .header(LOCATION, location)
    }

    /// Sets a header (an invalid value is dropped, never sent malformed).
    pub fn header(mut self, name: HeaderName, value: &str) -> Response {
        if let Ok(value) = HeaderValue::from_str(value) {
            self.headers.insert(name, value);
        }
        self
    }

    /// Replaces the body.
    pub fn body(mut self, body: impl Into<Bytes>) -> Response {
        self.body = body.into();
        self
    }

    /// Tags the exchange with its session.
    pub fn in_session(mut self, session: SessionId) -> Response {
        self.session = Some(session);
        self
    }

    /// The content type without parameters, lower-cased (`application/json`).
    pub fn media_type(&self) -> Option<String> {
        let value = self.headers.get(CONTENT_TYPE)?.to_str().ok()?;
        Some(crate::params::media_type(value))
    }
}
/// A retained scratch buffer larger than this is given back after use.
const SCRATCH_KEPT: usize = 1024 * 1024;

thread_local! {
    /// Where each thread writes JSON bodies before copying them out.
    static SCRATCH: RefCell<Vec<u8>> = const { RefCell::new(Vec::new()) };
}

/// `value` as compact JSON (`to_writer` writes straight into bytes; `Display` goes through a
/// formatter per token), in an allocation of exactly its size: bodies are kept (page cache,
/// journal), and a buffer grown by doubling would keep up to twice their bytes, or leave the
/// heap full of the holes that shrinking it cuts.
fn json_body(value: &serde_json::Value) -> Bytes {
    let written = SCRATCH.with(|scratch| {
        let mut buffer = scratch.try_borrow_mut().ok()?;
        buffer.clear();
        serde_json::to_writer(&mut *buffer, value).ok()?;
        let body = Bytes::copy_from_slice(&buffer);
        if buffer.capacity() > SCRATCH_KEPT {
            *buffer = Vec::new();
        }
        Some(body)
    });
    // Serializing a `Value` cannot fail, and would fall back to `Display` if it did.
    written.unwrap_or_else(|| Bytes::from(value.to_string()))
}
