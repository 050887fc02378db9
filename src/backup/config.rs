//! `[backup]` in the configuration: when, where, how long to keep, and how to protect.

use serde::{Deserialize, Serialize};
use std::path::{Path, PathBuf};

/// `[backup]`: scheduled, verified, compressed backups of the database.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(default, deny_unknown_fields)]
pub struct BackupConfig {
    /// When `kith serve` takes a backup: a cron expression (minute hour day month weekday)
    /// in the company's time zone. Empty: no scheduled backups.
    pub schedule: String,
    /// The backup folder; empty means `backups` inside the data folder. May be a mounted NAS.
    pub dir: PathBuf,
    /// Always keep this many of the newest backups.
    pub keep_last: u32,
    /// Keep the newest backup of each of this many days.
    pub keep_daily: u32,
    /// Keep the newest backup of each of this many ISO weeks.
    pub keep_weekly: u32,
    /// Keep the newest backup of each of this many months.
    pub keep_monthly: u32,
    /// Remove backups older than this many days even when the counts above would keep them;
    /// 0 keeps them by count alone. The newest good backup is never removed.
    pub max_age_days: u32,
    /// Refuse a backup when the backup folder would have less than this many megabytes free
    /// after it (the margin keeps the disk from filling up).
    pub min_free_megabytes: u64,
    /// `/healthz` turns unhealthy and admins see a banner when the newest good backup is older
    /// than this many hours.
    pub alert_after_hours: u32,
    /// Encrypt backups with the passphrase in this file (first line). Empty: not encrypted.
    pub passphrase_file: PathBuf,
    /// Encrypt backups to the age key in this file (`kith backup keygen FILE` makes one).
    /// Empty: not encrypted. Keep a copy of the key away from the server.
    pub key_file: PathBuf,
}

impl Default for BackupConfig {
    fn default() -> Self {
        Self {
            schedule: "0 2 * * *".into(),
            dir: PathBuf::new(),
            keep_last: 3,
            keep_daily: 7,
            keep_weekly: 4,
            keep_monthly: 12,
            max_age_days: 0,
            min_free_megabytes: 1024,
            alert_after_hours: 48,
            passphrase_file: PathBuf::new(),
            key_file: PathBuf::new(),
        }
    }
}

impl BackupConfig {
    /// The backup folder for a data folder.
    pub fn folder(&self, data_dir: &Path) -> PathBuf {
        if self.dir.as_os_str().is_empty() {
            data_dir.join("backups")
        } else {
            self.dir.clone()
        }
    }

    /// Checks what can be checked without touching the disk: the schedule parses and at
    /// most one kind of encryption is set.
    pub fn validate(&self) -> Result<(), String> {
        if !self.schedule.trim().is_empty() {
            super::schedule::parse(&self.schedule).map_err(|e| format!("backup.schedule: {e}"))?;
        }
        if !self.passphrase_file.as_os_str().is_empty() && !self.key_file.as_os_str().is_empty() {
            return Err("backup: set passphrase_file or key_file, not both".into());
        }
        if self.keep_last == 0 {
            return Err("backup.keep_last: must be at least 1".into());
        }
        Ok(())
    }
}
