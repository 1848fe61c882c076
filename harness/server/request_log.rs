//! The request log: one redacted line per exchange (method, target, status, size, time,
//! session), written to a sink such as stderr. Tokens, secrets and patient ids never appear.
//!
//! The request thread only hands the exchange (a shared pointer) over a bounded queue to a
//! writer thread, which formats and redacts each line there, writes it through a buffer and
//! flushes the buffer whenever the queue runs empty: a request never waits for the sink or
//! the redactor's aliases (unless the queue is full), and a line goes out in one write, never
//! split.

use crate::server::journal::{Exchange, Observer};
use crate::server::redact::Redactor;
use std::fmt::Write as _;
use std::io::{BufWriter, Write};
use std::sync::Arc;
use std::sync::mpsc::{self, Receiver, SyncSender};
use std::time::Duration;

/// Exchanges waiting for the writer before a request has to wait for room.
const QUEUE: usize = 8_192;

/// The writer's buffer; a line longer than this is written alone.
const BUFFER: usize = 64 * 1024;

/// How long [`RequestLog::flush`] waits for the sink to take the lines.
const FLUSH_WAIT: Duration = Duration::from_secs(5);

/// What the writer thread is handed.
enum Message {
    /// An exchange to write the line (and any strict warning) of.
    Exchange(Arc<Exchange>),
    /// Write out everything before, then answer.
    Flush(SyncSender<()>),
}

/// Writes one line per exchange to its sink, from a thread of its own.
pub struct RequestLog {
    queue: SyncSender<Message>,
}

impl RequestLog {
    /// A log writing to `sink` from a new thread; fails when the thread cannot be started.
    pub fn new(sink: Box<dyn Write + Send>) -> std::io::Result<RequestLog> {
        let (queue, exchanges) = mpsc::sync_channel(QUEUE);
        std::thread::Builder::new()
            .name("bbh-request-log".into())
            .spawn(move || write_lines(sink, &exchanges))?;
        Ok(RequestLog { queue })
    }

    /// Waits until every line handed over so far is written to the sink (and the sink
    /// flushed), or a few seconds when the sink does not take them.
    pub fn flush(&self) {
        let (done, written) = mpsc::sync_channel(1);
        if self.queue.send(Message::Flush(done)).is_ok() {
            // The writer answers once it has written what came before, or is gone.
            let _ = written.recv_timeout(FLUSH_WAIT);
        }
    }
}

impl Drop for RequestLog {
    /// Writes out the lines still queued (see [`RequestLog::flush`]); the writer thread ends
    /// once the queue is dropped.
    fn drop(&mut self) {
        self.flush();
    }
}

impl Observer for RequestLog {
    fn observe(&self, exchange: &Arc<Exchange>) {
        // Waits only while the queue is full. A log that cannot be written must not take the
        // server down: with the writer gone, the lines are dropped.
        let _ = self.queue.send(Message::Exchange(Arc::clone(exchange)));
    }
}

/// Formats the redacted lines of exchanges.
struct Lines {
    redactor: Redactor,
}

impl Lines {
    /// Appends the line for one exchange, and the warning for a request a `strict` scenario
    /// does not expect (it matched no stub and no built-in route), each ending in a newline.
    fn write(&self, exchange: &Exchange, out: &mut String) {
        let target = self
            .redactor
            .target(&exchange.request.path, exchange.request.query.as_deref());
        // Writing to a String cannot fail.
        let _ = write!(
            out,
            "{} {target} {} {}B",
            exchange.request.method,
            exchange.response.status.as_u16(),
            exchange.response.body.len(),
        );
        if let Some(encoding) = exchange.content_encoding {
            out.push(' ');
            out.push_str(encoding);
        }
        // Tenths of a millisecond, rounded, in integers (float formatting costs more).
        let tenths = (exchange.elapsed.as_micros() + 50) / 100;
        let _ = write!(out, " {}.{}ms", tenths / 10, tenths % 10);
        if let Some(session) = exchange.response.session {
            let _ = write!(out, " {session}");
        }
        out.push('\n');
        if let Some(miss) = exchange.miss.as_ref().filter(|miss| miss.strict) {
            let _ = writeln!(
                out,
                "bbh: warning: strict scenario: {} {target} matched no stub and no route ({miss})",
                exchange.request.method
            );
        }
    }
}

