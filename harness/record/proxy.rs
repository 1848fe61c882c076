//! The reverse proxy: every request is forwarded to the upstream as received (no redirect is
//! followed, bodies keep their encoding), the answer is recorded (the file rewritten) before
//! it goes back to the client, and links to the upstream's origin are pointed at the
//! recorder so the client stays on it (pagination `next` links, redirects).

use crate::record::rebind::{Binder, Captured, replace_origin};
use crate::record::upstream::UpstreamClient;
use crate::record::writer::{self, Recording};
use crate::server::MAX_BODY_BYTES;
use crate::server::redact::Redactor;
use bytes::Bytes;
use flate2::Compression;
use flate2::read::MultiGzDecoder;
use flate2::write::GzEncoder;
use http::header::{
    CONNECTION, CONTENT_ENCODING, CONTENT_LENGTH, CONTENT_LOCATION, CONTENT_TYPE, HOST, HeaderName,
    HeaderValue, LOCATION,
};
use http::{HeaderMap, StatusCode};
use http_body_util::{BodyExt, Full, Limited};
use hyper::body::Incoming;
use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper_util::rt::TokioIo;
use hyper_util::server::graceful::GracefulShutdown;
use std::convert::Infallible;
use std::io::{Read, Write};
use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;
use tokio::net::TcpListener;
use tokio::sync::{Mutex, watch};

/// Headers that concern one connection, never forwarded (RFC 9110 §7.6.1).
const HOP_BY_HOP: [&str; 9] = [
    "connection",
    "keep-alive",
    "proxy-connection",
    "proxy-authenticate",
    "proxy-authorization",
    "te",
    "trailer",
    "transfer-encoding",
    "upgrade",
];
/// The largest decoded answer recorded (a gzip body that inflates beyond it is not).
const MAX_DECODED_BYTES: u64 = 64 * 1024 * 1024;
/// The largest answer body read from the upstream (a larger one is a 502).
const MAX_ANSWER_BYTES: usize = 64 * 1024 * 1024;
/// How long a graceful stop waits for open connections.
const STOP_GRACE: Duration = Duration::from_secs(5);

/// What every connection of the recorder shares.
pub(crate) struct Shared {
    /// The upstream's origin (`http://127.0.0.1:8000`, `https://...`), no trailing slash.
    pub(crate) upstream: String,
    client: UpstreamClient,
    out: PathBuf,
    session: Mutex<Session>,
    /// Exchanges written to the file so far.
    pub(crate) recorded: AtomicUsize,
    /// The address the recorder listens on.
    pub(crate) local_addr: SocketAddr,
}

struct Session {
    binder: Binder,
    recording: Recording,
}

impl Shared {
    /// The proxy's state; `recording` is what the file holds now (empty).
    pub(crate) fn new(
        upstream: String,
        client: UpstreamClient,
        out: PathBuf,
        recording: Recording,
        local_addr: SocketAddr,
    ) -> Shared {
        Shared {
            session: Mutex::new(Session {
                binder: Binder::new(upstream.clone()),
                recording,
            }),
            upstream,
            client,
            out,
            recorded: AtomicUsize::new(0),
            local_addr,
        }
    }

    /// Adds the exchange to the recording and rewrites the file (one writer at a time, in
    /// the order answers arrive).
    async fn record(&self, exchange: Captured) {
        let mut session = self.session.lock().await;
        let Session { binder, recording } = &mut *session;
        let (when, answer) = binder.stub_parts(&exchange);
        recording.add(when, answer);
        let text = match recording.to_yaml() {
            Ok(text) => text,
            Err(error) => {
                eprintln!("bbh record: cannot write the recording as YAML: {error}");
                return;
            }
        };
        let out = self.out.clone();
        let written = tokio::task::spawn_blocking(move || writer::write_atomic(&out, &text)).await;
        match written {
            Ok(Ok(())) => self
                .recorded
                .store(recording.exchanges(), Ordering::Relaxed),
            Ok(Err(error)) => eprintln!("bbh record: cannot write {}: {error}", self.out.display()),
            Err(error) => eprintln!("bbh record: cannot write {}: {error}", self.out.display()),
        }
    }
}

/// Accepts connections until `stopped` changes, then lets open exchanges finish.
pub(crate) async fn accept_loop(
    listener: TcpListener,
    shared: Arc<Shared>,
    mut stopped: watch::Receiver<bool>,
) {
    let graceful = GracefulShutdown::new();
    loop {
        tokio::select! {
            accepted = listener.accept() => {
                let Ok((stream, _peer)) = accepted else { continue };
                let _ = stream.set_nodelay(true);
                let shared = Arc::clone(&shared);
                let service = service_fn(move |request| forward(Arc::clone(&shared), request));
                let connection = http1::Builder::new()
                    .keep_alive(true)
                    .serve_connection(TokioIo::new(stream), service);
                let watched = graceful.watch(connection);
                tokio::spawn(async move {
                    let _ = watched.await;
                });
            }
            _ = stopped.changed() => break,
        }
    }
    drop(listener);
    let _ = tokio::time::timeout(STOP_GRACE, graceful.shutdown()).await;
}

