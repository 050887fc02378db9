//! The database: SQLite in WAL mode, one writer connection and a pool of readers.
//!
//! Reads go through [`Db::read`]; every state change goes through [`Db::write`] (see
//! `write.rs`), which also appends the audit entry in the same transaction.

mod checkpoint;
mod memo;
mod migrate;
mod write;

pub use memo::MemoKey;
pub use migrate::{LATEST_VERSION, Migration, migrate, migrate_with, migrations, schema_version};
pub use write::{Actor, Tx};

use crate::error::AppError;
use r2d2_sqlite::SqliteConnectionManager;
use rusqlite::{Connection, OpenFlags};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, Instant};

/// How long a connection waits for a lock before giving up.
const BUSY_TIMEOUT: Duration = Duration::from_secs(10);
/// The longest a job that writes in batches waits between two of them for the writes queued
/// behind it (see [`Db::let_others_write`]), so that under a steady stream of saves it still
/// goes on.
const MAX_YIELD: Duration = Duration::from_secs(1);

/// Shared handle to the database: cheap to clone.
#[derive(Clone)]
pub struct Db {
    writer: Arc<Mutex<Connection>>,
    /// Threads waiting for the writer connection (see [`Db::let_others_write`]).
    queued: Arc<AtomicUsize>,
    readers: r2d2::Pool<SqliteConnectionManager>,
    path: PathBuf,
    memo: Arc<memo::Memo>,
    /// The thread that checkpoints after writes; `None` leaves it to SQLite's commits.
    checkpoints: Option<Arc<checkpoint::Checkpoints>>,
}

/// Page cache of each read connection, in KiB (SQLite's default is 2 MiB).
const READER_CACHE_KIB: i64 = 8192;

/// Sets the PRAGMAs every connection needs; `busy_timeout` first so the others can wait.
fn configure(conn: &Connection) -> rusqlite::Result<()> {
    conn.busy_timeout(BUSY_TIMEOUT)?;
    conn.pragma_update(None, "foreign_keys", "ON")?;
    conn.pragma_update(None, "synchronous", "FULL")?;
    conn.pragma_update(None, "temp_store", "MEMORY")?;
    plan_once(conn)
}

/// Plans each statement once, whatever its bound values. Otherwise SQLite plans a statement
/// with a bound `LIMIT ?` (or `LIKE ?`) anew every time values are bound to it: a team's
/// list, which reads a few rows from each of a hundred owners with one such statement, spent
/// most of its time in the parser.
fn plan_once(conn: &Connection) -> rusqlite::Result<()> {
    use rusqlite::config::DbConfig;
    conn.set_db_config(DbConfig::SQLITE_DBCONFIG_ENABLE_QPSG, true)?;
    Ok(())
}

impl Db {
    /// Opens (creating if needed) the database, migrates it to the latest schema, and
    /// refuses a database written by a newer Kith.
    pub fn open(path: &Path, readers: u32) -> anyhow::Result<Db> {
        let writer = Connection::open(path)?;
        configure(&writer)?;
        // One write touches many statements (the record, its search rows, the audit chain,
        // webhooks, imports); with the default cache of 16 they were parsed again and again.
        writer.set_prepared_statement_cache_capacity(256);
        // A larger page cache for the one writer keeps index and search pages of big writes
        // (imports, merges) in memory instead of re-reading them (64 MiB at most).
        writer.pragma_update(None, "cache_size", -65_536)?;
        let mode: String =
            writer.pragma_update_and_check(None, "journal_mode", "WAL", |r| r.get(0))?;
        if !mode.eq_ignore_ascii_case("wal") {
            anyhow::bail!("the database could not be switched to WAL mode (got {mode})");
        }
        migrate(&writer)?;
        let checkpoints = checkpoint::Checkpoints::start(path).map(Arc::new);
        if checkpoints.is_some() {
            writer.pragma_update(None, "wal_autocheckpoint", 0)?;
            // A WAL that grew during a large job is cut back when it starts over.
            writer.pragma_update(None, "journal_size_limit", 64 << 20)?;
        }
        let manager = SqliteConnectionManager::file(path)
            .with_flags(OpenFlags::SQLITE_OPEN_READ_ONLY | OpenFlags::SQLITE_OPEN_NO_MUTEX)
            .with_init(|c| {
                c.busy_timeout(BUSY_TIMEOUT)?;
                // List and search statements differ only by their filters; keep them prepared.
                c.set_prepared_statement_cache_capacity(128);
                // The default 2 MiB page cache is smaller than one board's or team list's
                // pages, so repeated reads of the same page went back to the file each time.
                c.pragma_update(None, "cache_size", -READER_CACHE_KIB)?;
                plan_once(c)?;
                c.pragma_update(None, "foreign_keys", "ON")
            });
        let readers = r2d2::Pool::builder()
            .max_size(readers)
            .min_idle(Some(1))
            .build(manager)?;
        Ok(Db {
            writer: Arc::new(Mutex::new(writer)),
            queued: Arc::default(),
            readers,
            path: path.to_path_buf(),
            memo: Arc::default(),
            checkpoints,
        })
    }

