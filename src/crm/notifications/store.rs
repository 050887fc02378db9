//! SQL for notifications, and for the jobs that send reminders and stalled-deal alerts.

use rusqlite::{Connection, OptionalExtension, Row, params};
use serde_json::Value;

/// Adds a notification for `user`.
pub fn insert(
    conn: &Connection,
    user: i64,
    kind: &str,
    params: &Value,
    link: &str,
) -> rusqlite::Result<i64> {
    conn.execute(
        "INSERT INTO notifications (user_id, kind, params, link, created_at) VALUES (?1, ?2, ?3, ?4, ?5)",
        rusqlite::params![user, kind, params.to_string(), link, crate::db::now()],
    )?;
    Ok(conn.last_insert_rowid())
}

/// A stored notification, before its message is put into words.
#[derive(Debug, Clone)]
pub struct Stored {
    /// Id; also the keyset for paging (newest first).
    pub id: i64,
    /// Names the message, `notification.<kind>`.
    pub kind: String,
    /// The message's parameters, as stored (JSON).
    pub params: String,
    /// Where it leads.
    pub link: Option<String>,
    /// When it was sent (UTC).
    pub created_at: String,
    /// When its recipient opened it or marked it read.
    pub read_at: Option<String>,
}

fn row(r: &Row<'_>) -> rusqlite::Result<Stored> {
    Ok(Stored {
        id: r.get(0)?,
        kind: r.get(1)?,
        params: r.get(2)?,
        link: r.get(3)?,
        created_at: r.get(4)?,
        read_at: r.get(5)?,
    })
}

/// One page of `user`'s notifications older than `before` (any when `None`), newest first;
/// `unread_only` keeps the unread ones. Both forms read one index range.
pub fn page(
    conn: &Connection,
    user: i64,
    before: Option<i64>,
    unread_only: bool,
    limit: i64,
) -> rusqlite::Result<Vec<Stored>> {
    let before = before.unwrap_or(i64::MAX);
    let sql = if unread_only {
        "SELECT id, kind, params, link, created_at, read_at FROM notifications
         WHERE user_id = ?1 AND read_at IS NULL AND id < ?2 ORDER BY id DESC LIMIT ?3"
    } else {
        "SELECT id, kind, params, link, created_at, read_at FROM notifications
         WHERE user_id = ?1 AND id < ?2 ORDER BY id DESC LIMIT ?3"
    };
    let mut stmt = conn.prepare_cached(sql)?;
    stmt.query_map(params![user, before, limit], row)?.collect()
}

/// How many unread notifications `user` has, counting no further than `cap`: the header
/// shows "99+" beyond that, and the count stays cheap however many pile up.
pub fn unread_count(conn: &Connection, user: i64, cap: i64) -> rusqlite::Result<i64> {
    let mut stmt = conn.prepare_cached(
        "SELECT count(*) FROM (SELECT 1 FROM notifications
         WHERE user_id = ?1 AND read_at IS NULL LIMIT ?2)",
    )?;
    stmt.query_row(params![user, cap], |r| r.get(0))
}

/// Marks one of `user`'s notifications read (keeping the first time) and returns where it
/// leads; `None` when `user` has no such notification.
pub fn mark_read(
    conn: &Connection,
    user: i64,
    id: i64,
    now: &str,
) -> rusqlite::Result<Option<Option<String>>> {
    conn.query_row(
        "UPDATE notifications SET read_at = coalesce(read_at, ?3)
         WHERE id = ?1 AND user_id = ?2 RETURNING link",
        params![id, user, now],
        |r| r.get(0),
    )
    .optional()
}

/// Marks all of `user`'s unread notifications read; returns how many.
pub fn mark_all_read(conn: &Connection, user: i64, now: &str) -> rusqlite::Result<usize> {
    conn.execute(
        "UPDATE notifications SET read_at = ?2 WHERE user_id = ?1 AND read_at IS NULL",
        params![user, now],
    )
}

/// An open task whose reminder is due.
#[derive(Debug, Clone)]
pub struct DueTask {
    /// Id.
    pub id: i64,
    /// What to do.
    pub title: String,
    /// Its due date, YYYY-MM-DD.
    pub due_date: String,
    /// Who is to do it.
    pub assignee_id: i64,
    /// Whether that person can still sign in (no reminders to a disabled account).
    pub assignee_active: bool,
    /// The record it belongs to: a deal, a contact or a company.
    pub deal_id: Option<i64>,
    /// See `deal_id`.
    pub contact_id: Option<i64>,
    /// See `deal_id`.
    pub company_id: Option<i64>,
}

/// Up to `limit` open, assigned tasks due on or before `today` whose reminder for their
/// current due date has not been sent (read from the `tasks_to_remind` index).
pub fn tasks_to_remind(
    conn: &Connection,
    today: &str,
    limit: i64,
) -> rusqlite::Result<Vec<DueTask>> {
    let mut stmt = conn.prepare_cached(
        "SELECT t.id, t.title, t.due_date, t.assignee_id, u.disabled_at IS NULL,
                t.deal_id, t.contact_id, t.company_id
         FROM tasks t JOIN users u ON u.id = t.assignee_id
         WHERE t.done_at IS NULL AND t.assignee_id IS NOT NULL
           AND t.reminded_due IS NOT t.due_date AND t.due_date <= ?1
         LIMIT ?2",
    )?;
    stmt.query_map(params![today, limit], |r| {
        Ok(DueTask {
            id: r.get(0)?,
            title: r.get(1)?,
            due_date: r.get(2)?,
            assignee_id: r.get(3)?,
            assignee_active: r.get(4)?,
            deal_id: r.get(5)?,
            contact_id: r.get(6)?,
            company_id: r.get(7)?,
        })
    })?
    .collect()
}

