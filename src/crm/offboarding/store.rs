//! SQL for handing over a person's work: what they own and are assigned.

use rusqlite::{Connection, params};
use serde::Serialize;

/// What a person holds.
#[derive(Debug, Clone, Copy, Default, Serialize, PartialEq, Eq)]
pub struct Holdings {
    /// Companies they own (not in the trash).
    pub companies: i64,
    /// Contacts they own (not in the trash).
    pub contacts: i64,
    /// Deals they own (not in the trash).
    pub deals: i64,
    /// Leads they own (not in the trash).
    pub leads: i64,
    /// Open tasks assigned to them.
    pub tasks: i64,
}

/// Counts what `user` holds.
pub fn holdings(conn: &Connection, user: i64) -> rusqlite::Result<Holdings> {
    conn.query_row(
        "SELECT (SELECT count(*) FROM companies WHERE owner_id = ?1 AND deleted_at IS NULL),
                (SELECT count(*) FROM contacts WHERE owner_id = ?1 AND deleted_at IS NULL),
                (SELECT count(*) FROM tasks WHERE assignee_id = ?1 AND done_at IS NULL),
                (SELECT count(*) FROM deals WHERE owner_id = ?1 AND deleted_at IS NULL),
                (SELECT count(*) FROM leads WHERE owner_id = ?1 AND deleted_at IS NULL)",
        [user],
        |r| {
            Ok(Holdings {
                companies: r.get(0)?,
                contacts: r.get(1)?,
                tasks: r.get(2)?,
                deals: r.get(3)?,
                leads: r.get(4)?,
            })
        },
    )
}

/// Ids of the live records of `e` that `user` owns.
pub fn owned(
    conn: &Connection,
    e: &crate::crm::records::Entity,
    user: i64,
) -> rusqlite::Result<Vec<i64>> {
    // The table name comes from the static entity, not from a request.
    let sql = format!(
        "SELECT id FROM {} WHERE owner_id = ?1 AND deleted_at IS NULL ORDER BY id",
        e.table
    );
    let mut stmt = conn.prepare_cached(&sql)?;
    stmt.query_map([user], |r| r.get(0))?.collect()
}

/// Ids and titles of the open tasks assigned to `user`.
pub fn open_tasks(conn: &Connection, user: i64) -> rusqlite::Result<Vec<(i64, String)>> {
    let mut stmt = conn.prepare_cached(
        "SELECT id, title FROM tasks WHERE assignee_id = ?1 AND done_at IS NULL ORDER BY id",
    )?;
    stmt.query_map([user], |r| Ok((r.get(0)?, r.get(1)?)))?
        .collect()
}

/// Gives a task to someone else.
pub fn reassign_task(conn: &Connection, task: i64, to: i64) -> rusqlite::Result<usize> {
    conn.execute(
        "UPDATE tasks SET assignee_id = ?2, updated_at = ?3, version = version + 1 WHERE id = ?1",
        params![task, to, crate::db::now()],
    )
}

/// Whether `user` exists and is active.
pub fn active(conn: &Connection, user: i64) -> rusqlite::Result<bool> {
    conn.query_row(
        "SELECT EXISTS (SELECT 1 FROM users WHERE id = ?1 AND disabled_at IS NULL)",
        [user],
        |r| r.get(0),
    )
}
