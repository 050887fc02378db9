//! `/pools`: the pools a user may see, with counts; a pool's page listing its records, where
//! reps claim and managers hand records out; the routes of the whole feature.

use super::store::{self, Pooled};
use super::{Pool, PoolEntity, Rights, moves};
use crate::auth::Action;
use crate::auth::csrf::Form;
use crate::error::AppError;
use crate::web::page::{Page, see_other};
use actix_web::http::StatusCode;
use actix_web::{HttpResponse, web};
use minijinja::{Value, context};
use serde::Deserialize;
use std::collections::HashMap;

const PAGE_SIZE: usize = 50;
/// Records listed under "yours" on a pool page.
const HELD_SHOWN: usize = 50;
/// Confirmations a redirect may name with `?done=` (`pool.done.*`).
const DONE: &[&str] = &["claimed", "assigned", "released"];

/// Registers the routes of pools (fixed paths before `{id}`).
pub fn routes(cfg: &mut web::ServiceConfig) {
    use super::{admin, release};
    cfg.route("/pools", web::get().to(index))
        .route("/pools/release", web::get().to(release::form))
        .route("/pools/release", web::post().to(release::submit))
        .route("/pools/{id}", web::get().to(show))
        .route("/pools/{id}/claim", web::post().to(claim))
        .route("/pools/{id}/assign", web::post().to(assign))
        .route("/admin/pools", web::get().to(admin::list))
        .route("/admin/pools", web::post().to(admin::create))
        .route("/admin/pools/{id}", web::post().to(admin::update));
}

/// The query string of the pool pages.
#[derive(Debug, Default, Deserialize)]
pub struct ShowParams {
    #[serde(default)]
    after: Option<String>,
    #[serde(default)]
    after_id: Option<i64>,
    #[serde(default)]
    done: Option<String>,
}

/// The i18n key of a confirmation named in the query string, if it is one of ours.
pub fn done_key(done: Option<&str>) -> Option<String> {
    done.filter(|d| DONE.contains(d))
        .map(|d| format!("pool.done.{d}"))
}

/// The user's rights on a pool (reads their department when the pool has one).
pub async fn rights(page: &Page, pool: &Pool) -> Result<Rights, AppError> {
    let me = page.user()?;
    let in_department = match pool.department_id {
        None => false,
        Some(d) => {
            let user = me.id;
            page.state
                .db
                .read(move |c| Ok(store::in_department(c, user, d)?))
                .await?
        }
    };
    Ok(Rights::of(me, pool, in_department))
}

/// A pool the user may see, with their rights on it; 404 if none, 403 if not theirs.
async fn visible(page: &Page, id: &str) -> Result<(Pool, Rights), AppError> {
    let id: i64 = id.parse().map_err(|_| AppError::NotFound)?;
    let pool = page
        .state
        .db
        .read(move |c| Ok(store::get(c, id)?))
        .await?
        .ok_or(AppError::NotFound)?;
    let rights = rights(page, &pool).await?;
    if !rights.see() {
        return Err(AppError::Forbidden);
    }
    Ok((pool, rights))
}

/// `GET /pools`: the pools the user may see, with how many records wait in each.
pub async fn index(page: Page, q: web::Query<ShowParams>) -> Result<HttpResponse, AppError> {
    let (pools, counts) = page
        .state
        .db
        .read(|c| {
            let mut counts = HashMap::new();
            for e in PoolEntity::ALL {
                counts.extend(store::counts(c, e)?);
            }
            Ok((store::all(c)?, counts))
        })
        .await?;
    let mut shown = Vec::new();
    for pool in pools {
        let r = rights(&page, &pool).await?;
        if r.see() {
            let count = counts.get(&pool.id).copied().unwrap_or(0);
            shown.push(context! { count, rights => r, ..Value::from_serialize(&pool) });
        }
    }
    let admin = page.user()?.can(crate::auth::Permission::ManageSettings);
    page.render(
        "pools/index.html",
        context! { pools => shown, admin, done => done_key(q.done.as_deref()) },
    )
}

/// What went wrong with an action, shown on the pool page: an i18n key and a status.
type Refusal = (String, StatusCode);

/// Renders a pool's page; `refused` shows why an action was refused, with its status.
async fn render(
    page: &Page,
    pool: &Pool,
    rights: Rights,
    q: &ShowParams,
    refused: Option<Refusal>,
) -> Result<HttpResponse, AppError> {
    let me = page.user()?;
    let (entity, id, user) = (pool.entity, pool.id, me.id);
    let after = q.after.clone().zip(q.after_id);
    let claim = rights.claim;
    let ((rows, more), held, held_list, users) = page
        .state
        .db
        .read(move |c| {
            let after = after.as_ref().map(|(a, i)| (a.as_str(), *i));
            let rows = store::page(c, entity, id, after, PAGE_SIZE)?;
            let (held, list) = if claim {
                (
                    store::held(c, entity, user)?,
                    store::held_list(c, entity, user, HELD_SHOWN)?,
                )
            } else {
                (0, Vec::new())
            };
            Ok((rows, held, list, crate::crm::users::store::active_names(c)?))
        })
        .await?;
    // Managers hand records to people whose records they may edit; administrators to anyone.
    let assignees: Vec<(i64, String)> = if rights.admin {
        users
    } else if rights.assign {
        let scope = page.scope(entity.area(), Action::Edit).await?;
        users
            .into_iter()
            .filter(|(u, _)| scope.allows(Some(*u)))
            .collect()
    } else {
        Vec::new()
    };
    // Pooled records have no owner: only those who see every record open them.
    let open = page.scope(entity.area(), Action::View).await?.allows(None);
    let hidden = crate::crm::records::rules::hidden(&me.access.rules(entity.area()));
    let next = match (more, rows.last()) {
        (true, Some(last)) => serde_urlencoded::to_string([
            ("after", last.pooled_at.clone()),
            ("after_id", last.id.to_string()),
        ])
        .ok()
        .map(|qs| format!("/pools/{id}?{qs}")),
        _ => None,
    };
    let rows: Vec<Value> = rows.iter().map(|r| row(r, &hidden)).collect();
    let (error, status) = refused.map_or((None, StatusCode::OK), |(k, s)| (Some(k), s));
    let held_list: Vec<Value> = held_list
        .into_iter()
        .map(|(id, name, at)| context! { id, name, claimed_at => at })
        .collect();
    let mut res = page.render(
        "pools/show.html",
        context! {
            pool => Value::from_serialize(pool), rights, rows, next, paged => q.after.is_some(),
            held, held_list, assignees, open, error, done => done_key(q.done.as_deref()),
            hidden,
        },
    )?;
    *res.status_mut() = status;
    Ok(res)
}

