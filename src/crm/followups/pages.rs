//! Logging follow-ups and tasks from a record's page, ticking tasks off, and the "today" view.

use super::store;
use super::{ActivityInput, Subject};
use crate::auth::Action;
use crate::auth::csrf::Form;
use crate::crm::records::Entity;
use crate::crm::records::pages::show_page;
use crate::error::AppError;
use crate::server::AppState;
use crate::web::page::{Page, safe_next, see_other};
use actix_web::{HttpResponse, web};
use chrono::NaiveDate;
use minijinja::context;
use serde::Deserialize;

/// Today in the company's time zone.
pub fn today(state: &AppState) -> NaiveDate {
    let tz: chrono_tz::Tz = state
        .company()
        .and_then(|c| c.time_zone.parse().ok())
        .unwrap_or(chrono_tz::Asia::Shanghai);
    chrono::Utc::now().with_timezone(&tz).date_naive()
}

/// The record `id` of `e` as the subject of a new follow-up or task, with its name: the
/// user must be able to edit it (404 when they cannot see it, 403 when they only see it).
pub(crate) async fn subject(
    page: &Page,
    e: &'static Entity,
    id: i64,
) -> Result<(Subject, String), AppError> {
    let rec = crate::crm::records::pages::live_record(page, e, id, Action::Edit).await?;
    let name = rec
        .values
        .get("name")
        .and_then(|v| v.as_str())
        .unwrap_or_default()
        .to_string();
    let get = |name: &str| rec.values.get(name).and_then(serde_json::Value::as_i64);
    let subject = match e.code {
        0 => Subject {
            company_id: Some(id),
            contact_id: None,
            deal_id: None,
            lead_id: None,
        },
        2 => Subject {
            company_id: get("company_id"),
            contact_id: get("contact_id"),
            deal_id: Some(id),
            lead_id: None,
        },
        3 => Subject {
            company_id: None,
            contact_id: None,
            deal_id: None,
            lead_id: Some(id),
        },
        _ => Subject {
            company_id: get("company_id"),
            contact_id: Some(id),
            deal_id: None,
            lead_id: None,
        },
    };
    Ok((subject, name))
}

/// `POST /{entity}/{id}/followups`.
pub async fn log(
    e: &'static Entity,
    page: Page,
    id: web::Path<String>,
    Form(input): Form<ActivityInput>,
) -> Result<HttpResponse, AppError> {
    let id: i64 = id.parse().map_err(|_| AppError::NotFound)?;
    let (subject, name) = subject(&page, e, id).await?;
    let activity = match input.parse() {
        Ok(a) => a,
        Err(errors) => return show_page(e, &page, id, Some((input, errors))).await,
    };
    let title = page.tr("followup.task_title").replace("{name}", &name);
    page.state
        .db
        .write(page.actor(), move |tx| {
            super::log(tx, subject, &activity, &title)
        })
        .await?;
    Ok(see_other(&format!(
        "/{}/{id}?notice=followup_logged",
        e.table
    )))
}

/// The task form.
#[derive(Deserialize)]
pub struct TaskInput {
    #[serde(default)]
    title: String,
    #[serde(default)]
    due_date: String,
}

/// `POST /{entity}/{id}/tasks`: a task for the current user.
pub async fn add(
    e: &'static Entity,
    page: Page,
    id: web::Path<String>,
    Form(input): Form<TaskInput>,
) -> Result<HttpResponse, AppError> {
    let me = page.user()?.clone();
    let id: i64 = id.parse().map_err(|_| AppError::NotFound)?;
    let (subject, _) = subject(&page, e, id).await?;
    let (title, due) = match super::parse_task(&input.title, &input.due_date) {
        Ok(t) => t,
        Err(errors) => {
            let carried = ActivityInput {
                task_title: input.title.clone(),
                task_due: input.due_date.clone(),
                ..Default::default()
            };
            return show_page(e, &page, id, Some((carried, errors))).await;
        }
    };
    page.state
        .db
        .write(page.actor(), move |tx| {
            super::add_task(tx, subject, &title, due, Some(me.id))
        })
        .await?;
    Ok(see_other(&format!("/{}/{id}?notice=task_added", e.table)))
}

/// The done/undo form.
#[derive(Deserialize)]
pub struct DoneInput {
    #[serde(default)]
    done: String,
    #[serde(default)]
    next: String,
}

/// `POST /tasks/{id}/done`: by the assignee or anyone who may edit records.
pub async fn done(
    page: Page,
    id: web::Path<String>,
    Form(input): Form<DoneInput>,
) -> Result<HttpResponse, AppError> {
    let id: i64 = id.parse().map_err(|_| AppError::NotFound)?;
    may_tick(&page, id).await?;
    let done = input.done != "0";
    page.state
        .db
        .write(page.actor(), move |tx| super::set_done(tx, id, done))
        .await?;
    Ok(see_other(&safe_next(Some(&input.next))))
}

/// Whether the user may tick task `id` off or open it again: the assignee may always;
/// anyone else needs to be able to edit the record it belongs to.
pub(crate) async fn may_tick(page: &Page, id: i64) -> Result<(), AppError> {
    let me = page.user()?.id;
    let (assignee, (code, record)) = page
        .state
        .db
        .read(move |c| Ok((store::task_assignee(c, id)?, store::task_record(c, id)?)))
        .await?;
    if assignee != Some(me) {
        let e = crate::crm::records::entity_by_code(code).ok_or(AppError::NotFound)?;
        crate::crm::records::pages::live_record(page, e, record, Action::Edit).await?;
    }
    Ok(())
}

/// `GET /today`: my overdue tasks, today's, and the coming week's.
pub async fn today_page(page: Page) -> Result<HttpResponse, AppError> {
    let me = page.user()?.clone();
    let today = today(&page.state);
    let until = (today + chrono::Duration::days(7)).to_string();
    let tasks = page
        .state
        .db
        .read(move |c| Ok(store::my_open_tasks(c, me.id, &until)?))
        .await?;
    let t = today.to_string();
    let (mut overdue, mut due_today, mut upcoming, mut undated) = (vec![], vec![], vec![], vec![]);
    for task in tasks {
        match task.due_date.as_deref() {
            Some(d) if d < t.as_str() => overdue.push(task),
            Some(d) if d == t => due_today.push(task),
            Some(_) => upcoming.push(task),
            None => undated.push(task),
        }
    }
    page.render(
        "followups/today.html",
        context! { overdue, due_today, upcoming, undated, today => t, notice => page.notice() },
    )
}
