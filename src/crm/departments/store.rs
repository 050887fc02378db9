//! SQL for departments and where users sit in them.

use rusqlite::{Connection, OptionalExtension, params};
use serde::Serialize;

/// A department as stored.
#[derive(Debug, Clone, Serialize)]
pub struct Department {
    /// Id.
    pub id: i64,
    /// Name.
    pub name: String,
    /// The department above, if any.
    pub parent_id: Option<i64>,
    /// Version for optimistic concurrency.
    pub version: i64,
}

/// A user's place: department and manager, with the names to show.
#[derive(Debug, Clone, Serialize)]
pub struct Member {
    /// User id.
    pub id: i64,
    /// Name.
    pub name: String,
    /// Email.
    pub email: String,
    /// Role.
    pub role: String,
    /// A custom role's name.
    pub role_name: Option<String>,
    /// Department.
    pub department_id: Option<i64>,
    /// Manager.
    pub manager_id: Option<i64>,
    /// Manager's name.
    pub manager_name: Option<String>,
}

fn department(r: &rusqlite::Row<'_>) -> rusqlite::Result<Department> {
    Ok(Department {
        id: r.get(0)?,
        name: r.get(1)?,
        parent_id: r.get(2)?,
        version: r.get(3)?,
    })
}

/// Every department, by name.
pub fn all(conn: &Connection) -> rusqlite::Result<Vec<Department>> {
    let mut stmt = conn.prepare_cached(
        "SELECT id, name, parent_id, version FROM departments ORDER BY name COLLATE NOCASE, id",
    )?;
    stmt.query_map([], department)?.collect()
}

/// One department.
pub fn get(conn: &Connection, id: i64) -> rusqlite::Result<Option<Department>> {
    conn.query_row(
        "SELECT id, name, parent_id, version FROM departments WHERE id = ?1",
        [id],
        department,
    )
    .optional()
}

/// Whether a sibling (same parent) other than `except` has this name.
pub fn name_taken(
    conn: &Connection,
    parent: Option<i64>,
    name: &str,
    except: Option<i64>,
) -> rusqlite::Result<bool> {
    conn.query_row(
        "SELECT EXISTS (SELECT 1 FROM departments WHERE ifnull(parent_id, 0) = ifnull(?1, 0)
                        AND name = ?2 AND id IS NOT ifnull(?3, -1))",
        params![parent, name, except],
        |r| r.get(0),
    )
}

/// Adds a department.
pub fn insert(conn: &Connection, name: &str, parent: Option<i64>) -> rusqlite::Result<i64> {
    let now = crate::db::now();
    conn.execute(
        "INSERT INTO departments (name, parent_id, created_at, updated_at) VALUES (?1, ?2, ?3, ?3)",
        params![name, parent, now],
    )?;
    Ok(conn.last_insert_rowid())
}

/// Renames and moves a department if it is still at `version`; returns rows changed.
pub fn update(
    conn: &Connection,
    id: i64,
    version: i64,
    name: &str,
    parent: Option<i64>,
) -> rusqlite::Result<usize> {
    conn.execute(
        "UPDATE departments SET name = ?3, parent_id = ?4, updated_at = ?5, version = version + 1
         WHERE id = ?1 AND version = ?2",
        params![id, version, name, parent, crate::db::now()],
    )
}

/// Removes a department.
pub fn delete(conn: &Connection, id: i64) -> rusqlite::Result<usize> {
    conn.execute("DELETE FROM departments WHERE id = ?1", [id])
}

/// The department and every department below it, at any depth.
pub fn subtree(conn: &Connection, id: i64) -> rusqlite::Result<Vec<i64>> {
    let mut stmt = conn.prepare_cached(
        "WITH RECURSIVE t(id) AS (SELECT ?1 UNION SELECT d.id FROM departments d JOIN t ON d.parent_id = t.id)
         SELECT id FROM t",
    )?;
    stmt.query_map([id], |r| r.get(0))?.collect()
}

/// Child departments and members of a department.
pub fn occupancy(conn: &Connection, id: i64) -> rusqlite::Result<(i64, i64)> {
    conn.query_row(
        "SELECT (SELECT count(*) FROM departments WHERE parent_id = ?1),
                (SELECT count(*) FROM users WHERE department_id = ?1)",
        [id],
        |r| Ok((r.get(0)?, r.get(1)?)),
    )
}

/// Every active user with their place.
pub fn members(conn: &Connection) -> rusqlite::Result<Vec<Member>> {
    let mut stmt = conn.prepare_cached(
        "SELECT u.id, u.name, u.email, u.role, u.department_id, u.manager_id, m.name,
                (SELECT r.name FROM roles r WHERE r.key = u.role)
         FROM users u LEFT JOIN users m ON m.id = u.manager_id
         WHERE u.disabled_at IS NULL ORDER BY u.name COLLATE NOCASE, u.id",
    )?;
    stmt.query_map([], |r| {
        Ok(Member {
            id: r.get(0)?,
            name: r.get(1)?,
            email: r.get(2)?,
            role: r.get(3)?,
            department_id: r.get(4)?,
            manager_id: r.get(5)?,
            manager_name: r.get(6)?,
            role_name: r.get(7)?,
        })
    })?
    .collect()
}

