//! BB2's throttle on the FHIR views (DRF `TokenRateThrottle`, behaviour file §3.3): a sliding
//! window of requests per access token, and the `X-RateLimit-*` headers BB2's
//! `ThrottleMiddleware` puts on every response (`None` where no throttle ran).

use crate::exchange::Response;
use crate::scenario::RateLimit;
use http::header::{HeaderName, HeaderValue, RETRY_AFTER};
use jiff::{SignedDuration, Timestamp};
use std::collections::{HashMap, VecDeque};
use std::sync::{Mutex, PoisonError};

/// Independent locks the request times are spread over, by token: requests of different
/// tokens rarely wait for each other.
const SHARDS: usize = 16;

/// `X-RateLimit-Limit`.
pub const LIMIT: HeaderName = HeaderName::from_static("x-ratelimit-limit");
/// `X-RateLimit-Remaining`.
pub const REMAINING: HeaderName = HeaderName::from_static("x-ratelimit-remaining");
/// `X-RateLimit-Reset`.
pub const RESET: HeaderName = HeaderName::from_static("x-ratelimit-reset");

/// What the throttle decided for one request.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Decision {
    /// Let through; `remaining` more requests fit in the window.
    Allowed {
        /// Requests left in the window after this one.
        remaining: u64,
    },
    /// Refused: the window is full for another `wait_secs` seconds.
    Throttled {
        /// Seconds until the oldest request of the window leaves it (at least 1).
        wait_secs: u64,
    },
}

/// Request times per access token (by the token's number in the store), newest first, in
/// one shard.
#[derive(Debug, Default)]
struct Shard {
    times: HashMap<u64, VecDeque<Timestamp>>,
    /// When the shard last forgot the tokens whose window had emptied.
    swept: Option<Timestamp>,
}

/// Request times per access token, within one window.
#[derive(Debug)]
pub struct Throttle {
    rate: RateLimit,
    window: SignedDuration,
    /// `X-RateLimit-Limit` and `X-RateLimit-Reset`, the same on every response.
    limit_value: HeaderValue,
    reset_value: Option<HeaderValue>,
    /// Token `n`'s times live in shard `n % SHARDS`.
    shards: [Mutex<Shard>; SHARDS],
}

impl Throttle {
    /// A throttle at `rate`.
    pub fn new(rate: RateLimit) -> Throttle {
        // DRF writes the period as a float: `3600.0`.
        let reset = format!("{:.1}", rate.period_secs as f64);
        Throttle {
            window: SignedDuration::from_secs(i64::try_from(rate.period_secs).unwrap_or(i64::MAX)),
            limit_value: HeaderValue::from(rate.requests),
            reset_value: HeaderValue::from_str(&reset).ok(),
            rate,
            shards: std::array::from_fn(|_| Mutex::new(Shard::default())),
        }
    }

    /// Counts a request of the access token numbered `token` at `now` (DRF
    /// `SimpleRateThrottle.allow_request`: a full window refuses without counting).
    pub fn check(&self, token: u64, now: Timestamp) -> Decision {
        let window_start = now - self.window;
        // The remainder is below SHARDS, so it fits a usize.
        let index = usize::try_from(token % SHARDS as u64).unwrap_or_default();
        let mut shard = self.shards[index]
            .lock()
            .unwrap_or_else(PoisonError::into_inner);
        // Once per window, the tokens whose newest request has left it are forgotten: they
        // hold nothing worth keeping.
        if shard.swept.is_none_or(|swept| swept <= window_start) {
            shard.swept = Some(now);
            shard
                .times
                .retain(|_, times| times.front().is_some_and(|newest| *newest > window_start));
        }
        let times = shard.times.entry(token).or_default();
        while times.back().is_some_and(|oldest| *oldest <= window_start) {
            times.pop_back();
        }
        if times.len() as u64 >= self.rate.requests {
            let oldest = times.back().copied().unwrap_or(now);
            let left_ms = (self.window - now.duration_since(oldest)).as_millis();
            // DRF rounds the wait up to whole seconds.
            let wait_secs = u64::try_from((left_ms + 999) / 1000).unwrap_or(0).max(1);
            return Decision::Throttled { wait_secs };
        }
        times.push_front(now);
        Decision::Allowed {
            remaining: self.rate.requests - times.len() as u64,
        }
    }

