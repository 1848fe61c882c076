//! The virtual clock: one per server. It starts at a given instant (or the wall clock), ticks
//! with the wall clock, and can be moved forward, so expiry is tested without waiting.

use jiff::{SignedDuration, Timestamp};
use std::sync::atomic::{AtomicI64, Ordering};
use std::time::{Duration, Instant};

/// A clock whose time is `start + elapsed wall time + advanced`.
#[derive(Debug)]
pub struct Clock {
    start: Timestamp,
    started_at: Instant,
    advanced_nanos: AtomicI64,
}

impl Clock {
    /// A clock that reads the wall clock now and ticks from there.
    pub fn from_wall_clock() -> Clock {
        Clock::starting_at(Timestamp::now())
    }

    /// A clock that reads `start` now and ticks from there.
    pub fn starting_at(start: Timestamp) -> Clock {
        Clock {
            start,
            started_at: Instant::now(),
            advanced_nanos: AtomicI64::new(0),
        }
    }

    /// The current virtual time.
    pub fn now(&self) -> Timestamp {
        let elapsed =
            SignedDuration::try_from(self.started_at.elapsed()).unwrap_or(SignedDuration::MAX);
        let advanced = SignedDuration::from_nanos(self.advanced_nanos.load(Ordering::Relaxed));
        self.start
            .checked_add(elapsed.saturating_add(advanced))
            .unwrap_or(Timestamp::MAX)
    }

    /// Moves the clock forward by `by` (saturating at about 292 years).
    pub fn advance(&self, by: Duration) {
        let nanos = i64::try_from(by.as_nanos()).unwrap_or(i64::MAX);
        // fetch_update never fails with a closure that always returns Some.
        let _ = self
            .advanced_nanos
            .fetch_update(Ordering::Relaxed, Ordering::Relaxed, |current| {
                Some(current.saturating_add(nanos))
            });
    }
}

/// Parses an RFC 3339 instant with its offset (`2026-01-01T09:00:00Z`), as `now:` and
/// `--now` take it.
pub fn parse_instant(text: &str) -> Result<Timestamp, String> {
    text.parse().map_err(|_| {
        format!("expected an RFC 3339 instant such as `2026-01-01T09:00:00Z`, found `{text}`")
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn starts_where_told_and_moves_forward() {
        let start: Timestamp = "2026-01-02T03:04:05Z"
            .parse()
            .unwrap_or(Timestamp::UNIX_EPOCH);
        let clock = Clock::starting_at(start);
        assert!(clock.now() >= start);
        clock.advance(Duration::from_secs(61));
        assert!(clock.now() >= start + SignedDuration::from_secs(61));
    }

    #[test]
    fn advance_saturates() {
        let start: Timestamp = "2026-01-02T03:04:05Z"
            .parse()
            .unwrap_or(Timestamp::UNIX_EPOCH);
        let clock = Clock::starting_at(start);
        clock.advance(Duration::MAX);
        clock.advance(Duration::MAX);
        let years = clock.now().duration_since(start).as_hours() / (24 * 365);
        assert_eq!(years, 292);
    }
}
