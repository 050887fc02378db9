//! SQL for custom roles.

use crate::auth::Access;
use rusqlite::{Connection, OptionalExtension, Row, params};
use serde::Serialize;

/// A custom role as stored.
#[derive(Debug, Clone, Serialize)]
pub struct RoleRow {
    /// Id.
    pub id: i64,
    /// The key users.role holds (`role-N`).
    pub key: String,
    /// Name.
    pub name: String,
    /// The built-in role it was copied from.
    pub based_on: String,
    /// What it grants.
    pub access: Access,
    /// Last changed.
    pub updated_at: String,
    /// Version for optimistic concurrency.
    pub version: i64,
}

const COLUMNS: &str = "id, key, name, based_on, access, updated_at, version";

fn row(r: &Row<'_>) -> rusqlite::Result<RoleRow> {
    let access: String = r.get(4)?;
    Ok(RoleRow {
        id: r.get(0)?,
        key: r.get(1)?,
        name: r.get(2)?,
        based_on: r.get(3)?,
        // A role whose grants cannot be read grants nothing.
        access: serde_json::from_str(&access).unwrap_or_default(),
        updated_at: r.get(5)?,
        version: r.get(6)?,
    })
}

/// A custom role by key.
pub fn find(conn: &Connection, key: &str) -> rusqlite::Result<Option<RoleRow>> {
    conn.query_row(
        &format!("SELECT {COLUMNS} FROM roles WHERE key = ?1"),
        [key],
        row,
    )
    .optional()
}

/// Every custom role, by name.
pub fn list(conn: &Connection) -> rusqlite::Result<Vec<RoleRow>> {
    let mut stmt = conn.prepare(&format!(
        "SELECT {COLUMNS} FROM roles ORDER BY name COLLATE NOCASE, id"
    ))?;
    stmt.query_map([], row)?.collect()
}

/// Whether another role has this name.
pub fn name_taken(conn: &Connection, name: &str, except: Option<i64>) -> rusqlite::Result<bool> {
    conn.query_row(
        "SELECT EXISTS (SELECT 1 FROM roles WHERE name = ?1 AND id IS NOT ?2)",
        params![name, except],
        |r| r.get(0),
    )
}

/// Active users per role key.
pub fn user_counts(conn: &Connection) -> rusqlite::Result<Vec<(String, i64)>> {
    let mut stmt = conn.prepare(
        "SELECT role, count(*) FROM users WHERE disabled_at IS NULL GROUP BY role ORDER BY role",
    )?;
    stmt.query_map([], |r| Ok((r.get(0)?, r.get(1)?)))?
        .collect()
}

/// Users (active or not) holding a role.
pub fn holders(conn: &Connection, key: &str) -> rusqlite::Result<i64> {
    conn.query_row("SELECT count(*) FROM users WHERE role = ?1", [key], |r| {
        r.get(0)
    })
}

/// Inserts a role and returns its id and key.
pub fn insert(
    conn: &Connection,
    name: &str,
    based_on: &str,
    access: &str,
) -> rusqlite::Result<(i64, String)> {
    let now = crate::db::now();
    conn.execute(
        "INSERT INTO roles (key, name, based_on, access, created_at, updated_at)
         VALUES ('role-' || (SELECT ifnull(max(id), 0) + 1 FROM roles), ?1, ?2, ?3, ?4, ?4)",
        params![name, based_on, access, now],
    )?;
    let id = conn.last_insert_rowid();
    let key = conn.query_row("SELECT key FROM roles WHERE id = ?1", [id], |r| r.get(0))?;
    Ok((id, key))
}

/// Saves name and grants if the version still matches; returns rows changed.
pub fn update(
    conn: &Connection,
    id: i64,
    version: i64,
    name: &str,
    access: &str,
) -> rusqlite::Result<usize> {
    conn.execute(
        "UPDATE roles SET name = ?3, access = ?4, updated_at = ?5, version = version + 1
         WHERE id = ?1 AND version = ?2",
        params![id, version, name, access, crate::db::now()],
    )
}

/// Removes a role.
pub fn delete(conn: &Connection, id: i64) -> rusqlite::Result<usize> {
    conn.execute("DELETE FROM roles WHERE id = ?1", [id])
}
