//! Follow-ups (跟进记录) and tasks: what was done with a customer and what is to be done next.
//! Logging a follow-up with a next date creates the task for it, so nothing goes cold by
//! forgetting to write a reminder.

pub mod api;
pub mod pages;
pub mod store;

use crate::audit::Event;
use crate::db::Tx;
use crate::error::AppError;
use chrono::NaiveDate;
use serde::Deserialize;
use std::collections::BTreeMap;

/// Kinds of follow-up.
pub const KINDS: &[&str] = &["call", "visit", "meeting", "email", "note"];
/// Outcomes a follow-up can have.
pub const OUTCOMES: &[&str] = &[
    "reached",
    "no_answer",
    "interested",
    "not_interested",
    "quoted",
    "won",
];

/// Which record a follow-up or task belongs to.
#[derive(Debug, Clone, Copy)]
pub struct Subject {
    /// The company, also set for a contact that belongs to one.
    pub company_id: Option<i64>,
    /// The contact, if it is about a person.
    pub contact_id: Option<i64>,
    /// The deal, if it is about one (with the deal's company and contact set too).
    pub deal_id: Option<i64>,
    /// The lead, if it is about one.
    pub lead_id: Option<i64>,
}

/// The follow-up form.
#[derive(Debug, Clone, Default, Deserialize, serde::Serialize)]
pub struct ActivityInput {
    /// Kind.
    #[serde(default)]
    pub kind: String,
    /// Outcome (optional).
    #[serde(default)]
    pub outcome: String,
    /// What happened.
    #[serde(default)]
    pub body: String,
    /// Next follow-up date, YYYY-MM-DD (optional).
    #[serde(default)]
    pub next_follow_up: String,
    /// A task form's title, kept when that form comes back with an error.
    #[serde(default)]
    pub task_title: String,
    /// A task form's due date, kept likewise.
    #[serde(default)]
    pub task_due: String,
}

/// A validated follow-up.
#[derive(Debug, Clone)]
pub struct Activity {
    /// Kind.
    pub kind: String,
    /// Outcome.
    pub outcome: Option<String>,
    /// Text.
    pub body: String,
    /// Next date.
    pub next_follow_up: Option<NaiveDate>,
}

/// Field to i18n key of its problem.
pub type FieldErrors = BTreeMap<String, String>;

fn date(s: &str) -> Result<Option<NaiveDate>, ()> {
    let s = s.trim();
    if s.is_empty() {
        return Ok(None);
    }
    NaiveDate::parse_from_str(s, "%Y-%m-%d")
        .map(Some)
        .map_err(|_| ())
}

impl ActivityInput {
    /// Validates the form.
    pub fn parse(&self) -> Result<Activity, FieldErrors> {
        let mut errors = FieldErrors::new();
        if !KINDS.contains(&self.kind.as_str()) {
            errors.insert("kind".into(), "record.error.choice".into());
        }
        let outcome = match self.outcome.trim() {
            "" => None,
            o if OUTCOMES.contains(&o) => Some(o.to_string()),
            _ => {
                errors.insert("outcome".into(), "record.error.choice".into());
                None
            }
        };
        let body = self.body.trim();
        if body.is_empty() {
            errors.insert("body".into(), "record.error.required".into());
        } else if body.chars().count() > 10_000 {
            errors.insert("body".into(), "record.error.too_long".into());
        }
        let next = date(&self.next_follow_up).unwrap_or_else(|_| {
            errors.insert("next_follow_up".into(), "followup.error.date".into());
            None
        });
        if !errors.is_empty() {
            return Err(errors);
        }
        Ok(Activity {
            kind: self.kind.clone(),
            outcome,
            body: body.to_string(),
            next_follow_up: next,
        })
    }
}

