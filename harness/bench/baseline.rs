//! The baseline of the load benchmark: a minimal hyper 1.x HTTP/1.1 server that answers every
//! request with the same fixed bytes (status, headers, body) — the machine's practical limit
//! for one answer. `bbh bench` captures what `bbh serve` sent for a case, writes it to a file
//! with [`write_response`], and starts `bbh bench-baseline --response FILE` on it.
//!
//! The file holds the status code on the first line, one `name: value` header per line, an
//! empty line, then the body bytes as they are (e.g. gzip). `date` and `content-length` are
//! left out: hyper adds both, as it does for `bbh serve`.

use super::BenchError;
use bytes::Bytes;
use http::{HeaderMap, HeaderName, HeaderValue, Response, StatusCode};
use http_body_util::{BodyExt, Full};
use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper_util::rt::TokioIo;
use std::convert::Infallible;
use std::io::Write;
use std::net::SocketAddr;
use std::path::Path;
use std::sync::Arc;
use tokio::net::TcpListener;

/// What the baseline prints on stdout once it listens, followed by its origin.
pub(crate) const READY: &str = "bbh-baseline listening on ";

/// One fixed answer: status, headers and body bytes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Fixed {
    /// The status.
    pub(crate) status: StatusCode,
    /// The headers, without `date` and `content-length`.
    pub(crate) headers: HeaderMap,
    /// The body bytes as sent (gzip bytes when the answer was gzipped).
    pub(crate) body: Bytes,
}

impl Fixed {
    /// The answer `bbh serve` gave, with `date` and `content-length` left for hyper to add.
    pub(crate) fn captured(status: StatusCode, mut headers: HeaderMap, body: Bytes) -> Fixed {
        headers.remove(http::header::DATE);
        headers.remove(http::header::CONTENT_LENGTH);
        Fixed {
            status,
            headers,
            body,
        }
    }

    fn response(&self) -> Response<Full<Bytes>> {
        let mut response = Response::new(Full::new(self.body.clone()));
        *response.status_mut() = self.status;
        *response.headers_mut() = self.headers.clone();
        response
    }
}

/// Writes `fixed` to `path` in the baseline's file format.
pub(crate) fn write_response(path: &Path, fixed: &Fixed) -> Result<(), BenchError> {
    let mut bytes = format!("{}\n", fixed.status.as_u16()).into_bytes();
    for (name, value) in &fixed.headers {
        bytes.extend_from_slice(name.as_str().as_bytes());
        bytes.extend_from_slice(b": ");
        bytes.extend_from_slice(value.as_bytes());
        bytes.push(b'\n');
    }
    bytes.push(b'\n');
    bytes.extend_from_slice(&fixed.body);
    std::fs::write(path, bytes).map_err(|source| BenchError::Io {
        context: format!("cannot write {}", path.display()),
        source,
    })
}

/// Reads a file written by [`write_response`].
pub(crate) fn read_response(path: &Path) -> Result<Fixed, BenchError> {
    let bytes = std::fs::read(path).map_err(|source| BenchError::Io {
        context: format!("cannot read {}", path.display()),
        source,
    })?;
    parse_response(&bytes).map_err(|detail| BenchError::Http {
        context: format!("{}: not a baseline response file", path.display()),
        detail,
    })
}

fn parse_response(bytes: &[u8]) -> Result<Fixed, String> {
    let head_end = bytes
        .windows(2)
        .position(|pair| pair == b"\n\n")
        .ok_or("no empty line after the headers")?;
    let head = std::str::from_utf8(&bytes[..head_end]).map_err(|error| error.to_string())?;
    let mut lines = head.lines();
    let status = lines
        .next()
        .and_then(|line| line.parse::<u16>().ok())
        .and_then(|code| StatusCode::from_u16(code).ok())
        .ok_or("the first line is not a status code")?;
    let mut headers = HeaderMap::new();
    for line in lines {
        let (name, value) = line
            .split_once(": ")
            .ok_or_else(|| format!("not a header line: {line:?}"))?;
        let name = HeaderName::from_bytes(name.as_bytes()).map_err(|error| error.to_string())?;
        let value = HeaderValue::from_str(value).map_err(|error| error.to_string())?;
        headers.append(name, value);
    }
    let body = Bytes::copy_from_slice(&bytes[head_end + 2..]);
    Ok(Fixed {
        status,
        headers,
        body,
    })
}

/// `bbh bench-baseline`: serves the answer in `response` on `addr` until killed, after
/// printing [`READY`] and its origin on stdout.
pub async fn serve(response: &Path, addr: SocketAddr) -> Result<(), BenchError> {
    let fixed = Arc::new(read_response(response)?);
    let io = |context: &str| {
        let context = context.to_owned();
        move |source| BenchError::Io { context, source }
    };
    let listener = TcpListener::bind(addr)
        .await
        .map_err(io(&format!("cannot listen on {addr}")))?;
    let local = listener.local_addr().map_err(io("local address"))?;
    let mut stdout = std::io::stdout();
    writeln!(stdout, "{READY}http://{local}")
        .and_then(|()| stdout.flush())
        .map_err(io("writing the ready line"))?;
    answer_forever(listener, fixed).await
}

