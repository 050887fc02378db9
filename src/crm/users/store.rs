//! SQL for users.

use rusqlite::{Connection, OptionalExtension, Row, params};
use serde::Serialize;

/// A user as stored, including the password hash (never sent to a template).
#[derive(Debug, Clone)]
pub struct UserRow {
    /// Id.
    pub id: i64,
    /// Email (sign-in name).
    pub email: String,
    /// Display name.
    pub name: String,
    /// Role key (a built-in role's name or a custom role's key).
    pub role: String,
    /// A custom role's name.
    pub role_name: Option<String>,
    /// argon2id PHC string.
    pub password_hash: String,
    /// Preferred language.
    pub language: Option<String>,
    /// When disabled, if disabled.
    pub disabled_at: Option<String>,
    /// Created.
    pub created_at: String,
    /// Version for optimistic concurrency.
    pub version: i64,
}

/// What pages show about a user.
#[derive(Debug, Clone, Serialize)]
pub struct UserView {
    /// Id.
    pub id: i64,
    /// Email.
    pub email: String,
    /// Name.
    pub name: String,
    /// Role key.
    pub role: String,
    /// A custom role's name.
    pub role_name: Option<String>,
    /// Preferred language.
    pub language: Option<String>,
    /// Disabled since.
    pub disabled_at: Option<String>,
    /// Created.
    pub created_at: String,
    /// Version.
    pub version: i64,
}

impl From<UserRow> for UserView {
    fn from(u: UserRow) -> Self {
        UserView {
            id: u.id,
            email: u.email,
            name: u.name,
            role: u.role,
            role_name: u.role_name,
            language: u.language,
            disabled_at: u.disabled_at,
            created_at: u.created_at,
            version: u.version,
        }
    }
}

const COLUMNS: &str = "users.id, email, users.name, role, password_hash, language, disabled_at,
     users.created_at, users.version, (SELECT r.name FROM roles r WHERE r.key = users.role)";

fn row(r: &Row<'_>) -> rusqlite::Result<UserRow> {
    Ok(UserRow {
        id: r.get(0)?,
        email: r.get(1)?,
        name: r.get(2)?,
        role: r.get(3)?,
        role_name: r.get(9)?,
        password_hash: r.get(4)?,
        language: r.get(5)?,
        disabled_at: r.get(6)?,
        created_at: r.get(7)?,
        version: r.get(8)?,
    })
}

/// Number of active administrators.
pub fn count_admins(conn: &Connection) -> rusqlite::Result<i64> {
    conn.query_row(
        "SELECT count(*) FROM users WHERE role = 'admin' AND disabled_at IS NULL",
        [],
        |r| r.get(0),
    )
}

/// A user by email (case-insensitive).
pub fn find_by_email(conn: &Connection, email: &str) -> rusqlite::Result<Option<UserRow>> {
    conn.query_row(
        &format!("SELECT {COLUMNS} FROM users WHERE email = ?1"),
        [email],
        row,
    )
    .optional()
}

/// A user by id.
pub fn get(conn: &Connection, id: i64) -> rusqlite::Result<UserRow> {
    conn.query_row(
        &format!("SELECT {COLUMNS} FROM users WHERE id = ?1"),
        [id],
        row,
    )
}

/// All users, active first, then by name.
pub fn list(conn: &Connection) -> rusqlite::Result<Vec<UserRow>> {
    let mut stmt = conn.prepare(&format!(
        "SELECT {COLUMNS} FROM users ORDER BY disabled_at IS NOT NULL, name COLLATE NOCASE, id"
    ))?;
    stmt.query_map([], row)?.collect()
}

/// Active users as (id, name), by name: the choices for an owner.
pub fn active_names(conn: &Connection) -> rusqlite::Result<Vec<(i64, String)>> {
    let mut stmt = conn.prepare_cached(
        "SELECT id, name FROM users WHERE disabled_at IS NULL ORDER BY name COLLATE NOCASE, id",
    )?;
    stmt.query_map([], |r| Ok((r.get(0)?, r.get(1)?)))?
        .collect()
}

