//! SQL for API tokens.

use crate::auth::CurrentUser;
use rusqlite::{Connection, OptionalExtension, params};
use serde::Serialize;

/// A token as its owner sees it in the list (never the token itself).
#[derive(Debug, Clone, Serialize)]
pub struct TokenRow {
    /// Id.
    pub id: i64,
    /// The owner.
    pub user_id: i64,
    /// What the owner called it (the system it is for).
    pub name: String,
    /// Its first characters, to tell tokens apart.
    pub prefix: String,
    /// Whether it may change data.
    pub can_write: bool,
    /// When it was made.
    pub created_at: String,
    /// When it was last used, if ever.
    pub last_used_at: Option<String>,
    /// When it was revoked, if it was.
    pub revoked_at: Option<String>,
}

/// A live token found by its hash, with the user it acts as.
pub struct Found {
    /// Token id.
    pub id: i64,
    /// Whether it may change data.
    pub can_write: bool,
    /// When it was last used.
    pub last_used_at: Option<String>,
    /// Its user.
    pub user: CurrentUser,
}

/// Stores a new token; returns its id.
pub fn insert(
    conn: &Connection,
    user_id: i64,
    name: &str,
    hash: &str,
    prefix: &str,
    can_write: bool,
    now: &str,
) -> rusqlite::Result<i64> {
    conn.execute(
        "INSERT INTO api_tokens (user_id, name, token_hash, prefix, can_write, created_at)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
        params![user_id, name, hash, prefix, can_write, now],
    )?;
    Ok(conn.last_insert_rowid())
}

const COLUMNS: &str = "id, user_id, name, prefix, can_write, created_at, last_used_at, revoked_at";

fn row(r: &rusqlite::Row<'_>) -> rusqlite::Result<TokenRow> {
    Ok(TokenRow {
        id: r.get(0)?,
        user_id: r.get(1)?,
        name: r.get(2)?,
        prefix: r.get(3)?,
        can_write: r.get(4)?,
        created_at: r.get(5)?,
        last_used_at: r.get(6)?,
        revoked_at: r.get(7)?,
    })
}

/// A user's tokens, newest first.
pub fn for_user(conn: &Connection, user_id: i64) -> rusqlite::Result<Vec<TokenRow>> {
    conn.prepare(&format!(
        "SELECT {COLUMNS} FROM api_tokens WHERE user_id = ?1 ORDER BY id DESC"
    ))?
    .query_map([user_id], row)?
    .collect()
}

/// One token.
pub fn get(conn: &Connection, id: i64) -> rusqlite::Result<TokenRow> {
    conn.query_row(
        &format!("SELECT {COLUMNS} FROM api_tokens WHERE id = ?1"),
        [id],
        row,
    )
}

/// The unrevoked token with this hash whose user is active.
pub fn find_live(conn: &Connection, hash: &str) -> rusqlite::Result<Option<Found>> {
    conn.prepare_cached(
        "SELECT t.id, t.can_write, t.last_used_at, u.id, u.email, u.name, u.role, u.language,
                r.name, r.access
         FROM api_tokens t JOIN users u ON u.id = t.user_id
         LEFT JOIN roles r ON r.key = u.role
         WHERE t.token_hash = ?1 AND t.revoked_at IS NULL AND u.disabled_at IS NULL",
    )?
    .query_row([hash], |r| {
        let custom: Option<String> = r.get(9)?;
        Ok(Found {
            id: r.get(0)?,
            can_write: r.get(1)?,
            last_used_at: r.get(2)?,
            user: CurrentUser::new(
                r.get(3)?,
                r.get(4)?,
                r.get(5)?,
                r.get(6)?,
                r.get(8)?,
                custom.as_deref(),
                r.get(7)?,
            ),
        })
    })
    .optional()
}

/// Notes that a token was used.
pub fn touch(conn: &Connection, id: i64, now: &str) -> rusqlite::Result<usize> {
    conn.execute(
        "UPDATE api_tokens SET last_used_at = ?2 WHERE id = ?1",
        params![id, now],
    )
}

/// Revokes a token; 0 when it was revoked already.
pub fn revoke(conn: &Connection, id: i64, now: &str) -> rusqlite::Result<usize> {
    conn.execute(
        "UPDATE api_tokens SET revoked_at = ?2 WHERE id = ?1 AND revoked_at IS NULL",
        params![id, now],
    )
}

/// Revokes every live token of a user (when they are disabled); returns how many.
pub fn revoke_all(conn: &Connection, user_id: i64, now: &str) -> rusqlite::Result<usize> {
    conn.execute(
        "UPDATE api_tokens SET revoked_at = ?2 WHERE user_id = ?1 AND revoked_at IS NULL",
        params![user_id, now],
    )
}
