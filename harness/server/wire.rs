//! How an answer goes on the wire: the body whole or dribbled (timed pieces, `Content-Length`
//! kept), after the step's latency, or broken as the step's `fault` says.
//!
//! hyper writes only well-formed HTTP, so the faults below HTTP go through [`WireIo`], the IO
//! of each connection: the answer fills the connection's [`CutSlot`], and at hyper's next write
//! the IO sends the fault's own bytes instead (none, random bytes, or a chunked message with
//! broken framing), then fails the write, so hyper drops the connection: a plain close, or a
//! TCP RST for `connection-reset` (`SO_LINGER` 0). Without a fault the IO costs one atomic
//! load per write.
//!
//! What a struck fault answers:
//! - `backend-failure`, `backend-timeout`, `too-many-requests`: BB2's answer
//!   ([`backend_fault`]); the built-in API does not run.
//! - `connection-reset`, `empty-response`, `random-bytes`: nothing HTTP; the journal records
//!   an empty 502 with [`FAULT_HEADER`] (what a gateway in front would log).
//! - `malformed-chunk`: a status line and headers, `Transfer-Encoding: chunked`, one chunk, a
//!   chunk-size line that is not hex, then close.
//! - `truncated-gzip`, `gzip-header-only`: the answer the request gets otherwise (the built-in
//!   one when the fault has no `rate`, as with `passthrough: true`), with `Content-Encoding:
//!   gzip` over half a gzip stream, or over the plain body.
//!
//! A fault with a `rate` strikes that fraction of the matching requests; the stub's `status`
//! and `headers` then belong to the requests it spares. Without a `rate` they apply over the
//! fault's answer (not over a connection fault, which has none).

use crate::exchange::{Request, Response};
use crate::scenario::{Dribble, Fault, StubThen};
use crate::server::backend_fault;
use crate::server::compression::{self, Encoding};
use crate::server::fault_dice::FaultDice;
use crate::world::throttle::Throttle;
use bytes::Bytes;
use http::header::{CONTENT_ENCODING, CONTENT_LENGTH, HeaderName, HeaderValue, VARY};
use http::{Method, StatusCode};
use hyper::body::{Body, Frame, SizeHint};
use std::convert::Infallible;
use std::future::Future;
use std::io;
use std::pin::Pin;
use std::sync::{Arc, OnceLock};
use std::task::{Context, Poll, ready};
use std::time::Duration;
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::net::TcpStream;
use tokio::time::{Instant, Sleep};

/// A header the journal's copy of a broken answer carries (never sent): the fault's name.
pub const FAULT_HEADER: HeaderName = HeaderName::from_static("bbh-fault");

/// The one chunk `malformed-chunk` sends before its broken chunk-size line.
const MALFORMED_FIRST_CHUNK: &[u8] = br#"{"resourceType": "Bundle", "entry": ["#;

/// What a stub step does to one request on the wire, its draws made (see the module doc).
#[derive(Debug, Clone, Default)]
pub struct Plan {
    /// The fault that strikes this request.
    fault: Option<Fault>,
    /// Whether the struck fault has a `rate` (the step's status and headers are not its).
    rated: bool,
    /// Whether the built-in API produces the answer.
    built_in: bool,
    /// Time before the answer.
    latency: Duration,
    /// How the body is paced.
    dribble: Option<Dribble>,
    /// A connection fault's bytes, decided at arrival.
    cut: Option<Cut>,
}

