//! The outcome of the latest backup runs, kept in a small file in the data folder so the
//! server, the CLI and `/healthz` agree, and a failure is remembered across restarts.

use serde::{Deserialize, Serialize};
use std::path::{Path, PathBuf};

/// One run's outcome.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct Run {
    /// When it finished, UTC RFC 3339.
    pub at: String,
    /// The backup file (success) or the reason (failure).
    pub detail: String,
}

/// The newest success and the newest failure.
#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq)]
pub struct Status {
    /// The newest good backup.
    pub last_success: Option<Run>,
    /// The newest failure.
    pub last_failure: Option<Run>,
}

impl Status {
    /// Whether the newest run failed.
    pub fn failing(&self) -> bool {
        match (&self.last_failure, &self.last_success) {
            (Some(f), Some(s)) => f.at > s.at,
            (Some(_), None) => true,
            _ => false,
        }
    }
}

/// The status file of the data folder `data_dir`.
pub fn path(data_dir: &Path) -> PathBuf {
    data_dir.join("backup-status.json")
}

/// Reads the status; an absent or unreadable file is an empty status.
pub fn read(data_dir: &Path) -> Status {
    std::fs::read(path(data_dir))
        .ok()
        .and_then(|b| serde_json::from_slice(&b).ok())
        .unwrap_or_default()
}

/// Records a run's outcome (atomically: written beside, then renamed over).
pub fn record(data_dir: &Path, success: bool, detail: &str) -> std::io::Result<()> {
    let mut status = read(data_dir);
    let run = Some(Run {
        at: crate::db::now(),
        detail: detail.to_string(),
    });
    if success {
        status.last_success = run;
    } else {
        status.last_failure = run;
    }
    let tmp = data_dir.join("backup-status.json.tmp");
    std::fs::write(
        &tmp,
        serde_json::to_vec_pretty(&status).map_err(std::io::Error::other)?,
    )?;
    std::fs::rename(&tmp, path(data_dir))
}
