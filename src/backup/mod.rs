//! Backups that are verified and restores that cannot go wrong.
//!
//! A backup is an online copy of the live database (SQLite's backup API in one step, from
//! its own connection, while the server keeps serving), checked as a database of its own
//! (integrity check, schema version, rows per table, audit chain), compressed, optionally
//! encrypted, written under a temporary name, fsynced and renamed into place. The manifest
//! inside each file records what was checked, so `verify` and `restore` can check it again.

mod archive;
pub mod config;
mod crypto;
pub mod lock;
pub mod pages;
pub mod restore;
mod retention;
pub mod schedule;
pub mod scheduler;
mod snapshot;
pub mod status;
mod store;

pub use archive::ArchiveError;
pub use config::BackupConfig;
pub use crypto::{Protection, generate_key};
pub use snapshot::AuditHead;

use crate::config::Config;
use crate::db::{self, Actor, Db};
use chrono::{DateTime, Utc};
use chrono_tz::Tz;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::time::Instant;

/// The extension of backup files.
pub const EXTENSION: &str = "kithbackup";
/// Temporary files of a run in progress end with this; a later run removes leftovers.
const PARTIAL: &str = ".partial";

/// Why a backup was taken; pre-upgrade snapshots are kept apart from the rotation.
#[derive(Debug, Clone, Copy, Serialize, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "kebab-case")]
pub enum Kind {
    /// By the schedule.
    Scheduled,
    /// By an administrator (`kith backup run`, "back up now").
    Manual,
    /// Automatically, before a schema migration.
    PreUpgrade,
}

impl Kind {
    fn subfolder(self) -> &'static str {
        match self {
            Kind::PreUpgrade => "pre-upgrade",
            _ => "",
        }
    }
}

/// What a backup holds, stored inside it.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct Manifest {
    /// Layout version of the file.
    pub format: u32,
    /// The Kith that wrote it.
    pub kith_version: String,
    /// The database's schema version.
    pub schema_version: u32,
    /// When the copy was taken, UTC RFC 3339.
    pub created: String,
    /// Why it was taken.
    pub kind: Kind,
    /// Size of the database copy.
    pub database_bytes: u64,
    /// Size of the payload (compressed, maybe encrypted).
    pub payload_bytes: u64,
    /// SHA-256 of the payload.
    pub payload_sha256: String,
    /// `none`, `passphrase` or `key`.
    pub encryption: String,
    /// Rows per table.
    pub row_counts: BTreeMap<String, i64>,
    /// The audit chain's length and head.
    pub audit: AuditHead,
}

impl Manifest {
    /// When the copy was taken.
    pub fn created_at(&self) -> Option<DateTime<Utc>> {
        DateTime::parse_from_rfc3339(&self.created)
            .ok()
            .map(|t| t.with_timezone(&Utc))
    }
}

/// Why a backup, a verification or a restore did not succeed.
#[derive(Debug, thiserror::Error)]
pub enum BackupError {
    /// Another backup or restore is running.
    #[error("another backup is running ({0})")]
    Busy(String),
    /// Not enough free disk space.
    #[error(
        "not enough free disk space in {folder}: {free_mb} MB free, {needed_mb} MB needed \
         (the database plus the configured margin of {margin_mb} MB)"
    )]
    DiskFull {
        /// The backup folder.
        folder: String,
        /// Free megabytes.
        free_mb: u64,
        /// Needed megabytes.
        needed_mb: u64,
        /// `min_free_megabytes`.
        margin_mb: u64,
    },
    /// The copy is not a good database.
    #[error(transparent)]
    Snapshot(#[from] snapshot::SnapshotError),
    /// The file is damaged, unreadable or cannot be decrypted.
    #[error(transparent)]
    Archive(#[from] ArchiveError),
    /// The unpacked copy differs from what the manifest says was backed up.
    #[error("the backup does not match its manifest: {0}")]
    Mismatch(String),
    /// Written by a newer Kith.
    #[error(
        "the backup has schema version {found}, newer than this Kith supports ({supported}); \
         use the Kith version that made it ({version})"
    )]
    NewerSchema {
        /// In the backup.
        found: u32,
        /// This build.
        supported: u32,
        /// The Kith version in the manifest.
        version: String,
    },
    /// Anything else (configuration, files).
    #[error(transparent)]
    Other(#[from] anyhow::Error),
}

impl From<rusqlite::Error> for BackupError {
    fn from(e: rusqlite::Error) -> Self {
        BackupError::Other(e.into())
    }
}

impl From<std::io::Error> for BackupError {
    fn from(e: std::io::Error) -> Self {
        BackupError::Other(e.into())
    }
}

