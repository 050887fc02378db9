//! SQL for public lead forms.

use super::forms::FormInput;
use rusqlite::{Connection, OptionalExtension, Row, params};
use serde::Serialize;

/// A public lead form as stored.
#[derive(Debug, Clone, Serialize)]
pub struct LeadForm {
    /// Id.
    pub id: i64,
    /// Name, also the heading visitors see.
    pub name: String,
    /// The secret part of its public address, `/f/{token}`.
    pub token: String,
    /// Input names shown, in order: lead fields and custom fields (`cf_<key>`).
    pub fields: Vec<String>,
    /// Those of `fields` that must be filled in.
    pub required: Vec<String>,
    /// Shown after a visitor sent the form.
    pub thank_you: String,
    /// The source its leads get.
    pub source: Option<String>,
    /// Accepting submissions.
    pub active: bool,
    /// Version for optimistic concurrency.
    pub version: i64,
    /// Created (UTC).
    pub created_at: String,
}

const SELECT: &str = "SELECT id, name, token, fields, required, thank_you, source, active, version,
        created_at FROM lead_forms";

fn list_of(text: String) -> Vec<String> {
    serde_json::from_str(&text).unwrap_or_default()
}

fn json(list: &[String]) -> String {
    serde_json::to_string(list).unwrap_or_else(|_| "[]".into())
}

fn form(r: &Row<'_>) -> rusqlite::Result<LeadForm> {
    Ok(LeadForm {
        id: r.get(0)?,
        name: r.get(1)?,
        token: r.get(2)?,
        fields: list_of(r.get(3)?),
        required: list_of(r.get(4)?),
        thank_you: r.get(5)?,
        source: r.get(6)?,
        active: r.get(7)?,
        version: r.get(8)?,
        created_at: r.get(9)?,
    })
}

/// Every form, newest first.
pub fn all(conn: &Connection) -> rusqlite::Result<Vec<LeadForm>> {
    let mut stmt = conn.prepare_cached(&format!("{SELECT} ORDER BY id DESC"))?;
    stmt.query_map([], form)?.collect()
}

/// One form.
pub fn get(conn: &Connection, id: i64) -> rusqlite::Result<Option<LeadForm>> {
    conn.query_row(&format!("{SELECT} WHERE id = ?1"), [id], form)
        .optional()
}

/// The form a public address names (active or not).
pub fn by_token(conn: &Connection, token: &str) -> rusqlite::Result<Option<LeadForm>> {
    conn.query_row(&format!("{SELECT} WHERE token = ?1"), [token], form)
        .optional()
}

/// Adds a form; returns its id.
pub fn insert(conn: &Connection, f: &FormInput, token: &str) -> rusqlite::Result<i64> {
    conn.execute(
        "INSERT INTO lead_forms (name, token, fields, required, thank_you, source, active,
                                 created_at, updated_at)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?8)",
        params![
            f.name,
            token,
            json(&f.fields),
            json(&f.required),
            f.thank_you,
            f.source,
            f.active,
            crate::db::now()
        ],
    )?;
    Ok(conn.last_insert_rowid())
}

/// Saves an edit made on `version`; returns rows changed (0: changed meanwhile).
pub fn update(conn: &Connection, id: i64, version: i64, f: &FormInput) -> rusqlite::Result<usize> {
    conn.execute(
        "UPDATE lead_forms SET name = ?3, fields = ?4, required = ?5, thank_you = ?6, source = ?7,
                active = ?8, updated_at = ?9, version = version + 1
         WHERE id = ?1 AND version = ?2",
        params![
            id,
            version,
            f.name,
            json(&f.fields),
            json(&f.required),
            f.thank_you,
            f.source,
            f.active,
            crate::db::now()
        ],
    )
}

/// Gives a form a new public address.
pub fn set_token(conn: &Connection, id: i64, token: &str) -> rusqlite::Result<usize> {
    conn.execute(
        "UPDATE lead_forms SET token = ?2, updated_at = ?3, version = version + 1 WHERE id = ?1",
        params![id, token, crate::db::now()],
    )
}

/// Notes the form a lead came through.
pub fn set_lead_form(conn: &Connection, lead: i64, form: i64) -> rusqlite::Result<usize> {
    conn.execute(
        "UPDATE leads SET form_id = ?2 WHERE id = ?1",
        params![lead, form],
    )
}

/// How many leads (live or in the trash) each form has brought in: (form, count).
pub fn lead_counts(conn: &Connection) -> rusqlite::Result<Vec<(i64, i64)>> {
    let mut stmt = conn.prepare_cached(
        "SELECT form_id, count(*) FROM leads WHERE form_id IS NOT NULL GROUP BY form_id",
    )?;
    stmt.query_map([], |r| Ok((r.get(0)?, r.get(1)?)))?
        .collect()
}
