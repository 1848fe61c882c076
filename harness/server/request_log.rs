//! The request log: one redacted line per exchange (method, target, status, size, time,
//! session), written to a sink such as stderr. Tokens, secrets and patient ids never appear.

use crate::server::journal::{Exchange, Observer};
use crate::server::redact::Redactor;
use std::io::Write;
use std::sync::{Mutex, PoisonError};

/// Writes one line per exchange to its sink.
pub struct RequestLog {
    sink: Mutex<Box<dyn Write + Send>>,
    redactor: Redactor,
}

impl RequestLog {
    /// A log writing to `sink`.
    pub fn new(sink: Box<dyn Write + Send>) -> RequestLog {
        RequestLog {
            sink: Mutex::new(sink),
            redactor: Redactor::new(),
        }
    }

    /// The line for one exchange.
    pub fn line(&self, exchange: &Exchange) -> String {
        let target = self
            .redactor
            .target(&exchange.request.path, exchange.request.query.as_deref());
        let session = exchange
            .response
            .session
            .map(|s| format!(" {s}"))
            .unwrap_or_default();
        let encoding = exchange
            .content_encoding
            .map(|e| format!(" {e}"))
            .unwrap_or_default();
        format!(
            "{} {target} {} {}B{encoding} {:.1}ms{session}",
            exchange.request.method,
            exchange.response.status.as_u16(),
            exchange.response.body.len(),
            exchange.elapsed.as_secs_f64() * 1000.0,
        )
    }

    /// The warning for a request a `strict` scenario does not expect (it matched no stub and
    /// no built-in route), if this exchange is one.
    pub fn strict_warning(&self, exchange: &Exchange) -> Option<String> {
        let miss = exchange.miss.as_ref().filter(|miss| miss.strict)?;
        let target = self
            .redactor
            .target(&exchange.request.path, exchange.request.query.as_deref());
        Some(format!(
            "bbh: warning: strict scenario: {} {target} matched no stub and no route ({miss})",
            exchange.request.method
        ))
    }
}

impl Observer for RequestLog {
    fn observe(&self, exchange: &Exchange) {
        let line = self.line(exchange);
        let warning = self.strict_warning(exchange);
        let mut sink = self.sink.lock().unwrap_or_else(PoisonError::into_inner);
        // A log that cannot be written must not take the server down.
        let _ = writeln!(sink, "{line}");
        if let Some(warning) = warning {
            let _ = writeln!(sink, "{warning}");
        }
    }
}