/// The writer thread: formats and writes what it is handed, in order, flushing whenever
/// nothing more is waiting, until every sender is gone.
fn write_lines(sink: Box<dyn Write + Send>, queue: &Receiver<Message>) {
    // Lines never scrub free text, so their redactor keeps no value in clear.
    let lines = Lines {
        redactor: Redactor::without_scrubbing(),
    };
    let mut text = String::with_capacity(256);
    let mut out = BufWriter::with_capacity(BUFFER, sink);
    while let Ok(first) = queue.recv() {
        let mut next = Some(first);
        while let Some(message) = next {
            match message {
                // A sink that fails loses the lines, not the server.
                Message::Exchange(exchange) => {
                    text.clear();
                    lines.write(&exchange, &mut text);
                    let _ = out.write_all(text.as_bytes());
                }
                Message::Flush(done) => {
                    let _ = out.flush();
                    let _ = done.send(());
                }
            }
            next = queue.try_recv().ok();
        }
        let _ = out.flush();
    }
    let _ = out.flush();
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::exchange::{Request, Response};
    use bytes::Bytes;
    use http::{HeaderMap, Method, StatusCode};
    use std::sync::{Mutex, PoisonError};

    /// A sink that records each write it receives.
    #[derive(Clone, Default)]
    struct Writes(Arc<Mutex<Vec<Vec<u8>>>>);

    impl Write for Writes {
        fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
            self.0
                .lock()
                .unwrap_or_else(PoisonError::into_inner)
                .push(bytes.to_vec());
            Ok(bytes.len())
        }

        fn flush(&mut self) -> std::io::Result<()> {
            Ok(())
        }
    }

    fn exchange(id: u64) -> Arc<Exchange> {
        Arc::new(Exchange {
            id,
            at: Duration::ZERO,
            elapsed: Duration::from_micros(1_300),
            request: Request {
                method: Method::GET,
                path: format!("/v2/fhir/metadata/{id}"),
                query: None,
                headers: HeaderMap::new(),
                body: Bytes::new(),
                origin: String::new(),
            },
            response: Response::empty(StatusCode::OK).body("abc"),
            content_encoding: Some("gzip"),
            miss: None,
            refused: None,
        })
    }

    #[test]
    fn lines_are_written_whole_and_in_order_by_the_flush() -> std::io::Result<()> {
        let writes = Writes::default();
        let log = RequestLog::new(Box::new(writes.clone()))?;
        for id in 1..=1_000 {
            log.observe(&exchange(id));
        }
        log.flush();
        let chunks = writes
            .0
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .clone();
        assert!(chunks.iter().all(|chunk| chunk.ends_with(b"\n")));
        let text = String::from_utf8_lossy(&chunks.concat()).into_owned();
        let expected: String = (1..=1_000)
            .map(|id| format!("GET /v2/fhir/metadata/{id} 200 3B gzip 1.3ms\n"))
            .collect();
        assert_eq!(text, expected);
        Ok(())
    }

    #[test]
    fn dropping_the_log_writes_what_is_queued() -> std::io::Result<()> {
        let writes = Writes::default();
        let log = RequestLog::new(Box::new(writes.clone()))?;
        for id in 1..=100 {
            log.observe(&exchange(id));
        }
        drop(log);
        let written = writes
            .0
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .concat();
        assert_eq!(written.iter().filter(|byte| **byte == b'\n').count(), 100);
        Ok(())
    }
}