/// A pooled record as a row, without the fields the user's role hides.
fn row(r: &Pooled, hidden: &[String]) -> Value {
    let show = |name: &str, v: &Option<String>| {
        if hidden.iter().any(|h| h == name) {
            None
        } else {
            v.clone()
        }
    };
    let region = [show("province", &r.province), show("city", &r.city)]
        .into_iter()
        .flatten()
        .filter(|s| !s.is_empty())
        .collect::<Vec<_>>()
        .join(" · ");
    context! {
        id => r.id, name => r.name, region, source => show("source", &r.source),
        pooled_at => r.pooled_at, pooled_from => r.pooled_from,
    }
}

/// `GET /pools/{id}`.
pub async fn show(
    page: Page,
    id: web::Path<String>,
    q: web::Query<ShowParams>,
) -> Result<HttpResponse, AppError> {
    let (pool, rights) = visible(&page, &id).await?;
    render(&page, &pool, rights, &q, None).await
}

fn field<'a>(pairs: &'a [(String, String)], name: &str) -> Option<&'a str> {
    pairs.iter().find(|(k, _)| k == name).map(|(_, v)| v.trim())
}

/// Shows the pool page again with the reason a move was refused; other errors pass.
async fn refused(
    page: &Page,
    pool: &Pool,
    rights: Rights,
    e: AppError,
) -> Result<HttpResponse, AppError> {
    let refusal = match e {
        AppError::Conflict(key) => (key, StatusCode::CONFLICT),
        AppError::Validation { message, .. } => (message, StatusCode::UNPROCESSABLE_ENTITY),
        e => return Err(e),
    };
    render(page, pool, rights, &ShowParams::default(), Some(refusal)).await
}

/// `POST /pools/{id}/claim`: `record` is the record to take.
pub async fn claim(
    page: Page,
    id: web::Path<String>,
    Form(pairs): Form<Vec<(String, String)>>,
) -> Result<HttpResponse, AppError> {
    let (pool, rights) = visible(&page, &id).await?;
    if !rights.claim {
        return Err(AppError::Forbidden);
    }
    let record: i64 = field(&pairs, "record")
        .and_then(|r| r.parse().ok())
        .ok_or(AppError::NotFound)?;
    let pool_id = pool.id;
    let result = page
        .state
        .db
        .write(page.actor(), move |tx| moves::claim(tx, pool_id, record))
        .await;
    match result {
        Ok(_) => Ok(see_other(&format!("/pools/{pool_id}?done=claimed"))),
        Err(e) => refused(&page, &pool, rights, e).await,
    }
}

/// `POST /pools/{id}/assign`: the checked `ids` go to `user_id`, who must be someone the
/// manager may give records to (403 otherwise).
pub async fn assign(
    page: Page,
    id: web::Path<String>,
    Form(pairs): Form<Vec<(String, String)>>,
) -> Result<HttpResponse, AppError> {
    let (pool, rights) = visible(&page, &id).await?;
    if !rights.assign {
        return Err(AppError::Forbidden);
    }
    let ids: Vec<i64> = pairs
        .iter()
        .filter(|(k, _)| k == "ids")
        .filter_map(|(_, v)| v.parse().ok())
        .take(PAGE_SIZE)
        .collect();
    let target = field(&pairs, "user_id").and_then(|u| u.parse::<i64>().ok());
    let problem = match (&ids[..], target) {
        ([], _) => Some("pool.error.none_selected"),
        (_, None) => Some("pool.error.assignee"),
        _ => None,
    };
    let (Some(to), None) = (target, problem) else {
        let e = AppError::invalid("ids", problem.unwrap_or("pool.error.assignee"));
        return refused(&page, &pool, rights, e).await;
    };
    let active = page
        .state
        .db
        .read(move |c| Ok(crate::crm::users::store::is_active(c, to)?))
        .await?;
    let allowed = rights.admin
        || page
            .scope(pool.entity.area(), Action::Edit)
            .await?
            .allows(Some(to));
    if !active || !allowed {
        return Err(AppError::Forbidden);
    }
    let pool_id = pool.id;
    let result = page
        .state
        .db
        .write(page.actor(), move |tx| moves::assign(tx, pool_id, &ids, to))
        .await;
    match result {
        Ok(_) => Ok(see_other(&format!("/pools/{pool_id}?done=assigned"))),
        Err(e) => refused(&page, &pool, rights, e).await,
    }
}