/// Checks a task's title (1 to 300 characters) and due date (YYYY-MM-DD or blank); errors
/// are under the record page's task form names, `task_title` and `task_due`.
pub fn parse_task(title: &str, due: &str) -> Result<(String, Option<NaiveDate>), FieldErrors> {
    let title = title.trim();
    let mut errors = FieldErrors::new();
    if title.is_empty() || title.chars().count() > 300 {
        errors.insert("task_title".into(), "record.error.required".into());
    }
    let due = date(due).unwrap_or_else(|_| {
        errors.insert("task_due".into(), "followup.error.date".into());
        None
    });
    if errors.is_empty() {
        Ok((title.to_string(), due))
    } else {
        Err(errors)
    }
}

/// Logs a follow-up and, with a next date, the task to do it; both audited.
pub fn log(
    tx: &mut Tx<'_>,
    subject: Subject,
    a: &Activity,
    follow_up_title: &str,
) -> Result<i64, AppError> {
    let by = tx.actor().user_id;
    let id = store::insert_activity(tx.conn(), subject, a, by)?;
    if let Some(deal) = subject.deal_id {
        // A follow-up is what keeps a deal from counting as stalled.
        crate::crm::deals::store::followed_up(tx.conn(), deal)?;
    }
    if let Some(lead) = subject.lead_id {
        // A followed-up lead does not return to the pool.
        crate::crm::leads::convert::followed_up(tx.conn(), lead)?;
    }
    tx.audit(
        Event::new("activity.create")
            .entity("activity", id)
            .change("kind", None::<String>, a.kind.as_str())
            .change("outcome", None::<String>, a.outcome.clone())
            .change("body", None::<String>, a.body.as_str())
            .change(
                "next_follow_up",
                None::<String>,
                a.next_follow_up.map(|d| d.to_string()),
            ),
    )?;
    if let Some(due) = a.next_follow_up {
        add_task(tx, subject, follow_up_title, Some(due), by)?;
    }
    Ok(id)
}

/// Creates a task.
pub fn add_task(
    tx: &mut Tx<'_>,
    subject: Subject,
    title: &str,
    due: Option<NaiveDate>,
    assignee: Option<i64>,
) -> Result<i64, AppError> {
    let id = store::insert_task(tx.conn(), subject, title, due, assignee, tx.actor().user_id)?;
    tx.audit(
        Event::new("task.create")
            .entity("task", id)
            .change("title", None::<String>, title)
            .change("due_date", None::<String>, due.map(|d| d.to_string()))
            .change("assignee_id", None::<i64>, assignee),
    )?;
    Ok(id)
}

/// Marks a task done, or open again.
pub fn set_done(tx: &mut Tx<'_>, id: i64, done: bool) -> Result<(), AppError> {
    let task = store::task(tx.conn(), id)?;
    let at = done.then(crate::db::now);
    if task.done_at.is_some() == done {
        return Ok(());
    }
    store::set_task_done(tx.conn(), id, at.as_deref())?;
    tx.audit(
        Event::new(if done { "task.done" } else { "task.reopen" })
            .entity("task", id)
            .change("done_at", task.done_at, at),
    )?;
    Ok(())
}

/// [`set_done`] if the task is still at `version` (412 otherwise), for a change made on
/// what the client last read.
pub fn set_done_at(tx: &mut Tx<'_>, id: i64, version: i64, done: bool) -> Result<(), AppError> {
    let now = store::task_version(tx.conn(), id)?;
    if now != version {
        return Err(crate::web::api::changed(version, now));
    }
    set_done(tx, id, done)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_follow_up_needs_a_kind_and_text_and_a_real_date() {
        let bad = ActivityInput {
            kind: "fax".into(),
            body: " ".into(),
            next_follow_up: "2026-02-30".into(),
            ..Default::default()
        };
        let errors = bad.parse().unwrap_err();
        assert_eq!(
            errors.keys().collect::<Vec<_>>(),
            vec!["body", "kind", "next_follow_up"]
        );
        let good = ActivityInput {
            kind: "call".into(),
            body: "聊了报价".into(),
            next_follow_up: "2026-12-01".into(),
            outcome: "interested".into(),
            ..Default::default()
        };
        let a = good.parse().unwrap();
        assert_eq!(a.next_follow_up, NaiveDate::from_ymd_opt(2026, 12, 1));
    }
}
