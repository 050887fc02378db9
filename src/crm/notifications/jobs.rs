//! The scheduled jobs that feed the notification centre: task reminders and stalled-deal
//! alerts. Both take the current time as an argument, so tests run them at any moment
//! they choose instead of waiting for it.
//!
//! Each job works in batches, one audited transaction per batch, so the writer is never
//! held for long; a backlog (the first run on a large database) is capped per run and
//! drains over the next runs.

use super::store::{self, DueTask, QuietDeal};
use super::{DEAL_STALLED, DEAL_STALLED_TEAM, TASK_DUE, notify};
use crate::audit::Event;
use crate::db::{Actor, Db, Tx};
use crate::error::AppError;
use chrono::{DateTime, NaiveDate, Utc};
use serde::Serialize;
use serde_json::json;

/// Rows handled per transaction.
const BATCH: i64 = 200;
/// Rows each job handles at most per run.
const MAX_PER_RUN: usize = 5_000;

/// What one run did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct JobReport {
    /// Tasks whose due reminder was sent.
    pub tasks_reminded: usize,
    /// Deals newly found stalled.
    pub deals_stalled: usize,
    /// Notifications written, all jobs together.
    pub notifications: usize,
}

/// Runs every job that is due at `now`: reminders for tasks due today (in the company's
/// time zone) or earlier, then alerts for deals that stalled.
pub fn run_due(db: &Db, now: DateTime<Utc>) -> Result<JobReport, AppError> {
    let mut report = JobReport::default();
    let today = company_today(db, now)?;
    remind_tasks(db, now, today, &mut report)?;
    alert_stalled(db, now, &mut report)?;
    Ok(report)
}

/// The date at `now` in the company's time zone (Asia/Shanghai until one is set up).
fn company_today(db: &Db, now: DateTime<Utc>) -> Result<NaiveDate, AppError> {
    let zone = db.read_blocking(|c| Ok(crate::crm::settings::store::get(c)?))?;
    let tz: chrono_tz::Tz = zone
        .and_then(|c| c.time_zone.parse().ok())
        .unwrap_or(chrono_tz::Asia::Shanghai);
    Ok(now.with_timezone(&tz).date_naive())
}

/// A time as the database stores it.
fn stamp(t: DateTime<Utc>) -> String {
    t.format("%Y-%m-%dT%H:%M:%S%.3fZ").to_string()
}

