//! The hook every exchange passes through. The journal keeps them in order (bounded), the
//! request log prints them; the conformance runner and the admin API hang off the same hook.
//!
//! The journal is split in shards (an exchange goes to the shard of its id), so requests that
//! complete at the same time do not wait for one another; each holds shared pointers, so
//! recording an exchange copies nothing. It is bounded twice: by a count of exchanges and by
//! their bytes, the oldest dropped first.

use crate::exchange::{Request, Response};
use crate::server::limits::Refusal;
use crate::server::near_miss::Miss;
use std::collections::VecDeque;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::time::Duration;

/// How many shards the journal is split in.
const SHARDS: usize = 8;

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
    /// Set when the edge refused the request before any route or stub saw it: why.
    pub refused: Option<Refusal>,
}

/// What a header costs in memory besides its name and value: its map entry and the buffers
/// behind them.
const HEADER_OVERHEAD: usize = 96;

/// What an exchange costs in memory besides its bytes: its structures and their allocations.
const EXCHANGE_OVERHEAD: usize = 512;

impl Exchange {
    /// What it weighs in the journal, close to what it holds in memory: the bytes of both
    /// bodies, of both header maps (names and values, and each entry's cost), and of the
    /// request's path, query and origin, plus the cost of the exchange's own structures.
    pub fn weight(&self) -> usize {
        let headers = |map: &http::HeaderMap| {
            map.iter()
                .map(|(name, value)| name.as_str().len() + value.len() + HEADER_OVERHEAD)
                .sum::<usize>()
        };
        let request = &self.request;
        EXCHANGE_OVERHEAD
            + request.body.len()
            + headers(&request.headers)
            + request.path.len()
            + request.query.as_ref().map_or(0, String::len)
            + request.origin.len()
            + self.response.body.len()
            + headers(&self.response.headers)
    }
}

/// Something that sees every exchange, after the response is built.
pub trait Observer: Send + Sync {
    /// Called once per exchange, in the order responses complete.
    fn observe(&self, exchange: &Arc<Exchange>);
}

/// An exchange as a shard keeps it, with its weight.
#[derive(Debug)]
struct Entry {
    exchange: Arc<Exchange>,
    weight: usize,
}

/// The most recent exchanges, up to a count and a weight in bytes; read in order of id.
#[derive(Debug)]
pub struct Journal {
    capacity: usize,
    max_bytes: usize,
    /// Shard `id % SHARDS` holds exchange `id`, in the order exchanges were recorded.
    shards: [Mutex<VecDeque<Entry>>; SHARDS],
    /// Exchanges held, changed only under the lock of the shard that gains or loses one.
    len: AtomicUsize,
    /// Their weight, changed like `len`.
    bytes: AtomicUsize,
    /// The id after the last exchange dropped: where the oldest is looked for first.
    next_oldest: AtomicU64,
}

impl Journal {
    /// Exchanges recorded by default before the oldest are dropped.
    pub const DEFAULT_CAPACITY: usize = 10_000;

    /// Bytes of exchanges ([`Exchange::weight`]) kept by default before the oldest are
    /// dropped: 6 MiB.
    pub const DEFAULT_MAX_BYTES: usize = 6 * 1024 * 1024;

    /// A journal that keeps at most `capacity` exchanges, and at most
    /// [`DEFAULT_MAX_BYTES`](Self::DEFAULT_MAX_BYTES) of them.
    pub fn with_capacity(capacity: usize) -> Journal {
        Journal::with_limits(capacity, Journal::DEFAULT_MAX_BYTES)
    }

    /// A journal that keeps at most `capacity` exchanges weighing at most `max_bytes` in all
    /// ([`Exchange::weight`]); the most recent exchange is kept even when it alone weighs
    /// more.
    pub fn with_limits(capacity: usize, max_bytes: usize) -> Journal {
        Journal {
            capacity,
            max_bytes,
            shards: std::array::from_fn(|_| Mutex::new(VecDeque::new())),
            len: AtomicUsize::new(0),
            bytes: AtomicUsize::new(0),
            next_oldest: AtomicU64::new(0),
        }
    }

