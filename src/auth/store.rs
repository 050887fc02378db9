//! SQL for sessions.

use super::CurrentUser;
use rusqlite::{Connection, OptionalExtension, params};

/// A stored session with its user.
#[derive(Debug, Clone)]
pub struct SessionRow {
    /// The user it belongs to.
    pub user: CurrentUser,
    /// The CSRF token of this session.
    pub csrf_token: String,
    /// When it began (UTC, RFC 3339).
    pub created_at: String,
    /// When it last served a request.
    pub last_seen_at: String,
    /// Whether the user has been disabled since.
    pub user_disabled: bool,
}

/// Stores a new session.
pub fn create(
    conn: &Connection,
    token_hash: &str,
    user_id: i64,
    csrf: &str,
    ip: Option<&str>,
    now: &str,
) -> rusqlite::Result<()> {
    conn.execute(
        "INSERT INTO sessions (token_hash, user_id, csrf_token, created_at, last_seen_at, ip)
         VALUES (?1, ?2, ?3, ?4, ?4, ?5)",
        params![token_hash, user_id, csrf, now, ip],
    )?;
    Ok(())
}

/// Finds a session and its user by the token's hash.
pub fn find(conn: &Connection, token_hash: &str) -> rusqlite::Result<Option<SessionRow>> {
    conn.prepare_cached(
        "SELECT u.id, u.email, u.name, u.role, u.language, s.csrf_token, s.created_at,
                s.last_seen_at, u.disabled_at IS NOT NULL, r.name, r.access
         FROM sessions s JOIN users u ON u.id = s.user_id
         LEFT JOIN roles r ON r.key = u.role
         WHERE s.token_hash = ?1",
    )?
    .query_row([token_hash], |r| {
        let custom: Option<String> = r.get(10)?;
        Ok(SessionRow {
            user: CurrentUser::new(
                r.get(0)?,
                r.get(1)?,
                r.get(2)?,
                r.get(3)?,
                r.get(9)?,
                custom.as_deref(),
                r.get(4)?,
            ),
            csrf_token: r.get(5)?,
            created_at: r.get(6)?,
            last_seen_at: r.get(7)?,
            user_disabled: r.get(8)?,
        })
    })
    .optional()
}

/// Records activity on a session.
pub fn touch(conn: &Connection, token_hash: &str, now: &str) -> rusqlite::Result<()> {
    conn.execute(
        "UPDATE sessions SET last_seen_at = ?2 WHERE token_hash = ?1",
        params![token_hash, now],
    )?;
    Ok(())
}

/// Ends one session.
pub fn delete(conn: &Connection, token_hash: &str) -> rusqlite::Result<usize> {
    conn.execute("DELETE FROM sessions WHERE token_hash = ?1", [token_hash])
}

/// Ends every session of a user; returns how many there were.
pub fn delete_for_user(conn: &Connection, user_id: i64) -> rusqlite::Result<usize> {
    conn.execute("DELETE FROM sessions WHERE user_id = ?1", [user_id])
}

/// Ends every session of a user but one (the one changing its own password).
pub fn delete_others_for_user(
    conn: &Connection,
    user_id: i64,
    keep: &str,
) -> rusqlite::Result<usize> {
    conn.execute(
        "DELETE FROM sessions WHERE user_id = ?1 AND token_hash <> ?2",
        params![user_id, keep],
    )
}

/// Removes sessions idle since `idle_cutoff` or begun before `lifetime_cutoff`.
pub fn delete_expired(
    conn: &Connection,
    idle_cutoff: &str,
    lifetime_cutoff: &str,
) -> rusqlite::Result<usize> {
    conn.execute(
        "DELETE FROM sessions WHERE last_seen_at < ?1 OR created_at < ?2",
        params![idle_cutoff, lifetime_cutoff],
    )
}

/// Number of sessions of a user (for the users page).
pub fn count_for_user(conn: &Connection, user_id: i64) -> rusqlite::Result<i64> {
    conn.query_row(
        "SELECT count(*) FROM sessions WHERE user_id = ?1",
        [user_id],
        |r| r.get(0),
    )
}