/// A backup that was written.
#[derive(Debug)]
pub struct Outcome {
    /// The file.
    pub path: PathBuf,
    /// Its manifest.
    pub manifest: Manifest,
    /// How long it took.
    pub seconds: f64,
    /// Backups removed by retention afterwards.
    pub removed: Vec<PathBuf>,
}

/// A backup file found in the folder.
#[derive(Debug, Clone, Serialize)]
pub struct Listed {
    /// File name.
    pub name: String,
    /// `""` for the rotation, `pre-upgrade` for snapshots before upgrades.
    pub group: String,
    /// Size on disk.
    pub bytes: u64,
    /// The manifest, or why it could not be read.
    pub manifest: Option<Manifest>,
    /// Why the manifest could not be read.
    pub problem: Option<String>,
}

/// The backups of one installation.
pub struct Backups {
    config: BackupConfig,
    folder: PathBuf,
    db_path: PathBuf,
}

impl Backups {
    /// The backups as configured.
    pub fn new(config: &Config) -> Backups {
        Backups {
            config: config.backup.clone(),
            folder: config.backup_dir(),
            db_path: config.db_path(),
        }
    }

    /// The backup folder.
    pub fn folder(&self) -> &Path {
        &self.folder
    }

    /// The configuration.
    pub fn config(&self) -> &BackupConfig {
        &self.config
    }

    fn lock_path(&self) -> PathBuf {
        self.folder.join(".backup.lock")
    }

    /// Whether a backup is running right now (in any process).
    pub fn running(&self) -> bool {
        lock::is_held(&self.lock_path())
    }

    /// Takes, verifies and stores one backup, then applies retention. `now` is the clock
    /// (injectable for tests); `tz` decides day, week and month boundaries.
    pub fn run(&self, kind: Kind, now: DateTime<Utc>, tz: Tz) -> Result<Outcome, BackupError> {
        let started = Instant::now();
        let dir = self.folder.join(kind.subfolder());
        std::fs::create_dir_all(&dir)?;
        let _lock = lock::try_lock(&self.lock_path(), "kith backup")
            .map_err(|e| BackupError::Busy(e.to_string()))?;
        clean_partials(&self.folder);
        clean_partials(&dir);
        let protection = Protection::from_config(&self.config)?;
        self.check_free_space()?;
        let stem = match kind {
            Kind::PreUpgrade => format!(
                "kith-v{}-{}",
                existing_version(&self.db_path).unwrap_or(0),
                now.format("%Y%m%dT%H%M%SZ")
            ),
            _ => format!("kith-{}", now.format("%Y%m%dT%H%M%SZ")),
        };
        let name = free_name(&dir, &stem);
        let path = dir.join(&name);
        let copy = dir.join(format!(".{name}.db{PARTIAL}"));
        let packed = dir.join(format!(".{name}{PARTIAL}"));
        let result = self.write(kind, now, &protection, &copy, &packed, &path);
        let _ = std::fs::remove_file(&copy);
        if result.is_err() {
            let _ = std::fs::remove_file(&packed);
        }
        let manifest = result?;
        let removed = match kind {
            Kind::PreUpgrade => Vec::new(),
            _ => self.apply_retention(now, tz),
        };
        Ok(Outcome {
            path,
            manifest,
            seconds: started.elapsed().as_secs_f64(),
            removed,
        })
    }

    fn write(
        &self,
        kind: Kind,
        now: DateTime<Utc>,
        protection: &Protection,
        copy: &Path,
        packed: &Path,
        path: &Path,
    ) -> Result<Manifest, BackupError> {
        snapshot::take(&self.db_path, copy)?;
        let found = snapshot::inspect(copy)?;
        let manifest = Manifest {
            format: 1,
            kith_version: env!("CARGO_PKG_VERSION").into(),
            schema_version: found.schema_version,
            created: now.to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
            kind,
            database_bytes: std::fs::metadata(copy)?.len(),
            payload_bytes: 0,
            payload_sha256: String::new(),
            encryption: protection.label().into(),
            row_counts: found.row_counts,
            audit: found.audit,
        };
        let manifest = archive::write(copy, manifest, protection, packed)?;
        // Read back what reached the disk before calling it a backup.
        archive::checksum(packed)?;
        std::fs::rename(packed, path)?;
        sync_dir(path.parent().unwrap_or(&self.folder));
        Ok(manifest)
    }

