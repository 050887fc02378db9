//! Signing webhook deliveries.
//!
//! Each delivery carries `X-Kith-Signature: t=<unix seconds>,v1=<hex HMAC-SHA256>` computed over
//! `"<t>.<body>"` with the endpoint's secret, so a receiver can check the body came from Kith and
//! refuse replays of old deliveries. This is the same scheme Stripe uses, so receivers can reuse
//! existing verification code.

use hmac::{Hmac, Mac};
use sha2::Sha256;

type HmacSha256 = Hmac<Sha256>;

/// Name of the HTTP header that carries the signature.
pub const HEADER: &str = "X-Kith-Signature";

/// Prefix of generated secrets, so a leaked one is recognisable in logs and scanners.
const SECRET_PREFIX: &str = "whsec_";

/// The MAC state after feeding it `"{timestamp}.{body}"`.
fn mac(secret: &str, timestamp: i64, body: &[u8]) -> Option<HmacSha256> {
    // HMAC accepts keys of any length, so this never fails in practice.
    let mut mac = HmacSha256::new_from_slice(secret.as_bytes()).ok()?;
    mac.update(timestamp.to_string().as_bytes());
    mac.update(b".");
    mac.update(body);
    Some(mac)
}

/// Lower-case hex HMAC-SHA256 of `"{timestamp}.{body}"` keyed with `secret`.
pub fn signature(secret: &str, timestamp: i64, body: &[u8]) -> String {
    mac(secret, timestamp, body)
        .map(|m| hex::encode(m.finalize().into_bytes()))
        .unwrap_or_default()
}

/// The full [`HEADER`] value for a delivery: `t={timestamp},v1={signature}`.
pub fn header_value(secret: &str, timestamp: i64, body: &[u8]) -> String {
    format!("t={timestamp},v1={}", signature(secret, timestamp, body))
}

/// Checks a [`HEADER`] value the way a receiver should: the timestamp must be within
/// `tolerance_secs` of `now` (either side, so neither old replays nor far-future stamps pass)
/// and one of the `v1` signatures must match, compared in constant time. Several `v1` entries
/// are allowed so a receiver can accept old and new secrets while rotating.
pub fn verify(
    secret: &str,
    header_value: &str,
    body: &[u8],
    now: i64,
    tolerance_secs: u64,
) -> bool {
    let mut timestamp = None;
    let mut candidates = Vec::new();
    for part in header_value.split(',') {
        match part.trim().split_once('=') {
            Some(("t", t)) if timestamp.is_none() => match t.parse::<i64>() {
                Ok(t) => timestamp = Some(t),
                Err(_) => return false,
            },
            Some(("t", _)) => return false,
            Some(("v1", v)) => candidates.push(v),
            _ => {}
        }
    }
    let Some(timestamp) = timestamp else {
        return false;
    };
    if now.abs_diff(timestamp) > tolerance_secs {
        return false;
    }
    candidates.iter().any(|candidate| {
        let (Ok(expected), Some(mac)) = (hex::decode(candidate), mac(secret, timestamp, body))
        else {
            return false;
        };
        mac.verify_slice(&expected).is_ok()
    })
}

/// A fresh endpoint secret: `whsec_` and 32 random bytes in hex.
pub fn new_secret() -> String {
    let bytes: [u8; 32] = rand::random();
    format!("{SECRET_PREFIX}{}", hex::encode(bytes))
}

#[cfg(test)]
mod tests {
    use super::*;

    const BODY: &[u8] = br#"{"a":1}"#;
    const T: i64 = 1_700_000_000;

    #[test]
    fn signature_matches_an_independent_hmac_implementation() {
        // python3: hmac.new(b'secret', b'1700000000.{"a":1}', hashlib.sha256).hexdigest()
        let expected = "49f24e537407743fa4a0242bb63b94b9a47ee99cbbe071ccd8a22550ae411686";
        assert_eq!(signature("secret", T, BODY), expected);
        assert_eq!(
            header_value("secret", T, BODY),
            format!("t={T},v1={expected}")
        );
    }

    #[test]
    fn verify_accepts_a_fresh_correctly_signed_body() {
        let header = header_value("secret", T, BODY);
        assert!(verify("secret", &header, BODY, T + 10, 300));
        assert!(verify("secret", &header, BODY, T - 10, 300));
    }

    #[test]
    fn verify_rejects_a_tampered_body_or_the_wrong_secret() {
        let header = header_value("secret", T, BODY);
        assert!(!verify("secret", &header, br#"{"a":2}"#, T, 300));
        assert!(!verify("other", &header, BODY, T, 300));
    }

    #[test]
    fn verify_rejects_timestamps_outside_the_tolerance() {
        let header = header_value("secret", T, BODY);
        assert!(verify("secret", &header, BODY, T + 300, 300));
        assert!(!verify("secret", &header, BODY, T + 301, 300));
        assert!(!verify("secret", &header, BODY, T - 301, 300));
    }

    #[test]
    fn verify_rejects_a_timestamp_changed_after_signing() {
        let sig = signature("secret", T, BODY);
        assert!(!verify(
            "secret",
            &format!("t={},v1={sig}", T + 1),
            BODY,
            T,
            300
        ));
    }

    #[test]
    fn verify_accepts_any_matching_v1_for_secret_rotation() {
        let good = signature("new", T, BODY);
        let header = format!("t={T}, v1={}, v1={good}", signature("old", T, BODY));
        assert!(verify("new", &header, BODY, T, 300));
        assert!(verify("old", &header, BODY, T, 300));
    }

    #[test]
    fn verify_rejects_malformed_headers() {
        let sig = signature("secret", T, BODY);
        for header in [
            String::new(),
            format!("v1={sig}"),
            format!("t={T}"),
            format!("t=soon,v1={sig}"),
            format!("t={T},t={T},v1={sig}"),
            format!("t={T},v1=not-hex"),
            format!("t={T},v1={}", &sig[..32]),
            format!("t={T},v0={sig}"),
        ] {
            assert!(!verify("secret", &header, BODY, T, 300), "{header}");
        }
    }

    #[test]
    fn new_secrets_are_prefixed_hex_and_unique() {
        let (a, b) = (new_secret(), new_secret());
        let hex_part = a.strip_prefix("whsec_").unwrap();
        assert_eq!(hex_part.len(), 64);
        assert!(
            hex_part
                .chars()
                .all(|c| c.is_ascii_hexdigit() && !c.is_ascii_uppercase())
        );
        assert_ne!(a, b);
    }
}
