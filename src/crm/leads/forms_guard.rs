//! Keeping robots off the public lead forms without bothering people: a per-address limit
//! on submissions, and a signed time stamp that shows the form was loaded from Kith a few
//! seconds before it was sent (robots post at once, or post without loading the page).
//!
//! The stamp is signed with a key made when the server starts: Kith keeps no secret in its
//! configuration, and a key that changes on restart costs at most one visitor one more
//! click (the form comes back, filled in, with a fresh stamp).

use crate::web::rate::RateLimit;
use sha2::Sha256;
use std::sync::LazyLock;
use std::time::Duration;

/// Submissions accepted from one address per [`WINDOW`].
pub const PER_ADDRESS: usize = 10;

/// The window over which submissions are counted.
pub const WINDOW: Duration = Duration::from_secs(10 * 60);

/// A stamp younger than this was sent faster than a person fills in a form.
pub const MIN_FILL_SECS: i64 = 2;

/// A stamp older than this is refused (the form comes back with a fresh one).
pub const MAX_AGE_SECS: i64 = 24 * 60 * 60;

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

/// HMAC-SHA-256 (RFC 2104) of `msg` under `key`.
fn hmac(key: &[u8], msg: &[u8]) -> [u8; 32] {
    use hmac::{Hmac, Mac};
    // HMAC takes a key of any length; the error case cannot happen.
    Hmac::<Sha256>::new_from_slice(key).map_or([0; 32], |mut m| {
        m.update(msg);
        m.finalize().into_bytes().into()
    })
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
}