/// A request target as stderr may show it: codes, tokens, secrets and patient ids aliased.
fn logged_target(uri: &http::Uri) -> String {
    Redactor::new().target(uri.path(), uri.query())
}

async fn forward(
    shared: Arc<Shared>,
    request: hyper::Request<Incoming>,
) -> Result<hyper::Response<Full<Bytes>>, Infallible> {
    let (parts, body) = request.into_parts();
    // The upstream's admin API answers its loopback peers, which the recorder is: forwarding
    // it would hand it to whoever reaches the recorder.
    if parts.uri.path().starts_with("/__admin") {
        return Ok(plain(
            StatusCode::FORBIDDEN,
            "bbh record: the admin API (/__admin/) is not forwarded",
        ));
    }
    let Ok(body) = Limited::new(body, MAX_BODY_BYTES).collect().await else {
        return Ok(plain(
            StatusCode::BAD_REQUEST,
            "bbh record: the request body could not be read (or is larger than 2.5 MiB)",
        ));
    };
    let body = body.to_bytes();
    let client_origin = match parts.headers.get(HOST).and_then(|h| h.to_str().ok()) {
        Some(host) => format!("http://{host}"),
        None => format!("http://{}", shared.local_addr),
    };
    let target = parts
        .uri
        .path_and_query()
        .map_or("/", |target| target.as_str());
    let mut headers = parts.headers.clone();
    strip_hop_by_hop(&mut headers);
    headers.remove(HOST);
    headers.remove(CONTENT_LENGTH);
    let mut upstream_request = hyper::Request::builder()
        .method(parts.method.clone())
        .uri(format!("{}{target}", shared.upstream));
    if let Some(forwarded) = upstream_request.headers_mut() {
        *forwarded = headers;
    }
    let answered = match upstream_request.body(Full::new(body.clone())) {
        Ok(request) => shared.client.send(request, MAX_ANSWER_BYTES).await,
        Err(error) => Err(format!("the request cannot be forwarded: {error}")),
    };
    let (status, response_headers, raw) = match answered {
        Ok(answer) => (answer.status, answer.headers, answer.body),
        Err(error) => {
            eprintln!(
                "bbh record: {} {}: the upstream {} failed: {error}",
                parts.method,
                logged_target(&parts.uri),
                shared.upstream
            );
            return Ok(plain(
                StatusCode::BAD_GATEWAY,
                &format!("bbh record: the upstream failed: {error}"),
            ));
        }
    };
    let decoded = decode(&response_headers, &raw);
    if let Err(why) = &decoded {
        eprintln!(
            "bbh record: {} {}: the answer's body is not recorded: {why}",
            parts.method,
            logged_target(&parts.uri)
        );
    }
    let decoded = decoded.ok();
    shared
        .record(Captured {
            method: parts.method,
            path: parts.uri.path().to_owned(),
            query: parts.uri.query().map(str::to_owned),
            request_headers: parts.headers,
            request_body: body,
            status,
            response_headers: response_headers.clone(),
            response_body: decoded.clone(),
        })
        .await;
    Ok(to_client(
        status,
        response_headers,
        raw,
        decoded,
        &shared.upstream,
        &client_origin,
    ))
}

/// The upstream's answer as the client gets it: hop-by-hop headers dropped, and the
/// upstream's origin in `Location` and in the body replaced by the recorder's (the body
/// re-compressed when it came gzipped); otherwise the bytes as received.
fn to_client(
    status: StatusCode,
    mut headers: HeaderMap,
    raw: Bytes,
    decoded: Option<Bytes>,
    upstream: &str,
    client_origin: &str,
) -> hyper::Response<Full<Bytes>> {
    strip_hop_by_hop(&mut headers);
    headers.remove(CONTENT_LENGTH);
    for name in [LOCATION, CONTENT_LOCATION] {
        let rewritten = headers
            .get(&name)
            .and_then(|value| value.to_str().ok())
            .and_then(|value| replace_origin(value, upstream, client_origin))
            .and_then(|value| HeaderValue::from_str(&value).ok());
        if let Some(value) = rewritten {
            headers.insert(name, value);
        }
    }
    let rewritten = decoded
        .as_deref()
        .and_then(|body| std::str::from_utf8(body).ok())
        .and_then(|text| replace_origin(text, upstream, client_origin));
    let body = match rewritten {
        None => raw,
        Some(text) if is_gzip(&headers) => match gzip(text.as_bytes()) {
            Ok(gzipped) => Bytes::from(gzipped),
            Err(_) => {
                headers.remove(CONTENT_ENCODING);
                Bytes::from(text)
            }
        },
        Some(text) => Bytes::from(text),
    };
    let mut response = hyper::Response::new(Full::new(body));
    *response.status_mut() = status;
    *response.headers_mut() = headers;
    response
}

