//! Optional encryption of backups with age: to a passphrase (scrypt) or to an X25519 key.

use super::archive::ArchiveError;
use super::config::BackupConfig;
use age::secrecy::{ExposeSecret, SecretString};
use age::x25519;
use std::io::Read;
use std::path::Path;

/// How backups are protected, from the configuration.
pub enum Protection {
    /// Not encrypted.
    None,
    /// Encrypted to a passphrase.
    Passphrase(SecretString),
    /// Encrypted to an age key.
    Key(Box<x25519::Identity>),
}

impl Protection {
    /// Reads the passphrase or key file named in the configuration.
    pub fn from_config(config: &BackupConfig) -> anyhow::Result<Protection> {
        if !config.passphrase_file.as_os_str().is_empty() {
            let text = read_secret(&config.passphrase_file, "backup.passphrase_file")?;
            let line = text
                .lines()
                .next()
                .unwrap_or_default()
                .trim_end()
                .to_string();
            if line.is_empty() {
                anyhow::bail!(
                    "backup.passphrase_file {} is empty",
                    config.passphrase_file.display()
                );
            }
            return Ok(Protection::Passphrase(SecretString::from(line)));
        }
        if !config.key_file.as_os_str().is_empty() {
            let text = read_secret(&config.key_file, "backup.key_file")?;
            let key = text
                .lines()
                .map(str::trim)
                .find(|l| l.starts_with("AGE-SECRET-KEY-"))
                .and_then(|l| l.parse::<x25519::Identity>().ok())
                .ok_or_else(|| {
                    anyhow::anyhow!(
                        "backup.key_file {} holds no age secret key (make one with `kith backup keygen FILE`)",
                        config.key_file.display()
                    )
                })?;
            return Ok(Protection::Key(Box::new(key)));
        }
        Ok(Protection::None)
    }

    /// The name recorded in the manifest.
    pub fn label(&self) -> &'static str {
        match self {
            Protection::None => "none",
            Protection::Passphrase(_) => "passphrase",
            Protection::Key(_) => "key",
        }
    }

    pub(super) fn encryptor(&self) -> Result<Option<age::Encryptor>, ArchiveError> {
        match self {
            Protection::None => Ok(None),
            Protection::Passphrase(p) => Ok(Some(age::Encryptor::with_user_passphrase(p.clone()))),
            Protection::Key(k) => {
                let recipient = k.to_public();
                age::Encryptor::with_recipients(std::iter::once(&recipient as &dyn age::Recipient))
                    .map(Some)
                    .map_err(|e| ArchiveError::Decrypt(e.to_string()))
            }
        }
    }

    pub(super) fn decrypt<'r, R: Read + 'r>(
        &self,
        source: R,
        kind: &str,
    ) -> Result<Box<dyn Read + 'r>, ArchiveError> {
        let decryptor =
            age::Decryptor::new(source).map_err(|e| ArchiveError::Decrypt(e.to_string()))?;
        let wrong = |e: age::DecryptError| {
            ArchiveError::Decrypt(match e {
                age::DecryptError::NoMatchingKeys | age::DecryptError::DecryptionFailed => {
                    format!("the configured {} does not open this backup", self.what())
                }
                other => other.to_string(),
            })
        };
        let reader = match (self, kind) {
            (Protection::Passphrase(p), "passphrase") => {
                let identity = age::scrypt::Identity::new(p.clone());
                decryptor
                    .decrypt(std::iter::once(&identity as &dyn age::Identity))
                    .map_err(wrong)?
            }
            (Protection::Key(k), "key") => decryptor
                .decrypt(std::iter::once(k.as_ref() as &dyn age::Identity))
                .map_err(wrong)?,
            _ => {
                return Err(ArchiveError::Decrypt(format!(
                    "this backup is encrypted with a {kind}; set backup.{} in the configuration",
                    if kind == "key" {
                        "key_file"
                    } else {
                        "passphrase_file"
                    }
                )));
            }
        };
        Ok(Box::new(reader))
    }

    fn what(&self) -> &'static str {
        match self {
            Protection::Key(_) => "key",
            _ => "passphrase",
        }
    }
}

fn read_secret(path: &Path, key: &str) -> anyhow::Result<String> {
    std::fs::read_to_string(path)
        .map_err(|e| anyhow::anyhow!("cannot read {key} {}: {e}", path.display()))
}

/// A new age key file's text: a comment with the public key, then the secret key.
pub fn generate_key() -> String {
    let key = x25519::Identity::generate();
    format!(
        "# Kith backup key, created {}\n# public key: {}\n{}\n",
        chrono::Utc::now().format("%Y-%m-%dT%H:%M:%SZ"),
        key.to_public(),
        key.to_string().expose_secret()
    )
}
