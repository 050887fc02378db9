//! SQL for lead assignment rules and the facts they are decided on (who is in a
//! department, how many open leads each person holds).

use super::assign::{Condition, RuleInput};
use rusqlite::{Connection, OptionalExtension, Row, params};
use serde::Serialize;

/// An assignment rule as stored, with the names of its target for display.
#[derive(Debug, Clone, Serialize)]
pub struct Rule {
    /// Id.
    pub id: i64,
    /// Name shown to administrators.
    pub name: String,
    /// Order in which rules are tried (lowest first).
    pub position: i64,
    /// Conditions that must all hold; none means the rule catches every lead.
    pub conditions: Vec<Condition>,
    /// The department whose members share the leads (round robin, least open).
    pub department_id: Option<i64>,
    /// The one person who gets the leads (fixed).
    pub user_id: Option<i64>,
    /// `round_robin`, `least_open` or `fixed`.
    pub method: String,
    /// Who got the last lead, where the round robin continues from.
    pub last_user_id: Option<i64>,
    /// Tried at all.
    pub active: bool,
    /// Version for optimistic concurrency.
    pub version: i64,
    /// The department's name.
    pub department_name: Option<String>,
    /// The fixed person's name.
    pub user_name: Option<String>,
}

const SELECT: &str = "SELECT r.id, r.name, r.position, r.conditions, r.department_id, r.user_id,
        r.method, r.last_user_id, r.active, r.version,
        (SELECT d.name FROM departments d WHERE d.id = r.department_id),
        (SELECT u.name FROM users u WHERE u.id = r.user_id)
    FROM assignment_rules r";

fn rule(r: &Row<'_>) -> rusqlite::Result<Rule> {
    let conditions: String = r.get(3)?;
    Ok(Rule {
        id: r.get(0)?,
        name: r.get(1)?,
        position: r.get(2)?,
        conditions: serde_json::from_str(&conditions).unwrap_or_default(),
        department_id: r.get(4)?,
        user_id: r.get(5)?,
        method: r.get(6)?,
        last_user_id: r.get(7)?,
        active: r.get(8)?,
        version: r.get(9)?,
        department_name: r.get(10)?,
        user_name: r.get(11)?,
    })
}

/// Every rule in the order they are tried.
pub fn all(conn: &Connection) -> rusqlite::Result<Vec<Rule>> {
    let mut stmt = conn.prepare_cached(&format!("{SELECT} ORDER BY r.position, r.id"))?;
    stmt.query_map([], rule)?.collect()
}

/// The active rules in the order they are tried.
pub fn active(conn: &Connection) -> rusqlite::Result<Vec<Rule>> {
    let mut stmt = conn.prepare_cached(&format!(
        "{SELECT} WHERE r.active = 1 ORDER BY r.position, r.id"
    ))?;
    stmt.query_map([], rule)?.collect()
}

/// One rule.
pub fn get(conn: &Connection, id: i64) -> rusqlite::Result<Option<Rule>> {
    conn.query_row(&format!("{SELECT} WHERE r.id = ?1"), [id], rule)
        .optional()
}

fn conditions_json(c: &[Condition]) -> String {
    serde_json::to_string(c).unwrap_or_else(|_| "[]".into())
}

/// Adds a rule after the others; returns its id.
pub fn insert(conn: &Connection, r: &RuleInput) -> rusqlite::Result<i64> {
    conn.execute(
        "INSERT INTO assignment_rules (name, position, conditions, department_id, user_id, method,
                                       active, created_at, updated_at)
         VALUES (?1, (SELECT coalesce(max(position), 0) + 1 FROM assignment_rules),
                 ?2, ?3, ?4, ?5, ?6, ?7, ?7)",
        params![
            r.name,
            conditions_json(&r.conditions),
            r.department_id,
            r.user_id,
            r.method,
            r.active,
            crate::db::now()
        ],
    )?;
    Ok(conn.last_insert_rowid())
}

