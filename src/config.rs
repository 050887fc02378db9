//! Configuration: one TOML file, layered as defaults < file < `KITH_*` environment < flags.
//!
//! Every struct denies unknown keys so a typo in the file is an error that names the key,
//! rather than a setting that silently does nothing.

use serde::{Deserialize, Serialize};
use std::path::{Path, PathBuf};

/// The whole configuration of one Kith installation.
#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq)]
#[serde(default, deny_unknown_fields)]
pub struct Config {
    /// Where Kith listens and how it is reached.
    pub server: ServerConfig,
    /// Where the data folder is.
    pub data: DataConfig,
    /// Logging.
    pub log: LogConfig,
    /// Sign-in sessions.
    pub session: SessionConfig,
    /// Sign-in protection.
    pub security: SecurityConfig,
    /// Files attached to records.
    pub attachments: AttachmentsConfig,
    /// Scheduled backups.
    pub backup: crate::backup::BackupConfig,
    /// The REST API and imports.
    pub api: ApiConfig,
    /// Outbound webhooks.
    pub webhooks: crate::crm::webhooks::tls::WebhooksConfig,
}

/// `[api]`: the REST API, its tokens and file imports.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(default, deny_unknown_fields)]
pub struct ApiConfig {
    /// Requests one API token may make per minute; more get 429 with `Retry-After`.
    pub requests_per_minute: u32,
    /// Largest import file accepted, in megabytes (MiB); a larger upload gets a clear 413.
    pub import_max_megabytes: u64,
}

impl Default for ApiConfig {
    fn default() -> Self {
        Self {
            requests_per_minute: 600,
            import_max_megabytes: 50,
        }
    }
}

/// `[attachments]`: files stored inside the database with their record.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(default, deny_unknown_fields)]
pub struct AttachmentsConfig {
    /// Largest file accepted, in megabytes (MiB); a larger upload gets a clear 413 page.
    pub max_megabytes: u64,
}

impl Default for AttachmentsConfig {
    fn default() -> Self {
        Self { max_megabytes: 10 }
    }
}

impl AttachmentsConfig {
    /// The limit in bytes.
    pub fn max_bytes(&self) -> u64 {
        self.max_megabytes * 1024 * 1024
    }
}

/// `[server]`: the HTTP listener.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(default, deny_unknown_fields)]
pub struct ServerConfig {
    /// Address and port to listen on. Use `0.0.0.0:8080` to serve the office LAN.
    pub listen: String,
    /// The address people type in their browser, used in printed links
    /// (e.g. `https://crm.example.lan`). Empty: derived from `listen`.
    pub public_url: String,
    /// Mark cookies `Secure` (only sent over HTTPS). `auto`: when `public_url` starts with https.
    pub secure_cookies: SecureCookies,
    /// Number of HTTP worker threads; 0 means one per CPU core.
    pub workers: usize,
}

/// When session cookies carry the `Secure` attribute.
#[derive(Debug, Clone, Copy, Serialize, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "lowercase")]
pub enum SecureCookies {
    /// Secure when the public URL is https.
    Auto,
    /// Always Secure.
    Always,
    /// Never Secure (plain HTTP on a trusted LAN).
    Never,
}

/// `[data]`: where the database and backups live.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(default, deny_unknown_fields)]
pub struct DataConfig {
    /// The data folder; created on first start. Holds `kith.db`.
    pub dir: PathBuf,
    /// Number of read connections in the pool.
    pub read_connections: u32,
}

/// `[log]`: structured logs on standard error.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(default, deny_unknown_fields)]
pub struct LogConfig {
    /// `error`, `warn`, `info`, `debug` or `trace`, or a full filter such as `kith=debug,info`.
    pub level: String,
    /// `text` for people, `json` for log collectors.
    pub format: LogFormat,
}

/// How log lines are written.
#[derive(Debug, Clone, Copy, Serialize, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "lowercase")]
pub enum LogFormat {
    /// Human-readable lines.
    Text,
    /// One JSON object per line.
    Json,
}