/// The plan of a request answered by the stub step `then`: whether its fault strikes, its
/// latency (both drawn from `dice` in arrival order), its pacing.
pub fn plan(then: &StubThen, dice: &FaultDice) -> Plan {
    let struck = then
        .fault
        .filter(|spec| spec.rate.is_none_or(|rate| dice.strikes(rate)));
    let fault = struck.map(|spec| spec.fault);
    let unrated = struck.is_some_and(|spec| spec.rate.is_none());
    let delay = then.delay.unwrap_or_default();
    let cut = match fault {
        Some(Fault::ConnectionReset) => Some(Cut {
            bytes: Bytes::new(),
            reset: true,
        }),
        Some(Fault::EmptyResponse) => Some(Cut {
            bytes: Bytes::new(),
            reset: false,
        }),
        Some(Fault::RandomBytes) => Some(Cut {
            bytes: Bytes::copy_from_slice(&dice.noise()),
            reset: false,
        }),
        _ => None,
    };
    let corrupts_encoding = matches!(fault, Some(Fault::TruncatedGzip | Fault::GzipHeaderOnly));
    Plan {
        fault,
        rated: struck.is_some() && !unrated,
        built_in: then.passthrough.is_some() || (unrated && corrupts_encoding),
        latency: delay
            .latency
            .map_or(Duration::ZERO, |latency| dice.latency(latency)),
        dribble: delay.dribble,
        cut,
    }
}

impl Plan {
    /// Waits out the latency.
    pub async fn wait(&self) {
        if !self.latency.is_zero() {
            tokio::time::sleep(self.latency).await;
        }
    }

    /// The answer a struck fault gives instead of the stub's or the built-in one; `None` when
    /// no fault struck or the fault only breaks the encoding of the usual answer.
    pub fn fault_answer(&self, request: &Request, throttle: &Throttle) -> Option<Response> {
        match self.fault? {
            Fault::Backend(fault) => Some(backend_fault::answer(fault, request)),
            Fault::TooManyRequests { retry_after } => Some(backend_fault::too_many_requests(
                throttle,
                retry_after,
                request,
            )),
            Fault::ConnectionReset | Fault::EmptyResponse | Fault::RandomBytes => {
                Some(Response::empty(StatusCode::BAD_GATEWAY))
            }
            Fault::MalformedChunk => Some(Response::with_body(
                StatusCode::OK,
                "application/json",
                Bytes::from_static(MALFORMED_FIRST_CHUNK),
            )),
            Fault::TruncatedGzip | Fault::GzipHeaderOnly => None,
        }
    }

    /// Whether the built-in API produces the answer (`passthrough`, or an encoding fault
    /// without a `rate`).
    pub fn built_in(&self) -> bool {
        self.built_in
    }

    /// Whether the step's `status` and `headers` go over the answer.
    pub fn overlays(&self) -> bool {
        !self.rated && self.cut.is_none()
    }

    /// The hyper response for `response`, encoded as `encoding` says unless a fault decides
    /// otherwise; a connection fault fills `slot` instead (the response returned is never
    /// written). `HEAD` keeps the headers and the length of the `GET` body, and sends no body.
    pub fn respond(
        &self,
        method: &Method,
        response: &Response,
        encoding: Encoding,
        slot: &CutSlot,
    ) -> hyper::Response<WireBody> {
        let cut = match (&self.cut, self.fault) {
            (Some(cut), _) => Some(cut.clone()),
            (None, Some(Fault::MalformedChunk)) => Some(Cut {
                bytes: malformed(response),
                reset: false,
            }),
            _ => None,
        };
        if let Some(cut) = cut {
            // A slot is filled once: the connection ends with this answer.
            let _ = slot.0.set(cut);
            return hyper::Response::new(WireBody::new(Bytes::new(), None));
        }
        let mut headers = response.headers.clone();
        let body = match self.fault {
            Some(Fault::TruncatedGzip) => {
                let gzipped = Bytes::from(compression::gzip(&response.body).unwrap_or_default());
                headers.insert(CONTENT_ENCODING, HeaderValue::from_static("gzip"));
                gzipped.slice(..gzipped.len() / 2)
            }
            Some(Fault::GzipHeaderOnly) => {
                headers.insert(CONTENT_ENCODING, HeaderValue::from_static("gzip"));
                response.body.clone()
            }
            _ => {
                if encoding.vary {
                    headers.append(VARY, HeaderValue::from_static("Accept-Encoding"));
                }
                match encoding.gzipped {
                    Some(gzipped) => {
                        headers.insert(CONTENT_ENCODING, HeaderValue::from_static("gzip"));
                        gzipped
                    }
                    None => response.body.clone(),
                }
            }
        };
        headers.insert(CONTENT_LENGTH, HeaderValue::from(body.len()));
        let body = if method == Method::HEAD {
            Bytes::new()
        } else {
            body
        };
        let mut wire = hyper::Response::new(WireBody::new(body, self.dribble));
        *wire.status_mut() = response.status;
        *wire.headers_mut() = headers;
        wire
    }

