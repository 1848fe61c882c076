//! The load generator: keep-alive HTTP/1.1 connections over loopback (hyper's client
//! connection on a `TcpStream`), each sending its own script of requests back to back for a
//! warm-up and then a measured window; every answer is checked and timed.

use super::BenchError;
use bytes::Bytes;
use http::{HeaderMap, Request, StatusCode};
use http_body_util::{BodyExt, Full};
use hyper::client::conn::http1;
use hyper_util::rt::TokioIo;
use std::fmt;
use std::net::SocketAddr;
use std::time::{Duration, Instant};
use tokio::net::TcpStream;

/// An answer as read off the wire: status, headers, body bytes (not decoded).
pub(crate) struct Answer {
    /// The status.
    pub(crate) status: StatusCode,
    /// The headers.
    pub(crate) headers: HeaderMap,
    /// The body bytes as sent.
    pub(crate) body: Bytes,
}

/// One keep-alive HTTP/1.1 client connection.
pub(crate) struct Connection {
    sender: http1::SendRequest<Full<Bytes>>,
}

impl Connection {
    /// Connects to `addr`.
    pub(crate) async fn open(addr: SocketAddr) -> Result<Connection, BenchError> {
        let stream = TcpStream::connect(addr)
            .await
            .map_err(|source| BenchError::Io {
                context: format!("cannot connect to {addr}"),
                source,
            })?;
        let _ = stream.set_nodelay(true);
        let (sender, connection) =
            http1::handshake(TokioIo::new(stream))
                .await
                .map_err(|error| BenchError::Http {
                    context: format!("handshake with {addr}"),
                    detail: error.to_string(),
                })?;
        tokio::spawn(connection);
        Ok(Connection { sender })
    }

    /// Sends `request` and reads its whole answer.
    pub(crate) async fn send(&mut self, request: Request<Full<Bytes>>) -> Result<Answer, String> {
        self.sender
            .ready()
            .await
            .map_err(|error| format!("connection closed: {error}"))?;
        let response = self
            .sender
            .send_request(request)
            .await
            .map_err(|error| format!("request failed: {error}"))?;
        let (parts, body) = response.into_parts();
        let body = body
            .collect()
            .await
            .map_err(|error| format!("body failed: {error}"))?
            .to_bytes();
        Ok(Answer {
            status: parts.status,
            headers: parts.headers,
            body,
        })
    }
}

/// What one connection sends: the next request, and a check of each answer.
pub(crate) trait Script: Send + 'static {
    /// The next request to send.
    fn next(&mut self) -> Request<Full<Bytes>>;
    /// Checks the answer to the last request (and keeps what the next one needs).
    fn answered(&mut self, answer: &Answer) -> Result<(), String>;
}

/// The runtime the generator's connections run on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Generator {
    /// All connections on one thread.
    CurrentThread,
    /// Tokio's work-stealing runtime with 2 workers.
    TwoWorkers,
}

impl fmt::Display for Generator {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Generator::CurrentThread => "current-thread",
            Generator::TwoWorkers => "2-worker multi-thread",
        })
    }
}

/// How long a phase warms up and then measures.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Timing {
    /// Requests sent before the measured window (answers still checked).
    pub(crate) warm_up: Duration,
    /// The measured window.
    pub(crate) measure: Duration,
}

/// What a phase measured.
#[derive(Debug, Default)]
pub(crate) struct Stats {
    /// Requests answered and accepted within the measured window.
    pub(crate) requests: u64,
    /// Failed requests (transport errors or unexpected answers), warm-up included.
    pub(crate) errors: u64,
    /// The first failure, if any.
    pub(crate) first_error: Option<String>,
    /// From the start of the measured window to the last measured answer.
    pub(crate) elapsed: Duration,
    /// Latencies of the measured requests, sorted.
    latencies: Vec<Duration>,
}

impl Stats {
    /// Requests per second in the measured window.
    pub(crate) fn rate(&self) -> f64 {
        if self.elapsed.is_zero() {
            0.0
        } else {
            self.requests as f64 / self.elapsed.as_secs_f64()
        }
    }

    /// The latency below which `per_mille`/1000 of the measured requests were answered.
    pub(crate) fn percentile(&self, per_mille: usize) -> Duration {
        if self.latencies.is_empty() {
            return Duration::ZERO;
        }
        let rank = (self.latencies.len() * per_mille).div_ceil(1000);
        self.latencies[rank.clamp(1, self.latencies.len()) - 1]
    }

    fn merge(&mut self, other: Stats) {
        self.requests += other.requests;
        self.errors += other.errors;
        if self.first_error.is_none() {
            self.first_error = other.first_error;
        }
        self.elapsed = self.elapsed.max(other.elapsed);
        self.latencies.extend(other.latencies);
    }
}

