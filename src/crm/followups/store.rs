//! SQL for follow-ups and tasks.

mod reach;

pub use reach::{
    ActivityItem, Narrow, Reach, TaskItem, activity, activity_page, due_sort_value, task_item_of,
    task_page,
};

use super::{Activity, Subject};
use chrono::NaiveDate;
use rusqlite::{Connection, Row, params};
use serde::Serialize;

/// A follow-up as shown on a timeline.
#[derive(Debug, Clone, Serialize)]
pub struct ActivityRow {
    /// Id.
    pub id: i64,
    /// Kind.
    pub kind: String,
    /// Outcome.
    pub outcome: Option<String>,
    /// Text.
    pub body: String,
    /// When (UTC).
    pub occurred_at: String,
    /// Next follow-up date.
    pub next_follow_up: Option<String>,
    /// Who logged it.
    pub author: Option<String>,
    /// The contact it was with, when shown on a company page.
    pub contact_id: Option<i64>,
    /// That contact's name.
    pub contact_name: Option<String>,
}

/// A task as shown in lists.
#[derive(Debug, Clone, Serialize)]
pub struct TaskRow {
    /// Id.
    pub id: i64,
    /// What to do.
    pub title: String,
    /// Due date.
    pub due_date: Option<String>,
    /// Done since.
    pub done_at: Option<String>,
    /// Assignee's name.
    pub assignee: Option<String>,
    /// Company.
    pub company_id: Option<i64>,
    /// Company name.
    pub company_name: Option<String>,
    /// Contact.
    pub contact_id: Option<i64>,
    /// Contact name.
    pub contact_name: Option<String>,
}

/// Inserts a follow-up.
pub fn insert_activity(
    conn: &Connection,
    s: Subject,
    a: &Activity,
    by: Option<i64>,
) -> rusqlite::Result<i64> {
    let now = crate::db::now();
    conn.execute(
        "INSERT INTO activities (company_id, contact_id, kind, outcome, body, occurred_at, next_follow_up,
                                 created_by, created_at, deal_id, lead_id)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?6, ?9, ?10)",
        params![s.company_id, s.contact_id, a.kind, a.outcome, a.body, now, a.next_follow_up.map(|d| d.to_string()), by, s.deal_id, s.lead_id],
    )?;
    Ok(conn.last_insert_rowid())
}

/// Inserts a task.
pub fn insert_task(
    conn: &Connection,
    s: Subject,
    title: &str,
    due: Option<NaiveDate>,
    assignee: Option<i64>,
    by: Option<i64>,
) -> rusqlite::Result<i64> {
    let now = crate::db::now();
    conn.execute(
        "INSERT INTO tasks (company_id, contact_id, title, due_date, assignee_id, created_by, created_at, updated_at, deal_id, lead_id)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?7, ?8, ?9)",
        params![s.company_id, s.contact_id, title, due.map(|d| d.to_string()), assignee, by, now, s.deal_id, s.lead_id],
    )?;
    Ok(conn.last_insert_rowid())
}

const TASK_COLUMNS: &str =
    "t.id, t.title, t.due_date, t.done_at, (SELECT name FROM users WHERE id = t.assignee_id),
    t.company_id, (SELECT name FROM companies WHERE id = t.company_id),
    t.contact_id, (SELECT name FROM contacts WHERE id = t.contact_id)";

fn task_row(r: &Row<'_>) -> rusqlite::Result<TaskRow> {
    Ok(TaskRow {
        id: r.get(0)?,
        title: r.get(1)?,
        due_date: r.get(2)?,
        done_at: r.get(3)?,
        assignee: r.get(4)?,
        company_id: r.get(5)?,
        company_name: r.get(6)?,
        contact_id: r.get(7)?,
        contact_name: r.get(8)?,
    })
}

/// One task.
pub fn task(conn: &Connection, id: i64) -> rusqlite::Result<TaskRow> {
    conn.query_row(
        &format!("SELECT {TASK_COLUMNS} FROM tasks t WHERE t.id = ?1"),
        [id],
        task_row,
    )
}

/// A task's version.
pub fn task_version(conn: &Connection, id: i64) -> rusqlite::Result<i64> {
    conn.query_row("SELECT version FROM tasks WHERE id = ?1", [id], |r| {
        r.get(0)
    })
}

/// Who a task is assigned to.
pub fn task_assignee(conn: &Connection, id: i64) -> rusqlite::Result<Option<i64>> {
    conn.query_row("SELECT assignee_id FROM tasks WHERE id = ?1", [id], |r| {
        r.get(0)
    })
}