    /// How many tokens the throttle holds request times for.
    #[cfg(test)]
    fn tokens(&self) -> usize {
        self.shards
            .iter()
            .map(|shard| {
                shard
                    .lock()
                    .unwrap_or_else(PoisonError::into_inner)
                    .times
                    .len()
            })
            .sum()
    }

    /// The answer under `decision`: `serve`'s answer when allowed, else [`Throttle::refusal`];
    /// either way with the window's `X-RateLimit-*` headers.
    pub fn answer(
        &self,
        decision: Decision,
        content_type: &str,
        serve: impl FnOnce() -> Response,
    ) -> Response {
        match decision {
            Decision::Allowed { remaining } => self.with_headers(serve(), remaining),
            Decision::Throttled { wait_secs } => self.refusal(wait_secs, content_type),
        }
    }

    /// DRF's 429 for a full window: `{"detail": "Request was throttled. Expected available in
    /// N seconds."}` in `content_type`, `Retry-After: N`, and the window's `X-RateLimit-*`
    /// headers with none remaining.
    pub fn refusal(&self, wait_secs: u64, content_type: &str) -> Response {
        let detail = format!(
            "Request was throttled. Expected available in {wait_secs} second{}.",
            if wait_secs == 1 { "" } else { "s" }
        );
        let throttled =
            Response::detail(http::StatusCode::TOO_MANY_REQUESTS, content_type, &detail)
                .header(RETRY_AFTER, &wait_secs.to_string());
        self.with_headers(throttled, 0)
    }

    fn with_headers(&self, mut response: Response, remaining: u64) -> Response {
        let headers = &mut response.headers;
        headers.insert(LIMIT, self.limit_value.clone());
        headers.insert(REMAINING, HeaderValue::from(remaining));
        if let Some(reset) = &self.reset_value {
            headers.insert(RESET, reset.clone());
        }
        response
    }
}

/// The `X-RateLimit-*` headers of a response no throttle ran for: BB2's middleware writes
/// the missing values as `None` (behaviour file §3.3).
pub fn unthrottled(mut response: Response) -> Response {
    for name in [LIMIT, REMAINING, RESET] {
        if !response.headers.contains_key(&name) {
            response = response.header(name, "None");
        }
    }
    response
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_window_full_of_requests_refuses_until_the_oldest_leaves_it() {
        let throttle = Throttle::new(RateLimit {
            requests: 2,
            period_secs: 60,
        });
        let start: Timestamp = "2026-11-29T00:00:00Z".parse().unwrap();
        let at = |secs: i64| start + SignedDuration::from_secs(secs);
        assert_eq!(throttle.check(1, at(0)), Decision::Allowed { remaining: 1 });
        assert_eq!(
            throttle.check(1, at(10)),
            Decision::Allowed { remaining: 0 }
        );
        assert_eq!(
            throttle.check(1, at(20)),
            Decision::Throttled { wait_secs: 40 }
        );
        assert_eq!(
            throttle.check(2, at(20)),
            Decision::Allowed { remaining: 1 }
        );
        assert_eq!(
            throttle.check(1, at(60)),
            Decision::Allowed { remaining: 0 }
        );
        assert_eq!(
            throttle.check(1, at(69)),
            Decision::Throttled { wait_secs: 1 }
        );
    }

    #[test]
    fn tokens_whose_window_emptied_are_forgotten() {
        let throttle = Throttle::new(RateLimit {
            requests: 10,
            period_secs: 1,
        });
        let start: Timestamp = "2026-11-29T00:00:00Z".parse().unwrap();
        let tokens = 3 * SHARDS as u64;
        for token in 0..tokens {
            throttle.check(token, start);
        }
        assert_eq!(throttle.tokens(), tokens as usize);
        // Within the window, nothing is forgotten.
        let soon = start + SignedDuration::from_millis(500);
        throttle.check(0, soon);
        assert_eq!(throttle.tokens(), tokens as usize);
        // Once the window has passed, one token calls again: its shard forgets the others
        // there; the other shards still hold their (idle) tokens until they are checked.
        let later = start + SignedDuration::from_secs(5);
        throttle.check(0, later);
        assert_eq!(throttle.tokens(), tokens as usize - 2);
        assert_eq!(
            throttle.check(SHARDS as u64, later),
            Decision::Allowed { remaining: 9 }
        );
    }
}