    fn shard(&self, id: u64) -> MutexGuard<'_, VecDeque<Entry>> {
        // The remainder is below SHARDS, so it fits a usize.
        let index = usize::try_from(id % SHARDS as u64).unwrap_or_default();
        self.shards[index]
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
    }

    fn shards(&self) -> impl Iterator<Item = MutexGuard<'_, VecDeque<Entry>>> {
        self.shards
            .iter()
            .map(|shard| shard.lock().unwrap_or_else(PoisonError::into_inner))
    }

    /// Records `exchange`, then drops the oldest exchanges while the journal holds too many
    /// or weighs too much.
    pub fn record(&self, exchange: Arc<Exchange>) {
        if self.capacity == 0 {
            return;
        }
        let weight = exchange.weight();
        {
            let mut shard = self.shard(exchange.id);
            shard.push_back(Entry { exchange, weight });
            self.len.fetch_add(1, Ordering::Relaxed);
            self.bytes.fetch_add(weight, Ordering::Relaxed);
        }
        while self.over() && self.drop_oldest() {}
    }

    /// Whether it holds more than its bounds allow.
    fn over(&self) -> bool {
        let len = self.len.load(Ordering::Relaxed);
        len > self.capacity || (len > 1 && self.bytes.load(Ordering::Relaxed) > self.max_bytes)
    }

    /// Drops the oldest exchange, unless the bounds were met meanwhile; false when there was
    /// nothing to drop. The oldest is usually the one after the last dropped (ids are dealt
    /// to the shards in turn), found with one lock; otherwise every shard's front is compared.
    fn drop_oldest(&self) -> bool {
        let next = self.next_oldest.load(Ordering::Relaxed);
        {
            let mut shard = self.shard(next);
            if shard.front().is_some_and(|entry| entry.exchange.id == next) {
                if !self.over() {
                    return false;
                }
                self.pop_front(&mut shard);
                return true;
            }
        }
        let oldest = self
            .shards()
            .enumerate()
            .filter_map(|(index, shard)| shard.front().map(|entry| (entry.exchange.id, index)))
            .min();
        let Some((_, index)) = oldest else {
            return false;
        };
        let mut shard = self.shards[index]
            .lock()
            .unwrap_or_else(PoisonError::into_inner);
        if !self.over() {
            return false;
        }
        // Another thread may have emptied this shard since: then the caller looks again.
        self.pop_front(&mut shard);
        true
    }

    /// Drops the front of `shard`, if any, and notes the id after it as the next oldest.
    fn pop_front(&self, shard: &mut VecDeque<Entry>) {
        if let Some(entry) = shard.pop_front() {
            self.len.fetch_sub(1, Ordering::Relaxed);
            self.bytes.fetch_sub(entry.weight, Ordering::Relaxed);
            self.next_oldest
                .fetch_max(entry.exchange.id + 1, Ordering::Relaxed);
        }
    }

    /// A copy of the recorded exchanges, in order of id.
    pub fn exchanges(&self) -> Vec<Exchange> {
        let mut held: Vec<Arc<Exchange>> = Vec::with_capacity(self.len.load(Ordering::Relaxed));
        for shard in self.shards() {
            held.extend(shard.iter().map(|entry| Arc::clone(&entry.exchange)));
        }
        held.sort_by_key(|e| e.id);
        held.iter().map(|e| Exchange::clone(e)).collect()
    }

    /// A copy of the exchange with this id, while the journal still keeps it.
    pub fn get(&self, id: u64) -> Option<Exchange> {
        let found = self
            .shard(id)
            .iter()
            .find(|entry| entry.exchange.id == id)
            .map(|entry| Arc::clone(&entry.exchange));
        found.map(|e| Exchange::clone(&e))
    }

    /// Forgets every exchange.
    pub fn clear(&self) {
        for mut shard in self.shards() {
            for entry in shard.drain(..) {
                self.len.fetch_sub(1, Ordering::Relaxed);
                self.bytes.fetch_sub(entry.weight, Ordering::Relaxed);
            }
        }
    }
}

impl Default for Journal {
    fn default() -> Journal {
        Journal::with_capacity(Journal::DEFAULT_CAPACITY)
    }
}