/// `[session]`: how long a sign-in lasts.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(default, deny_unknown_fields)]
pub struct SessionConfig {
    /// Minutes without any request after which a session ends.
    pub idle_timeout_minutes: u32,
    /// Hours after sign-in after which a session ends however active it is.
    pub max_lifetime_hours: u32,
}

/// `[security]`: sign-in throttling and password rules.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(default, deny_unknown_fields)]
pub struct SecurityConfig {
    /// Failed sign-ins for one account within `throttle_window_minutes` before it is paused.
    pub max_failures_per_account: u32,
    /// Failed sign-ins from one IP address within the window before it is paused.
    pub max_failures_per_ip: u32,
    /// The window, in minutes, over which failures are counted; also the pause length.
    pub throttle_window_minutes: u32,
    /// Minimum password length, in characters.
    pub min_password_length: usize,
    /// Minutes the one-time setup link stays valid after the server starts.
    pub setup_link_minutes: u32,
}

impl Default for ServerConfig {
    fn default() -> Self {
        Self {
            listen: "127.0.0.1:8080".into(),
            public_url: String::new(),
            secure_cookies: SecureCookies::Auto,
            workers: 0,
        }
    }
}

impl Default for DataConfig {
    fn default() -> Self {
        Self {
            dir: PathBuf::from("kith-data"),
            read_connections: 8,
        }
    }
}

impl Default for LogConfig {
    fn default() -> Self {
        Self {
            level: "info".into(),
            format: LogFormat::Text,
        }
    }
}

impl Default for SessionConfig {
    fn default() -> Self {
        Self {
            idle_timeout_minutes: 120,
            max_lifetime_hours: 168,
        }
    }
}

impl Default for SecurityConfig {
    fn default() -> Self {
        Self {
            max_failures_per_account: 5,
            max_failures_per_ip: 30,
            throttle_window_minutes: 15,
            min_password_length: 10,
            setup_link_minutes: 1440,
        }
    }
}

/// Values given on the command line; they win over everything else.
#[derive(Debug, Default, Clone)]
pub struct Overrides {
    /// `--config FILE`.
    pub config_file: Option<PathBuf>,
    /// `--data DIR`.
    pub data_dir: Option<PathBuf>,
    /// `--listen ADDR`.
    pub listen: Option<String>,
}

/// Why a configuration could not be loaded.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    /// The file named with `--config` or `KITH_CONFIG` could not be read.
    #[error("cannot read config file {path}: {source}")]
    Read {
        /// The file.
        path: PathBuf,
        /// The cause.
        source: std::io::Error,
    },
    /// The TOML is malformed or has an unknown key or a wrong type.
    #[error("{origin}: {message}")]
    Invalid {
        /// Where the bad value came from (file name or "environment").
        origin: String,
        /// What is wrong, naming the key.
        message: String,
    },
}

impl Config {
    /// Loads the layered configuration from the process environment.
    pub fn load(flags: &Overrides) -> Result<Config, ConfigError> {
        Self::load_from(flags, std::env::vars())
    }