/// Runs `step` in audited transactions until it finds nothing more to do or the run's cap
/// is reached; `step` handles one batch and returns (rows handled, notifications sent). A
/// step that finds nothing returns `NotFound`, which rolls its empty transaction back (the
/// write path commits only audited changes). Returns the sums.
fn in_batches(
    db: &Db,
    mut step: impl FnMut(&mut Tx<'_>) -> Result<(usize, usize), AppError>,
) -> Result<(usize, usize), AppError> {
    let (mut rows, mut sent) = (0, 0);
    while rows < MAX_PER_RUN {
        match db.write_blocking(Actor::system("scheduler"), &mut step) {
            Ok((n, s)) => {
                rows += n;
                sent += s;
                if n < BATCH as usize {
                    break;
                }
            }
            Err(AppError::NotFound) => break,
            Err(e) => return Err(e),
        }
    }
    Ok((rows, sent))
}

fn remind_tasks(
    db: &Db,
    now: DateTime<Utc>,
    today: NaiveDate,
    report: &mut JobReport,
) -> Result<(), AppError> {
    let (today, at) = (today.to_string(), stamp(now));
    let (tasks, sent) = in_batches(db, |tx| {
        let due = store::tasks_to_remind(tx.conn(), &today, BATCH)?;
        if due.is_empty() {
            return Err(AppError::NotFound);
        }
        let mut sent = 0;
        for task in &due {
            sent += remind(tx, task, &at)?;
        }
        Ok((due.len(), sent))
    })?;
    report.tasks_reminded += tasks;
    report.notifications += sent;
    Ok(())
}

/// Where a task's reminder leads: the record the task belongs to.
fn task_link(task: &DueTask) -> String {
    match (task.deal_id, task.contact_id, task.company_id) {
        (Some(deal), _, _) => format!("/deals/{deal}"),
        (None, Some(contact), _) => format!("/contacts/{contact}"),
        (None, None, Some(company)) => format!("/companies/{company}"),
        (None, None, None) => "/today".to_string(),
    }
}

/// Sends one task's reminder (unless its assignee was disabled) and marks it sent for its
/// due date; returns the number of notifications written.
fn remind(tx: &mut Tx<'_>, task: &DueTask, at: &str) -> Result<usize, AppError> {
    let mut sent = 0;
    if task.assignee_active {
        let params = json!({ "task": task.title, "due": task.due_date });
        notify(tx, task.assignee_id, TASK_DUE, &params, &task_link(task))?;
        sent += 1;
    }
    store::mark_reminded(tx.conn(), task.id, &task.due_date, at)?;
    tx.audit(Event::new("task.reminded").entity("task", task.id).change(
        "reminded_due",
        None::<String>,
        task.due_date.clone(),
    ))?;
    Ok(sent)
}

fn alert_stalled(db: &Db, now: DateTime<Utc>, report: &mut JobReport) -> Result<(), AppError> {
    let at = stamp(now);
    let (deals, sent) = in_batches(db, |tx| {
        let quiet = store::quiet_deals(tx.conn(), &at, BATCH)?;
        if quiet.is_empty() {
            return Err(AppError::NotFound);
        }
        let mut sent = 0;
        for deal in &quiet {
            sent += stall(tx, deal, &at)?;
        }
        Ok((quiet.len(), sent))
    })?;
    report.deals_stalled += deals;
    report.notifications += sent;
    Ok(())
}

/// Marks one deal stalled, tells its owner and the owner's manager, and audits it; returns
/// the number of notifications written.
fn stall(tx: &mut Tx<'_>, deal: &QuietDeal, at: &str) -> Result<usize, AppError> {
    store::mark_stalled(tx.conn(), deal.id, at)?;
    let link = format!("/deals/{}", deal.id);
    let mut sent = 0;
    if let Some(owner) = deal.owner_id {
        let params = json!({ "deal": deal.name, "stage": deal.stage, "days": deal.stall_days });
        notify(tx, owner, DEAL_STALLED, &params, &link)?;
        sent += 1;
    }
    if let Some(manager) = deal.manager_id.filter(|m| Some(*m) != deal.owner_id) {
        let params = json!({
            "deal": deal.name,
            "stage": deal.stage,
            "days": deal.stall_days,
            "owner": deal.owner_name.clone().unwrap_or_default(),
        });
        notify(tx, manager, DEAL_STALLED_TEAM, &params, &link)?;
        sent += 1;
    }
    tx.audit(Event::new("deal.stalled").entity("deal", deal.id).change(
        "stalled_at",
        None::<String>,
        at.to_string(),
    ))?;
    Ok(sent)
}

#[cfg(test)]
mod tests {
    use super::*;
    use rusqlite::Connection;

    #[test]
    fn the_upgrade_counts_tasks_already_overdue_as_reminded_but_not_later_ones() {
        // Arrange: a database at the version before reminders, with tasks in it.
        let conn = Connection::open_in_memory().unwrap();
        let all = crate::db::migrations();
        let upto = all
            .iter()
            .position(|m| m.description == "task reminders")
            .unwrap();
        crate::db::migrate_with(&conn, &all[..upto]).unwrap();
        conn.execute_batch(
            "INSERT INTO tasks (title, due_date, created_at, updated_at) VALUES
                ('old', '2000-01-01', 't', 't'), ('later', '2999-01-01', 't', 't')",
        )
        .unwrap();
        // Act
        crate::db::migrate(&conn).unwrap();
        // Assert
        let reminded = |title: &str| -> Option<String> {
            conn.query_row(
                "SELECT reminded_due FROM tasks WHERE title = ?1",
                [title],
                |r| r.get(0),
            )
            .unwrap()
        };
        assert_eq!(reminded("old").as_deref(), Some("2000-01-01"));
        assert_eq!(reminded("later"), None);
    }

    #[test]
    fn today_follows_the_company_time_zone() {
        let dir = tempfile::tempdir().unwrap();
        let db = Db::open(&dir.path().join("kith.db"), 1).unwrap();
        // 17:00 UTC is already the next day in Shanghai (the default before setup).
        let now = "2026-03-01T17:00:00Z".parse::<DateTime<Utc>>().unwrap();
        assert_eq!(company_today(&db, now).unwrap().to_string(), "2026-03-02");
        db.write_blocking(Actor::cli(), |tx| {
            tx.conn().execute(
                "INSERT INTO company_profile (id, name, time_zone, updated_at)
                 VALUES (1, 'Acme', 'America/New_York', 't')",
                [],
            )?;
            tx.audit(Event::new("settings.update"))?;
            Ok(())
        })
        .unwrap();
        assert_eq!(company_today(&db, now).unwrap().to_string(), "2026-03-01");
    }
}
