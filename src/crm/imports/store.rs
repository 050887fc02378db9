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
    /// new, running, done, failed, undoing (also when an undo was cut off), undone.
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
    let tx = conn.unchecked_transaction()?;
    tx.execute(
        "INSERT INTO imports (entity, file_name, options, created_by, created_at)
         VALUES (?1, ?2, ?3, ?4, ?5)",
        params![entity, file_name, options, by, now],
    )?;
    let id = tx.last_insert_rowid();
    tx.execute(
        "INSERT INTO import_files (import_id, file) VALUES (?1, ?2)",
        params![id, file],
    )?;
    tx.commit()?;
    Ok(id)
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
    conn.query_row(
        "SELECT file FROM import_files WHERE import_id = ?1",
        [id],
        |r| r.get(0),
    )
    .optional()
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
    let tx = conn.unchecked_transaction()?;
    if f.state != "failed" {
        tx.execute("DELETE FROM import_files WHERE import_id = ?1", [id])?;
    }
    let n = tx.execute(
        "UPDATE imports SET state = ?2, created = ?3, updated = ?4, skipped = ?5, rejected = ?6,
                report = ?7, finished_at = ?8, rows_done = rows_total
         WHERE id = ?1",
        params![
            id,
            f.state,
            f.counts[0],
            f.counts[1],
            f.counts[2],
            f.counts[3],
            f.report,
            f.now
        ],
    )?;
    tx.commit()?;
    Ok(n)
}

/// Marks an import as being undone; 0 when it cannot be (not finished, or undone already).
/// An undo that was cut off is still `undoing` and may start again.
pub fn begin_undo(conn: &Connection, id: i64) -> rusqlite::Result<usize> {
    conn.execute(
        "UPDATE imports SET state = 'undoing' WHERE id = ?1 AND state IN ('done', 'failed', 'undoing')",
        [id],
    )
}

/// Marks an import undone once the undo has dealt with all of its records.
pub fn set_undone(conn: &Connection, id: i64, now: &str) -> rusqlite::Result<usize> {
    conn.execute(
        "UPDATE imports SET state = 'undone', undone_at = ?2 WHERE id = ?1 AND state = 'undoing'",
        params![id, now],
    )
}

/// The kinds of record an import wrote, in the order they are undone (products, then
/// leads, deals and contacts, then the companies they belong to).
pub fn kinds(conn: &Connection, import: i64) -> rusqlite::Result<Vec<i64>> {
    conn.prepare(
        "SELECT DISTINCT kind FROM import_records WHERE import_id = ?1 ORDER BY kind DESC",
    )?
    .query_map([import], |r| r.get(0))?
    .collect()
}

/// What an import did to one record: (kind, record id, action, values before an update).
pub type Done = (i64, i64, String, Option<String>);

/// Up to `limit` records of one kind an import wrote that its undo has not dealt with yet,
/// after record `after`, in id order.
pub fn pending(
    conn: &Connection,
    import: i64,
    kind: i64,
    after: i64,
    limit: usize,
) -> rusqlite::Result<Vec<Done>> {
    conn.prepare_cached(
        "SELECT kind, record_id, action, before FROM import_records
         WHERE import_id = ?1 AND kind = ?2 AND record_id > ?3 AND undone IS NULL
         ORDER BY record_id LIMIT ?4",
    )?
    .query_map(params![import, kind, after, limit as i64], |r| {
        Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?))
    })?
    .collect()
}

/// Notes what undoing did to a record (`removed`, `restored` or `skipped`); 0 when the undo
/// had dealt with it already.
pub fn set_record_undone(
    conn: &Connection,
    import: i64,
    kind: i64,
    record: i64,
    outcome: &str,
) -> rusqlite::Result<usize> {
    conn.prepare_cached(
        "UPDATE import_records SET undone = ?4
         WHERE import_id = ?1 AND kind = ?2 AND record_id = ?3 AND undone IS NULL",
    )?
    .execute(params![import, kind, record, outcome])
}

/// How far an undo has come: (records dealt with, records the import wrote).
pub fn undo_progress(conn: &Connection, import: i64) -> rusqlite::Result<(i64, i64)> {
    conn.query_row(
        "SELECT count(undone), count(*) FROM import_records WHERE import_id = ?1",
        [import],
        |r| Ok((r.get(0)?, r.get(1)?)),
    )
}