/// Records that a task's reminder for its due date `due` was sent at `now`.
pub fn mark_reminded(conn: &Connection, task: i64, due: &str, now: &str) -> rusqlite::Result<()> {
    conn.execute(
        "UPDATE tasks SET reminded_at = ?3, reminded_due = ?2 WHERE id = ?1",
        params![task, due, now],
    )?;
    Ok(())
}

/// A live open deal that has gone quiet for longer than its stage allows.
#[derive(Debug, Clone)]
pub struct QuietDeal {
    /// Id.
    pub id: i64,
    /// Name.
    pub name: String,
    /// Its stage's name.
    pub stage: String,
    /// How many quiet days the stage allows.
    pub stall_days: i64,
    /// Its owner, if the owner can still sign in.
    pub owner_id: Option<i64>,
    /// The owner's name, for the manager's message.
    pub owner_name: Option<String>,
    /// The owner's manager, if that manager can still sign in.
    pub manager_id: Option<i64>,
}

/// Up to `limit` live deals at an open stage with `stall_days` whose latest follow-up (or
/// arrival at the stage) is older than `stall_days` before `now`, not yet found stalled.
/// `now` is a stored UTC time; each stage's deals come from the `deals_stall_watch` index.
pub fn quiet_deals(conn: &Connection, now: &str, limit: i64) -> rusqlite::Result<Vec<QuietDeal>> {
    let mut stmt = conn.prepare_cached(
        "SELECT d.id, d.name, s.name, s.stall_days,
                CASE WHEN o.disabled_at IS NULL THEN o.id END, o.name,
                CASE WHEN m.disabled_at IS NULL THEN m.id END
         FROM stages s
         JOIN deals d ON d.stage_id = s.id AND d.deleted_at IS NULL AND d.stalled_at IS NULL
              AND coalesce(d.last_activity_at, d.stage_entered_at)
                  < strftime('%Y-%m-%dT%H:%M:%fZ', ?1, '-' || s.stall_days || ' days')
         LEFT JOIN users o ON o.id = d.owner_id
         LEFT JOIN users m ON m.id = o.manager_id
         WHERE s.outcome = 'open' AND s.stall_days IS NOT NULL
         LIMIT ?2",
    )?;
    stmt.query_map(params![now, limit], |r| {
        Ok(QuietDeal {
            id: r.get(0)?,
            name: r.get(1)?,
            stage: r.get(2)?,
            stall_days: r.get(3)?,
            owner_id: r.get(4)?,
            owner_name: r.get(5)?,
            manager_id: r.get(6)?,
        })
    })?
    .collect()
}

/// Marks a deal stalled as of `now`. Neither `version` nor `updated_at` moves: nobody
/// edited the deal, and a person editing it meanwhile must not get a conflict for it.
pub fn mark_stalled(conn: &Connection, deal: i64, now: &str) -> rusqlite::Result<usize> {
    conn.execute(
        "UPDATE deals SET stalled_at = ?2 WHERE id = ?1 AND stalled_at IS NULL",
        params![deal, now],
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn plan(conn: &Connection, sql: &str) -> String {
        let mut stmt = conn.prepare(&format!("EXPLAIN QUERY PLAN {sql}")).unwrap();
        let rows = stmt
            .query_map([], |r| r.get::<_, String>(3))
            .unwrap()
            .map(Result::unwrap)
            .collect::<Vec<_>>();
        rows.join(" | ")
    }

    #[test]
    fn the_header_count_reads_only_the_unread_index() {
        let conn = crate::db::memory().unwrap();
        let p = plan(
            &conn,
            "SELECT count(*) FROM (SELECT 1 FROM notifications
             WHERE user_id = 1 AND read_at IS NULL LIMIT 100)",
        );
        assert!(p.contains("notifications_unread"), "{p}");
        assert!(!p.contains("SCAN notifications"), "{p}");
    }

    #[test]
    fn both_list_pages_read_an_index_range_without_sorting() {
        let conn = crate::db::memory().unwrap();
        for unread in ["AND read_at IS NULL", ""] {
            let p = plan(
                &conn,
                &format!(
                    "SELECT id, kind FROM notifications WHERE user_id = 1 {unread}
                     AND id < 50 ORDER BY id DESC LIMIT 20"
                ),
            );
            assert!(p.contains("USING INDEX"), "{p}");
            assert!(!p.contains("TEMP B-TREE"), "{p}");
        }
    }

    #[test]
    fn the_jobs_read_their_watch_indexes() {
        let conn = crate::db::memory().unwrap();
        let p = plan(
            &conn,
            "SELECT t.id FROM tasks t JOIN users u ON u.id = t.assignee_id
             WHERE t.done_at IS NULL AND t.assignee_id IS NOT NULL
               AND t.reminded_due IS NOT t.due_date AND t.due_date <= '2026-01-01'",
        );
        assert!(p.contains("tasks_to_remind"), "{p}");
        let p = plan(
            &conn,
            "SELECT d.id FROM stages s
             JOIN deals d ON d.stage_id = s.id AND d.deleted_at IS NULL AND d.stalled_at IS NULL
                  AND coalesce(d.last_activity_at, d.stage_entered_at)
                      < strftime('%Y-%m-%dT%H:%M:%fZ', '2026-01-01', '-' || s.stall_days || ' days')
             WHERE s.outcome = 'open' AND s.stall_days IS NOT NULL",
        );
        assert!(p.contains("deals_stall_watch"), "{p}");
    }
}
