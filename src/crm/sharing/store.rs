//! SQL for record shares.

use rusqlite::{Connection, OptionalExtension, params};
use serde::Serialize;

/// One share of a record.
#[derive(Debug, Clone, Serialize)]
pub struct Share {
    /// Id.
    pub id: i64,
    /// `companies` or `contacts`.
    pub entity: String,
    /// The shared record.
    pub record_id: i64,
    /// Shared with this user…
    pub user_id: Option<i64>,
    /// …or this department (with its sub-departments).
    pub department_id: Option<i64>,
    /// The user's or department's name.
    pub name: String,
    /// `read` or `edit`.
    pub access: String,
    /// When.
    pub created_at: String,
}

const SELECT: &str = "SELECT s.id, s.entity, s.record_id, s.user_id, s.department_id,
        coalesce(u.name, d.name, ''), s.access, s.created_at
     FROM shares s LEFT JOIN users u ON u.id = s.user_id
     LEFT JOIN departments d ON d.id = s.department_id";

fn row(r: &rusqlite::Row<'_>) -> rusqlite::Result<Share> {
    Ok(Share {
        id: r.get(0)?,
        entity: r.get(1)?,
        record_id: r.get(2)?,
        user_id: r.get(3)?,
        department_id: r.get(4)?,
        name: r.get(5)?,
        access: r.get(6)?,
        created_at: r.get(7)?,
    })
}

/// Ids of `entity` records shared with a user, directly or through their department or
/// any department above it; with `edit`, only those shared for editing.
pub fn shared_ids(
    conn: &Connection,
    user: i64,
    entity: &str,
    edit: bool,
) -> rusqlite::Result<Vec<i64>> {
    let mut stmt = conn.prepare_cached(
        "WITH RECURSIVE up(id) AS (
             SELECT department_id FROM users WHERE id = ?1 AND department_id IS NOT NULL
             UNION SELECT d.parent_id FROM departments d JOIN up ON d.id = up.id
                   WHERE d.parent_id IS NOT NULL)
         SELECT record_id FROM shares WHERE user_id = ?1 AND entity = ?2
             AND (?3 = 0 OR access = 'edit')
         UNION
         SELECT record_id FROM shares WHERE department_id IN (SELECT id FROM up) AND entity = ?2
             AND (?3 = 0 OR access = 'edit')
         ORDER BY 1",
    )?;
    stmt.query_map(params![user, entity, edit], |r| r.get(0))?
        .collect()
}

/// The shares of one record, users first, by name.
pub fn for_record(conn: &Connection, entity: &str, record: i64) -> rusqlite::Result<Vec<Share>> {
    let mut stmt = conn.prepare_cached(&format!(
        "{SELECT} WHERE s.entity = ?1 AND s.record_id = ?2
         ORDER BY s.user_id IS NULL, coalesce(u.name, d.name) COLLATE NOCASE, s.id"
    ))?;
    stmt.query_map(params![entity, record], row)?.collect()
}

/// One share by id.
pub fn get(conn: &Connection, id: i64) -> rusqlite::Result<Option<Share>> {
    conn.query_row(&format!("{SELECT} WHERE s.id = ?1"), [id], row)
        .optional()
}

/// The existing share of a record with a user or department, if any.
pub fn find(
    conn: &Connection,
    entity: &str,
    record: i64,
    user: Option<i64>,
    department: Option<i64>,
) -> rusqlite::Result<Option<Share>> {
    conn.query_row(
        &format!(
            "{SELECT} WHERE s.entity = ?1 AND s.record_id = ?2
               AND s.user_id IS ?3 AND s.department_id IS ?4"
        ),
        params![entity, record, user, department],
        row,
    )
    .optional()
}

/// Adds a share.
pub fn insert(
    conn: &Connection,
    entity: &str,
    record: i64,
    user: Option<i64>,
    department: Option<i64>,
    access: &str,
    by: Option<i64>,
) -> rusqlite::Result<i64> {
    conn.execute(
        "INSERT INTO shares (entity, record_id, user_id, department_id, access, created_by, created_at)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
        params![entity, record, user, department, access, by, crate::db::now()],
    )?;
    Ok(conn.last_insert_rowid())
}

/// Changes a share's access.
pub fn set_access(conn: &Connection, id: i64, access: &str) -> rusqlite::Result<usize> {
    conn.execute(
        "UPDATE shares SET access = ?2 WHERE id = ?1",
        params![id, access],
    )
}

/// Removes a share.
pub fn delete(conn: &Connection, id: i64) -> rusqlite::Result<usize> {
    conn.execute("DELETE FROM shares WHERE id = ?1", [id])
}

/// Moves a merged record's shares to the record it was merged into (keeping the kept
/// record's own share where both had one with the same user or department).
pub fn move_to(conn: &Connection, entity: &str, from: i64, into: i64) -> rusqlite::Result<()> {
    conn.execute(
        "UPDATE OR IGNORE shares SET record_id = ?3 WHERE entity = ?1 AND record_id = ?2",
        params![entity, from, into],
    )?;
    conn.execute(
        "DELETE FROM shares WHERE entity = ?1 AND record_id = ?2",
        params![entity, from],
    )?;
    Ok(())
}

/// Removes every share of a record purged for good.
pub fn delete_for(conn: &Connection, entity: &str, record: i64) -> rusqlite::Result<usize> {
    conn.execute(
        "DELETE FROM shares WHERE entity = ?1 AND record_id = ?2",
        params![entity, record],
    )
}