    /// Marks the journal's copy of an answer a wire fault broke with [`FAULT_HEADER`].
    pub fn mark(&self, response: &mut Response) {
        let Some(fault) = self.fault else { return };
        if !matches!(fault, Fault::Backend(_) | Fault::TooManyRequests { .. }) {
            response
                .headers
                .insert(FAULT_HEADER, HeaderValue::from_static(fault.name()));
        }
    }
}

/// `malformed-chunk`'s bytes: the status line and headers of `response` with
/// `Transfer-Encoding: chunked`, its body as one well-framed chunk, then a chunk-size line that
/// is not hexadecimal.
fn malformed(response: &Response) -> Bytes {
    let status = response.status;
    let mut message = format!(
        "HTTP/1.1 {} {}\r\n",
        status.as_str(),
        status.canonical_reason().unwrap_or("")
    )
    .into_bytes();
    for (name, value) in &response.headers {
        message.extend_from_slice(name.as_str().as_bytes());
        message.extend_from_slice(b": ");
        message.extend_from_slice(value.as_bytes());
        message.extend_from_slice(b"\r\n");
    }
    message.extend_from_slice(b"transfer-encoding: chunked\r\n\r\n");
    message.extend_from_slice(format!("{:x}\r\n", response.body.len()).as_bytes());
    message.extend_from_slice(&response.body);
    message.extend_from_slice(b"\r\nzz; not a chunk size\r\n");
    Bytes::from(message)
}

/// A connection fault: bytes to send in place of the answer, then a close (a reset when
/// `reset`).
#[derive(Debug, Clone)]
struct Cut {
    bytes: Bytes,
    reset: bool,
}

/// The slot of one connection a connection fault fills; [`WireIo`] carries it out.
#[derive(Debug, Default)]
pub struct CutSlot(OnceLock<Cut>);

/// A bare 500 for a request whose answering failed unexpectedly (no body, no journal entry).
pub fn internal_error() -> hyper::Response<WireBody> {
    let mut wire = hyper::Response::new(WireBody::new(Bytes::new(), None));
    *wire.status_mut() = http::StatusCode::INTERNAL_SERVER_ERROR;
    wire
}

/// A socket that can be made to end with a TCP RST when dropped.
pub trait AbortOnDrop {
    /// Sets `SO_LINGER` to zero: closing sends RST and drops unsent data.
    fn abort_on_drop(&self) -> io::Result<()>;
}

impl AbortOnDrop for TcpStream {
    fn abort_on_drop(&self) -> io::Result<()> {
        self.set_zero_linger()
    }
}

/// A TLS connection resets its TCP socket: the fault's bytes go out encrypted, the RST under
/// the TLS layer.
impl AbortOnDrop for tokio_rustls::server::TlsStream<TcpStream> {
    fn abort_on_drop(&self) -> io::Result<()> {
        self.get_ref().0.set_zero_linger()
    }
}

/// The IO of one connection: everything passes through to `S` until its [`CutSlot`] is
/// filled; then the next write sends the cut's bytes, and fails.
#[derive(Debug)]
pub struct WireIo<S> {
    inner: S,
    slot: Arc<CutSlot>,
    /// How many of the cut's bytes are sent.
    sent: usize,
}

impl<S> WireIo<S> {
    /// `inner` with an empty slot; the slot goes to the connection's service.
    pub fn new(inner: S) -> (WireIo<S>, Arc<CutSlot>) {
        let slot = Arc::new(CutSlot::default());
        let io = WireIo {
            inner,
            slot: Arc::clone(&slot),
            sent: 0,
        };
        (io, slot)
    }
}