/// Whether `id` is an active user (one records and tasks may be given to).
pub fn is_active(conn: &Connection, id: i64) -> rusqlite::Result<bool> {
    conn.query_row(
        "SELECT EXISTS (SELECT 1 FROM users WHERE id = ?1 AND disabled_at IS NULL)",
        [id],
        |r| r.get(0),
    )
}

/// Inserts a user and returns the id.
pub fn insert(
    conn: &Connection,
    email: &str,
    name: &str,
    role: &str,
    password_hash: &str,
    language: Option<&str>,
) -> rusqlite::Result<i64> {
    let now = crate::db::now();
    conn.execute(
        "INSERT INTO users (email, name, role, password_hash, language, created_at, updated_at)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?6)",
        params![email, name, role, password_hash, language, now],
    )?;
    Ok(conn.last_insert_rowid())
}

/// Updates name, role and language if the version still matches; returns rows changed.
pub fn update(
    conn: &Connection,
    id: i64,
    version: i64,
    name: &str,
    role: &str,
    language: Option<&str>,
) -> rusqlite::Result<usize> {
    conn.execute(
        "UPDATE users SET name = ?3, role = ?4, language = ?5, updated_at = ?6,
                version = version + 1
         WHERE id = ?1 AND version = ?2",
        params![id, version, name, role, language, crate::db::now()],
    )
}

/// Replaces the password hash.
pub fn set_password(conn: &Connection, id: i64, hash: &str) -> rusqlite::Result<usize> {
    conn.execute(
        "UPDATE users SET password_hash = ?2, updated_at = ?3, version = version + 1 WHERE id = ?1",
        params![id, hash, crate::db::now()],
    )
}

/// Disables (with a time) or enables (with `None`) a user.
pub fn set_disabled(conn: &Connection, id: i64, at: Option<&str>) -> rusqlite::Result<usize> {
    conn.execute(
        "UPDATE users SET disabled_at = ?2, updated_at = ?3, version = version + 1 WHERE id = ?1",
        params![id, at, crate::db::now()],
    )
}

/// Sets the preferred language.
pub fn set_language(conn: &Connection, id: i64, language: &str) -> rusqlite::Result<usize> {
    conn.execute(
        "UPDATE users SET language = ?2, updated_at = ?3, version = version + 1 WHERE id = ?1",
        params![id, language, crate::db::now()],
    )
}

/// A request for a page of the user directory, as the API reads it.
#[derive(Debug, Clone, Default)]
pub struct DirectoryQuery {
    /// Only this role key.
    pub role: Option<String>,
    /// Only active (`Some(true)`) or disabled (`Some(false)`) users.
    pub active: Option<bool>,
    /// Part of the name or email.
    pub q: Option<String>,
    /// `name` or `created_at` (anything else sorts by name).
    pub sort: String,
    /// Descending.
    pub desc: bool,
    /// The (sort value, id) of the previous page's last user.
    pub after: Option<(String, i64)>,
}

/// One page of the user directory and whether more follow (keyset on the sort and id).
pub fn directory(
    conn: &Connection,
    q: &DirectoryQuery,
    limit: usize,
) -> rusqlite::Result<(Vec<UserRow>, bool)> {
    let col = match q.sort.as_str() {
        "created_at" => "users.created_at",
        _ => "users.name",
    };
    let (dir, cmp) = if q.desc { ("DESC", "<") } else { ("ASC", ">") };
    let mut stmt = conn.prepare_cached(&format!(
        "SELECT {COLUMNS} FROM users
         WHERE (?1 IS NULL OR role = ?1)
           AND (?2 IS NULL OR (disabled_at IS NULL) = ?2)
           AND (?3 IS NULL OR instr(lower(users.name), lower(?3)) > 0
                OR instr(lower(email), lower(?3)) > 0)
           AND (?4 IS NULL OR ({col}, users.id) {cmp} (?4, ?5))
         ORDER BY {col} {dir}, users.id {dir} LIMIT ?6"
    ))?;
    let (after_value, after_id) = q.after.clone().unzip();
    let args = params![
        q.role,
        q.active,
        q.q,
        after_value,
        after_id,
        limit as i64 + 1
    ];
    let mut rows: Vec<UserRow> = stmt
        .query_map(args, row)?
        .collect::<rusqlite::Result<_>>()?;
    let more = rows.len() > limit;
    rows.truncate(limit);
    Ok((rows, more))
}