    /// The database file.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Runs a read on a pooled read-only connection (blocking; see [`Db::read`]).
    pub fn read_blocking<T>(
        &self,
        f: impl FnOnce(&Connection) -> Result<T, AppError>,
    ) -> Result<T, AppError> {
        let conn = self
            .readers
            .get()
            .map_err(|e| AppError::Internal(anyhow::anyhow!("read pool: {e}")))?;
        f(&conn)
    }

    /// Runs a short read (index seeks and bounded pages: what a page or an API call reads)
    /// on the calling thread.
    ///
    /// Handing such a read to the blocking pool and back cost more than the read itself:
    /// two thread switches per read, and 32 concurrent page loads spread over that many
    /// threads on 2 cores, served in no particular order. Run where they arrive, requests
    /// are served in turn by the server's workers (one per core). Measured on the 1M-contact
    /// benchmark database at 32 clients, the contacts list went from 1,928 to 2,332
    /// requests/s and its p99 from 35.3 to 20.7 ms. A read that can take long (a scan, an
    /// export, an import's dry run) uses [`Db::read_heavy`] instead, so that it does not hold
    /// up the other requests of its worker.
    pub async fn read<T, F>(&self, f: F) -> Result<T, AppError>
    where
        T: Send + 'static,
        F: FnOnce(&Connection) -> Result<T, AppError> + Send + 'static,
    {
        self.read_blocking(f)
    }

    /// Runs a read that may take long off the async threads (see [`Db::read`]).
    pub async fn read_heavy<T, F>(&self, f: F) -> Result<T, AppError>
    where
        T: Send + 'static,
        F: FnOnce(&Connection) -> Result<T, AppError> + Send + 'static,
    {
        let db = self.clone();
        actix_web::web::block(move || db.read_blocking(f))
            .await
            .map_err(|e| AppError::Internal(anyhow::anyhow!("blocking pool: {e}")))?
    }

    /// Takes the writer connection, counted among the threads waiting for it meanwhile.
    fn lock_writer(&self) -> Result<MutexGuard<'_, Connection>, AppError> {
        self.queued.fetch_add(1, Ordering::SeqCst);
        let conn = self.writer.lock();
        self.queued.fetch_sub(1, Ordering::SeqCst);
        conn.map_err(|_| AppError::poisoned())
    }

    /// Called by a job that writes in batches (an import, its undo) between two batches:
    /// waits until the writes that queued up for the writer connection during the batch
    /// have had it, for [`MAX_YIELD`] at most. The lock is not fair: a job taking it again
    /// at once usually wins against the threads just woken to take it, and other people's
    /// saves waited for most of the job instead of one batch (up to 16 s during the undo of
    /// a 100,000-row import, with batches of 0.25 s). Then lets a long WAL start over (see
    /// `checkpoint.rs`).
    pub fn let_others_write(&self) {
        let deadline = Instant::now() + MAX_YIELD;
        while self.queued.load(Ordering::SeqCst) > 0 && Instant::now() < deadline {
            std::thread::sleep(Duration::from_millis(1));
        }
        if let Some(c) = &self.checkpoints
            && c.long()
            && let Ok(writer) = self.lock_writer()
        {
            c.restart(&writer);
        }
    }

    /// Runs `f` on the writer connection outside any transaction: only for bookkeeping
    /// that is not a change to anybody's data (session activity, expired-session cleanup).
    /// Everything else goes through [`Db::write`].
    pub fn bookkeeping_blocking<T>(
        &self,
        f: impl FnOnce(&Connection) -> rusqlite::Result<T>,
    ) -> Result<T, AppError> {
        let conn = self.lock_writer()?;
        let value = f(&conn)?;
        self.wrote();
        Ok(value)
    }

    /// Called after each commit: schedules a checkpoint.
    fn wrote(&self) {
        if let Some(c) = &self.checkpoints {
            c.wrote();
        }
    }

    /// `PRAGMA integrity_check` plus the foreign key check; `Ok(())` when both are clean.
    pub fn check_integrity(&self) -> Result<Vec<String>, AppError> {
        let conn = self.lock_writer()?;
        integrity_problems(&conn).map_err(AppError::from)
    }
}