    fn check_free_space(&self) -> Result<(), BackupError> {
        let free = fs4::available_space(&self.folder)?;
        let size = |p: PathBuf| std::fs::metadata(p).map(|m| m.len()).unwrap_or(0);
        let wal = PathBuf::from(format!("{}-wal", self.db_path.display()));
        let database = size(self.db_path.clone()) + size(wal);
        let margin = self.config.min_free_megabytes * 1024 * 1024;
        let needed = database + margin;
        if free < needed {
            return Err(BackupError::DiskFull {
                folder: self.folder.display().to_string(),
                free_mb: free / (1024 * 1024),
                needed_mb: needed.div_ceil(1024 * 1024),
                margin_mb: self.config.min_free_megabytes,
            });
        }
        Ok(())
    }

    fn apply_retention(&self, now: DateTime<Utc>, tz: Tz) -> Vec<PathBuf> {
        let rotation: Vec<(PathBuf, DateTime<Utc>)> = self
            .list()
            .into_iter()
            .filter(|b| b.group.is_empty())
            .filter_map(|b| {
                let at = b.manifest.as_ref()?.created_at()?;
                Some((self.folder.join(&b.name), at))
            })
            .collect();
        let times: Vec<DateTime<Utc>> = rotation.iter().map(|r| r.1).collect();
        let mut removed = Vec::new();
        for i in retention::to_remove(&times, now, tz, &self.config) {
            let path = &rotation[i].0;
            match std::fs::remove_file(path) {
                Ok(()) => removed.push(path.clone()),
                Err(e) => tracing::warn!("Could not remove old backup {}: {e}", path.display()),
            }
        }
        removed
    }

    /// Every backup file, newest first: the rotation, then the pre-upgrade snapshots.
    pub fn list(&self) -> Vec<Listed> {
        let mut all = Vec::new();
        for group in ["", Kind::PreUpgrade.subfolder()] {
            let Ok(entries) = std::fs::read_dir(self.folder.join(group)) else {
                continue;
            };
            let mut found: Vec<Listed> = entries
                .filter_map(Result::ok)
                .filter(|e| e.path().extension().is_some_and(|x| x == EXTENSION))
                .filter(|e| !e.file_name().to_string_lossy().starts_with('.'))
                .map(|e| {
                    let path = e.path();
                    let (manifest, problem) = match archive::manifest(&path) {
                        Ok(m) => (Some(m), None),
                        Err(err) => (None, Some(err.to_string())),
                    };
                    Listed {
                        name: e.file_name().to_string_lossy().into_owned(),
                        group: group.to_string(),
                        bytes: e.metadata().map(|m| m.len()).unwrap_or(0),
                        manifest,
                        problem,
                    }
                })
                .collect();
            found.sort_by(|a, b| b.name.cmp(&a.name));
            all.extend(found);
        }
        all
    }

    /// The newest backup of the rotation whose manifest reads, with its time.
    pub fn newest_good(&self) -> Option<DateTime<Utc>> {
        self.list()
            .into_iter()
            .filter(|b| b.group.is_empty())
            .filter_map(|b| b.manifest?.created_at())
            .max()
    }

    /// The path of a listed backup by its name (`group/name` for snapshots), or `None`
    /// for anything that is not one of ours.
    pub fn find(&self, group: &str, name: &str) -> Option<PathBuf> {
        self.list()
            .into_iter()
            .find(|b| b.group == group && b.name == name)
            .map(|b| self.folder.join(&b.group).join(&b.name))
    }

    /// Checks a backup completely: checksum, decryption, decompression, integrity check,
    /// schema version and row counts against the manifest.
    pub fn verify(&self, file: &Path) -> Result<Manifest, BackupError> {
        std::fs::create_dir_all(&self.folder)?;
        let tmp = self.folder.join(format!(
            ".verify-{:016x}.db{PARTIAL}",
            rand::random::<u64>()
        ));
        let result = self.unpack_checked(file, &tmp);
        let _ = std::fs::remove_file(&tmp);
        result
    }

    /// Unpacks `file` to `out` and checks it as [`Backups::verify`] does; `out` is left
    /// in place for a restore.
    pub fn unpack_checked(&self, file: &Path, out: &Path) -> Result<Manifest, BackupError> {
        let manifest = archive::manifest(file)?;
        if manifest.schema_version > db::LATEST_VERSION {
            return Err(BackupError::NewerSchema {
                found: manifest.schema_version,
                supported: db::LATEST_VERSION,
                version: manifest.kith_version.clone(),
            });
        }
        let protection = Protection::from_config(&self.config)?;
        let manifest = archive::unpack(file, &protection, out)?;
        let found = snapshot::inspect(out)?;
        if found.schema_version != manifest.schema_version {
            return Err(BackupError::Mismatch(format!(
                "schema version {} inside, {} in the manifest",
                found.schema_version, manifest.schema_version
            )));
        }
        if let Some((table, n)) = manifest
            .row_counts
            .iter()
            .find(|(t, n)| found.row_counts.get(*t) != Some(n))
        {
            return Err(BackupError::Mismatch(format!(
                "table {table} has {} rows, the manifest says {n}",
                found.row_counts.get(table).copied().unwrap_or(0)
            )));
        }
        if found.audit.head != manifest.audit.head {
            return Err(BackupError::Mismatch("the audit chain head differs".into()));
        }
        Ok(manifest)
    }
}