impl<S: AsyncWrite + AbortOnDrop + Unpin> WireIo<S> {
    /// Sends the cut's bytes if the slot is filled: `Ready(Err)` once done (the connection
    /// must end), `Ready(Ok)` when there is no cut.
    fn poll_cut(&mut self, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        let Some(cut) = self.slot.0.get() else {
            return Poll::Ready(Ok(()));
        };
        while let Some(rest) = cut.bytes.get(self.sent..).filter(|rest| !rest.is_empty()) {
            let written = ready!(Pin::new(&mut self.inner).poll_write(cx, rest))?;
            if written == 0 {
                return Poll::Ready(Err(io::ErrorKind::WriteZero.into()));
            }
            self.sent += written;
        }
        ready!(Pin::new(&mut self.inner).poll_flush(cx))?;
        if cut.reset {
            self.inner.abort_on_drop()?;
        }
        Poll::Ready(Err(io::Error::new(
            io::ErrorKind::ConnectionAborted,
            "connection cut by a stub fault",
        )))
    }
}

impl<S: AsyncRead + Unpin> AsyncRead for WireIo<S> {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        Pin::new(&mut self.get_mut().inner).poll_read(cx, buf)
    }
}

impl<S: AsyncWrite + AbortOnDrop + Unpin> AsyncWrite for WireIo<S> {
    fn poll_write(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        let this = self.get_mut();
        ready!(this.poll_cut(cx))?;
        Pin::new(&mut this.inner).poll_write(cx, buf)
    }

    fn poll_write_vectored(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[io::IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        let this = self.get_mut();
        ready!(this.poll_cut(cx))?;
        Pin::new(&mut this.inner).poll_write_vectored(cx, bufs)
    }

    fn is_write_vectored(&self) -> bool {
        self.inner.is_write_vectored()
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        let this = self.get_mut();
        ready!(this.poll_cut(cx))?;
        Pin::new(&mut this.inner).poll_flush(cx)
    }

    fn poll_shutdown(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        let this = self.get_mut();
        ready!(this.poll_cut(cx))?;
        Pin::new(&mut this.inner).poll_shutdown(cx)
    }
}

/// A response body: whole, or dribbled in pieces spread over a duration (the length is
/// known either way, so `Content-Length` stays).
#[derive(Debug)]
pub struct WireBody(Pace);

#[derive(Debug)]
enum Pace {
    Whole(Option<Bytes>),
    Dribble(Box<Dribbling>),
}

#[derive(Debug)]
struct Dribbling {
    body: Bytes,
    /// How many pieces (at least 1).
    pieces: u32,
    /// The next piece to send.
    next: u32,
    /// The time from the first piece to the last.
    over: Duration,
    /// When the first piece went.
    start: Option<Instant>,
    sleep: Option<Pin<Box<Sleep>>>,
}

impl WireBody {
    /// `body`, dribbled when `dribble` says so.
    pub fn new(body: Bytes, dribble: Option<Dribble>) -> WireBody {
        match dribble {
            Some(dribble) if !body.is_empty() => WireBody(Pace::Dribble(Box::new(Dribbling {
                body,
                pieces: dribble.chunks.max(1),
                next: 0,
                over: dribble.over,
                start: None,
                sleep: None,
            }))),
            _ => WireBody(Pace::Whole(Some(body).filter(|body| !body.is_empty()))),
        }
    }
}

impl Dribbling {
    /// Piece `next` of the body once its time has come: piece i goes `over · i / (pieces - 1)`
    /// after the first.
    fn poll_piece(&mut self, cx: &mut Context<'_>) -> Poll<Option<Bytes>> {
        if self.next >= self.pieces {
            return Poll::Ready(None);
        }
        let start = *self.start.get_or_insert_with(Instant::now);
        if self.next > 0 {
            let offset = self
                .over
                .checked_mul(self.next)
                .and_then(|total| total.checked_div(self.pieces - 1))
                .unwrap_or(self.over);
            let deadline = start.checked_add(offset).unwrap_or(start);
            let sleep = self
                .sleep
                .get_or_insert_with(|| Box::pin(tokio::time::sleep_until(deadline)));
            if sleep.deadline() != deadline {
                sleep.as_mut().reset(deadline);
            }
            ready!(sleep.as_mut().poll(cx));
        }
        let (len, pieces) = (self.body.len() as u128, u128::from(self.pieces));
        let at = |piece: u32| usize::try_from(u128::from(piece) * len / pieces).unwrap_or(0);
        let piece = self.body.slice(at(self.next)..at(self.next + 1));
        self.next += 1;
        Poll::Ready(Some(piece))
    }