/// Saves an edit made on `version`; returns rows changed (0: changed meanwhile).
pub fn update(conn: &Connection, id: i64, version: i64, r: &RuleInput) -> rusqlite::Result<usize> {
    conn.execute(
        "UPDATE assignment_rules SET name = ?3, conditions = ?4, department_id = ?5, user_id = ?6,
                method = ?7, active = ?8, updated_at = ?9, version = version + 1
         WHERE id = ?1 AND version = ?2",
        params![
            id,
            version,
            r.name,
            conditions_json(&r.conditions),
            r.department_id,
            r.user_id,
            r.method,
            r.active,
            crate::db::now()
        ],
    )
}

/// Turns a rule on or off.
pub fn set_active(conn: &Connection, id: i64, active: bool) -> rusqlite::Result<usize> {
    conn.execute(
        "UPDATE assignment_rules SET active = ?2, updated_at = ?3, version = version + 1
         WHERE id = ?1",
        params![id, active, crate::db::now()],
    )
}

/// Moves a rule to a position.
pub fn set_position(conn: &Connection, id: i64, position: i64) -> rusqlite::Result<usize> {
    conn.execute(
        "UPDATE assignment_rules SET position = ?2, updated_at = ?3, version = version + 1
         WHERE id = ?1",
        params![id, position, crate::db::now()],
    )
}

/// Records who got the last lead. Not a version change: an administrator editing the rule
/// meanwhile is not refused because leads kept arriving.
pub fn set_last_user(conn: &Connection, id: i64, user: i64) -> rusqlite::Result<usize> {
    conn.execute(
        "UPDATE assignment_rules SET last_user_id = ?2 WHERE id = ?1",
        params![id, user],
    )
}

/// Active members of a department and its sub-departments, by id (the round robin's
/// stable order), each with the number of open leads (status new or working) they own.
pub fn members_with_open_leads(conn: &Connection, dept: i64) -> rusqlite::Result<Vec<(i64, i64)>> {
    let mut stmt = conn.prepare_cached(
        "WITH RECURSIVE t(id) AS (SELECT ?1 UNION SELECT d.id FROM departments d JOIN t ON d.parent_id = t.id)
         SELECT u.id,
                (SELECT count(*) FROM leads l WHERE l.owner_id = u.id AND l.deleted_at IS NULL
                    AND l.status IN ('new', 'working'))
         FROM users u
         WHERE u.department_id IN (SELECT id FROM t) AND u.disabled_at IS NULL
         ORDER BY u.id",
    )?;
    stmt.query_map([dept], |r| Ok((r.get(0)?, r.get(1)?)))?
        .collect()
}

/// Whether a user exists and may sign in.
pub fn user_active(conn: &Connection, id: i64) -> rusqlite::Result<bool> {
    Ok(conn
        .query_row(
            "SELECT 1 FROM users WHERE id = ?1 AND disabled_at IS NULL",
            [id],
            |_| Ok(()),
        )
        .optional()?
        .is_some())
}

/// A department's name, if it exists.
pub fn department_name(conn: &Connection, id: i64) -> rusqlite::Result<Option<String>> {
    conn.query_row("SELECT name FROM departments WHERE id = ?1", [id], |r| {
        r.get(0)
    })
    .optional()
}

/// A user's name, if they exist.
pub fn user_name(conn: &Connection, id: i64) -> rusqlite::Result<Option<String>> {
    conn.query_row("SELECT name FROM users WHERE id = ?1", [id], |r| r.get(0))
        .optional()
}

/// The industry above an industry, if any.
pub fn industry_parent(conn: &Connection, id: i64) -> rusqlite::Result<Option<i64>> {
    Ok(conn
        .query_row(
            "SELECT parent_id FROM industries WHERE id = ?1",
            [id],
            |r| r.get(0),
        )
        .optional()?
        .flatten())
}

/// Notes which rule placed a lead.
pub fn set_lead_rule(conn: &Connection, lead: i64, rule: i64) -> rusqlite::Result<usize> {
    conn.execute(
        "UPDATE leads SET rule_id = ?2 WHERE id = ?1",
        params![lead, rule],
    )
}
