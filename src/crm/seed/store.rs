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
           owner_id, created_by, created_at, updated_at, industry_id)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?9, ?10, ?11, ?12)",
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
           email, owner_id, created_by, created_at, updated_at)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?11, ?12, ?13)",
    )?
    .execute(params![
        c.company, c.name, c.title, c.status, c.source, c.province, c.city, c.mobile, c.digits, c.email,
        c.owner, c.created, c.updated
    ])?;
    Ok(conn.last_insert_rowid())
}
