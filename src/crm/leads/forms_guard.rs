//! Keeping robots off the public lead forms without bothering people: a per-address limit
//! on submissions, and a signed time stamp that shows the form was loaded from Kith a few
//! seconds before it was sent (robots post at once, or post without loading the page).
//!
//! The stamp is signed with a key made when the server starts: Kith keeps no secret in its
//! configuration, and a key that changes on restart costs at most one visitor one more
//! click (the form comes back, filled in, with a fresh stamp).

use sha2::{Digest, Sha256};
use std::collections::{HashMap, VecDeque};
use std::sync::{LazyLock, Mutex};
use std::time::{Duration, Instant};

/// Submissions accepted from one address per [`WINDOW`].
pub const PER_ADDRESS: usize = 10;

/// The window over which submissions are counted.
pub const WINDOW: Duration = Duration::from_secs(10 * 60);

/// A stamp younger than this was sent faster than a person fills in a form.
pub const MIN_FILL_SECS: i64 = 2;

/// A stamp older than this is refused (the form comes back with a fresh one).
pub const MAX_AGE_SECS: i64 = 24 * 60 * 60;

/// Addresses kept at most, so a flood from many addresses cannot grow memory unbounded.
const MAX_KEYS: usize = 100_000;

/// Counts submissions per key over a sliding window, in memory.
pub struct RateLimit {
    window: Duration,
    limit: usize,
    hits: Mutex<HashMap<String, VecDeque<Instant>>>,
}

impl RateLimit {
    /// A limit of `limit` per `window`.
    pub fn new(window: Duration, limit: usize) -> RateLimit {
        RateLimit {
            window,
            limit,
            hits: Mutex::new(HashMap::new()),
        }
    }

    /// Counts a submission for `key`; `false` when the key is over its limit (that
    /// attempt is not counted, so the limit lifts once the window has passed).
    pub fn allow(&self, key: &str) -> bool {
        let now = Instant::now();
        let Ok(mut map) = self.hits.lock() else {
            return true;
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
            return false;
        }
        q.push_back(now);
        true
    }
}

/// Public form submissions, for every server in this process: the key names the data
/// folder as well as the address, so two servers never share counts.
static SUBMISSIONS: LazyLock<RateLimit> = LazyLock::new(|| RateLimit::new(WINDOW, PER_ADDRESS));

/// Counts a public submission from `ip` to the installation in `data_dir`; `false` when
/// that address has sent too many lately.
pub fn allow_submission(data_dir: &std::path::Path, ip: &str) -> bool {
    SUBMISSIONS.allow(&format!("{}\u{0}{ip}", data_dir.display()))
}

static KEY: LazyLock<[u8; 32]> = LazyLock::new(|| {
    use rand::RngCore;
    let mut k = [0u8; 32];
    rand::rng().fill_bytes(&mut k);
    k
});

/// HMAC-SHA-256 (RFC 2104) of `msg` under a key of at most 64 bytes.
fn hmac(key: &[u8], msg: &[u8]) -> [u8; 32] {
    let mut block = [0u8; 64];
    block[..key.len().min(64)].copy_from_slice(&key[..key.len().min(64)]);
    let pad = |b: u8| block.iter().map(|k| k ^ b).collect::<Vec<u8>>();
    let inner = Sha256::new()
        .chain_update(pad(0x36))
        .chain_update(msg)
        .finalize();
    Sha256::new()
        .chain_update(pad(0x5c))
        .chain_update(inner)
        .finalize()
        .into()
}

fn signature(token: &str, at: i64) -> String {
    hex::encode(&hmac(KEY.as_slice(), format!("{token}\n{at}").as_bytes())[..16])
}

/// The stamp a form page carries: when it was made, signed for this form.
pub fn stamp(token: &str, now: i64) -> String {
    format!("{now}.{}", signature(token, now))
}

/// What a submitted stamp says.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Stamp {
    /// Made by this server for this form, long enough ago.
    Good,
    /// Sent too soon after the page was made.
    TooFast,
    /// Missing, altered, for another form, made before a restart, or too old.
    Stale,
}

/// Checks a submitted stamp for the form `token` at time `now` (seconds).
pub fn check(token: &str, sent: Option<&str>, now: i64) -> Stamp {
    let Some((at, sig)) = sent.and_then(|s| s.split_once('.')) else {
        return Stamp::Stale;
    };
    let Ok(at) = at.parse::<i64>() else {
        return Stamp::Stale;
    };
    if !crate::auth::same_secret(&signature(token, at), sig) {
        return Stamp::Stale;
    }
    match now - at {
        age if !(0..=MAX_AGE_SECS).contains(&age) => Stamp::Stale,
        age if age < MIN_FILL_SECS => Stamp::TooFast,
        _ => Stamp::Good,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_stamp_is_good_only_for_its_form_after_a_moment_and_within_a_day() {
        let s = stamp("abc", 1000);
        assert_eq!(check("abc", Some(&s), 1000 + MIN_FILL_SECS), Stamp::Good);
        assert_eq!(check("abc", Some(&s), 1000), Stamp::TooFast);
        assert_eq!(check("xyz", Some(&s), 1010), Stamp::Stale);
        assert_eq!(check("abc", Some(&s), 1001 + MAX_AGE_SECS), Stamp::Stale);
        assert_eq!(check("abc", Some("999.00"), 1010), Stamp::Stale);
        assert_eq!(check("abc", None, 1010), Stamp::Stale);
        let forged = s.replacen("1000", "900", 1);
        assert_eq!(check("abc", Some(&forged), 1010), Stamp::Stale);
    }

    #[test]
    fn hmac_matches_the_rfc_4231_test_vector() {
        let mac = hmac(b"Jefe", b"what do ya want for nothing?");
        assert_eq!(
            hex::encode(mac),
            "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843"
        );
    }

    #[test]
    fn an_address_over_its_limit_waits_for_the_window() {
        let limit = RateLimit::new(Duration::from_millis(40), 2);
        assert!(limit.allow("1.1.1.1"));
        assert!(limit.allow("1.1.1.1"));
        assert!(!limit.allow("1.1.1.1"));
        assert!(limit.allow("2.2.2.2"));
        std::thread::sleep(Duration::from_millis(50));
        assert!(limit.allow("1.1.1.1"));
    }
}