/// Lists what `integrity_check` and `foreign_key_check` report; empty when healthy.
pub fn integrity_problems(conn: &Connection) -> rusqlite::Result<Vec<String>> {
    let mut problems = Vec::new();
    let mut stmt = conn.prepare("PRAGMA integrity_check")?;
    let rows = stmt.query_map([], |r| r.get::<_, String>(0))?;
    for row in rows {
        let line = row?;
        if line != "ok" {
            problems.push(line);
        }
    }
    let mut stmt = conn.prepare("PRAGMA foreign_key_check")?;
    let rows = stmt.query_map([], |r| {
        Ok(format!(
            "foreign key violation in {} row {}",
            r.get::<_, String>(0)?,
            r.get::<_, Option<i64>>(1)?.unwrap_or_default()
        ))
    })?;
    for row in rows {
        problems.push(row?);
    }
    Ok(problems)
}

/// The current time as stored in the database: UTC, RFC 3339 with milliseconds.
pub fn now() -> String {
    stamp(chrono::Utc::now())
}

/// A time as stored in the database. Written field by field: chrono's `format` parses its
/// pattern on every call, which was a tenth of the undo of a large import.
fn stamp(t: chrono::DateTime<chrono::Utc>) -> String {
    use chrono::{Datelike, Timelike};
    use std::fmt::Write as _;
    let mut s = String::with_capacity(24);
    let _ = write!(
        s,
        "{:04}-{:02}-{:02}T{:02}:{:02}:{:02}.{:03}Z",
        t.year(),
        t.month(),
        t.day(),
        t.hour(),
        t.minute(),
        t.second(),
        // A leap second counts its milliseconds past 1,000.
        t.timestamp_subsec_millis().min(999)
    );
    s
}

/// Opens an in-memory database with the latest schema, for unit tests of store code.
pub fn memory() -> anyhow::Result<Connection> {
    let conn = Connection::open_in_memory()?;
    configure(&conn)?;
    migrate(&conn)?;
    Ok(conn)
}

/// Opens an in-memory database at the schema just before `version`, for unit tests of an
/// upgrade.
pub fn memory_before(version: u32) -> anyhow::Result<Connection> {
    let conn = Connection::open_in_memory()?;
    configure(&conn)?;
    let all = migrations();
    let upto = all
        .iter()
        .position(|m| m.version == version)
        .ok_or_else(|| anyhow::anyhow!("no migration to version {version}"))?;
    migrate_with(&conn, &all[..upto])?;
    Ok(conn)
}

#[cfg(test)]
mod tests {
    use rusqlite::{Connection, StatementStatus};

    /// Times the statement was planned again while being run with three different limits.
    fn replanned(conn: &Connection) -> i32 {
        let mut stmt = conn
            .prepare("SELECT id FROM users ORDER BY id LIMIT ?1")
            .unwrap();
        for n in 1..=3 {
            let rows = stmt.query_map([n], |r| r.get::<_, i64>(0)).unwrap();
            assert_eq!(rows.count(), 0);
        }
        stmt.get_status(StatementStatus::RePrepare)
    }

    #[test]
    fn times_are_stored_as_rfc_3339_utc_with_milliseconds() {
        use chrono::TimeZone;
        for (secs, nanos) in [
            (0, 0),
            (1_764_000_000, 7_000_000),
            (253_402_300_799, 999_999_999),
        ] {
            let t = chrono::Utc.timestamp_opt(secs, nanos).unwrap();
            let expected = t.format("%Y-%m-%dT%H:%M:%S%.3fZ").to_string();
            assert_eq!(super::stamp(t), expected);
        }
        assert_eq!(super::now().len(), "2026-11-25T10:00:00.000Z".len());
    }

    #[test]
    fn a_statement_with_a_bound_limit_is_planned_once_on_every_connection() {
        assert_eq!(replanned(&super::memory().unwrap()), 0, "writer");
        let dir = tempfile::tempdir().unwrap();
        let db = super::Db::open(&dir.path().join("kith.db"), 1).unwrap();
        let reader = db.read_blocking(|c| Ok(replanned(c))).unwrap();
        assert_eq!(reader, 0, "reader");
    }
}
