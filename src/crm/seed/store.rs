//! SQL for generated data: plain inserts, statements kept prepared across the loop.

use crate::crm::records::normalize_company_name;
use rusqlite::{Connection, params};

/// A generated company.
pub struct Company<'a> {
    pub name: &'a str,
    pub status: &'a str,
    pub source: &'a str,
    pub province: &'a str,
    pub city: &'a str,
    pub phone: &'a str,
    pub digits: &'a str,
    pub owner: i64,
    pub created: &'a str,
    pub updated: &'a str,
    pub industry: Option<i64>,
}

/// A generated contact.
pub struct Contact<'a> {
    pub company: Option<i64>,
    pub name: &'a str,
    pub title: &'a str,
    pub status: &'a str,
    pub source: &'a str,
    pub province: &'a str,
    pub city: &'a str,
    pub mobile: &'a str,
    pub digits: &'a str,
    pub email: Option<&'a str>,
    pub owner: i64,
    pub created: &'a str,
    pub updated: &'a str,
}

/// A user that cannot sign in until given a password (a random hash); an existing one with
/// the same email is kept. Returns the id.
pub fn user(
    conn: &Connection,
    email: &str,
    name: &str,
    role: &str,
    hash: &str,
) -> rusqlite::Result<i64> {
    conn.prepare_cached(
        "INSERT OR IGNORE INTO users (email, name, role, password_hash, created_at, updated_at)
         VALUES (?1, ?2, ?3, ?4, ?5, ?5)",
    )?
    .execute(params![email, name, role, hash, crate::db::now()])?;
    conn.prepare_cached("SELECT id FROM users WHERE email = ?1")?
        .query_row([email], |r| r.get(0))
}

/// Inserts a company; returns its id.
pub fn company(conn: &Connection, c: &Company<'_>) -> rusqlite::Result<i64> {
    conn.prepare_cached(
        "INSERT INTO companies (name, name_norm, status, source, province, city, phone, phone_digits,
           owner_id, created_by, created_at, updated_at, industry_id, owner_department_id)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?9, ?10, ?11, ?12,
                 (SELECT department_id FROM users WHERE id = ?9))",
    )?
    .execute(params![
        c.name, normalize_company_name(c.name), c.status, c.source, c.province, c.city, c.phone, c.digits,
        c.owner, c.created, c.updated, c.industry
    ])?;
    Ok(conn.last_insert_rowid())
}

/// Inserts a contact; returns its id.
pub fn contact(conn: &Connection, c: &Contact<'_>) -> rusqlite::Result<i64> {
    conn.prepare_cached(
        "INSERT INTO contacts (company_id, name, title, status, source, province, city, mobile, mobile_digits,
           email, owner_id, created_by, created_at, updated_at, owner_department_id)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?11, ?12, ?13,
                 (SELECT department_id FROM users WHERE id = ?11))",
    )?
    .execute(params![
        c.company, c.name, c.title, c.status, c.source, c.province, c.city, c.mobile, c.digits, c.email,
        c.owner, c.created, c.updated
    ])?;
    Ok(conn.last_insert_rowid())
}

/// The connection's page cache setting (`PRAGMA cache_size`: pages, or KiB when negative).
pub fn cache_size(conn: &Connection) -> rusqlite::Result<i64> {
    conn.query_row("PRAGMA cache_size", [], |r| r.get(0))
}

/// Sets the connection's page cache (see [`cache_size`]).
pub fn set_cache_size(conn: &Connection, size: i64) -> rusqlite::Result<()> {
    conn.pragma_update(None, "cache_size", size)
}

/// A generated deal.
pub struct Deal<'a> {
    pub name: &'a str,
    pub company: i64,
    pub contact: Option<i64>,
    pub pipeline: i64,
    pub stage: i64,
    pub amount: i64,
    pub currency: &'a str,
    pub expected_close: &'a str,
    pub source: &'a str,
    pub lost_reason: Option<&'a str>,
    pub notes: Option<&'a str>,
    pub owner: i64,
    pub stage_entered: &'a str,
    pub last_activity: Option<&'a str>,
    pub closed: Option<&'a str>,
    pub created: &'a str,
    pub updated: &'a str,
}

