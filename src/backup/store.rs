//! The SQL of backups: copying a live database in one step and counting what a copy holds.

use rusqlite::backup::{Backup, StepResult};
use rusqlite::{Connection, OpenFlags};
use std::collections::BTreeMap;
use std::path::Path;
use std::time::Duration;

/// Opens a database file read-only, for copying or inspecting it.
pub fn open_read_only(path: &Path) -> rusqlite::Result<Connection> {
    let conn = Connection::open_with_flags(
        path,
        OpenFlags::SQLITE_OPEN_READ_ONLY | OpenFlags::SQLITE_OPEN_NO_MUTEX,
    )?;
    conn.busy_timeout(Duration::from_secs(30))?;
    Ok(conn)
}

/// Copies the live database at `source` into a new file at `dest` with SQLite's online
/// backup API in a single step: one read transaction, so it sees one consistent state and
/// never restarts however busy the writers are (in WAL mode they are not blocked).
pub fn copy_database(source: &Path, dest: &Path) -> rusqlite::Result<()> {
    let src = open_read_only(source)?;
    let mut dst = Connection::open(dest)?;
    let backup = Backup::new(&src, &mut dst)?;
    loop {
        match backup.step(-1)? {
            StepResult::Done => break,
            // Busy or locked: another connection holds a lock for a moment; try again.
            _ => std::thread::sleep(Duration::from_millis(50)),
        }
    }
    drop(backup);
    // The copy is a standalone file: no WAL beside it.
    dst.pragma_update(None, "journal_mode", "DELETE")?;
    Ok(())
}

/// Rows per table (ordinary tables, including the search index's own tables).
pub fn row_counts(conn: &Connection) -> rusqlite::Result<BTreeMap<String, i64>> {
    let mut stmt = conn.prepare(
        "SELECT name FROM sqlite_schema WHERE type = 'table' AND name NOT LIKE 'sqlite_%' \
         AND sql NOT LIKE 'CREATE VIRTUAL TABLE%' ORDER BY name",
    )?;
    let names = stmt
        .query_map([], |r| r.get::<_, String>(0))?
        .collect::<rusqlite::Result<Vec<_>>>()?;
    let mut counts = BTreeMap::new();
    for name in names {
        // A table name cannot be a bound parameter; it comes from the schema and is quoted.
        let sql = format!("SELECT count(*) FROM \"{}\"", name.replace('"', "\"\""));
        counts.insert(name, conn.query_row(&sql, [], |r| r.get(0))?);
    }
    Ok(counts)
}

/// Checkpoints the WAL into the main file so the WAL can be removed safely.
pub fn checkpoint(path: &Path) -> rusqlite::Result<()> {
    let conn = Connection::open(path)?;
    conn.busy_timeout(Duration::from_secs(10))?;
    conn.query_row("PRAGMA wal_checkpoint(TRUNCATE)", [], |_| Ok(()))?;
    Ok(())
}

/// Folds a database's WAL into its main file and leaves it in rollback-journal mode, so
/// the one file holds everything (the server switches it back to WAL when it opens it).
pub fn standalone(path: &Path) -> rusqlite::Result<()> {
    let conn = Connection::open(path)?;
    conn.busy_timeout(Duration::from_secs(10))?;
    conn.query_row("PRAGMA wal_checkpoint(TRUNCATE)", [], |_| Ok(()))?;
    conn.pragma_update_and_check(None, "journal_mode", "DELETE", |_| Ok(()))?;
    Ok(())
}
