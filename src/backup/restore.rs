//! `kith restore FILE`: verify first, keep a safety copy, swap atomically, continue the
//! audit chain. The running server must be stopped (its lock on the data folder says so).

use super::{BackupError, Backups, Manifest, lock, store, sync_dir};
use crate::audit::Event;
use crate::config::Config;
use crate::db::{self, Actor, Db};
use anyhow::anyhow;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

/// What a restore did.
#[derive(Debug)]
pub struct Restored {
    /// The backup's manifest.
    pub manifest: Manifest,
    /// Where the data that was replaced was kept.
    pub safety_copy: Option<PathBuf>,
    /// The schema version migrated from, when the backup was older.
    pub migrated_from: Option<u32>,
    /// How long it took.
    pub seconds: f64,
}

/// Restores `file` over the data folder. `stop_server` asks a running server to stop
/// first; `confirm` sees the verified manifest and may still say no.
pub fn restore(
    config: &Config,
    file: &Path,
    stop_server: bool,
    confirm: impl FnOnce(&Manifest) -> bool,
) -> Result<Restored, BackupError> {
    let started = Instant::now();
    let data_dir = &config.data.dir;
    crate::config::ensure_dir(data_dir)?;
    let _server = take_data_folder(data_dir, stop_server)?;
    let backups = Backups::new(config);
    let tmp = data_dir.join(format!(
        ".restore-{:016x}.db.partial",
        rand::random::<u64>()
    ));
    let result = restore_locked(config, &backups, file, &tmp, confirm);
    for suffix in ["", "-wal", "-shm", "-journal"] {
        let _ = std::fs::remove_file(format!("{}{suffix}", tmp.display()));
    }
    let (manifest, safety_copy, migrated_from) = result?;
    Ok(Restored {
        manifest,
        safety_copy,
        migrated_from,
        seconds: started.elapsed().as_secs_f64(),
    })
}

type Done = (Manifest, Option<PathBuf>, Option<u32>);

fn restore_locked(
    config: &Config,
    backups: &Backups,
    file: &Path,
    tmp: &Path,
    confirm: impl FnOnce(&Manifest) -> bool,
) -> Result<Done, BackupError> {
    let manifest = backups.unpack_checked(file, tmp)?;
    if !confirm(&manifest) {
        return Err(anyhow!("restore cancelled; nothing was changed").into());
    }
    let live = config.db_path();
    let safety_copy = safety_copy(backups.folder(), &live)?;
    let migrated_from =
        (manifest.schema_version < db::LATEST_VERSION).then_some(manifest.schema_version);
    // Bring the restored copy to this version's schema and record the restore in its own
    // audit chain, which continues from the backup's head.
    {
        let restored = Db::open(tmp, 1)?;
        let name = file
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        let event = Event::new("backup.restored")
            .entity("backup", &name)
            .change(
                "backup_created",
                serde_json::Value::Null,
                manifest.created.clone(),
            )
            .change(
                "audit_head",
                serde_json::Value::Null,
                manifest.audit.head.clone(),
            )
            .change(
                "schema_version",
                manifest.schema_version,
                db::LATEST_VERSION,
            );
        restored
            .write_blocking(Actor::cli(), |tx| tx.audit(event))
            .map_err(|e| anyhow!("cannot record the restore: {e}"))?;
    }
    // Fold the copy's WAL into it so the file stands alone.
    store::standalone(tmp)?;
    std::fs::File::open(tmp)?.sync_all()?;
    // A stale WAL must never meet the new file: the live database was checkpointed and
    // copied above, so its WAL and shared-memory files can go before the swap.
    for suffix in ["-wal", "-shm"] {
        let stale = PathBuf::from(format!("{}{suffix}", live.display()));
        match std::fs::remove_file(&stale) {
            Ok(()) => {}
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
            Err(e) => return Err(anyhow!("cannot remove {}: {e}", stale.display()).into()),
        }
    }
    std::fs::rename(tmp, &live)?;
    sync_dir(&config.data.dir);
    Ok((manifest, safety_copy, migrated_from))
}

/// Takes the data folder's lock, optionally asking the server that holds it to stop.
fn take_data_folder(data_dir: &Path, stop_server: bool) -> Result<lock::Lock, BackupError> {
    let path = lock::server_lock_path(data_dir);
    match lock::try_lock(&path, "kith restore") {
        Ok(l) => Ok(l),
        Err(lock::LockError::Held { holder, pid }) => {
            let Some(pid) = pid.filter(|_| stop_server) else {
                return Err(anyhow!(
                    "the data folder is in use by {holder}; stop the server first, or pass \
                     --stop-server to have it stopped"
                )
                .into());
            };
            let _ = std::process::Command::new("kill")
                .args(["-TERM", &pid.to_string()])
                .status();
            let deadline = Instant::now() + Duration::from_secs(60);
            loop {
                match lock::try_lock(&path, "kith restore") {
                    Ok(l) => return Ok(l),
                    Err(_) if Instant::now() < deadline => {
                        std::thread::sleep(Duration::from_millis(200));
                    }
                    Err(e) => {
                        return Err(anyhow!("the server did not stop within a minute: {e}").into());
                    }
                }
            }
        }
        Err(e) => Err(anyhow!("cannot lock the data folder: {e}").into()),
    }
}

/// Copies the current database files (after folding in the WAL) into
/// `before-restore/<time>/` in the backup folder. Returns `None` when there is no database.
fn safety_copy(folder: &Path, live: &Path) -> Result<Option<PathBuf>, BackupError> {
    if !live.exists() {
        return Ok(None);
    }
    if let Err(e) = store::checkpoint(live) {
        // A damaged database may not checkpoint; its files are copied as they are.
        tracing::warn!("Could not checkpoint the current database before the restore: {e}");
    }
    let dir = folder
        .join("before-restore")
        .join(chrono::Utc::now().format("%Y%m%dT%H%M%S%.3fZ").to_string());
    std::fs::create_dir_all(&dir)?;
    for suffix in ["", "-wal", "-shm"] {
        let from = PathBuf::from(format!("{}{suffix}", live.display()));
        if from.exists() {
            let to = dir.join(format!("kith.db{suffix}"));
            std::fs::copy(&from, &to)
                .map_err(|e| anyhow!("cannot keep a safety copy in {}: {e}", dir.display()))?;
            std::fs::File::open(&to)?.sync_all()?;
        }
    }
    sync_dir(&dir);
    Ok(Some(dir))
}
