//! `/api/v1/tasks`: to-dos with a due date and an assignee on a company, contact, deal or
//! lead. Made on a record the user may edit; ticked off (`done`) or opened again at a version
//! by the assignee or anyone who may edit the record, as on the pages. The title, due date,
//! assignee and record are set when a task is made; the pages offer no way to change them
//! later, so neither does the API (a task is not deleted either: it is done).

use super::super::store::{self, Narrow, TaskItem, due_sort_value};
use super::{parent_filters, parent_properties, put_parents, reach, subject_of};
use crate::auth::Action;
use crate::crm::api::openapi::{Collection, Writes};
use crate::crm::records::api::require_any;
use crate::error::AppError;
use crate::web::api::list::{ListRequest, Query, bool_filter, id_filter};
use crate::web::api::{self, JsonObject, body, path_id, with_etag};
use crate::web::page::Page;
use actix_web::{HttpRequest, HttpResponse, web};
use serde_json::{Map, Value, json};

const SORTS: &[&str] = &["due_date", "created_at", "updated_at"];
const FILTERS: &[&str] = &[
    "company_id",
    "contact_id",
    "deal_id",
    "lead_id",
    "assignee_id",
    "done",
];
/// Set when a task is made, fixed afterwards.
const FIXED: &[&str] = &[
    "title",
    "due_date",
    "assignee_id",
    "company_id",
    "contact_id",
    "deal_id",
    "lead_id",
];
const READ_ONLY: &[&str] = &[
    "id",
    "version",
    "done_at",
    "assignee_name",
    "created_by",
    "created_at",
    "updated_at",
];

/// What `DELETE /api/v1/tasks/{id}` answers.
pub const NOT_DELETED: &str = "tasks are not deleted: mark them done with PATCH {\"done\": true}";

/// What the OpenAPI document says about `/api/v1/tasks`.
pub fn collection() -> Collection {
    let mut props = Map::new();
    for (key, schema) in [
        ("id", json!({"type": "integer", "readOnly": true})),
        ("version", json!({"type": "integer", "readOnly": true})),
        (
            "title",
            json!({"type": "string", "maxLength": 300, "description": "set on create only"}),
        ),
        (
            "due_date",
            json!({"type": ["string", "null"], "format": "date", "description": "set on create only"}),
        ),
        (
            "done",
            json!({"type": "boolean", "description": "the one thing PATCH changes"}),
        ),
        (
            "done_at",
            json!({"type": ["string", "null"], "format": "date-time", "readOnly": true}),
        ),
        (
            "assignee_id",
            json!({"type": ["integer", "null"], "description": "set on create only; the creator when not given, otherwise an active user the creator may give records to"}),
        ),
        (
            "assignee_name",
            json!({"type": ["string", "null"], "readOnly": true}),
        ),
        (
            "created_by",
            json!({"type": ["integer", "null"], "readOnly": true}),
        ),
        (
            "created_at",
            json!({"type": "string", "format": "date-time", "readOnly": true}),
        ),
        (
            "updated_at",
            json!({"type": "string", "format": "date-time", "readOnly": true}),
        ),
    ] {
        props.insert(key.into(), schema);
    }
    parent_properties(&mut props);
    Collection {
        name: "tasks",
        properties: Value::Object(props),
        required: vec!["title"],
        filters: FILTERS.to_vec(),
        sorts: SORTS.to_vec(),
        writes: Writes::CREATE_CHANGE,
    }
}

fn to_json(t: &TaskItem) -> Value {
    let mut out = Map::new();
    out.insert("id".into(), json!(t.id));
    out.insert("version".into(), json!(t.version));
    out.insert("title".into(), json!(t.title));
    out.insert("due_date".into(), json!(t.due_date));
    out.insert("done".into(), json!(t.done_at.is_some()));
    out.insert("done_at".into(), json!(t.done_at));
    out.insert("assignee_id".into(), json!(t.assignee_id));
    out.insert("assignee_name".into(), json!(t.assignee_name));
    put_parents(&mut out, t.parents);
    out.insert("created_by".into(), json!(t.created_by));
    out.insert("created_at".into(), json!(t.created_at));
    out.insert("updated_at".into(), json!(t.updated_at));
    Value::Object(out)
}

fn sort_value(t: &TaskItem, sort: &str) -> String {
    match sort {
        "created_at" => t.created_at.clone(),
        "updated_at" => t.updated_at.clone(),
        _ => due_sort_value(t.due_date.as_deref()),
    }
}

