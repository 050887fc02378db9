//! SQL for imports, what they did to records, and saved mappings.

use rusqlite::{Connection, OptionalExtension, params};
use serde::Serialize;

/// An import as listed and shown.
#[derive(Debug, Clone, Serialize)]
pub struct ImportRow {
    /// Id.
    pub id: i64,
    /// Table name of the entity.
    pub entity: String,
    /// The uploaded file's name.
    pub file_name: String,
    /// JSON: encoding, sheet, delimiter, policy.
    pub options: String,
    /// JSON array: per column a target or null.
    pub mapping: String,
    /// new, running, done, failed, undone.
    pub state: String,
    /// Rows in the file.
    pub rows_total: i64,
    /// Rows handled so far (progress).
    pub rows_done: i64,
    /// New records.
    pub created: i64,
    /// Updated records.
    pub updated: i64,
    /// Skipped duplicates.
    pub skipped: i64,
    /// Rows with errors.
    pub rejected: i64,
    /// JSON report of the rows with errors, once run.
    pub report: Option<String>,
    /// Who uploaded it.
    pub created_by: Option<i64>,
    /// When.
    pub created_at: String,
    /// When it finished.
    pub finished_at: Option<String>,
    /// When it was undone.
    pub undone_at: Option<String>,
}

const COLUMNS: &str = "id, entity, file_name, options, mapping, state, rows_total, rows_done, \
    created, updated, skipped, rejected, report, created_by, created_at, finished_at, undone_at";

fn row(r: &rusqlite::Row<'_>) -> rusqlite::Result<ImportRow> {
    Ok(ImportRow {
        id: r.get(0)?,
        entity: r.get(1)?,
        file_name: r.get(2)?,
        options: r.get(3)?,
        mapping: r.get(4)?,
        state: r.get(5)?,
        rows_total: r.get(6)?,
        rows_done: r.get(7)?,
        created: r.get(8)?,
        updated: r.get(9)?,
        skipped: r.get(10)?,
        rejected: r.get(11)?,
        report: r.get(12)?,
        created_by: r.get(13)?,
        created_at: r.get(14)?,
        finished_at: r.get(15)?,
        undone_at: r.get(16)?,
    })
}

/// Keeps an uploaded file for the steps before it runs.
pub fn insert(
    conn: &Connection,
    entity: &str,
    file_name: &str,
    file: &[u8],
    options: &str,
    by: Option<i64>,
    now: &str,
) -> rusqlite::Result<i64> {
    conn.execute(
        "INSERT INTO imports (entity, file_name, file, options, created_by, created_at)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
        params![entity, file_name, file, options, by, now],
    )?;
    Ok(conn.last_insert_rowid())
}

/// One import.
pub fn get(conn: &Connection, id: i64) -> rusqlite::Result<ImportRow> {
    conn.query_row(
        &format!("SELECT {COLUMNS} FROM imports WHERE id = ?1"),
        [id],
        row,
    )
}

/// An import's file, while it is kept.
pub fn file(conn: &Connection, id: i64) -> rusqlite::Result<Option<Vec<u8>>> {
    conn.query_row("SELECT file FROM imports WHERE id = ?1", [id], |r| r.get(0))
        .optional()
        .map(Option::flatten)
}

/// The latest imports, newest first; only `by`'s when given.
pub fn list(conn: &Connection, by: Option<i64>, limit: i64) -> rusqlite::Result<Vec<ImportRow>> {
    conn.prepare(&format!(
        "SELECT {COLUMNS} FROM imports WHERE ?1 IS NULL OR created_by = ?1 ORDER BY id DESC LIMIT ?2"
    ))?
    .query_map(params![by, limit], row)?
    .collect()
}

/// Saves the options and mapping chosen.
pub fn set_choices(
    conn: &Connection,
    id: i64,
    options: &str,
    mapping: &str,
) -> rusqlite::Result<usize> {
    conn.execute(
        "UPDATE imports SET options = ?2, mapping = ?3 WHERE id = ?1 AND state = 'new'",
        params![id, options, mapping],
    )
}

/// Marks an import running with its row count; 0 when it was not waiting to run.
pub fn start(conn: &Connection, id: i64, total: i64) -> rusqlite::Result<usize> {
    conn.execute(
        "UPDATE imports SET state = 'running', rows_total = ?2, rows_done = 0
         WHERE id = ?1 AND state IN ('new', 'failed')",
        params![id, total],
    )
}

