//! SQL particular to leads.

use rusqlite::{Connection, params};

/// Notes that a lead was just followed up.
pub fn followed_up(conn: &Connection, lead: i64) -> rusqlite::Result<usize> {
    conn.execute(
        "UPDATE leads SET last_activity_at = ?2 WHERE id = ?1",
        params![lead, crate::db::now()],
    )
}

/// Marks a lead converted into these records, if it is still at `version`.
pub fn mark_converted(
    conn: &Connection,
    lead: i64,
    version: i64,
    records: (i64, i64, Option<i64>),
) -> rusqlite::Result<usize> {
    conn.execute(
        "UPDATE leads SET status = 'converted', converted_at = ?3, company_id = ?4, contact_id = ?5,
                deal_id = ?6, updated_at = ?3, version = version + 1
         WHERE id = ?1 AND version = ?2 AND deleted_at IS NULL AND status <> 'converted'",
        params![lead, version, crate::db::now(), records.0, records.1, records.2],
    )
}

/// Puts a lead's follow-ups and tasks on the company and contact it became (they stay on
/// the lead's own timeline too).
pub fn hand_on_history(
    conn: &Connection,
    lead: i64,
    company: i64,
    contact: i64,
) -> rusqlite::Result<usize> {
    let n = conn.execute(
        "UPDATE activities SET company_id = ?2, contact_id = ?3 WHERE lead_id = ?1",
        params![lead, company, contact],
    )?;
    conn.execute(
        "UPDATE tasks SET company_id = ?2, contact_id = ?3 WHERE lead_id = ?1",
        params![lead, company, contact],
    )?;
    Ok(n)
}