/// Runs one phase: one connection to `addr` per script, on a fresh `generator` runtime in its
/// own thread, for `timing.warm_up` then `timing.measure`.
pub(crate) async fn run(
    generator: Generator,
    addr: SocketAddr,
    scripts: Vec<Box<dyn Script>>,
    timing: Timing,
) -> Result<Stats, BenchError> {
    let (done, result) = tokio::sync::oneshot::channel();
    std::thread::Builder::new()
        .name("bbh-bench-load".into())
        .spawn(move || {
            let mut builder = match generator {
                Generator::CurrentThread => tokio::runtime::Builder::new_current_thread(),
                Generator::TwoWorkers => {
                    let mut builder = tokio::runtime::Builder::new_multi_thread();
                    builder.worker_threads(2);
                    builder
                }
            };
            let outcome = match builder.enable_all().build() {
                Ok(runtime) => runtime.block_on(phase(addr, scripts, timing)),
                Err(source) => Err(BenchError::Io {
                    context: "cannot start the load generator's runtime".into(),
                    source,
                }),
            };
            let _ = done.send(outcome);
        })
        .map_err(|source| BenchError::Io {
            context: "cannot start the load generator's thread".into(),
            source,
        })?;
    result
        .await
        .map_err(|_| BenchError::Server("the load generator stopped early".into()))?
}

async fn phase(
    addr: SocketAddr,
    scripts: Vec<Box<dyn Script>>,
    timing: Timing,
) -> Result<Stats, BenchError> {
    let mut connections = Vec::with_capacity(scripts.len());
    for script in scripts {
        connections.push((Connection::open(addr).await?, script));
    }
    let measure_from = Instant::now() + timing.warm_up;
    let until = measure_from + timing.measure;
    let tasks: Vec<_> = connections
        .into_iter()
        .map(|(connection, script)| {
            tokio::spawn(drive(addr, connection, script, measure_from, until))
        })
        .collect();
    let mut stats = Stats::default();
    for task in tasks {
        let one = task
            .await
            .map_err(|error| BenchError::Server(format!("a load connection stopped: {error}")))?;
        stats.merge(one);
    }
    stats.latencies.sort_unstable();
    Ok(stats)
}

/// Sends `script`'s requests on `connection` until `until`; times those sent from
/// `measure_from` on. A broken connection is counted as an error and opened again.
async fn drive(
    addr: SocketAddr,
    mut connection: Connection,
    mut script: Box<dyn Script>,
    measure_from: Instant,
    until: Instant,
) -> Stats {
    let mut stats = Stats::default();
    let fail = |stats: &mut Stats, error: String| {
        stats.errors += 1;
        stats.first_error.get_or_insert(error);
    };
    loop {
        let start = Instant::now();
        if start >= until {
            break;
        }
        let outcome = connection.send(script.next()).await;
        let end = Instant::now();
        match outcome {
            Ok(answer) => match script.answered(&answer) {
                Ok(()) if start >= measure_from => {
                    stats.requests += 1;
                    stats.latencies.push(end - start);
                    stats.elapsed = end - measure_from;
                }
                Ok(()) => {}
                Err(error) => fail(&mut stats, error),
            },
            Err(error) => {
                fail(&mut stats, error);
                match Connection::open(addr).await {
                    Ok(again) => connection = again,
                    Err(error) => {
                        fail(&mut stats, error.to_string());
                        break;
                    }
                }
            }
        }
    }
    stats
}

#[cfg(test)]
mod tests {
    use super::*;

    fn stats(latencies_us: &[u64]) -> Stats {
        let mut latencies: Vec<Duration> = latencies_us
            .iter()
            .map(|us| Duration::from_micros(*us))
            .collect();
        latencies.sort_unstable();
        Stats {
            requests: latencies.len() as u64,
            elapsed: Duration::from_secs(2),
            latencies,
            ..Stats::default()
        }
    }

    #[test]
    fn percentiles_are_nearest_rank() {
        let hundred: Vec<u64> = (1..=100).collect();
        let stats = stats(&hundred);
        assert_eq!(stats.percentile(500), Duration::from_micros(50));
        assert_eq!(stats.percentile(990), Duration::from_micros(99));
        assert_eq!(stats.percentile(1000), Duration::from_micros(100));
        assert_eq!(stats.rate(), 50.0);
    }

    #[test]
    fn no_requests_no_figures() {
        let stats = Stats::default();
        assert_eq!(stats.percentile(500), Duration::ZERO);
        assert_eq!(stats.rate(), 0.0);
    }
}
