//! Tags over the API (`/api/v1/tags`): the labels records are filtered by (`tag_id` on the
//! record lists). Anyone who can see a kind of record sees the tags; anyone who can change
//! one may make a new tag, as tagging on a record's page does. Tags are not renamed or
//! deleted here, as on the pages.

use super::store::{self, Tag};
use crate::auth::Action;
use crate::crm::api::openapi::{Collection, Writes};
use crate::crm::records::api::require_any;
use crate::error::AppError;
use crate::web::api::list::{ListRequest, Query};
use crate::web::api::{self, JsonObject, body, path_id};
use crate::web::page::Page;
use actix_web::{HttpResponse, web};
use serde_json::{Value, json};

const SORTS: &[&str] = &["name"];

/// What `/api/v1/tags/{id}` answers to a change.
pub const FIXED: &str =
    "tags are not renamed or deleted; take a tag off a record on the record's page";

/// What the OpenAPI document says about `/api/v1/tags`.
pub fn collection() -> Collection {
    Collection {
        name: "tags",
        properties: json!({
            "id": {"type": "integer", "readOnly": true},
            "name": {"type": "string", "maxLength": 40, "description": "unique ignoring case; no commas"},
            "color": {"type": "string", "enum": super::COLORS, "description": "chosen from the name when not given"},
        }),
        required: vec!["name"],
        filters: vec![],
        sorts: SORTS.to_vec(),
        writes: Writes::CREATE,
    }
}

fn to_json(t: &Tag) -> Value {
    json!({"id": t.id, "name": t.name, "color": t.color})
}

/// `GET /api/v1/tags?q=&sort=name`: `q` is part of the name.
pub async fn list(page: Page, q: web::Query<Query>) -> Result<HttpResponse, AppError> {
    require_any(&page, Action::View)?;
    let req = ListRequest::parse(&q, SORTS, "name", &[])?;
    let r = req.clone();
    let (rows, more) = page
        .state
        .db
        .read(move |c| Ok(store::page(c, r.q.as_deref(), r.desc, r.after, r.limit)?))
        .await?;
    let next = req.next(more, rows.last().map(|t| (t.name.clone(), t.id)));
    Ok(api::page(rows.iter().map(to_json).collect(), next))
}

/// `GET /api/v1/tags/{id}`.
pub async fn get(page: Page, id: web::Path<String>) -> Result<HttpResponse, AppError> {
    require_any(&page, Action::View)?;
    let id = path_id(&id)?;
    let tag = page.state.db.read(move |c| Ok(store::get(c, id)?)).await?;
    Ok(api::ok(to_json(&tag)))
}

/// `POST /api/v1/tags`: a new tag; 409 when one has the name already.
pub async fn create(page: Page, JsonObject(b): JsonObject) -> Result<HttpResponse, AppError> {
    require_any(&page, Action::Edit)?;
    body::check_keys(&b, &["name", "color"], &["id"])?;
    let name = super::parse_name(&body::text(&b, "name")?.unwrap_or_default())
        .map_err(|k| AppError::invalid("name", &page.tr(k)))?;
    let color = body::text(&b, "color")?.filter(|c| !c.is_empty());
    if let Some(c) = color.as_deref().filter(|c| !super::COLORS.contains(c)) {
        let choices = super::COLORS.join(", ");
        return Err(AppError::invalid(
            "color",
            &format!("{c} is not one of: {choices}"),
        ));
    }
    let id = page
        .state
        .db
        .write(page.actor(), move |tx| {
            if store::find(tx.conn(), &name)?.is_some() {
                return Err(AppError::Conflict(
                    "a tag with this name already exists".into(),
                ));
            }
            super::create(tx, &name, color.as_deref())
        })
        .await?;
    let tag = page.state.db.read(move |c| Ok(store::get(c, id)?)).await?;
    Ok(api::created(&format!("/api/v1/tags/{id}"), to_json(&tag)))
}
