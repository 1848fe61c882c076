//! The hook every exchange passes through. The journal keeps them in order (bounded), the
//! request log prints them; the conformance runner and the admin API hang off the same hook.

use crate::exchange::{Request, Response};
use crate::server::near_miss::Miss;
use std::collections::VecDeque;
use std::sync::{Mutex, PoisonError};
use std::time::Duration;

/// One request and its answer, as the server saw them.
#[derive(Debug, Clone)]
pub struct Exchange {
    /// Position in the server's order of arrival, from 1.
    pub id: u64,
    /// When the request arrived, since the server started (monotonic).
    pub at: Duration,
    /// How long the answer took.
    pub elapsed: Duration,
    /// The request.
    pub request: Request,
    /// The response, body uncompressed; `session` tells which grant it belongs to.
    pub response: Response,
    /// `Some("gzip")` when the body went out compressed.
    pub content_encoding: Option<&'static str>,
    /// Set when the request matched no stub and no built-in route: why no stub matched.
    pub miss: Option<Miss>,
}

/// Something that sees every exchange, after the response is built.
pub trait Observer: Send + Sync {
    /// Called once per exchange, in the order responses complete.
    fn observe(&self, exchange: &Exchange);
}

/// The most recent exchanges, oldest first, up to a capacity.
#[derive(Debug)]
pub struct Journal {
    capacity: usize,
    entries: Mutex<VecDeque<Exchange>>,
}

impl Journal {
    /// Exchanges recorded by default before the oldest are dropped.
    pub const DEFAULT_CAPACITY: usize = 10_000;

    /// A journal that keeps at most `capacity` exchanges.
    pub fn with_capacity(capacity: usize) -> Journal {
        Journal {
            capacity,
            entries: Mutex::new(VecDeque::new()),
        }
    }

    /// A copy of the recorded exchanges, in order of id.
    pub fn exchanges(&self) -> Vec<Exchange> {
        let mut exchanges: Vec<Exchange> = self
            .entries
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .iter()
            .cloned()
            .collect();
        exchanges.sort_by_key(|e| e.id);
        exchanges
    }

    /// A copy of the exchange with this id, while the journal still keeps it.
    pub fn get(&self, id: u64) -> Option<Exchange> {
        self.entries
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .iter()
            .find(|e| e.id == id)
            .cloned()
    }
}

impl Journal {
    /// Forgets every exchange.
    pub fn clear(&self) {
        self.entries
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .clear();
    }
}

impl Default for Journal {
    fn default() -> Journal {
        Journal::with_capacity(Journal::DEFAULT_CAPACITY)
    }
}

impl Observer for Journal {
    fn observe(&self, exchange: &Exchange) {
        let mut entries = self.entries.lock().unwrap_or_else(PoisonError::into_inner);
        if entries.len() == self.capacity {
            entries.pop_front();
        }
        if self.capacity > 0 {
            entries.push_back(exchange.clone());
        }
    }
}