    fn remaining(&self) -> u64 {
        let (len, pieces) = (self.body.len() as u128, u128::from(self.pieces));
        let sent = u128::from(self.next) * len / pieces;
        u64::try_from(len - sent).unwrap_or(0)
    }
}

impl Body for WireBody {
    type Data = Bytes;
    type Error = Infallible;

    fn poll_frame(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, Infallible>>> {
        match &mut self.get_mut().0 {
            Pace::Whole(body) => Poll::Ready(body.take().map(|body| Ok(Frame::data(body)))),
            Pace::Dribble(dribbling) => dribbling
                .poll_piece(cx)
                .map(|piece| piece.map(|piece| Ok(Frame::data(piece)))),
        }
    }

    fn is_end_stream(&self) -> bool {
        match &self.0 {
            Pace::Whole(body) => body.is_none(),
            Pace::Dribble(dribbling) => dribbling.next >= dribbling.pieces,
        }
    }

    fn size_hint(&self) -> SizeHint {
        match &self.0 {
            Pace::Whole(body) => SizeHint::with_exact(body.as_ref().map_or(0, |b| b.len() as u64)),
            Pace::Dribble(dribbling) => SizeHint::with_exact(dribbling.remaining()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use http_body_util::BodyExt;

    #[tokio::test]
    async fn a_dribbled_body_comes_whole_in_its_pieces() {
        let body = Bytes::from_static(b"0123456789");
        let dribble = Dribble {
            chunks: 4,
            over: Duration::from_millis(30),
        };
        let mut wire = WireBody::new(body.clone(), Some(dribble));
        assert_eq!(wire.size_hint().exact(), Some(10));
        let started = std::time::Instant::now();
        let mut pieces = Vec::new();
        while let Some(frame) = wire.frame().await {
            pieces.push(frame.unwrap().into_data().unwrap());
        }
        assert!(started.elapsed() >= Duration::from_millis(30));
        assert_eq!(pieces, ["01", "234", "56", "789"]);
        assert!(wire.is_end_stream());
        assert_eq!(wire.size_hint().exact(), Some(0));
    }

    #[tokio::test]
    async fn a_whole_body_is_one_frame_and_an_empty_one_none() {
        let mut whole = WireBody::new(Bytes::from_static(b"abc"), None);
        assert_eq!(whole.size_hint().exact(), Some(3));
        let frame = whole.frame().await.unwrap().unwrap();
        assert_eq!(frame.into_data().unwrap(), "abc");
        assert!(whole.frame().await.is_none());
        let empty = WireBody::new(
            Bytes::new(),
            Some(Dribble {
                chunks: 3,
                over: Duration::from_secs(60),
            }),
        );
        assert!(empty.is_end_stream());
    }

    #[test]
    fn a_malformed_chunk_has_a_valid_head_and_a_broken_size_line() {
        let response = Response::with_body(StatusCode::OK, "application/json", "{}");
        let bytes = malformed(&response);
        assert_eq!(
            &bytes[..],
            b"HTTP/1.1 200 OK\r\ncontent-type: application/json\r\n\
              transfer-encoding: chunked\r\n\r\n2\r\n{}\r\nzz; not a chunk size\r\n"
        );
    }
}
