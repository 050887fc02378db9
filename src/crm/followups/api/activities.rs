//! `/api/v1/activities`: follow-ups (跟进记录) — calls, visits, meetings, emails and notes
//! with an outcome and the next follow-up date. They are a log, as on the record pages: logged
//! and read, never changed or deleted. Logging one with a next date also makes the task to
//! do it, as the record page does.

use super::super::store::{self, ActivityItem, Narrow};
use super::super::{ActivityInput, KINDS, OUTCOMES};
use super::{PARENT_KEYS, parent_filters, parent_properties, put_parents, reach, subject_of};
use crate::auth::Action;
use crate::crm::api::openapi::{Collection, Writes};
use crate::crm::records::api::require_any;
use crate::error::AppError;
use crate::web::api::list::{ListRequest, Query, choice_filter, id_filter};
use crate::web::api::{self, JsonObject, body, path_id};
use crate::web::page::Page;
use actix_web::{HttpResponse, web};
use serde_json::{Map, Value, json};

const SORTS: &[&str] = &["occurred_at"];
const FILTERS: &[&str] = &[
    "company_id",
    "contact_id",
    "deal_id",
    "lead_id",
    "kind",
    "outcome",
    "created_by",
];
const FIELDS: &[&str] = &["kind", "outcome", "body", "next_follow_up"];
const READ_ONLY: &[&str] = &["id", "occurred_at", "created_by", "author"];

/// What `/api/v1/activities/{id}` answers to a change.
pub const LOGGED: &str = "follow-ups are a log: they are not changed or deleted";

/// What the OpenAPI document says about `/api/v1/activities`.
pub fn collection() -> Collection {
    let mut props = Map::new();
    props.insert("id".into(), json!({"type": "integer", "readOnly": true}));
    props.insert("kind".into(), json!({"type": "string", "enum": KINDS}));
    let mut outcomes: Vec<Value> = OUTCOMES.iter().map(|o| json!(o)).collect();
    outcomes.push(Value::Null);
    props.insert("outcome".into(), json!({ "enum": outcomes }));
    props.insert("body".into(), json!({"type": "string", "maxLength": 10000}));
    props.insert(
        "next_follow_up".into(),
        json!({"type": ["string", "null"], "format": "date", "description": "with a date, a task to follow up is made for the author"}),
    );
    props.insert(
        "occurred_at".into(),
        json!({"type": "string", "format": "date-time", "readOnly": true}),
    );
    props.insert(
        "created_by".into(),
        json!({"type": ["integer", "null"], "readOnly": true}),
    );
    props.insert(
        "author".into(),
        json!({"type": ["string", "null"], "readOnly": true}),
    );
    parent_properties(&mut props);
    Collection {
        name: "activities",
        properties: Value::Object(props),
        required: vec!["kind", "body"],
        filters: FILTERS.to_vec(),
        sorts: SORTS.to_vec(),
        writes: Writes::CREATE,
    }
}

fn to_json(a: &ActivityItem) -> Value {
    let mut out = Map::new();
    out.insert("id".into(), json!(a.id));
    out.insert("kind".into(), json!(a.kind));
    out.insert("outcome".into(), json!(a.outcome));
    out.insert("body".into(), json!(a.body));
    out.insert("next_follow_up".into(), json!(a.next_follow_up));
    out.insert("occurred_at".into(), json!(a.occurred_at));
    out.insert("created_by".into(), json!(a.created_by));
    out.insert("author".into(), json!(a.author));
    put_parents(&mut out, a.parents);
    Value::Object(out)
}

/// `GET /api/v1/activities`: newest first by default; `q` is text in the body.
pub async fn list(page: Page, q: web::Query<Query>) -> Result<HttpResponse, AppError> {
    require_any(&page, Action::View)?;
    let req = ListRequest::parse(&q, SORTS, "-occurred_at", FILTERS)?;
    let narrow = Narrow {
        parents: parent_filters(&q)?,
        kind: choice_filter(&q, "kind", KINDS)?,
        state: choice_filter(&q, "outcome", OUTCOMES)?,
        user: id_filter(&q, "created_by")?,
        q: req.q.clone(),
        sort: req.sort.into(),
        desc: req.desc,
        after: req.after.clone(),
    };
    let reach = reach(&page).await?;
    let limit = req.limit;
    let (rows, more) = page
        .state
        .db
        .read(move |c| Ok(store::activity_page(c, &reach, &narrow, limit)?))
        .await?;
    let next = req.next(more, rows.last().map(|a| (a.occurred_at.clone(), a.id)));
    Ok(api::page(rows.iter().map(to_json).collect(), next))
}

async fn load(page: &Page, id: i64) -> Result<ActivityItem, AppError> {
    let reach = reach(page).await?;
    page.state
        .db
        .read(move |c| Ok(store::activity(c, &reach, id)?))
        .await?
        .ok_or(AppError::NotFound)
}

/// `GET /api/v1/activities/{id}`: 404 unless one of its records is visible.
pub async fn get(page: Page, id: web::Path<String>) -> Result<HttpResponse, AppError> {
    require_any(&page, Action::View)?;
    Ok(api::ok(to_json(&load(&page, path_id(&id)?).await?)))
}

/// `POST /api/v1/activities`: logs a follow-up on the record named by one of `company_id`,
/// `contact_id`, `deal_id`, `lead_id`.
pub async fn create(page: Page, JsonObject(b): JsonObject) -> Result<HttpResponse, AppError> {
    body::check_keys(&b, &[FIELDS, &PARENT_KEYS].concat(), READ_ONLY)?;
    let (_, subject, name) = subject_of(&page, &b).await?;
    let text = |k: &str| body::text(&b, k).map(Option::unwrap_or_default);
    let input = ActivityInput {
        kind: text("kind")?,
        outcome: text("outcome")?,
        body: text("body")?,
        next_follow_up: text("next_follow_up")?,
        ..ActivityInput::default()
    };
    let activity = input
        .parse()
        .map_err(|errors| api::invalid(&page, errors, str::to_string))?;
    let title = page.tr("followup.task_title").replace("{name}", &name);
    let id = page
        .state
        .db
        .write(page.actor(), move |tx| {
            super::super::log(tx, subject, &activity, &title)
        })
        .await?;
    let item = load(&page, id).await?;
    Ok(api::created(
        &format!("/api/v1/activities/{id}"),
        to_json(&item),
    ))
}