/// `GET /api/v1/tasks`: by due date (undated last) by default; `q` is text in the title;
/// `done=false` for open tasks.
pub async fn list(page: Page, q: web::Query<Query>) -> Result<HttpResponse, AppError> {
    let req = ListRequest::parse(&q, SORTS, "due_date", FILTERS)?;
    let narrow = Narrow {
        parents: parent_filters(&q)?,
        kind: None,
        state: bool_filter(&q, "done")?.map(|d| if d { "1" } else { "0" }.to_string()),
        user: id_filter(&q, "assignee_id")?,
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
        .read(move |c| Ok(store::task_page(c, &reach, &narrow, limit)?))
        .await?;
    let next = req.next(more, rows.last().map(|t| (sort_value(t, req.sort), t.id)));
    Ok(api::page(rows.iter().map(to_json).collect(), next))
}

async fn load(page: &Page, id: i64) -> Result<TaskItem, AppError> {
    let reach = reach(page).await?;
    page.state
        .db
        .read(move |c| Ok(store::task_item_of(c, &reach, id)?))
        .await?
        .ok_or(AppError::NotFound)
}

async fn answer(page: &Page, id: i64) -> Result<(Value, i64), AppError> {
    let t = load(page, id).await?;
    Ok((to_json(&t), t.version))
}

/// `GET /api/v1/tasks/{id}`: 404 unless it is the user's or one of its records is visible.
pub async fn get(page: Page, id: web::Path<String>) -> Result<HttpResponse, AppError> {
    let (json, version) = answer(&page, path_id(&id)?).await?;
    Ok(with_etag(api::ok(json), version))
}

/// An assignee the user may give a task on a record of `area` to: an active user within
/// their right to create such records (their own tasks are always theirs to make).
async fn assignee(page: &Page, area: crate::auth::Area, id: Option<i64>) -> Result<i64, AppError> {
    let me = page.user()?.id;
    let Some(id) = id.filter(|a| *a != me) else {
        return Ok(me);
    };
    let active = page
        .state
        .db
        .read(move |c| Ok(crate::crm::users::store::is_active(c, id)?))
        .await?;
    if !active || !page.scope(area, Action::Create).await?.allows(Some(id)) {
        return Err(AppError::invalid(
            "assignee_id",
            "not a user you may give this task to",
        ));
    }
    Ok(id)
}

/// `POST /api/v1/tasks`: a task on the record named by one of `company_id`, `contact_id`,
/// `deal_id`, `lead_id`, for the creator unless `assignee_id` says otherwise.
pub async fn create(page: Page, JsonObject(b): JsonObject) -> Result<HttpResponse, AppError> {
    require_any(&page, Action::Edit)?;
    body::check_keys(&b, &[FIXED, &["done"]].concat(), READ_ONLY)?;
    let (e, subject, _) = subject_of(&page, &b).await?;
    let title = body::text(&b, "title")?.unwrap_or_default();
    let due = body::text(&b, "due_date")?.unwrap_or_default();
    let (title, due) = super::super::parse_task(&title, &due).map_err(|errors| {
        api::invalid(&page, errors, |k| match k {
            "task_title" => "title".into(),
            "task_due" => "due_date".into(),
            other => other.into(),
        })
    })?;
    let assignee = assignee(&page, e.area, body::id(&b, "assignee_id")?).await?;
    let done = body::boolean(&b, "done")?.unwrap_or(false);
    let id = page
        .state
        .db
        .write(page.actor(), move |tx| {
            let id = super::super::add_task(tx, subject, &title, due, Some(assignee))?;
            if done {
                super::super::set_done(tx, id, true)?;
            }
            Ok(id)
        })
        .await?;
    let (json, version) = answer(&page, id).await?;
    let res = api::created(&format!("/api/v1/tasks/{id}"), json);
    Ok(with_etag(res, version))
}

/// `PATCH /api/v1/tasks/{id}` with `{"done": true|false}` at the version in `If-Match`. The
/// fields fixed at creation may be sent back unchanged; a different value is refused naming
/// the field.
pub async fn patch(
    req: HttpRequest,
    page: Page,
    id: web::Path<String>,
    JsonObject(b): JsonObject,
) -> Result<HttpResponse, AppError> {
    let id = path_id(&id)?;
    let current = load(&page, id).await?;
    body::check_keys(&b, &[FIXED, &["done"]].concat(), READ_ONLY)?;
    let now = to_json(&current);
    if let Some(k) = FIXED
        .iter()
        .find(|k| b.get(**k).is_some_and(|v| *v != now[**k]))
    {
        return Err(AppError::invalid(
            k,
            "set when the task is made; it cannot be changed",
        ));
    }
    let version = api::version(&req, &b)?;
    if version != current.version {
        return Err(api::changed(version, current.version));
    }
    // The task is visible, so a record the user cannot reach is a right they lack.
    match super::super::pages::may_tick(&page, id).await {
        Err(AppError::NotFound) => return Err(AppError::Forbidden),
        other => other?,
    }
    if let Some(done) = body::boolean(&b, "done")? {
        page.state
            .db
            .write(page.actor(), move |tx| {
                super::super::set_done_at(tx, id, version, done)
            })
            .await?;
    }
    let (json, version) = answer(&page, id).await?;
    Ok(with_etag(api::ok(json), version))
}