    /// Loads the layered configuration with an explicit environment (for tests).
    pub fn load_from(
        flags: &Overrides,
        env: impl IntoIterator<Item = (String, String)>,
    ) -> Result<Config, ConfigError> {
        let env: Vec<(String, String)> = env
            .into_iter()
            .filter(|(k, _)| k.starts_with("KITH_"))
            .collect();
        let env_file = env
            .iter()
            .find(|(k, _)| k == "KITH_CONFIG")
            .map(|(_, v)| PathBuf::from(v));
        let file = flags.config_file.clone().or(env_file);

        let mut table = toml::Table::new();
        let mut origin = "defaults".to_string();
        if let Some(path) = &file {
            let text = std::fs::read_to_string(path).map_err(|source| ConfigError::Read {
                path: path.clone(),
                source,
            })?;
            table = text
                .parse::<toml::Table>()
                .map_err(|e| ConfigError::Invalid {
                    origin: path.display().to_string(),
                    message: one_line(&e.to_string()),
                })?;
            origin = path.display().to_string();
            // Check the file alone first so an unknown key is blamed on the file.
            toml::Value::Table(table.clone())
                .try_into::<Config>()
                .map_err(|e| ConfigError::Invalid {
                    origin: origin.clone(),
                    message: one_line(&e.to_string()),
                })?;
        }
        for (key, value) in &env {
            apply_env(&mut table, key, value)?;
        }
        let mut config: Config =
            toml::Value::Table(table)
                .try_into()
                .map_err(|e: toml::de::Error| ConfigError::Invalid {
                    origin: if env.is_empty() {
                        origin
                    } else {
                        "environment".into()
                    },
                    message: one_line(&e.to_string()),
                })?;
        if let Some(dir) = &flags.data_dir {
            config.data.dir = dir.clone();
        }
        if let Some(listen) = &flags.listen {
            config.server.listen = listen.clone();
        }
        config.validate()?;
        Ok(config)
    }

    fn validate(&self) -> Result<(), ConfigError> {
        let bad = |key: &str, message: &str| ConfigError::Invalid {
            origin: "config".into(),
            message: format!("{key}: {message}"),
        };
        if self.server.listen.parse::<std::net::SocketAddr>().is_err() {
            return Err(bad(
                "server.listen",
                "expected an address and port such as 0.0.0.0:8080",
            ));
        }
        if self.session.idle_timeout_minutes == 0 || self.session.max_lifetime_hours == 0 {
            return Err(bad("session", "timeouts must be greater than zero"));
        }
        if self.security.min_password_length < 8 {
            return Err(bad("security.min_password_length", "must be at least 8"));
        }
        if self.attachments.max_megabytes == 0 || self.attachments.max_megabytes > 1024 {
            return Err(bad(
                "attachments.max_megabytes",
                "must be between 1 and 1024",
            ));
        }
        if self.api.requests_per_minute == 0 {
            return Err(bad("api.requests_per_minute", "must be at least 1"));
        }
        if self.api.import_max_megabytes == 0 || self.api.import_max_megabytes > 1024 {
            return Err(bad(
                "api.import_max_megabytes",
                "must be between 1 and 1024",
            ));
        }
        if self.data.read_connections == 0 {
            return Err(bad("data.read_connections", "must be at least 1"));
        }
        self.webhooks
            .validate()
            .map_err(|message| ConfigError::Invalid {
                origin: "config".into(),
                message,
            })?;
        self.backup
            .validate()
            .map_err(|message| ConfigError::Invalid {
                origin: "config".into(),
                message,
            })
    }

    /// The backup folder.
    pub fn backup_dir(&self) -> PathBuf {
        self.backup.folder(&self.data.dir)
    }

    /// Path of the SQLite database inside the data folder.
    pub fn db_path(&self) -> PathBuf {
        self.data.dir.join("kith.db")
    }

    /// The base URL used in printed links.
    pub fn public_url(&self) -> String {
        if !self.server.public_url.is_empty() {
            return self.server.public_url.trim_end_matches('/').to_string();
        }
        let listen = self.server.listen.replace("0.0.0.0", "127.0.0.1");
        format!("http://{listen}")
    }

    /// Whether cookies get the `Secure` attribute.
    pub fn secure_cookies(&self) -> bool {
        match self.server.secure_cookies {
            SecureCookies::Always => true,
            SecureCookies::Never => false,
            SecureCookies::Auto => self.server.public_url.starts_with("https://"),
        }
    }

    /// The configuration as TOML, for `kith config check`. Kith keeps no secrets in
    /// this file yet; any added later must be masked here.
    pub fn to_toml(&self) -> String {
        toml::to_string_pretty(self).unwrap_or_default()
    }
}