/// Inserts a deal (the board's running totals follow by trigger); returns its id.
pub fn deal(conn: &Connection, d: &Deal<'_>) -> rusqlite::Result<i64> {
    conn.prepare_cached(
        "INSERT INTO deals (name, company_id, contact_id, pipeline_id, stage_id, amount, currency,
           expected_close, source, lost_reason, notes, owner_id, stage_entered_at, last_activity_at,
           closed_at, created_by, created_at, updated_at, owner_department_id)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?12, ?16, ?17,
                 (SELECT department_id FROM users WHERE id = ?12))",
    )?
    .execute(params![
        d.name,
        d.company,
        d.contact,
        d.pipeline,
        d.stage,
        d.amount,
        d.currency,
        d.expected_close,
        d.source,
        d.lost_reason,
        d.notes,
        d.owner,
        d.stage_entered,
        d.last_activity,
        d.closed,
        d.created,
        d.updated
    ])?;
    Ok(conn.last_insert_rowid())
}

/// Records a deal's time at a stage (`left` is `None` for the stage it is at).
pub fn deal_stage(
    conn: &Connection,
    deal: i64,
    stage: i64,
    entered: &str,
    left: Option<&str>,
    by: i64,
) -> rusqlite::Result<()> {
    conn.prepare_cached(
        "INSERT INTO deal_stages (deal_id, stage_id, entered_at, left_at, by_user)
         VALUES (?1, ?2, ?3, ?4, ?5)",
    )?
    .execute(params![deal, stage, entered, left, by])?;
    Ok(())
}

/// A generated follow-up.
pub struct Activity<'a> {
    pub company: Option<i64>,
    pub contact: Option<i64>,
    pub deal: Option<i64>,
    pub kind: &'a str,
    pub outcome: Option<&'a str>,
    pub body: &'a str,
    pub at: &'a str,
    pub next_follow_up: Option<&'a str>,
    pub by: i64,
}

/// Inserts a follow-up, logged when it happened.
pub fn activity(conn: &Connection, a: &Activity<'_>) -> rusqlite::Result<()> {
    conn.prepare_cached(
        "INSERT INTO activities (company_id, contact_id, deal_id, kind, outcome, body, occurred_at,
           next_follow_up, created_by, created_at)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?7)",
    )?
    .execute(params![
        a.company,
        a.contact,
        a.deal,
        a.kind,
        a.outcome,
        a.body,
        a.at,
        a.next_follow_up,
        a.by
    ])?;
    Ok(())
}

/// Drops the indexes of `tables` that no constraint needs and returns their definitions,
/// so a bulk load appends rows and [`create_indexes`] builds each index in one sorted pass
/// instead of inserting millions of keys at random places.
pub fn drop_indexes(conn: &Connection, tables: &[&str]) -> rusqlite::Result<Vec<String>> {
    let mut defs = Vec::new();
    let mut stmt = conn.prepare(
        "SELECT name, sql FROM sqlite_schema
         WHERE type = 'index' AND tbl_name = ?1 AND sql IS NOT NULL ORDER BY name",
    )?;
    for table in tables {
        let found: Vec<(String, String)> = stmt
            .query_map([table], |r| Ok((r.get(0)?, r.get(1)?)))?
            .collect::<rusqlite::Result<_>>()?;
        for (name, sql) in found {
            // The name comes from the schema itself, never from input.
            conn.execute(&format!("DROP INDEX \"{}\"", name.replace('"', "\"\"")), [])?;
            defs.push(sql);
        }
    }
    Ok(defs)
}

/// Recreates indexes from their definitions (see [`drop_indexes`]).
pub fn create_indexes(conn: &Connection, defs: &[String]) -> rusqlite::Result<()> {
    for sql in defs {
        conn.execute(sql, [])?;
    }
    Ok(())
}
