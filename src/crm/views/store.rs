//! SQL for saved views.

use super::View;
use rusqlite::{Connection, params};

/// A user's views of one list, by name.
pub fn list(conn: &Connection, user: i64, entity: &str) -> rusqlite::Result<Vec<View>> {
    let mut stmt = conn.prepare_cached(
        "SELECT id, name, query FROM saved_views WHERE user_id = ?1 AND entity = ?2 ORDER BY name",
    )?;
    stmt.query_map(params![user, entity], |r| {
        Ok(View {
            id: r.get(0)?,
            name: r.get(1)?,
            query: r.get(2)?,
        })
    })?
    .collect()
}

/// Saves a view under its name (replacing the query of one with the same name); its id.
pub fn save(
    conn: &Connection,
    user: i64,
    entity: &str,
    name: &str,
    query: &str,
) -> rusqlite::Result<i64> {
    conn.execute(
        "INSERT INTO saved_views (user_id, entity, name, query, created_at) VALUES (?1, ?2, ?3, ?4, ?5)
         ON CONFLICT (user_id, entity, name) DO UPDATE SET query = excluded.query",
        params![user, entity, name, query, crate::db::now()],
    )?;
    conn.query_row(
        "SELECT id FROM saved_views WHERE user_id = ?1 AND entity = ?2 AND name = ?3",
        params![user, entity, name],
        |r| r.get(0),
    )
}

/// The list and name of a view, if it belongs to `user`.
pub fn owned(conn: &Connection, id: i64, user: i64) -> rusqlite::Result<(String, String)> {
    conn.query_row(
        "SELECT entity, name FROM saved_views WHERE id = ?1 AND user_id = ?2",
        params![id, user],
        |r| Ok((r.get(0)?, r.get(1)?)),
    )
}

/// Removes a view.
pub fn delete(conn: &Connection, id: i64) -> rusqlite::Result<usize> {
    conn.execute("DELETE FROM saved_views WHERE id = ?1", [id])
}