/// Puts `KITH_SECTION__KEY=value` into the table as `[section] key = value`.
fn apply_env(table: &mut toml::Table, key: &str, value: &str) -> Result<(), ConfigError> {
    let unknown = || ConfigError::Invalid {
        origin: "environment".into(),
        message: format!(
            "unknown variable {key}: expected KITH_CONFIG, KITH_DATA or KITH_<SECTION>__<KEY>"
        ),
    };
    let (section, field) = match key {
        "KITH_CONFIG" => return Ok(()),
        "KITH_DATA" => ("data".to_string(), "dir".to_string()),
        _ => {
            let rest = key.strip_prefix("KITH_").ok_or_else(unknown)?;
            let (s, f) = rest.split_once("__").ok_or_else(unknown)?;
            (s.to_ascii_lowercase(), f.to_ascii_lowercase())
        }
    };
    let parsed = format!("v = {value}")
        .parse::<toml::Table>()
        .ok()
        .and_then(|mut t| t.remove("v"))
        .unwrap_or_else(|| toml::Value::String(value.to_string()));
    let entry = table
        .entry(section)
        .or_insert_with(|| toml::Value::Table(toml::Table::new()));
    match entry {
        toml::Value::Table(t) => {
            t.insert(field, parsed);
            Ok(())
        }
        _ => Err(unknown()),
    }
}

fn one_line(s: &str) -> String {
    s.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// Returns the documented example configuration shipped with Kith.
pub fn example() -> &'static str {
    include_str!("../config.example.toml")
}

/// Makes sure the data folder exists.
pub fn ensure_dir(dir: &Path) -> std::io::Result<()> {
    std::fs::create_dir_all(dir)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn env(pairs: &[(&str, &str)]) -> Vec<(String, String)> {
        pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    }

    #[test]
    fn defaults_apply_without_any_file() {
        let c = Config::load_from(&Overrides::default(), env(&[])).unwrap();
        assert_eq!(c, Config::default());
    }

    #[test]
    fn environment_wins_over_file_and_flags_win_over_environment() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("kith.toml");
        std::fs::write(
            &file,
            "[server]\nlisten = \"0.0.0.0:9000\"\n[log]\nlevel = \"warn\"\n",
        )
        .unwrap();
        let flags = Overrides {
            config_file: Some(file),
            data_dir: Some("/srv/kith".into()),
            listen: None,
        };
        let c = Config::load_from(
            &flags,
            env(&[("KITH_LOG__LEVEL", "debug"), ("KITH_DATA", "/tmp/x")]),
        )
        .unwrap();
        assert_eq!(c.server.listen, "0.0.0.0:9000");
        assert_eq!(c.log.level, "debug");
        assert_eq!(c.data.dir, PathBuf::from("/srv/kith"));
    }

    #[test]
    fn unknown_key_in_file_is_rejected_with_its_name() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("kith.toml");
        std::fs::write(&file, "[server]\nlisten_addr = \"0.0.0.0:9000\"\n").unwrap();
        let flags = Overrides {
            config_file: Some(file),
            ..Default::default()
        };
        let err = Config::load_from(&flags, env(&[])).unwrap_err().to_string();
        assert!(err.contains("listen_addr"), "{err}");
    }

    #[test]
    fn unknown_environment_variable_is_rejected_with_its_name() {
        let err = Config::load_from(&Overrides::default(), env(&[("KITH_SERVER__PORT", "1")]))
            .unwrap_err()
            .to_string();
        assert!(err.contains("port"), "{err}");
        let err = Config::load_from(&Overrides::default(), env(&[("KITH_FOO", "1")]))
            .unwrap_err()
            .to_string();
        assert!(err.contains("KITH_FOO"), "{err}");
    }

    #[test]
    fn numeric_environment_values_are_typed() {
        let c = Config::load_from(
            &Overrides::default(),
            env(&[("KITH_SESSION__IDLE_TIMEOUT_MINUTES", "30")]),
        )
        .unwrap();
        assert_eq!(c.session.idle_timeout_minutes, 30);
    }

    #[test]
    fn the_example_file_is_valid_and_matches_the_defaults() {
        let parsed: Config = toml::from_str(example()).unwrap();
        assert_eq!(parsed, Config::default());
    }
}
