//! SQL for custom field definitions.

use super::CustomField;
use rusqlite::{Connection, params};

fn field(r: &rusqlite::Row<'_>) -> rusqlite::Result<CustomField> {
    let options: String = r.get(5)?;
    Ok(CustomField {
        id: r.get(0)?,
        entity: r.get(1)?,
        key: r.get(2)?,
        label: r.get(3)?,
        kind: r.get(4)?,
        options: serde_json::from_str(&options).unwrap_or_default(),
        required: r.get(6)?,
        in_list: r.get(7)?,
    })
}

/// The fields of one entity in form order.
pub fn for_entity(conn: &Connection, entity: &str) -> rusqlite::Result<Vec<CustomField>> {
    let mut stmt = conn.prepare_cached(
        "SELECT id, entity, key, label, kind, options, required, in_list FROM custom_fields
         WHERE entity = ?1 ORDER BY position, id",
    )?;
    stmt.query_map([entity], field)?.collect()
}

/// One field.
pub fn get(conn: &Connection, id: i64) -> rusqlite::Result<CustomField> {
    conn.query_row(
        "SELECT id, entity, key, label, kind, options, required, in_list FROM custom_fields WHERE id = ?1",
        [id],
        field,
    )
}

/// Adds a field with the next free key; returns its id.
pub fn insert(conn: &Connection, f: &CustomField) -> rusqlite::Result<i64> {
    let next: i64 = conn.query_row(
        "SELECT coalesce(max(id), 0) + 1 FROM custom_fields",
        [],
        |r| r.get(0),
    )?;
    conn.execute(
        "INSERT INTO custom_fields (entity, key, label, kind, options, required, in_list, position, created_at)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)",
        params![
            f.entity,
            format!("f{next}"),
            f.label,
            f.kind,
            serde_json::to_string(&f.options).unwrap_or_else(|_| "[]".into()),
            f.required,
            f.in_list,
            next,
            crate::db::now()
        ],
    )?;
    Ok(conn.last_insert_rowid())
}

/// Removes a definition; the values stay in the records' JSON (and in backups).
pub fn delete(conn: &Connection, id: i64) -> rusqlite::Result<usize> {
    conn.execute("DELETE FROM custom_fields WHERE id = ?1", [id])
}

/// Built-in fields the administrator made required for an entity.
pub fn required(conn: &Connection, entity: &str) -> rusqlite::Result<Vec<String>> {
    let mut stmt =
        conn.prepare_cached("SELECT field FROM required_fields WHERE entity = ?1 ORDER BY field")?;
    stmt.query_map([entity], |r| r.get(0))?.collect()
}

/// Replaces the required built-in fields of an entity.
pub fn set_required(conn: &Connection, entity: &str, fields: &[String]) -> rusqlite::Result<()> {
    conn.execute("DELETE FROM required_fields WHERE entity = ?1", [entity])?;
    for f in fields {
        conn.execute(
            "INSERT INTO required_fields (entity, field) VALUES (?1, ?2)",
            params![entity, f],
        )?;
    }
    Ok(())
}