/// What an undo did, over all its batches: (records restored, records removed).
pub fn undo_counts(conn: &Connection, import: i64) -> rusqlite::Result<(i64, i64)> {
    conn.query_row(
        "SELECT count(*) FILTER (WHERE undone = 'restored'), count(*) FILTER (WHERE undone = 'removed')
         FROM import_records WHERE import_id = ?1",
        [import],
        |r| Ok((r.get(0)?, r.get(1)?)),
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_upgrade_to_batched_undo_keeps_imports_and_what_they_did() {
        // Arrange: a database before version 26 with an import and a record it created.
        let conn = crate::db::memory_before(26).unwrap();
        conn.execute(
            "INSERT INTO imports (entity, file_name, state, created, report, created_at,
                                  finished_at)
             VALUES ('contacts', 'a.csv', 'done', 1, '{}', 't', 't')",
            [],
        )
        .unwrap();
        let id = conn.last_insert_rowid();
        record(&conn, id, 1, 7, "created", None).unwrap();

        // Act
        crate::db::migrate(&conn).unwrap();

        // Assert: the import is kept and can now be marked undoing, record by record.
        let row = get(&conn, id).unwrap();
        assert_eq!((row.state.as_str(), row.created), ("done", 1));
        assert_eq!(undo_progress(&conn, id).unwrap(), (0, 1));
        assert_eq!(begin_undo(&conn, id).unwrap(), 1);
        assert_eq!(set_record_undone(&conn, id, 1, 7, "removed").unwrap(), 1);
        assert_eq!(
            set_record_undone(&conn, id, 1, 7, "removed").unwrap(),
            0,
            "once"
        );
        assert_eq!(undo_counts(&conn, id).unwrap(), (0, 1));
        assert_eq!(set_undone(&conn, id, "t").unwrap(), 1);
        assert_eq!(begin_undo(&conn, id).unwrap(), 0, "undone is final");
        // Deleting an import still takes what it did with it.
        conn.execute("DELETE FROM imports WHERE id = ?1", [id])
            .unwrap();
        assert_eq!(undo_progress(&conn, id).unwrap(), (0, 0));
    }

    fn ended(conn: &Connection, id: i64, state: &str) {
        let f = Finish {
            state,
            counts: [1, 0, 0, 0],
            report: "{}",
            now: "t",
        };
        assert_eq!(finish(conn, id, &f).unwrap(), 1);
    }

    #[test]
    fn files_move_out_of_the_imports_and_go_once_an_import_is_done() {
        // Arrange: a database before version 32 with a waiting import (its file kept in
        // its row) and a finished one.
        let conn = crate::db::memory_before(32).unwrap();
        conn.execute_batch(
            "INSERT INTO imports (id, entity, file_name, file, created_at)
             VALUES (1, 'contacts', 'a.csv', x'6869', 't');
             INSERT INTO imports (id, entity, file_name, file, state, created_at)
             VALUES (2, 'contacts', 'b.csv', NULL, 'done', 't');",
        )
        .unwrap();

        // Act
        crate::db::migrate(&conn).unwrap();

        // Assert: the waiting import still has its file, beside it.
        assert_eq!(file(&conn, 1).unwrap(), Some(b"hi".to_vec()));
        assert_eq!(file(&conn, 2).unwrap(), None);
        assert_eq!(get(&conn, 1).unwrap().file_name, "a.csv");
        // A failed run keeps the file so that it can run again; a finished one drops it.
        assert_eq!(start(&conn, 1, 1).unwrap(), 1);
        assert_eq!(progress(&conn, 1, 1).unwrap(), 1);
        ended(&conn, 1, "failed");
        assert_eq!(file(&conn, 1).unwrap(), Some(b"hi".to_vec()));
        ended(&conn, 1, "done");
        assert_eq!(file(&conn, 1).unwrap(), None);
        // A new import keeps its file until it has run; deleting an import takes its file.
        let id = insert(&conn, "contacts", "c.csv", b"x", "{}", None, "t").unwrap();
        assert_eq!(file(&conn, id).unwrap(), Some(b"x".to_vec()));
        conn.pragma_update(None, "foreign_keys", true).unwrap();
        conn.execute("DELETE FROM imports WHERE id = ?1", [id])
            .unwrap();
        let left: i64 = conn
            .query_row("SELECT count(*) FROM import_files", [], |r| r.get(0))
            .unwrap();
        assert_eq!(left, 0);
    }

    #[test]
    fn pending_records_are_those_not_undone_yet_after_the_cursor_by_kind() {
        let conn = crate::db::memory().unwrap();
        let id = insert(&conn, "contacts", "a.csv", b"x", "{}", None, "t").unwrap();
        for (kind, rec) in [(0, 5), (1, 3), (1, 4), (1, 9)] {
            record(&conn, id, kind, rec, "created", None).unwrap();
        }
        set_record_undone(&conn, id, 1, 4, "skipped").unwrap();
        assert_eq!(kinds(&conn, id).unwrap(), vec![1, 0]);
        let ids = |after, limit| -> Vec<i64> {
            let found = pending(&conn, id, 1, after, limit).unwrap();
            found.into_iter().map(|d| d.1).collect()
        };
        assert_eq!(ids(i64::MIN, 10), vec![3, 9]);
        assert_eq!(ids(i64::MIN, 1), vec![3]);
        assert_eq!(ids(3, 10), vec![9]);
        assert_eq!(undo_progress(&conn, id).unwrap(), (1, 4));
    }
}
