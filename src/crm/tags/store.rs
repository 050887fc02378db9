//! SQL for tags.

use rusqlite::{Connection, OptionalExtension, params, params_from_iter};
use serde::Serialize;
use std::collections::HashMap;

/// A tag.
#[derive(Debug, Clone, Serialize)]
pub struct Tag {
    /// Id.
    pub id: i64,
    /// Name.
    pub name: String,
    /// Colour name.
    pub color: String,
}

fn tag(r: &rusqlite::Row<'_>) -> rusqlite::Result<Tag> {
    Ok(Tag {
        id: r.get(0)?,
        name: r.get(1)?,
        color: r.get(2)?,
    })
}

/// A tag by name (case-insensitive).
pub fn find(conn: &Connection, name: &str) -> rusqlite::Result<Option<Tag>> {
    conn.query_row(
        "SELECT id, name, color FROM tags WHERE name = ?1",
        [name],
        tag,
    )
    .optional()
}

/// A tag by id.
pub fn get(conn: &Connection, id: i64) -> rusqlite::Result<Tag> {
    conn.query_row("SELECT id, name, color FROM tags WHERE id = ?1", [id], tag)
}

/// Creates a tag.
pub fn create(conn: &Connection, name: &str, color: &str) -> rusqlite::Result<i64> {
    conn.execute(
        "INSERT INTO tags (name, color, created_at) VALUES (?1, ?2, ?3)",
        params![name, color, crate::db::now()],
    )?;
    Ok(conn.last_insert_rowid())
}

/// All tags by name.
pub fn all(conn: &Connection) -> rusqlite::Result<Vec<Tag>> {
    let mut stmt = conn.prepare_cached("SELECT id, name, color FROM tags ORDER BY name")?;
    stmt.query_map([], tag)?.collect()
}

/// One page of tags by name (descending with `desc`), those containing `q` when given, after
/// the (name, id) of the previous page's last tag; and whether more follow.
pub fn page(
    conn: &Connection,
    q: Option<&str>,
    desc: bool,
    after: Option<(String, i64)>,
    limit: usize,
) -> rusqlite::Result<(Vec<Tag>, bool)> {
    let (dir, cmp) = if desc { ("DESC", "<") } else { ("ASC", ">") };
    let mut stmt = conn.prepare_cached(&format!(
        "SELECT id, name, color FROM tags
         WHERE (?1 IS NULL OR instr(lower(name), lower(?1)) > 0)
           AND (?2 IS NULL OR (name, id) {cmp} (?2, ?3))
         ORDER BY name {dir}, id {dir} LIMIT ?4"
    ))?;
    let (after_name, after_id) = after.unzip();
    let args = params![q, after_name, after_id, limit as i64 + 1];
    let mut rows: Vec<Tag> = stmt
        .query_map(args, tag)?
        .collect::<rusqlite::Result<_>>()?;
    let more = rows.len() > limit;
    rows.truncate(limit);
    Ok((rows, more))
}

/// Tags a record; false when it already had the tag.
pub fn attach(conn: &Connection, tag_id: i64, kind: i64, record: i64) -> rusqlite::Result<bool> {
    Ok(conn.execute(
        "INSERT OR IGNORE INTO record_tags (tag_id, kind, record_id) VALUES (?1, ?2, ?3)",
        params![tag_id, kind, record],
    )? == 1)
}

/// Untags a record; false when it did not have the tag.
pub fn detach(conn: &Connection, tag_id: i64, kind: i64, record: i64) -> rusqlite::Result<bool> {
    Ok(conn.execute(
        "DELETE FROM record_tags WHERE tag_id = ?1 AND kind = ?2 AND record_id = ?3",
        params![tag_id, kind, record],
    )? == 1)
}

/// The tags of several records at once, by record id.
pub fn for_records(
    conn: &Connection,
    kind: i64,
    ids: &[i64],
) -> rusqlite::Result<HashMap<i64, Vec<Tag>>> {
    let mut out: HashMap<i64, Vec<Tag>> = HashMap::new();
    if ids.is_empty() {
        return Ok(out);
    }
    let marks = vec!["?"; ids.len()].join(", ");
    let sql = format!(
        "SELECT rt.record_id, t.id, t.name, t.color FROM record_tags rt JOIN tags t ON t.id = rt.tag_id
         WHERE rt.kind = ? AND rt.record_id IN ({marks}) ORDER BY t.name"
    );
    let mut args: Vec<i64> = vec![kind];
    args.extend_from_slice(ids);
    let mut stmt = conn.prepare_cached(&sql)?;
    let rows = stmt.query_map(params_from_iter(args), |r| {
        Ok((
            r.get::<_, i64>(0)?,
            Tag {
                id: r.get(1)?,
                name: r.get(2)?,
                color: r.get(3)?,
            },
        ))
    })?;
    for row in rows {
        let (id, t) = row?;
        out.entry(id).or_default().push(t);
    }
    Ok(out)
}
