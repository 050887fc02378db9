//! Passwords: argon2id hashing off the async threads with bounded concurrency, and the
//! rules a new password must meet.

use crate::error::AppError;
use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use argon2::{Algorithm, Argon2, Params, Version};
use std::collections::HashSet;
use std::sync::{Arc, LazyLock};
use tokio::sync::Semaphore;

/// argon2id with OWASP's recommended parameters: 19 MiB, two passes, one lane.
fn argon2() -> Result<Argon2<'static>, AppError> {
    let params = Params::new(19 * 1024, 2, 1, None)
        .map_err(|e| AppError::Internal(anyhow::anyhow!("argon2 params: {e}")))?;
    Ok(Argon2::new(Algorithm::Argon2id, Version::V0x13, params))
}

/// Hashes a password into a PHC string (blocking, ~20 MiB of memory while it runs).
pub fn hash(password: &str) -> Result<String, AppError> {
    let salt = SaltString::encode_b64(&rand::random::<[u8; 16]>())
        .map_err(|e| AppError::Internal(anyhow::anyhow!("salt: {e}")))?;
    argon2()?
        .hash_password(password.as_bytes(), &salt)
        .map(|h| h.to_string())
        .map_err(|e| AppError::Internal(anyhow::anyhow!("hashing: {e}")))
}

/// Checks a password against a stored hash (blocking). A malformed hash never matches.
pub fn verify(password: &str, stored: &str) -> bool {
    let Ok(parsed) = PasswordHash::new(stored) else {
        return false;
    };
    argon2()
        .map(|a| a.verify_password(password.as_bytes(), &parsed).is_ok())
        .unwrap_or(false)
}

/// Runs hashes on the blocking pool, at most a few at once, so a burst of sign-ins
/// cannot exhaust memory.
#[derive(Clone)]
pub struct Hasher {
    permits: Arc<Semaphore>,
    dummy: Arc<String>,
}

impl Hasher {
    /// A hasher allowing `concurrent` hashes at a time.
    pub fn new(concurrent: usize) -> Result<Hasher, AppError> {
        Ok(Hasher {
            permits: Arc::new(Semaphore::new(concurrent.max(1))),
            dummy: Arc::new(hash(&crate::auth::random_token(16))?),
        })
    }

    /// Hashes off the async threads.
    pub async fn hash(&self, password: String) -> Result<String, AppError> {
        let _permit = self
            .permits
            .acquire()
            .await
            .map_err(|_| AppError::poisoned())?;
        actix_web::web::block(move || hash(&password))
            .await
            .map_err(|e| AppError::Internal(anyhow::anyhow!("blocking pool: {e}")))?
    }

    /// Verifies off the async threads. With no stored hash (unknown account) it verifies
    /// against a dummy so the answer takes as long either way.
    pub async fn verify(&self, password: String, stored: Option<String>) -> Result<bool, AppError> {
        let _permit = self
            .permits
            .acquire()
            .await
            .map_err(|_| AppError::poisoned())?;
        let known = stored.is_some();
        let stored = stored.unwrap_or_else(|| self.dummy.as_ref().clone());
        let ok = actix_web::web::block(move || verify(&password, &stored))
            .await
            .map_err(|e| AppError::Internal(anyhow::anyhow!("blocking pool: {e}")))?;
        Ok(ok && known)
    }
}

static COMMON: LazyLock<HashSet<&'static str>> = LazyLock::new(|| {
    include_str!("../../assets/security/common-passwords.txt")
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .collect()
});

/// Why a new password is refused; each maps to a message in the i18n catalog.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Weakness {
    /// Shorter than the configured minimum.
    TooShort,
    /// Longer than 1,024 characters.
    TooLong,
    /// On the built-in list of common passwords.
    Common,
    /// The same as the user's email or name.
    Personal,
}

impl Weakness {
    /// The i18n key of the message.
    pub fn message_key(self) -> &'static str {
        match self {
            Weakness::TooShort => "password.too_short",
            Weakness::TooLong => "password.too_long",
            Weakness::Common => "password.common",
            Weakness::Personal => "password.personal",
        }
    }
}

/// Checks a new password against the rules. Long passphrases of any characters are fine.
pub fn check_policy(password: &str, min_len: usize, personal: &[&str]) -> Result<(), Weakness> {
    let len = password.chars().count();
    if len < min_len {
        return Err(Weakness::TooShort);
    }
    if len > 1024 {
        return Err(Weakness::TooLong);
    }
    let lower = password.to_lowercase();
    if COMMON.contains(lower.as_str()) {
        return Err(Weakness::Common);
    }
    if personal
        .iter()
        .any(|p| !p.is_empty() && p.to_lowercase() == lower)
    {
        return Err(Weakness::Personal);
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_hash_verifies_its_password_only() {
        let h = hash("correct horse battery staple").unwrap();
        assert!(h.starts_with("$argon2id$v=19$m=19456,t=2,p=1$"), "{h}");
        assert!(verify("correct horse battery staple", &h));
        assert!(!verify("correct horse battery stapler", &h));
        assert!(!verify("anything", "not a hash"));
    }

    #[test]
    fn the_policy_refuses_short_common_and_personal_passwords() {
        assert_eq!(check_policy("short", 10, &[]), Err(Weakness::TooShort));
        assert_eq!(check_policy("1234567890", 10, &[]), Err(Weakness::Common));
        assert_eq!(check_policy("Password123", 10, &[]), Err(Weakness::Common));
        assert_eq!(
            check_policy("zhang@acme.cn", 10, &["zhang@acme.cn"]),
            Err(Weakness::Personal)
        );
        assert_eq!(check_policy("长城上的风很大很大很大", 10, &[]), Ok(()));
        assert_eq!(check_policy("plum tree at dusk", 10, &[]), Ok(()));
    }
}