/// Records progress.
pub fn progress(conn: &Connection, id: i64, done: i64) -> rusqlite::Result<usize> {
    conn.execute(
        "UPDATE imports SET rows_done = ?2 WHERE id = ?1",
        params![id, done],
    )
}

/// The counts and report of a finished import; its file is no longer kept.
pub struct Finish<'a> {
    /// done or failed.
    pub state: &'a str,
    /// New, updated, skipped, rejected.
    pub counts: [i64; 4],
    /// JSON report.
    pub report: &'a str,
    /// When.
    pub now: &'a str,
}

/// Stores how an import ended.
pub fn finish(conn: &Connection, id: i64, f: &Finish<'_>) -> rusqlite::Result<usize> {
    let keep_file = f.state == "failed";
    conn.execute(
        "UPDATE imports SET state = ?2, created = ?3, updated = ?4, skipped = ?5, rejected = ?6,
                report = ?7, finished_at = ?8, rows_done = rows_total,
                file = CASE WHEN ?9 THEN file ELSE NULL END
         WHERE id = ?1",
        params![
            id,
            f.state,
            f.counts[0],
            f.counts[1],
            f.counts[2],
            f.counts[3],
            f.report,
            f.now,
            keep_file
        ],
    )
}

/// Marks an import undone.
pub fn set_undone(conn: &Connection, id: i64, now: &str) -> rusqlite::Result<usize> {
    conn.execute(
        "UPDATE imports SET state = 'undone', undone_at = ?2 WHERE id = ?1 AND state IN ('done', 'failed')",
        params![id, now],
    )
}

/// Notes what an import did to a record.
pub fn record(
    conn: &Connection,
    import: i64,
    kind: i64,
    record: i64,
    action: &str,
    before: Option<&str>,
) -> rusqlite::Result<usize> {
    conn.prepare_cached(
        "INSERT OR IGNORE INTO import_records (import_id, kind, record_id, action, before)
         VALUES (?1, ?2, ?3, ?4, ?5)",
    )?
    .execute(params![import, kind, record, action, before])
}

/// What an import did to one record: (kind, record id, action, values before an update).
pub type Done = (i64, i64, String, Option<String>);

/// What an import did, record by record.
pub fn records(conn: &Connection, import: i64) -> rusqlite::Result<Vec<Done>> {
    conn.prepare(
        "SELECT kind, record_id, action, before FROM import_records WHERE import_id = ?1
         ORDER BY kind DESC, record_id",
    )?
    .query_map([import], |r| {
        Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?))
    })?
    .collect()
}

/// A saved mapping for files with these columns.
pub fn template(
    conn: &Connection,
    entity: &str,
    columns: &str,
) -> rusqlite::Result<Option<String>> {
    conn.query_row(
        "SELECT mapping FROM import_templates WHERE entity = ?1 AND columns = ?2",
        params![entity, columns],
        |r| r.get(0),
    )
    .optional()
}

/// Saves (or replaces) the mapping for files with these columns.
pub fn save_template(
    conn: &Connection,
    entity: &str,
    columns: &str,
    mapping: &str,
    by: Option<i64>,
    now: &str,
) -> rusqlite::Result<usize> {
    conn.execute(
        "INSERT INTO import_templates (entity, columns, mapping, created_by, created_at)
         VALUES (?1, ?2, ?3, ?4, ?5)
         ON CONFLICT (entity, columns) DO UPDATE SET mapping = excluded.mapping",
        params![entity, columns, mapping, by, now],
    )
}

/// How many records an import wrote (created or updated), e.g. before it failed.
pub fn written(conn: &Connection, import: i64) -> rusqlite::Result<i64> {
    conn.query_row(
        "SELECT count(*) FROM import_records WHERE import_id = ?1",
        [import],
        |r| r.get(0),
    )
}

/// Marks imports that were running when the server stopped as failed, so their pages stop
/// waiting and offer to run again or undo; returns how many.
pub fn fail_interrupted(conn: &Connection, now: &str) -> rusqlite::Result<usize> {
    conn.execute(
        "UPDATE imports SET state = 'failed', finished_at = ?1 WHERE state = 'running'",
        [now],
    )
}