/// Accepts connections on `listener` and answers every request on them with `fixed`.
async fn answer_forever(listener: TcpListener, fixed: Arc<Fixed>) -> Result<(), BenchError> {
    loop {
        let (stream, _) = listener.accept().await.map_err(|source| BenchError::Io {
            context: "accept".into(),
            source,
        })?;
        let _ = stream.set_nodelay(true);
        let fixed = Arc::clone(&fixed);
        tokio::spawn(async move {
            let service = service_fn(move |request: hyper::Request<hyper::body::Incoming>| {
                let fixed = Arc::clone(&fixed);
                async move {
                    // Read the request body so that the connection stays reusable.
                    let _ = request.into_body().collect().await;
                    Ok::<_, Infallible>(fixed.response())
                }
            });
            let _ = http1::Builder::new()
                .keep_alive(true)
                .serve_connection(TokioIo::new(stream), service)
                .await;
        });
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_response_file_reads_back_byte_for_byte() -> Result<(), Box<dyn std::error::Error>> {
        let mut headers = HeaderMap::new();
        headers.insert("content-type", HeaderValue::from_static("application/json"));
        headers.append("vary", HeaderValue::from_static("Accept"));
        headers.append("vary", HeaderValue::from_static("Accept-Encoding"));
        headers.insert(
            "date",
            HeaderValue::from_static("Mon, 01 Jan 2024 00:00:00 GMT"),
        );
        let body = Bytes::from_static(b"\x1f\x8b\n\n\x00binary");
        let fixed = Fixed::captured(StatusCode::CREATED, headers, body);
        assert!(fixed.headers.get("date").is_none());
        let dir = tempfile::tempdir()?;
        let path = dir.path().join("answer");
        write_response(&path, &fixed)?;
        assert_eq!(read_response(&path)?, fixed);
        Ok(())
    }

    /// A baseline on a free loopback port answering `fixed`.
    async fn baseline(fixed: Fixed) -> std::io::Result<SocketAddr> {
        let listener = TcpListener::bind("127.0.0.1:0").await?;
        let addr = listener.local_addr()?;
        tokio::spawn(answer_forever(listener, Arc::new(fixed)));
        Ok(addr)
    }

    /// Requests with a growing body; expects the fixed `202 fixed` answer.
    struct Growing {
        sent: usize,
    }

    impl crate::bench::load::Script for Growing {
        fn next(&mut self) -> hyper::Request<Full<Bytes>> {
            self.sent += 1;
            let mut request = hyper::Request::new(Full::new(Bytes::from(vec![b'x'; self.sent])));
            request
                .headers_mut()
                .insert(http::header::HOST, HeaderValue::from_static("bench"));
            request
        }

        fn answered(&mut self, answer: &crate::bench::load::Answer) -> Result<(), String> {
            (answer.status == StatusCode::ACCEPTED && answer.body == "fixed")
                .then_some(())
                .ok_or_else(|| format!("{} {:?}", answer.status, answer.body))
        }
    }

    #[tokio::test]
    async fn the_baseline_answers_the_same_bytes_on_a_keep_alive_connection()
    -> Result<(), Box<dyn std::error::Error>> {
        let mut headers = HeaderMap::new();
        headers.insert("x-case", HeaderValue::from_static("eob"));
        let addr = baseline(Fixed::captured(
            StatusCode::ACCEPTED,
            headers,
            Bytes::from_static(b"fixed"),
        ))
        .await?;
        let mut connection = crate::bench::load::Connection::open(addr).await?;
        let mut script = Growing { sent: 0 };
        use crate::bench::load::Script;
        for _ in 0..3 {
            let answer = connection.send(script.next()).await?;
            assert_eq!(script.answered(&answer), Ok(()));
            assert_eq!(answer.headers["x-case"], "eob");
            assert_eq!(answer.headers["content-length"], "5");
            assert!(answer.headers.contains_key("date"));
        }
        Ok(())
    }

    #[tokio::test]
    async fn a_load_phase_counts_answers_and_failures() -> Result<(), Box<dyn std::error::Error>> {
        use crate::bench::load::{self, Generator, Script, Timing};
        let timing = Timing {
            warm_up: std::time::Duration::from_millis(50),
            measure: std::time::Duration::from_millis(200),
        };
        let good = baseline(Fixed::captured(
            StatusCode::ACCEPTED,
            HeaderMap::new(),
            Bytes::from_static(b"fixed"),
        ))
        .await?;
        let scripts: Vec<Box<dyn Script>> =
            vec![Box::new(Growing { sent: 0 }), Box::new(Growing { sent: 0 })];
        let stats = load::run(Generator::CurrentThread, good, scripts, timing).await?;
        assert!(stats.requests > 0);
        assert_eq!(stats.errors, 0);
        assert!(stats.rate() > 0.0);
        assert!(stats.percentile(500) <= stats.percentile(990));
        let bad = baseline(Fixed::captured(
            StatusCode::INTERNAL_SERVER_ERROR,
            HeaderMap::new(),
            Bytes::from_static(b"no"),
        ))
        .await?;
        let scripts: Vec<Box<dyn Script>> = vec![Box::new(Growing { sent: 0 })];
        let stats = load::run(Generator::TwoWorkers, bad, scripts, timing).await?;
        assert_eq!(stats.requests, 0);
        assert!(stats.errors > 0);
        assert_eq!(
            stats.first_error.as_deref(),
            Some("500 Internal Server Error b\"no\"")
        );
        Ok(())
    }

    #[test]
    fn a_file_without_a_head_is_refused() {
        assert!(parse_response(b"200\ncontent-type: text/plain").is_err());
        assert!(parse_response(b"two hundred\n\nbody").is_err());
    }
}