/// The record a task belongs to: (its entity's code, its id). A deal's task is the deal's;
/// otherwise a task with a company is the company's.
pub fn task_record(conn: &Connection, id: i64) -> rusqlite::Result<(i64, i64)> {
    conn.query_row(
        "SELECT CASE WHEN deal_id IS NOT NULL THEN 2 WHEN lead_id IS NOT NULL THEN 3
                     WHEN company_id IS NOT NULL THEN 0 ELSE 1 END,
                coalesce(deal_id, lead_id, company_id, contact_id) FROM tasks WHERE id = ?1",
        [id],
        |r| Ok((r.get(0)?, r.get(1)?)),
    )
}

/// Marks a task done (with a time) or open (with `None`).
pub fn set_task_done(conn: &Connection, id: i64, at: Option<&str>) -> rusqlite::Result<usize> {
    conn.execute(
        "UPDATE tasks SET done_at = ?2, updated_at = ?3, version = version + 1 WHERE id = ?1",
        params![id, at, crate::db::now()],
    )
}

/// The column that ties follow-ups and tasks to records of the entity with `code`.
fn parent_column(code: i64) -> &'static str {
    match code {
        0 => "company_id",
        2 => "deal_id",
        3 => "lead_id",
        _ => "contact_id",
    }
}

/// Follow-ups of a company (including those with its contacts and on its deals), of a
/// contact, or of a deal (entity `code`), newest first.
pub fn activities(
    conn: &Connection,
    code: i64,
    id: i64,
    limit: usize,
) -> rusqlite::Result<Vec<ActivityRow>> {
    let filter = format!("a.{} = ?1", parent_column(code));
    let sql = format!(
        "SELECT a.id, a.kind, a.outcome, a.body, a.occurred_at, a.next_follow_up,
                (SELECT name FROM users WHERE id = a.created_by), a.contact_id,
                (SELECT name FROM contacts WHERE id = a.contact_id)
         FROM activities a WHERE {filter} ORDER BY a.occurred_at DESC, a.id DESC LIMIT ?2"
    );
    let mut stmt = conn.prepare(&sql)?;
    stmt.query_map(params![id, limit as i64], |r| {
        Ok(ActivityRow {
            id: r.get(0)?,
            kind: r.get(1)?,
            outcome: r.get(2)?,
            body: r.get(3)?,
            occurred_at: r.get(4)?,
            next_follow_up: r.get(5)?,
            author: r.get(6)?,
            contact_id: r.get(7)?,
            contact_name: r.get(8)?,
        })
    })?
    .collect()
}

/// Open tasks of a company (including its contacts' and deals'), a contact or a deal
/// (entity `code`), by due date.
pub fn open_tasks(conn: &Connection, code: i64, id: i64) -> rusqlite::Result<Vec<TaskRow>> {
    let filter = format!("t.{} = ?1", parent_column(code));
    let sql = format!(
        "SELECT {TASK_COLUMNS} FROM tasks t WHERE {filter} AND t.done_at IS NULL
         ORDER BY t.due_date IS NULL, t.due_date, t.id LIMIT 100"
    );
    let mut stmt = conn.prepare(&sql)?;
    stmt.query_map([id], task_row)?.collect()
}

/// A user's open tasks due up to `until` (and those without a date), by due date.
pub fn my_open_tasks(conn: &Connection, user: i64, until: &str) -> rusqlite::Result<Vec<TaskRow>> {
    let sql = format!(
        "SELECT {TASK_COLUMNS} FROM tasks t
         WHERE t.assignee_id = ?1 AND t.done_at IS NULL AND (t.due_date IS NULL OR t.due_date <= ?2)
         ORDER BY t.due_date IS NULL, t.due_date, t.id LIMIT 500"
    );
    let mut stmt = conn.prepare(&sql)?;
    stmt.query_map(params![user, until], task_row)?.collect()
}

/// Counts of a user's open tasks that are overdue and due today.
pub fn due_counts(conn: &Connection, user: i64, today: &str) -> rusqlite::Result<(i64, i64)> {
    conn.query_row(
        "SELECT count(*) FILTER (WHERE due_date < ?2), count(*) FILTER (WHERE due_date = ?2)
         FROM tasks WHERE assignee_id = ?1 AND done_at IS NULL AND due_date <= ?2",
        params![user, today],
        |r| Ok((r.get(0)?, r.get(1)?)),
    )
}