/// The body with its `Content-Encoding` undone (identity or gzip).
fn decode(headers: &HeaderMap, raw: &Bytes) -> Result<Bytes, String> {
    let encoding = headers.get(CONTENT_ENCODING).map(|value| {
        String::from_utf8_lossy(value.as_bytes())
            .trim()
            .to_ascii_lowercase()
    });
    match encoding.as_deref() {
        None | Some("" | "identity") => Ok(raw.clone()),
        Some("gzip" | "x-gzip") => {
            let mut decoded = Vec::new();
            MultiGzDecoder::new(raw.as_ref())
                .take(MAX_DECODED_BYTES + 1)
                .read_to_end(&mut decoded)
                .map_err(|error| format!("its gzip stream is broken: {error}"))?;
            if decoded.len() as u64 > MAX_DECODED_BYTES {
                return Err("it inflates beyond 64 MiB".to_owned());
            }
            Ok(Bytes::from(decoded))
        }
        Some(other) => Err(format!("the `{other}` content encoding is not supported")),
    }
}

fn is_gzip(headers: &HeaderMap) -> bool {
    headers
        .get(CONTENT_ENCODING)
        .is_some_and(|value| value.as_bytes().eq_ignore_ascii_case(b"gzip"))
}

fn gzip(bytes: &[u8]) -> std::io::Result<Vec<u8>> {
    let mut encoder = GzEncoder::new(Vec::new(), Compression::default());
    encoder.write_all(bytes)?;
    encoder.finish()
}

/// Removes hop-by-hop headers, and those the `Connection` header names.
fn strip_hop_by_hop(headers: &mut HeaderMap) {
    let named: Vec<HeaderName> = headers
        .get_all(CONNECTION)
        .iter()
        .filter_map(|value| value.to_str().ok())
        .flat_map(|value| value.split(','))
        .filter_map(|name| HeaderName::from_bytes(name.trim().as_bytes()).ok())
        .collect();
    for name in named {
        headers.remove(name);
    }
    for name in HOP_BY_HOP {
        headers.remove(name);
    }
}

fn plain(status: StatusCode, message: &str) -> hyper::Response<Full<Bytes>> {
    let mut response = hyper::Response::new(Full::new(Bytes::from(format!("{message}\n"))));
    *response.status_mut() = status;
    response.headers_mut().insert(
        CONTENT_TYPE,
        HeaderValue::from_static("text/plain; charset=utf-8"),
    );
    response
}

#[cfg(test)]
mod tests {
    use super::*;
    use flate2::read::GzDecoder;

    #[test]
    fn the_client_gets_the_bytes_unless_a_link_leads_upstream() {
        let mut headers = HeaderMap::new();
        headers.insert(CONTENT_ENCODING, HeaderValue::from_static("gzip"));
        headers.insert(CONNECTION, HeaderValue::from_static("close, x-hop"));
        headers.insert("x-hop", HeaderValue::from_static("1"));
        headers.insert(LOCATION, HeaderValue::from_static("http://up:1/next"));
        let plain_body = br#"{"url":"http://up:1/v2/fhir/?startIndex=10"}"#;
        let raw = Bytes::from(gzip(plain_body).unwrap());
        let decoded = decode(&headers, &raw).unwrap();
        assert_eq!(decoded.as_ref(), plain_body);

        let response = to_client(
            StatusCode::OK,
            headers.clone(),
            raw.clone(),
            Some(decoded),
            "http://up:1",
            "http://proxy:2",
        );
        assert_eq!(response.headers()[LOCATION], "http://proxy:2/next");
        assert!(response.headers().get("x-hop").is_none());
        assert!(response.headers().get(CONNECTION).is_none());
        assert_eq!(response.headers()[CONTENT_ENCODING], "gzip");
        let body = futures_util::FutureExt::now_or_never(response.into_body().collect())
            .unwrap()
            .unwrap()
            .to_bytes();
        let mut inflated = String::new();
        GzDecoder::new(body.as_ref())
            .read_to_string(&mut inflated)
            .unwrap();
        assert_eq!(
            inflated,
            r#"{"url":"http://proxy:2/v2/fhir/?startIndex=10"}"#
        );

        // Nothing to rewrite: the very bytes received.
        let untouched = to_client(
            StatusCode::OK,
            headers.clone(),
            raw.clone(),
            Some(Bytes::from_static(b"{}")),
            "http://up:1",
            "http://proxy:2",
        );
        let body = futures_util::FutureExt::now_or_never(untouched.into_body().collect())
            .unwrap()
            .unwrap()
            .to_bytes();
        assert_eq!(body, raw);
    }

    #[test]
    fn unknown_encodings_are_not_decoded() {
        let mut headers = HeaderMap::new();
        headers.insert(CONTENT_ENCODING, HeaderValue::from_static("br"));
        assert!(decode(&headers, &Bytes::from_static(b"x")).is_err());
        headers.insert(CONTENT_ENCODING, HeaderValue::from_static("gzip"));
        assert!(decode(&headers, &Bytes::from_static(b"not gzip")).is_err());
    }
}