impl Observer for Journal {
    fn observe(&self, exchange: &Arc<Exchange>) {
        if self.capacity > 0 {
            self.record(Arc::clone(exchange));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use bytes::Bytes;
    use http::{HeaderMap, Method, StatusCode};

    /// Exchange `id` with a response body of `body` bytes and nothing else that weighs.
    fn exchange(id: u64, body: usize) -> Arc<Exchange> {
        Arc::new(Exchange {
            id,
            at: Duration::ZERO,
            elapsed: Duration::ZERO,
            request: Request {
                method: Method::GET,
                path: String::new(),
                query: None,
                headers: HeaderMap::new(),
                body: Bytes::new(),
                origin: String::new(),
            },
            response: Response::empty(StatusCode::OK).body(vec![b'x'; body]),
            content_encoding: None,
            miss: None,
            refused: None,
        })
    }

    fn ids(journal: &Journal) -> Vec<u64> {
        journal.exchanges().iter().map(|e| e.id).collect()
    }

    #[test]
    fn it_keeps_the_most_recent_exchanges_in_order_of_id() {
        let journal = Journal::with_capacity(3);
        for id in [2, 1, 3, 5, 4] {
            journal.record(exchange(id, 0));
        }
        assert_eq!(ids(&journal), [3, 4, 5]);
        assert_eq!(journal.get(4).map(|e| e.id), Some(4));
        assert!(journal.get(1).is_none());
        journal.clear();
        assert!(journal.exchanges().is_empty());
        journal.record(exchange(6, 0));
        assert_eq!(ids(&journal), [6]);
    }

    #[test]
    fn a_journal_of_no_capacity_keeps_nothing() {
        let journal = Journal::with_capacity(0);
        journal.record(exchange(1, 10));
        journal.observe(&exchange(2, 10));
        assert!(journal.exchanges().is_empty());
    }

    #[test]
    fn it_drops_the_oldest_exchanges_past_its_bytes() {
        let weight = |body| exchange(0, body).weight();
        let journal = Journal::with_limits(100, 3 * weight(300) + 10);
        for id in 1..=4 {
            journal.record(exchange(id, 300));
        }
        assert_eq!(ids(&journal), [2, 3, 4]);
        journal.record(exchange(5, 700));
        assert_eq!(ids(&journal), [4, 5]);
        // The newest is kept even alone over the bound.
        journal.record(exchange(6, 5_000));
        assert_eq!(ids(&journal), [6]);
        journal.clear();
        for id in 7..=9 {
            journal.record(exchange(id, 300));
        }
        assert_eq!(ids(&journal), [7, 8, 9]);
    }

    #[test]
    fn the_weight_counts_bodies_headers_and_target() {
        let mut heavy = Exchange::clone(&exchange(1, 10));
        heavy.request.path = "/abc".into();
        heavy.request.query = Some("q=1".into());
        heavy.request.origin = "http://h".into();
        heavy.request.body = Bytes::from_static(b"12345");
        heavy
            .request
            .headers
            .insert("x-a", http::HeaderValue::from_static("bcd"));
        let header = 3 + 3 + HEADER_OVERHEAD;
        assert_eq!(
            heavy.weight(),
            EXCHANGE_OVERHEAD + 10 + 4 + 3 + 8 + 5 + header
        );
    }

    #[test]
    fn concurrent_appends_stay_within_both_bounds() {
        let journal = Arc::new(Journal::with_limits(50, 20_000));
        let threads: Vec<_> = (0..4u64)
            .map(|thread| {
                let journal = Arc::clone(&journal);
                std::thread::spawn(move || {
                    for n in 0..500u64 {
                        journal.record(exchange(n * 4 + thread + 1, 100));
                    }
                })
            })
            .collect();
        for thread in threads {
            assert!(thread.join().is_ok());
        }
        let kept = ids(&journal);
        assert!(kept.len() <= 50 && !kept.is_empty(), "{kept:?}");
        assert!(kept.windows(2).all(|pair| pair[0] < pair[1]), "{kept:?}");
        let weight: usize = journal.exchanges().iter().map(Exchange::weight).sum();
        assert!(weight <= 20_000, "{weight}");
        assert_eq!(journal.len.load(Ordering::Relaxed), kept.len());
        assert_eq!(journal.bytes.load(Ordering::Relaxed), weight);
    }
}
