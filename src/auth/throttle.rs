//! Failed sign-in throttling per account and per IP address, kept in memory.
//!
//! Failures are counted over a sliding window; past the limit, sign-in for that account
//! (or from that address) pauses until the oldest failure leaves the window. The account
//! key is the submitted email whether or not such an account exists, so the answer never
//! tells an attacker which emails are real.

use std::collections::{HashMap, VecDeque};
use std::sync::Mutex;
use std::time::{Duration, Instant};

/// Keys kept at most, so a flood of random emails cannot grow memory without bound.
const MAX_KEYS: usize = 100_000;

/// The throttle's state.
pub struct Throttle {
    window: Duration,
    per_account: usize,
    per_ip: usize,
    failures: Mutex<HashMap<String, VecDeque<Instant>>>,
}

impl Throttle {
    /// A throttle allowing `per_account` and `per_ip` failures per `window`.
    pub fn new(window: Duration, per_account: u32, per_ip: u32) -> Throttle {
        Throttle {
            window,
            per_account: per_account as usize,
            per_ip: per_ip as usize,
            failures: Mutex::new(HashMap::new()),
        }
    }

    fn keys(email: &str, ip: &str) -> [(String, bool); 2] {
        [
            (format!("acct:{}", email.trim().to_lowercase()), true),
            (format!("ip:{ip}"), false),
        ]
    }

    /// `Err(minutes)` when sign-in is paused for this account or address.
    pub fn check(&self, email: &str, ip: &str) -> Result<(), u64> {
        let now = Instant::now();
        let Ok(mut map) = self.failures.lock() else {
            return Ok(());
        };
        let mut wait = Duration::ZERO;
        for (key, is_account) in Self::keys(email, ip) {
            let limit = if is_account {
                self.per_account
            } else {
                self.per_ip
            };
            if let Some(q) = map.get_mut(&key) {
                while q
                    .front()
                    .is_some_and(|t| now.duration_since(*t) >= self.window)
                {
                    q.pop_front();
                }
                if q.len() >= limit
                    && let Some(oldest) = q.front()
                {
                    wait = wait.max(self.window - now.duration_since(*oldest));
                }
            }
        }
        if wait.is_zero() {
            Ok(())
        } else {
            Err(wait.as_secs().div_ceil(60).max(1))
        }
    }

    /// Counts a failed attempt.
    pub fn record_failure(&self, email: &str, ip: &str) {
        let now = Instant::now();
        let Ok(mut map) = self.failures.lock() else {
            return;
        };
        if map.len() >= MAX_KEYS {
            let window = self.window;
            map.retain(|_, q| q.back().is_some_and(|t| now.duration_since(*t) < window));
        }
        for (key, _) in Self::keys(email, ip) {
            map.entry(key).or_default().push_back(now);
        }
    }

    /// Forgets an account's failures after a successful sign-in.
    pub fn clear_account(&self, email: &str) {
        if let Ok(mut map) = self.failures.lock() {
            map.remove(&format!("acct:{}", email.trim().to_lowercase()));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_account_is_paused_after_its_limit_and_others_are_not() {
        let t = Throttle::new(Duration::from_secs(900), 3, 100);
        for _ in 0..3 {
            assert!(t.check("a@x.cn", "1.1.1.1").is_ok());
            t.record_failure("A@x.cn", "1.1.1.1");
        }
        assert_eq!(t.check("a@x.cn", "2.2.2.2"), Err(15));
        assert!(t.check("b@x.cn", "1.1.1.1").is_ok());
    }

    #[test]
    fn an_address_is_paused_across_accounts() {
        let t = Throttle::new(Duration::from_secs(60), 100, 2);
        t.record_failure("a@x.cn", "9.9.9.9");
        t.record_failure("b@x.cn", "9.9.9.9");
        assert!(t.check("c@x.cn", "9.9.9.9").is_err());
        assert!(t.check("c@x.cn", "8.8.8.8").is_ok());
    }

    #[test]
    fn failures_leave_the_window() {
        let t = Throttle::new(Duration::from_millis(30), 1, 100);
        t.record_failure("a@x.cn", "1.1.1.1");
        assert!(t.check("a@x.cn", "1.1.1.1").is_err());
        std::thread::sleep(Duration::from_millis(40));
        assert!(t.check("a@x.cn", "1.1.1.1").is_ok());
    }
}