/// A user's name, department and manager.
pub type Place = (String, Option<i64>, Option<i64>);

/// One user's place: (name, department, manager), or `None` when there is no such user.
pub fn place(conn: &Connection, user: i64) -> rusqlite::Result<Option<Place>> {
    conn.query_row(
        "SELECT name, department_id, manager_id FROM users WHERE id = ?1",
        [user],
        |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)),
    )
    .optional()
}

/// The user's managers, nearest first (stops at a loop).
pub fn manager_chain(conn: &Connection, user: i64) -> rusqlite::Result<Vec<i64>> {
    let mut stmt = conn.prepare_cached(
        "WITH RECURSIVE c(id, depth) AS (
            SELECT manager_id, 1 FROM users WHERE id = ?1 AND manager_id IS NOT NULL
            UNION SELECT u.manager_id, c.depth + 1 FROM users u JOIN c ON u.id = c.id
                  WHERE u.manager_id IS NOT NULL AND c.depth < 100)
         SELECT id FROM c ORDER BY depth",
    )?;
    stmt.query_map([user], |r| r.get(0))?.collect()
}

/// Sets a user's department and manager.
pub fn set_place(
    conn: &Connection,
    user: i64,
    department: Option<i64>,
    manager: Option<i64>,
) -> rusqlite::Result<usize> {
    conn.execute(
        "UPDATE users SET department_id = ?2, manager_id = ?3, updated_at = ?4, version = version + 1
         WHERE id = ?1",
        params![user, department, manager, crate::db::now()],
    )
}

/// A manager's team: themself, everyone reporting to them at any depth, and everyone in
/// their department and its sub-departments.
pub fn team(conn: &Connection, user: i64) -> rusqlite::Result<Vec<i64>> {
    let mut stmt = conn.prepare_cached(
        "WITH RECURSIVE
           subs(id) AS (SELECT ?1 UNION SELECT u.id FROM users u JOIN subs ON u.manager_id = subs.id),
           depts(id) AS (SELECT department_id FROM users WHERE id = ?1 AND department_id IS NOT NULL
                         UNION SELECT d.id FROM departments d JOIN depts ON d.parent_id = depts.id)
         SELECT id FROM subs
         UNION SELECT id FROM users WHERE department_id IN (SELECT id FROM depts)
         ORDER BY 1",
    )?;
    stmt.query_map([user], |r| r.get(0))?.collect()
}

/// A manager's team (see [`team`]) as departments: their department with its
/// sub-departments, and the team members in none of them (reports placed elsewhere, or the
/// user when they have no department). Both sorted.
pub fn team_departments(conn: &Connection, user: i64) -> rusqlite::Result<(Vec<i64>, Vec<i64>)> {
    let mut depts = conn.prepare_cached(
        "WITH RECURSIVE
           depts(id) AS (SELECT department_id FROM users WHERE id = ?1 AND department_id IS NOT NULL
                         UNION SELECT d.id FROM departments d JOIN depts ON d.parent_id = depts.id)
         SELECT id FROM depts ORDER BY 1",
    )?;
    let ids = depts
        .query_map([user], |r| r.get(0))?
        .collect::<rusqlite::Result<Vec<i64>>>()?;
    let mut others = conn.prepare_cached(
        "WITH RECURSIVE
           subs(id) AS (SELECT ?1 UNION SELECT u.id FROM users u JOIN subs ON u.manager_id = subs.id),
           depts(id) AS (SELECT department_id FROM users WHERE id = ?1 AND department_id IS NOT NULL
                         UNION SELECT d.id FROM departments d JOIN depts ON d.parent_id = depts.id)
         SELECT u.id FROM subs JOIN users u ON u.id = subs.id
          WHERE u.department_id IS NULL OR u.department_id NOT IN (SELECT id FROM depts)
         ORDER BY 1",
    )?;
    let others = others
        .query_map([user], |r| r.get(0))?
        .collect::<rusqlite::Result<Vec<i64>>>()?;
    Ok((ids, others))
}

/// A user and their reports at any depth, sorted.
pub fn subordinates(conn: &Connection, user: i64) -> rusqlite::Result<Vec<i64>> {
    let mut stmt = conn.prepare_cached(
        "WITH RECURSIVE
           subs(id) AS (SELECT ?1 UNION SELECT u.id FROM users u JOIN subs ON u.manager_id = subs.id)
         SELECT id FROM subs ORDER BY 1",
    )?;
    stmt.query_map([user], |r| r.get(0))?.collect()
}