/// Records a run's outcome: the status file, the log, and an audit entry (when the
/// database takes one).
pub fn record(db: &Db, data_dir: &Path, actor: Actor, result: &Result<Outcome, BackupError>) {
    let (ok, detail, event) = match result {
        Ok(o) => {
            let name = o.path.file_name().map(|n| n.to_string_lossy().into_owned());
            let name = name.unwrap_or_default();
            tracing::info!(
                bytes = o.manifest.payload_bytes,
                seconds = o.seconds,
                removed = o.removed.len(),
                "Backup {name} written and verified"
            );
            let event = crate::audit::Event::new("backup.created")
                .entity("backup", &name)
                .change(
                    "kind",
                    serde_json::Value::Null,
                    serde_json::json!(o.manifest.kind),
                )
                .change("bytes", serde_json::Value::Null, o.manifest.payload_bytes)
                .change(
                    "removed_by_retention",
                    serde_json::Value::Null,
                    o.removed.len(),
                );
            (true, name, event)
        }
        Err(e) => {
            tracing::error!("Backup failed: {e}");
            let event = crate::audit::Event::new("backup.failed").change(
                "reason",
                serde_json::Value::Null,
                e.to_string(),
            );
            (false, e.to_string(), event)
        }
    };
    if let Err(e) = status::record(data_dir, ok, &detail) {
        tracing::error!("Could not record the backup status: {e}");
    }
    if let Err(e) = db.write_blocking(actor, |tx| tx.audit(event)) {
        tracing::error!("Could not record the backup in the audit log: {e}");
    }
}

/// The company's time zone (UTC before setup), for the schedule and retention.
pub fn time_zone(db: &Db) -> Tz {
    db.read_blocking(|c| Ok(crate::crm::settings::store::get(c)?))
        .ok()
        .flatten()
        .and_then(|p| p.time_zone.parse().ok())
        .unwrap_or(Tz::UTC)
}

/// Before a schema migration: when the database exists with an older schema, takes a
/// snapshot into `pre-upgrade/` first. Refuses the upgrade when the snapshot fails.
pub fn before_upgrade(config: &Config) -> anyhow::Result<Option<PathBuf>> {
    let path = config.db_path();
    let Some(version) = existing_version(&path) else {
        return Ok(None);
    };
    if version == 0 || version >= db::LATEST_VERSION {
        return Ok(None);
    }
    let outcome = Backups::new(config)
        .run(Kind::PreUpgrade, Utc::now(), Tz::UTC)
        .map_err(|e| {
            anyhow::anyhow!(
                "the database needs an upgrade from schema version {version} to {}, and the \
                 snapshot taken before every upgrade failed: {e}",
                db::LATEST_VERSION
            )
        })?;
    tracing::info!(
        "Snapshot before upgrading from schema version {version}: {}",
        outcome.path.display()
    );
    Ok(Some(outcome.path))
}

fn existing_version(path: &Path) -> Option<u32> {
    if !path.exists() {
        return None;
    }
    let conn = store::open_read_only(path).ok()?;
    db::schema_version(&conn).ok()
}

fn free_name(dir: &Path, stem: &str) -> String {
    let mut name = format!("{stem}.{EXTENSION}");
    let mut n = 2;
    while dir.join(&name).exists() {
        name = format!("{stem}-{n}.{EXTENSION}");
        n += 1;
    }
    name
}

/// Removes what an interrupted run left behind (only ever our own temporary names).
fn clean_partials(dir: &Path) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for e in entries.filter_map(Result::ok) {
        let name = e.file_name().to_string_lossy().into_owned();
        if !name.starts_with('.') || !name.ends_with(PARTIAL) {
            continue;
        }
        // A backup's leftovers are certainly dead (the caller holds the backup lock); a
        // verification's may belong to one still running, so only old ones go.
        let old = e
            .metadata()
            .and_then(|m| m.modified())
            .is_ok_and(|t| t.elapsed().is_ok_and(|age| age.as_secs() > 6 * 3600));
        if name.starts_with(".kith-") || old {
            tracing::info!("Removing {name}, left by an interrupted backup");
            let _ = std::fs::remove_file(e.path());
        }
    }
}

/// Makes a rename durable.
pub(crate) fn sync_dir(dir: &Path) {
    if let Ok(d) = std::fs::File::open(dir) {
        let _ = d.sync_all();
    }
}
