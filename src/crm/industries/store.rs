//! SQL for the industry taxonomy.

use super::Sector;
use rusqlite::{Connection, OptionalExtension, params};

/// Number of industries, to know whether the defaults are still to be filled in.
pub fn count(conn: &Connection) -> rusqlite::Result<i64> {
    conn.query_row("SELECT count(*) FROM industries", [], |r| r.get(0))
}

/// Adds an industry; returns its id.
pub fn insert(
    conn: &Connection,
    parent: Option<i64>,
    name: &str,
    position: i64,
) -> rusqlite::Result<i64> {
    conn.execute(
        "INSERT INTO industries (parent_id, name, position) VALUES (?1, ?2, ?3)",
        params![parent, name, position],
    )?;
    Ok(conn.last_insert_rowid())
}

/// The whole taxonomy in order.
pub fn tree(conn: &Connection) -> rusqlite::Result<Vec<Sector>> {
    let mut stmt =
        conn.prepare_cached("SELECT id, parent_id, name FROM industries ORDER BY position, id")?;
    let rows: Vec<(i64, Option<i64>, String)> = stmt
        .query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))?
        .collect::<rusqlite::Result<_>>()?;
    let mut sectors: Vec<Sector> = rows
        .iter()
        .filter(|(_, p, _)| p.is_none())
        .map(|(id, _, name)| Sector {
            id: *id,
            name: name.clone(),
            children: Vec::new(),
        })
        .collect();
    for (id, parent, name) in &rows {
        if let Some(s) = parent.and_then(|p| sectors.iter_mut().find(|s| s.id == p)) {
            s.children.push((*id, name.clone()));
        }
    }
    Ok(sectors)
}

/// Whether an industry exists.
pub fn exists(conn: &Connection, id: i64) -> rusqlite::Result<bool> {
    Ok(conn
        .query_row("SELECT 1 FROM industries WHERE id = ?1", [id], |_| Ok(()))
        .optional()?
        .is_some())
}

/// How many companies (live or in the trash) use an industry or its sub-industries.
pub fn usage(conn: &Connection, id: i64) -> rusqlite::Result<i64> {
    conn.query_row(
        "SELECT count(*) FROM companies WHERE industry_id IN (SELECT id FROM industries WHERE id = ?1 OR parent_id = ?1)",
        [id],
        |r| r.get(0),
    )
}

/// Removes an unused industry with its sub-industries.
pub fn delete(conn: &Connection, id: i64) -> rusqlite::Result<usize> {
    conn.execute("DELETE FROM industries WHERE parent_id = ?1", [id])?;
    conn.execute("DELETE FROM industries WHERE id = ?1", [id])
}

/// The name of an industry, for audit entries.
pub fn name(conn: &Connection, id: i64) -> rusqlite::Result<String> {
    conn.query_row("SELECT name FROM industries WHERE id = ?1", [id], |r| {
        r.get(0)
    })
}
