//! Counting requests per key over a sliding window, in memory: public form submissions per
//! address, API requests per token.

use std::collections::{HashMap, VecDeque};
use std::sync::Mutex;
use std::time::{Duration, Instant};

/// Keys kept at most, so a flood of new keys cannot grow memory without bound.
const MAX_KEYS: usize = 100_000;

/// Counts hits per key over a sliding window.
pub struct RateLimit {
    window: Duration,
    limit: usize,
    hits: Mutex<HashMap<String, VecDeque<Instant>>>,
}

impl RateLimit {
    /// A limit of `limit` hits per `window`.
    pub fn new(window: Duration, limit: usize) -> RateLimit {
        RateLimit {
            window,
            limit,
            hits: Mutex::new(HashMap::new()),
        }
    }

    /// Counts a hit for `key`; `false` when the key is over its limit (that attempt is not
    /// counted, so the limit lifts once the window has passed).
    pub fn allow(&self, key: &str) -> bool {
        self.check(key).is_ok()
    }

    /// Counts a hit for `key`, or says how long until the key may try again.
    pub fn check(&self, key: &str) -> Result<(), Duration> {
        let now = Instant::now();
        let Ok(mut map) = self.hits.lock() else {
            return Ok(());
        };
        if map.len() >= MAX_KEYS && !map.contains_key(key) {
            let window = self.window;
            map.retain(|_, q| q.back().is_some_and(|t| now.duration_since(*t) < window));
        }
        let q = map.entry(key.to_string()).or_default();
        while q
            .front()
            .is_some_and(|t| now.duration_since(*t) >= self.window)
        {
            q.pop_front();
        }
        if q.len() >= self.limit {
            let oldest = q.front().copied().unwrap_or(now);
            return Err(self.window.saturating_sub(now.duration_since(oldest)));
        }
        q.push_back(now);
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_key_over_its_limit_waits_for_the_window() {
        let limit = RateLimit::new(Duration::from_millis(40), 2);
        assert!(limit.allow("1.1.1.1"));
        assert!(limit.allow("1.1.1.1"));
        let wait = limit.check("1.1.1.1").unwrap_err();
        assert!(wait <= Duration::from_millis(40));
        assert!(limit.allow("2.2.2.2"));
        std::thread::sleep(Duration::from_millis(50));
        assert!(limit.allow("1.1.1.1"));
    }
}
