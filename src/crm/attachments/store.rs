//! SQL for attachments.

use rusqlite::{Connection, params};
use serde::Serialize;

/// What lists show about a file.
#[derive(Debug, Clone, Serialize)]
pub struct Meta {
    /// Id.
    pub id: i64,
    /// Record kind (0 company, 1 contact).
    pub kind: i64,
    /// Record id.
    pub record_id: i64,
    /// Original file name.
    pub filename: String,
    /// MIME type as sent.
    pub content_type: String,
    /// Bytes.
    pub size: i64,
    /// Uploaded (UTC).
    pub created_at: String,
    /// Who uploaded it.
    pub author: Option<String>,
}

const META: &str = "a.id, a.kind, a.record_id, a.filename, a.content_type, a.size, a.created_at,
                    (SELECT name FROM users WHERE id = a.created_by)";

fn meta(r: &rusqlite::Row<'_>) -> rusqlite::Result<Meta> {
    Ok(Meta {
        id: r.get(0)?,
        kind: r.get(1)?,
        record_id: r.get(2)?,
        filename: r.get(3)?,
        content_type: r.get(4)?,
        size: r.get(5)?,
        created_at: r.get(6)?,
        author: r.get(7)?,
    })
}

/// Stores a file.
#[allow(clippy::too_many_arguments)]
pub fn insert(
    conn: &Connection,
    kind: i64,
    record_id: i64,
    filename: &str,
    content_type: &str,
    data: &[u8],
    sha256: &str,
    by: Option<i64>,
) -> rusqlite::Result<i64> {
    conn.execute(
        "INSERT INTO attachments (kind, record_id, filename, content_type, size, sha256, data, created_by, created_at)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)",
        params![kind, record_id, filename, content_type, data.len() as i64, sha256, data, by, crate::db::now()],
    )?;
    Ok(conn.last_insert_rowid())
}

/// A record's files, newest first.
pub fn for_record(conn: &Connection, kind: i64, record_id: i64) -> rusqlite::Result<Vec<Meta>> {
    let mut stmt = conn.prepare(&format!(
        "SELECT {META} FROM attachments a WHERE a.kind = ?1 AND a.record_id = ?2 AND a.deleted_at IS NULL
         ORDER BY a.id DESC"
    ))?;
    stmt.query_map(params![kind, record_id], meta)?.collect()
}

/// One live file with its bytes.
pub fn get(conn: &Connection, id: i64) -> rusqlite::Result<(Meta, Vec<u8>)> {
    conn.query_row(
        &format!(
            "SELECT {META}, a.data FROM attachments a WHERE a.id = ?1 AND a.deleted_at IS NULL"
        ),
        [id],
        |r| Ok((meta(r)?, r.get(8)?)),
    )
}

/// Moves a file to the trash.
pub fn delete(conn: &Connection, id: i64) -> rusqlite::Result<usize> {
    conn.execute(
        "UPDATE attachments SET deleted_at = ?2 WHERE id = ?1 AND deleted_at IS NULL",
        params![id, crate::db::now()],
    )
}
