//! The user directory over the API (`/api/v1/users`), read-only: what the administrators'
//! user list shows (name, email, role, whether active, since when), to whoever may open that
//! list. Users are made, changed and disabled on the admin pages or with `kith user`, where
//! passwords and sessions are handled; the API never shows a password hash.

use super::store::{self, DirectoryQuery, UserView};
use crate::auth::Permission;
use crate::crm::api::openapi::{Collection, Writes};
use crate::error::AppError;
use crate::web::api::list::{ListRequest, Query, bool_filter, text_filter};
use crate::web::api::{self, path_id, with_etag};
use crate::web::page::Page;
use actix_web::{HttpResponse, web};
use serde_json::{Value, json};

const SORTS: &[&str] = &["name", "created_at"];
const FILTERS: &[&str] = &["role", "active"];

/// What `/api/v1/users` answers to a write.
pub const READ_ONLY: &str = "users are read-only here: add, change and disable them on the \
    admin pages or with `kith user`";

/// What the OpenAPI document says about `/api/v1/users`.
pub fn collection() -> Collection {
    Collection {
        name: "users",
        properties: json!({
            "id": {"type": "integer", "readOnly": true},
            "version": {"type": "integer", "readOnly": true},
            "name": {"type": "string", "readOnly": true},
            "email": {"type": "string", "format": "email", "readOnly": true},
            "role": {"type": "string", "readOnly": true, "description": "a built-in role (admin, manager, sales, service, viewer) or a custom role's key"},
            "role_name": {"type": ["string", "null"], "readOnly": true, "description": "a custom role's name"},
            "active": {"type": "boolean", "readOnly": true},
            "disabled_at": {"type": ["string", "null"], "format": "date-time", "readOnly": true},
            "created_at": {"type": "string", "format": "date-time", "readOnly": true},
        }),
        required: vec![],
        filters: FILTERS.to_vec(),
        sorts: SORTS.to_vec(),
        writes: Writes::NONE,
    }
}

fn to_json(u: &UserView) -> Value {
    json!({
        "id": u.id,
        "version": u.version,
        "name": u.name,
        "email": u.email,
        "role": u.role,
        "role_name": u.role_name,
        "active": u.disabled_at.is_none(),
        "disabled_at": u.disabled_at,
        "created_at": u.created_at,
    })
}

fn sort_value(u: &UserView, sort: &str) -> String {
    match sort {
        "created_at" => u.created_at.clone(),
        _ => u.name.clone(),
    }
}

/// `GET /api/v1/users?q=&role=&active=&sort=`: `q` is part of the name or email.
pub async fn list(page: Page, q: web::Query<Query>) -> Result<HttpResponse, AppError> {
    page.user()?.require(Permission::ManageUsers)?;
    let req = ListRequest::parse(&q, SORTS, "name", FILTERS)?;
    let query = DirectoryQuery {
        role: text_filter(&q, "role"),
        active: bool_filter(&q, "active")?,
        q: req.q.clone(),
        sort: req.sort.to_string(),
        desc: req.desc,
        after: req.after.clone(),
    };
    let limit = req.limit;
    let (rows, more) = page
        .state
        .db
        .read(move |c| Ok(store::directory(c, &query, limit)?))
        .await?;
    let users: Vec<UserView> = rows.into_iter().map(UserView::from).collect();
    let next = req.next(more, users.last().map(|u| (sort_value(u, req.sort), u.id)));
    Ok(api::page(users.iter().map(to_json).collect(), next))
}

/// `GET /api/v1/users/{id}`.
pub async fn get(page: Page, id: web::Path<String>) -> Result<HttpResponse, AppError> {
    page.user()?.require(Permission::ManageUsers)?;
    let id = path_id(&id)?;
    let user = page
        .state
        .db
        .read(move |c| Ok(UserView::from(store::get(c, id)?)))
        .await?;
    Ok(with_etag(api::ok(to_json(&user)), user.version))
}
